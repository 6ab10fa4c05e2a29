package memory

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/schedule"
)

// Store is an engine.Store and a schedule.Store in memory. The zero value
// is not ready: use New.
type Store struct {
	w  sync.Mutex   // the one writer; taken before mu
	mu sync.RWMutex // guards every field below

	machines   map[string]*machine
	tags       map[string]map[string]string // resource ARN → key → value
	activities map[string]engine.Activity   // by name

	execs    map[int64]*execution
	ids      []int64 // every execution's id, ascending
	nextID   int64
	byARN    map[string]int64
	byName   map[[2]string]int64           // (state machine, name) → id
	byParent map[int64][]int64             // parent id → child ids, ascending
	byToken  map[string]map[int64]struct{} // parent token → child ids
	running  map[int64]struct{}            // executions RUNNING
	keeping  map[int64]struct{}            // executions with a RedriveUntil

	tasks  map[string]*task
	open   map[string]*task // SCHEDULED or STARTED
	timers map[timerKey]time.Time

	mapRuns map[string]*engine.MapRun // the written columns only

	groups    map[string]schedule.Group
	schedules map[[2]string]*scheduleRow // (group, name)
}

var (
	_ engine.Store   = (*Store)(nil)
	_ schedule.Store = (*Store)(nil)
)

// New returns an empty store holding only the schedule group "default",
// as a migrated database does.
func New() *Store {
	now := ts(time.Now())
	return &Store{
		machines:   map[string]*machine{},
		tags:       map[string]map[string]string{},
		activities: map[string]engine.Activity{},
		execs:      map[int64]*execution{},
		byARN:      map[string]int64{},
		byName:     map[[2]string]int64{},
		byParent:   map[int64][]int64{},
		byToken:    map[string]map[int64]struct{}{},
		running:    map[int64]struct{}{},
		keeping:    map[int64]struct{}{},
		tasks:      map[string]*task{},
		open:       map[string]*task{},
		timers:     map[timerKey]time.Time{},
		mapRuns:    map[string]*engine.MapRun{},
		groups:     map[string]schedule.Group{"default": {Name: "default", Created: now, Modified: now}},
		schedules:  map[[2]string]*scheduleRow{},
	}
}

// write runs fn as the one writer with the data locked.
func (s *Store) write(fn func() error) error {
	s.w.Lock()
	defer s.w.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	return fn()
}

// read runs fn with the data locked for reading.
func (s *Store) read(fn func() error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return fn()
}

// ts is t as the SQL stores keep it: microseconds, UTC; zero stays zero
// (their NULL).
func ts(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.UnixMicro(t.UnixMicro()).UTC()
}

// limited returns the first limit values of vs; a negative limit is none,
// as SQLite's LIMIT -1.
func limited[T any](vs []T, limit int) []T {
	if limit >= 0 && len(vs) > limit {
		return vs[:limit]
	}
	return vs
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// after returns up to limit of the sorted names that come after afterName
// and start with prefix.
func after(names []string, prefix, afterName string, limit int) []string {
	i, _ := slices.BinarySearch(names, afterName)
	if i < len(names) && names[i] == afterName {
		i++
	}
	var out []string
	for _, n := range names[i:] {
		if limit >= 0 && len(out) == limit {
			break
		}
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	return out
}

// TagResource implements engine.Store: the upsert and the count are one
// step, and nothing changes when the count would pass max.
func (s *Store) TagResource(_ context.Context, arn string, tags []engine.Tag, max int) error {
	return s.write(func() error {
		cur := s.tags[arn]
		n := len(cur)
		for _, k := range uniqueKeys(tags) {
			if _, ok := cur[k]; !ok {
				n++
			}
		}
		if n > max {
			return engine.ErrTooManyTags
		}
		if cur == nil {
			cur = map[string]string{}
			s.tags[arn] = cur
		}
		for _, t := range tags {
			cur[t.Key] = t.Value
		}
		return nil
	})
}

func uniqueKeys(tags []engine.Tag) []string {
	ks := make([]string, 0, len(tags))
	for _, t := range tags {
		ks = append(ks, t.Key)
	}
	slices.Sort(ks)
	return slices.Compact(ks)
}

// UntagResource implements engine.Store.
func (s *Store) UntagResource(_ context.Context, arn string, keys []string) error {
	return s.write(func() error {
		for _, k := range keys {
			delete(s.tags[arn], k)
		}
		if len(s.tags[arn]) == 0 {
			delete(s.tags, arn)
		}
		return nil
	})
}

// ListTags implements engine.Store: by key.
func (s *Store) ListTags(_ context.Context, arn string) ([]engine.Tag, error) {
	var out []engine.Tag
	err := s.read(func() error {
		cur := s.tags[arn]
		for _, k := range sortedKeys(cur) {
			out = append(out, engine.Tag{Key: k, Value: cur[k]})
		}
		return nil
	})
	return out, err
}
