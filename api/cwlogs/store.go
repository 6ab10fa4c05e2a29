package cwlogs

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/internal/arn"
)

// The store's sentinel errors, wrapped with the resource concerned.
var (
	// ErrResourceNotFound: the log group or stream does not exist.
	ErrResourceNotFound = errors.New("resource not found")
	// ErrResourceAlreadyExists: the log group or stream exists already.
	ErrResourceAlreadyExists = errors.New("resource already exists")
)

// resourceError says which log group or stream an ErrResourceNotFound or
// ErrResourceAlreadyExists is about.
type resourceError struct {
	kind string // "log group" or "log stream"
	name string
	err  error
}

func (e *resourceError) Error() string {
	return e.kind + " " + strconv.Quote(e.name) + ": " + e.err.Error()
}
func (e *resourceError) Unwrap() error { return e.err }

// eventOverhead is what AWS adds to a message's bytes to size an event.
const eventOverhead = 26

// maxReadBytes bounds the messages one GetLogEvents or FilterLogEvents
// answer carries, as AWS's 1 MB response does.
const maxReadBytes = 1 << 20

// Config configures a Store.
type Config struct {
	// Region appears in the ARNs of log groups and streams, and a group ARN
	// of another region names no group here. Defaults to "us-east-1".
	Region string
	// Account appears in ARNs as Region does. Defaults to "111111111111".
	Account string
	// MaxEventsPerStream bounds the events one stream keeps; the oldest are
	// dropped first. Defaults to 10,000.
	MaxEventsPerStream int
	// MaxBytes bounds the size of all the events stored, each counted as its
	// message's bytes plus 26; the oldest events, whatever their group, are
	// dropped first. Defaults to 64 MiB.
	MaxBytes int64
	// Now is the clock: creation and ingestion times, and PutLogEvents'
	// limits on events too old or too new. Defaults to time.Now.
	Now func() time.Time
}

func (c *Config) setDefaults() {
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.Account == "" {
		c.Account = "111111111111"
	}
	if c.MaxEventsPerStream <= 0 {
		c.MaxEventsPerStream = 10_000
	}
	if c.MaxBytes <= 0 {
		c.MaxBytes = 64 << 20
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Store holds log groups, their streams and events in memory. It is safe
// for concurrent use.
type Store struct {
	cfg Config

	mu     sync.RWMutex
	groups map[string]*group
	seq    uint64 // the last event's arrival number
	live   int    // events stored
	bytes  int64  // their size
	// arrivals lists every stored event, oldest first, to drop the oldest
	// when bytes exceed MaxBytes; it also holds refs to events already
	// dropped or deleted (ref.live), compacted when they outnumber the live.
	arrivals []ref
}

var _ engine.LogSink = (*Store)(nil)

// New returns an empty store.
func New(cfg Config) *Store {
	cfg.setDefaults()
	return &Store{cfg: cfg, groups: map[string]*group{}}
}

type group struct {
	name    string
	class   string
	created int64 // epoch milliseconds
	bytes   int64
	streams map[string]*stream
}

type stream struct {
	group   *group
	name    string
	created int64
	// first and last are the earliest and latest timestamps ever stored,
	// lastIngest when the last event arrived; all unset until hasEvents.
	first, last, lastIngest int64
	hasEvents               bool
	puts                    uint64 // PutLogEvents calls: the sequence token
	deleted                 bool
	// events[i] is the stream's event number base+i: positions do not
	// change when the oldest are dropped, so tokens stay valid.
	base   int64
	events []event
}

type event struct {
	time, ingest int64 // epoch milliseconds
	seq          uint64
	message      string
}

func (e event) size() int64 { return int64(len(e.message)) + eventOverhead }

type ref struct {
	st  *stream
	seq uint64
}

// live reports whether the event is still stored: a stream's events are in
// arrival order, so it is unless the stream is gone or its oldest stored
// event came later.
func (r ref) live() bool {
	return !r.st.deleted && len(r.st.events) > 0 && r.st.events[0].seq <= r.seq
}

func millis(t time.Time) int64 { return t.UnixMilli() }

func (s *Store) now() int64 { return millis(s.cfg.Now()) }

// DeliverLogs appends events to the stream of the log group groupARN
// ("arn:aws:logs:<region>:<account>:log-group:<name>:*", the ":*" optional),
// creating the stream if needed. A group that does not exist is an error
// wrapping ErrResourceNotFound, and nothing is stored.
func (s *Store) DeliverLogs(ctx context.Context, groupARN, streamName string, events []engine.LogEvent) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	name, err := s.groupNameFromARN(groupARN)
	if err != nil {
		return err
	}
	now := s.now()
	evs := make([]event, len(events))
	for i, e := range events {
		evs[i] = event{time: millis(e.Time), ingest: now, message: e.Message}
	}
	_, err = s.put(name, streamName, true, evs)
	return err
}

// groupNameFromARN returns the name of the group arn names:
// errInvalidARN when arn is not a log group ARN, ErrResourceNotFound when it
// is another region's or account's.
func (s *Store) groupNameFromARN(groupARN string) (string, error) {
	scope, name, err := arn.ParseLogGroup(groupARN)
	if err != nil || scope.Partition == "" {
		return "", &paramError{"the log group ARN " + strconv.Quote(groupARN) + " is not arn:<partition>:logs:<region>:<account>:log-group:<name>"}
	}
	if !validGroupName(name) {
		return "", &paramError{"the log group ARN " + strconv.Quote(groupARN) + " has an invalid log group name"}
	}
	if scope.Region != s.cfg.Region || scope.Account != s.cfg.Account {
		return "", &resourceError{"log group", groupARN, ErrResourceNotFound}
	}
	return name, nil
}

func (s *Store) groupARN(name string) string {
	return arn.In(s.cfg.Region, s.cfg.Account).LogGroup(name)
}

// lookup returns the group named g and, when st is not empty, its stream
// named st. The caller holds mu.
func (s *Store) lookup(g, st string) (*group, *stream, error) {
	gr := s.groups[g]
	if gr == nil {
		return nil, nil, &resourceError{"log group", g, ErrResourceNotFound}
	}
	if st == "" {
		return gr, nil, nil
	}
	str := gr.streams[st]
	if str == nil {
		return gr, nil, &resourceError{"log stream", st, ErrResourceNotFound}
	}
	return gr, str, nil
}

func (s *Store) createGroup(name, class string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.groups[name] != nil {
		return &resourceError{"log group", name, ErrResourceAlreadyExists}
	}
	s.groups[name] = &group{name: name, class: class, created: s.now(), streams: map[string]*stream{}}
	return nil
}

func (s *Store) deleteGroup(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	gr, _, err := s.lookup(name, "")
	if err != nil {
		return err
	}
	for _, st := range gr.streams {
		s.removeStream(st)
	}
	delete(s.groups, name)
	return nil
}

func (s *Store) createStream(g, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	gr, _, err := s.lookup(g, "")
	if err != nil {
		return err
	}
	if gr.streams[name] != nil {
		return &resourceError{"log stream", name, ErrResourceAlreadyExists}
	}
	gr.streams[name] = &stream{group: gr, name: name, created: s.now()}
	return nil
}

func (s *Store) deleteStream(g, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, st, err := s.lookup(g, name)
	if err != nil {
		return err
	}
	s.removeStream(st)
	return nil
}

// removeStream forgets st and its events. The caller holds mu.
func (s *Store) removeStream(st *stream) {
	for len(st.events) > 0 {
		s.dropOldest(st)
	}
	st.deleted = true
	delete(st.group.streams, st.name)
}

// dropOldest drops st's oldest event. The caller holds mu.
func (s *Store) dropOldest(st *stream) {
	n := st.events[0].size()
	st.events[0] = event{}
	st.events = st.events[1:]
	st.base++
	st.group.bytes -= n
	s.bytes -= n
	s.live--
}

// put appends events to the stream st of the group g (created if create is
// set) and returns the stream's next sequence token.
func (s *Store) put(g, st string, create bool, events []event) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	gr, _, err := s.lookup(g, "")
	if err != nil {
		return "", err
	}
	str := gr.streams[st]
	if str == nil {
		if !create {
			return "", &resourceError{"log stream", st, ErrResourceNotFound}
		}
		str = &stream{group: gr, name: st, created: s.now()}
		gr.streams[st] = str
	}
	for _, e := range events {
		s.seq++
		e.seq = s.seq
		str.events = append(str.events, e)
		s.arrivals = append(s.arrivals, ref{str, e.seq})
		s.live++
		s.bytes += e.size()
		gr.bytes += e.size()
		if !str.hasEvents {
			str.first, str.last, str.hasEvents = e.time, e.time, true
		}
		str.first, str.last = min(str.first, e.time), max(str.last, e.time)
		str.lastIngest = e.ingest
		if len(str.events) > s.cfg.MaxEventsPerStream {
			s.dropOldest(str)
		}
	}
	s.evict()
	str.puts++
	return strconv.FormatUint(str.puts, 10), nil
}

// evict drops the oldest events while the store is over MaxBytes, and
// compacts arrivals. The caller holds mu.
func (s *Store) evict() {
	i := 0
	for ; s.bytes > s.cfg.MaxBytes && i < len(s.arrivals); i++ {
		// Every older event has gone, so a live ref is its stream's oldest.
		if r := s.arrivals[i]; r.live() {
			s.dropOldest(r.st)
		}
	}
	s.arrivals = s.arrivals[i:]
	if dead := len(s.arrivals) - s.live; dead > s.live+1024 {
		kept := make([]ref, 0, s.live)
		for _, r := range s.arrivals {
			if r.live() {
				kept = append(kept, r)
			}
		}
		s.arrivals = kept
	}
}

// describeGroups returns the groups whose names begin with prefix and
// contain pattern (case-insensitive), by name.
func (s *Store) describeGroups(prefix, pattern string) []logGroup {
	s.mu.RLock()
	defer s.mu.RUnlock()
	pattern = strings.ToLower(pattern)
	var out []logGroup
	for _, g := range s.groups {
		if !strings.HasPrefix(g.name, prefix) || !strings.Contains(strings.ToLower(g.name), pattern) {
			continue
		}
		arn := s.groupARN(g.name)
		out = append(out, logGroup{LogGroupName: g.name, ARN: arn + ":*", LogGroupARN: arn, CreationTime: g.created,
			StoredBytes: g.bytes, LogGroupClass: g.class})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LogGroupName < out[j].LogGroupName })
	return out
}

// describeStreams returns the streams of g whose names begin with prefix,
// by name or, when byLastEvent, by last event timestamp (then name).
func (s *Store) describeStreams(g, prefix string, byLastEvent bool) ([]logStream, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	gr, _, err := s.lookup(g, "")
	if err != nil {
		return nil, err
	}
	var out []logStream
	for _, st := range gr.streams {
		if !strings.HasPrefix(st.name, prefix) {
			continue
		}
		ls := logStream{LogStreamName: st.name, CreationTime: st.created,
			ARN: s.groupARN(g) + ":log-stream:" + st.name}
		if st.hasEvents {
			// Copies: the answer is encoded after the lock is released.
			first, last, ingest := st.first, st.last, st.lastIngest
			ls.FirstEventTimestamp, ls.LastEventTimestamp, ls.LastIngestionTime = &first, &last, &ingest
		}
		out = append(out, ls)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if byLastEvent {
			ta, tb := deref(a.LastEventTimestamp), deref(b.LastEventTimestamp)
			if ta != tb {
				return ta < tb
			}
		}
		return a.LogStreamName < b.LogStreamName
	})
	return out, nil
}

// deref returns *p, or the zero value when p is nil.
func deref[T any](p *T) T {
	var v T
	if p != nil {
		v = *p
	}
	return v
}

// window selects events by timestamp: start <= time < end.
type window struct{ start, end int64 }

func (w window) has(t int64) bool { return t >= w.start && t < w.end }

// read returns up to limit events of a stream in w, at most maxReadBytes
// of messages: forward from position pos, or backward from before pos
// (both in chronological order). A negative pos is the stream's head
// (forward) or tail (backward). from is the position of the first event
// returned and to the one after the last (both the start position when
// none is).
func (s *Store) read(g, st string, w window, forward bool, pos int64, limit int) (evs []outputEvent, from, to int64, err error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, str, err := s.lookup(g, st)
	if err != nil {
		return nil, 0, 0, err
	}
	end := str.base + int64(len(str.events))
	switch {
	case pos < 0 && forward:
		pos = str.base
	case pos < 0 || pos > end:
		pos = end
	case pos < str.base:
		pos = str.base
	}
	from, to = pos, pos
	evs = []outputEvent{}
	bytes := 0
	// add appends e unless the answer is full.
	add := func(e *event) bool {
		if len(evs) == limit || (len(evs) > 0 && bytes+len(e.message) > maxReadBytes) {
			return false
		}
		bytes += len(e.message)
		evs = append(evs, outputEvent{Timestamp: e.time, Message: e.message, IngestionTime: e.ingest})
		return true
	}
	if forward {
		i := pos
		for ; i < end; i++ {
			e := &str.events[i-str.base]
			if !w.has(e.time) {
				continue
			}
			if len(evs) == 0 {
				from = i
			}
			if !add(e) {
				break
			}
		}
		// Full, the next page starts at the event not taken; else at the
		// end of the stream, where later events go.
		return evs, from, i, nil
	}
	i := pos
	for ; i > str.base; i-- {
		e := &str.events[i-1-str.base]
		if !w.has(e.time) {
			continue
		}
		if len(evs) == 0 {
			to = i
		}
		if !add(e) {
			break
		}
	}
	slices.Reverse(evs)
	return evs, i, to, nil
}

// filterQuery selects a group's events for FilterLogEvents.
type filterQuery struct {
	streams []string // names; none means every stream whose name has prefix
	prefix  string
	w       window
	match   func(message string) bool
	after   cursor // only events after it, when set
	limit   int
}

// cursor is an event's place in FilterLogEvents' order: timestamp, then
// arrival.
type cursor struct {
	time int64
	seq  uint64
}

func (c cursor) less(d cursor) bool { return c.time < d.time || c.time == d.time && c.seq < d.seq }

type hit struct {
	cursor
	stream string
	e      *event
}

// hits is a max-heap of hits in cursor order: the limit earliest hits
// seen so far.
type hits []hit

func (h hits) Len() int           { return len(h) }
func (h hits) Less(i, j int) bool { return h[j].less(h[i].cursor) }
func (h hits) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *hits) Push(x any)        { *h = append(*h, x.(hit)) }
func (h *hits) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// filter returns the earliest q.limit matching events of group g in
// timestamp order (at most maxReadBytes of messages), the streams
// searched, and whether more events match after the last returned.
func (s *Store) filter(g string, q filterQuery) (out []filteredEvent, searched []string, more bool, err error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	gr, _, err := s.lookup(g, "")
	if err != nil {
		return nil, nil, false, err
	}
	var streams []*stream
	if len(q.streams) > 0 {
		for _, name := range q.streams {
			if st := gr.streams[name]; st != nil {
				streams = append(streams, st)
			}
		}
	} else {
		for _, st := range gr.streams {
			if strings.HasPrefix(st.name, q.prefix) {
				streams = append(streams, st)
			}
		}
	}
	var h hits
	for _, st := range streams {
		searched = append(searched, st.name)
		for i := range st.events {
			e := &st.events[i]
			c := cursor{e.time, e.seq}
			if !q.w.has(e.time) || (q.after != cursor{} && !q.after.less(c)) {
				continue
			}
			if len(h) == q.limit && !c.less(h[0].cursor) {
				// Later than every hit kept: only whether it matches counts.
				more = more || q.match(e.message)
				continue
			}
			if !q.match(e.message) {
				continue
			}
			if len(h) == q.limit {
				more = true
				heap.Pop(&h)
			}
			heap.Push(&h, hit{c, st.name, e})
		}
	}
	sort.Slice(h, func(i, j int) bool { return h[i].less(h[j].cursor) })
	sort.Strings(searched)
	out = []filteredEvent{}
	bytes := 0
	for _, x := range h {
		if len(out) > 0 && bytes+len(x.e.message) > maxReadBytes {
			return out, searched, true, nil
		}
		bytes += len(x.e.message)
		out = append(out, filteredEvent{LogStreamName: x.stream, Timestamp: x.time, Message: x.e.message,
			IngestionTime: x.e.ingest, EventID: eventID(x.cursor)})
	}
	return out, searched, more, nil
}

// eventID is an event's eventId in FilterLogEvents, and the nextToken that
// continues after it: its cursor in 40 digits.
func eventID(c cursor) string { return fmt.Sprintf("%020d%020d", c.time, c.seq) }

func parseEventID(id string) (cursor, bool) {
	if len(id) != 40 {
		return cursor{}, false
	}
	t, err1 := strconv.ParseInt(id[:20], 10, 64)
	seq, err2 := strconv.ParseUint(id[20:], 10, 64)
	return cursor{t, seq}, err1 == nil && err2 == nil && seq > 0
}
