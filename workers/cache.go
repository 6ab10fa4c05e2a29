package workers

import (
	"container/list"
	"strconv"

	"github.com/stepwise-dev/stepwise/workers/wire"
)

// resultCache keeps the final results this worker sent for recent
// (token, attempt)s, oldest first out, within a byte budget, so that a
// task that comes again is answered without running twice. It is not safe
// for concurrent use: Worker.mu guards it.
type resultCache struct {
	max   int // bytes; <= 0: keep nothing
	size  int
	order *list.List // of *cached, oldest at the front
	byKey map[string]*list.Element
}

type cached struct {
	key string
	res wire.Result
}

func newResultCache(maxBytes int) *resultCache {
	return &resultCache{max: maxBytes, order: list.New(), byKey: make(map[string]*list.Element)}
}

func cacheKey(token string, attempt int) string { return token + ":" + strconv.Itoa(attempt) }

// entryBytes is what an entry holds in memory beside its strings: the
// cached struct (160 bytes on 64-bit), its list element (48) and its slot
// in byKey. Counted as 64, the cache held 2.5 times its budget (26 MB for
// 8 MiB in a heap profile of 60,000 tasks).
const entryBytes = 256

// cost is roughly what an entry holds in memory.
func cost(key string, r *wire.Result) int {
	return len(key) + len(r.Token) + len(r.Output) + len(r.Error) + len(r.Cause) + entryBytes
}

// get returns the result sent for key, if it is still kept.
func (c *resultCache) get(key string) (wire.Result, bool) {
	if e, ok := c.byKey[key]; ok {
		return e.Value.(*cached).res, true
	}
	return wire.Result{}, false
}

// put keeps r under key, dropping the oldest results beyond the budget. A
// result larger than the whole budget is not kept.
func (c *resultCache) put(key string, r wire.Result) {
	n := cost(key, &r)
	if n > c.max {
		return
	}
	if e, ok := c.byKey[key]; ok {
		c.size -= cost(key, &e.Value.(*cached).res)
		c.order.Remove(e)
	}
	c.byKey[key] = c.order.PushBack(&cached{key: key, res: r})
	c.size += n
	for c.size > c.max {
		old := c.order.Remove(c.order.Front()).(*cached)
		delete(c.byKey, old.key)
		c.size -= cost(old.key, &old.res)
	}
}
