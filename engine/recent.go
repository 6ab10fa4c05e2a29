package engine

import (
	"sync"
	"time"
)

// recentTTL is how long a fact about a machine read from the store is used
// before it is read again: an EXPRESS machine for its starts (express.go),
// a machine's Logging for its standard executions' logs (logs.go). AWS too
// may start executions on the previous definition, and log by the previous
// configuration, for a few seconds after an update.
const recentTTL = time.Second

// recent keeps values read from the store for recentTTL, by key: at most
// maxCachedMachines, all forgotten when that many are kept. It is safe
// for concurrent use.
type recent[T any] struct {
	mu sync.Mutex
	m  map[string]recentValue[T]
}

type recentValue[T any] struct {
	v  T
	at time.Time
}

// get returns the value put under key less than recentTTL before now.
func (c *recent[T]) get(key string, now time.Time) (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.m[key]
	if !ok || now.Sub(r.at) >= recentTTL || now.Before(r.at) {
		var zero T
		return zero, false
	}
	return r.v, true
}

// put keeps v under key, read at now.
func (c *recent[T]) put(key string, v T, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedMachines {
		c.m = map[string]recentValue[T]{}
	}
	c.m[key] = recentValue[T]{v: v, at: now}
}
