package memory

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/statelang"
	"github.com/stepwise-dev/stepwise/store/internal/histchunk"
)

// execution is an execution's row and what hangs off it.
type execution struct {
	// x holds the row's columns; its State belongs to the store and its
	// Parts are unused (see parts).
	x      engine.Execution
	parts  map[int64]map[int64]string // frame → slot → data
	chunks []chunk                    // by first event id
	open   map[string]struct{}        // tokens of its open tasks
	timers map[string]struct{}        // keys of its timers
}

// chunk is the history events one commit appended (histchunk.Encode),
// never changed once written.
type chunk struct {
	first, last int64
	data        []byte
}

// row returns a copy of the row, with its State or without (nil).
func (x *execution) row(state bool) *engine.Execution {
	c := x.x
	c.State, c.Parts = nil, nil
	if state {
		c.State = append([]byte{}, x.x.State...)
	}
	return &c
}

// loadParts returns copies of the parts, by frame then slot.
func (x *execution) loadParts() []engine.StatePart {
	var ps []engine.StatePart
	for f, slots := range x.parts {
		for sl, d := range slots {
			ps = append(ps, engine.StatePart{Frame: f, Slot: sl, Data: d})
		}
	}
	slices.SortFunc(ps, func(a, b engine.StatePart) int {
		return cmp.Or(cmp.Compare(a.Frame, b.Frame), cmp.Compare(a.Slot, b.Slot))
	})
	return ps
}

// hasChunk reports whether a chunk starts at event first.
func (x *execution) hasChunk(first int64) bool {
	_, found := slices.BinarySearchFunc(x.chunks, first, func(c chunk, id int64) int { return cmp.Compare(c.first, id) })
	return found
}

func (x *execution) addChunk(c chunk) {
	i, _ := slices.BinarySearchFunc(x.chunks, c.first, func(c chunk, id int64) int { return cmp.Compare(c.first, id) })
	x.chunks = slices.Insert(x.chunks, i, c)
}

// insert adds the row of a new execution e (e.ID set), Version 0.
func (s *Store) insert(e *engine.Execution) {
	x := &execution{x: engine.Execution{ID: e.ID, ARN: e.ARN, Name: e.Name, StateMachine: e.StateMachine,
		StateMachineVersion: e.StateMachineVersion, StateMachineARN: e.StateMachineARN, Input: e.Input,
		StartDate: ts(e.StartDate), State: append([]byte{}, e.State...), ParentID: e.ParentID},
		open: map[string]struct{}{}, timers: map[string]struct{}{}}
	s.execs[e.ID] = x
	s.ids = append(s.ids, e.ID) // ids grow: one writer hands them out in order
	s.byARN[e.ARN] = e.ID
	s.byName[[2]string{e.StateMachine, e.Name}] = e.ID
	if e.ParentID != 0 {
		s.byParent[e.ParentID] = append(s.byParent[e.ParentID], e.ID)
	}
	s.setParentToken(x, e.ParentToken)
	s.setStatus(x, e.Status)
	s.nextID = max(s.nextID, e.ID)
}

// setStatus sets an execution's status, keeping the set of running ones.
func (s *Store) setStatus(x *execution, status string) {
	x.x.Status = status
	if status == engine.StatusRunning {
		s.running[x.x.ID] = struct{}{}
	} else {
		delete(s.running, x.x.ID)
	}
}

// setParentToken sets an execution's parent token, keeping the index of
// children by token.
func (s *Store) setParentToken(x *execution, token string) {
	if old := x.x.ParentToken; old != "" {
		delete(s.byToken[old], x.x.ID)
		if len(s.byToken[old]) == 0 {
			delete(s.byToken, old)
		}
	}
	x.x.ParentToken = token
	if token != "" {
		if s.byToken[token] == nil {
			s.byToken[token] = map[int64]struct{}{}
		}
		s.byToken[token][x.x.ID] = struct{}{}
	}
}

// stage checks a new execution's (state machine, name) and gives it the
// next id, or returns the execution that holds the name. staged are the
// names given ids before it, not yet inserted.
func (s *Store) stage(e *engine.Execution, staged map[[2]string]*engine.Execution) (taken *engine.Execution) {
	k := [2]string{e.StateMachine, e.Name}
	if id, ok := s.byName[k]; ok {
		return s.execs[id].row(true)
	}
	if id, ok := s.byARN[e.ARN]; ok {
		return s.execs[id].row(true)
	}
	if old := staged[k]; old != nil {
		x := execution{x: *old}
		x.x.Version, x.x.LastEventID = 0, 0
		return x.row(true)
	}
	s.nextID++
	e.ID = s.nextID
	staged[k] = e
	return nil
}

// CreateExecution implements engine.Store. first decides outside the data
// lock (it may read the store); its mutation is written with the row, all
// or nothing.
func (s *Store) CreateExecution(_ context.Context, e *engine.Execution, first func(id int64) (*engine.Mutation, error)) (*engine.Execution, error) {
	s.w.Lock()
	defer s.w.Unlock()
	x := *e
	x.State = append([]byte{}, e.State...)
	s.mu.Lock()
	next := s.nextID
	taken := s.stage(&x, map[[2]string]*engine.Execution{})
	s.mu.Unlock()
	if taken != nil {
		return taken, fmt.Errorf("%w: execution %q of %q exists", engine.ErrConflict, e.Name, e.StateMachine)
	}
	m, err := first(x.ID)
	if err == nil && m == nil {
		err = fmt.Errorf("%w: no first mutation for execution %d", engine.ErrInvalidInput, x.ID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		m.ExecutionID, m.Version = x.ID, 0
		err = s.check([]*engine.Mutation{m}, map[int64]int64{x.ID: 0})
	}
	if err != nil {
		s.nextID = next
		return nil, err
	}
	s.insert(&x)
	s.apply(m)
	x.Version, x.Status, x.LastEventID, x.State = 1, m.Status, m.LastEventID, append([]byte{}, m.State...)
	x.Output, x.Error, x.Cause, x.StopDate = m.Output, m.Error, m.Cause, m.StopDate
	x.Parts = nil
	return &x, nil
}

// GetExecution implements engine.Store.
func (s *Store) GetExecution(_ context.Context, id int64) (*engine.Execution, error) {
	var out *engine.Execution
	err := s.read(func() error {
		x := s.execs[id]
		if x == nil {
			return fmt.Errorf("execution %d: %w", id, engine.ErrNotFound)
		}
		out = x.row(true)
		return nil
	})
	return out, err
}

// GetExecutionByARN implements engine.Store.
func (s *Store) GetExecutionByARN(_ context.Context, arn string) (*engine.Execution, error) {
	var out *engine.Execution
	err := s.read(func() error {
		id, ok := s.byARN[arn]
		if !ok {
			return fmt.Errorf("execution %s: %w", arn, engine.ErrNotFound)
		}
		out = s.execs[id].row(true)
		return nil
	})
	return out, err
}

// ListExecutions implements engine.Store: newest first, State not loaded.
func (s *Store) ListExecutions(_ context.Context, f engine.ListFilter) ([]*engine.Execution, error) {
	conds := f.Conditions
	if f.StateMachine != "" {
		conds = append(slices.Clip(conds), engine.Condition{Field: engine.FieldStateMachine, Op: engine.OpEq, Value: f.StateMachine})
	}
	if f.Status != "" {
		conds = append(slices.Clip(conds), engine.Condition{Field: engine.FieldStatus, Op: engine.OpEq, Value: f.Status})
	}
	match, err := compile(conds)
	if err != nil {
		return nil, err
	}
	before := f.BeforeID
	if before <= 0 {
		before = math.MaxInt64
	}
	var out []*engine.Execution
	err = s.read(func() error {
		ids := s.ids
		if f.ParentID != 0 {
			ids = s.byParent[f.ParentID]
		}
		i, _ := slices.BinarySearch(ids, before)
		for i--; i >= 0 && (f.Limit < 0 || len(out) < f.Limit); i-- {
			if x := s.execs[ids[i]]; match(&x.x) && !(f.Nested && strings.Contains(x.x.StateMachine, "/")) {
				out = append(out, x.row(false))
			}
		}
		return nil
	})
	return out, err
}

// History implements engine.Store: the chunks that hold the page, as the
// SQL stores choose them, decoded and cut to it.
func (s *Store) History(_ context.Context, executionID int64, f engine.HistoryFilter) ([]statelang.HistoryEvent, error) {
	limit := int64(f.Limit)
	if limit <= 0 {
		limit = math.MaxInt32
	}
	var data [][]byte
	_ = s.read(func() error {
		x := s.execs[executionID]
		if x == nil {
			return nil
		}
		if !f.Reverse {
			for _, c := range x.chunks {
				if c.last > f.AfterID && c.first <= f.AfterID+limit {
					data = append(data, c.data)
				}
			}
			return nil
		}
		end := f.BeforeID
		if end <= 0 {
			end = 1
			if n := len(x.chunks); n > 0 {
				end = x.chunks[n-1].last + 1
			}
		}
		for _, c := range x.chunks {
			if c.first < end && c.last >= end-limit {
				data = append(data, c.data)
			}
		}
		return nil
	})
	var all []statelang.HistoryEvent
	for _, d := range data { // chunks never change once written
		evs, err := histchunk.Decode(d)
		if err != nil {
			return nil, fmt.Errorf("history of execution %d: %w", executionID, err)
		}
		all = append(all, evs...)
	}
	return histchunk.Page(all, f.AfterID, f.BeforeID, f.Reverse, int(limit)), nil
}

// compile checks conditions as the SQL stores do (the same fields,
// operators and value types) and returns their conjunction. Times compare
// as microseconds; a zero stop date (NULL) fails every comparison.
func compile(conds []engine.Condition) (func(*engine.Execution) bool, error) {
	var tests []func(*engine.Execution) bool
	for _, c := range conds {
		var col func(*engine.Execution) string
		var tcol func(*engine.Execution) (int64, bool)
		switch c.Field {
		case engine.FieldName:
			col = func(x *engine.Execution) string { return x.Name }
		case engine.FieldStatus:
			col = func(x *engine.Execution) string { return x.Status }
		case engine.FieldStateMachine:
			col = func(x *engine.Execution) string { return x.StateMachine }
		case engine.FieldStartTime:
			tcol = func(x *engine.Execution) (int64, bool) { return x.StartDate.UnixMicro(), true }
		case engine.FieldStopTime:
			tcol = func(x *engine.Execution) (int64, bool) { return x.StopDate.UnixMicro(), !x.StopDate.IsZero() }
		default:
			return nil, fmt.Errorf("%w: cannot filter on %q", engine.ErrInvalidInput, c.Field)
		}
		bad := fmt.Errorf("%w: bad condition %s %s %T", engine.ErrInvalidInput, c.Field, c.Op, c.Value)
		switch v := c.Value.(type) {
		case time.Time:
			cmpOK, ok := comparisons[c.Op]
			if tcol == nil || !ok {
				return nil, bad
			}
			want := v.UnixMicro()
			tests = append(tests, func(x *engine.Execution) bool {
				got, set := tcol(x)
				return set && cmpOK(cmp.Compare(got, want))
			})
		case string:
			if col == nil {
				return nil, bad
			}
			switch c.Op {
			case engine.OpEq:
				tests = append(tests, func(x *engine.Execution) bool { return col(x) == v })
			case engine.OpNe:
				tests = append(tests, func(x *engine.Execution) bool { return col(x) != v })
			case engine.OpPrefix:
				tests = append(tests, func(x *engine.Execution) bool { return strings.HasPrefix(col(x), v) })
			default:
				return nil, bad
			}
		case []string:
			if col == nil || c.Op != engine.OpIn {
				return nil, bad
			}
			in := slices.Clone(v)
			tests = append(tests, func(x *engine.Execution) bool { return slices.Contains(in, col(x)) })
		default:
			return nil, bad
		}
	}
	return func(x *engine.Execution) bool {
		for _, t := range tests {
			if !t(x) {
				return false
			}
		}
		return true
	}, nil
}

// comparisons maps the operators a time supports to a test of
// cmp.Compare(column, value).
var comparisons = map[engine.Op]func(int) bool{
	engine.OpEq: func(c int) bool { return c == 0 },
	engine.OpNe: func(c int) bool { return c != 0 },
	engine.OpLt: func(c int) bool { return c < 0 },
	engine.OpLe: func(c int) bool { return c <= 0 },
	engine.OpGt: func(c int) bool { return c > 0 },
	engine.OpGe: func(c int) bool { return c >= 0 },
}
