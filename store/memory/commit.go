package memory

import (
	"context"
	"fmt"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/store/internal/histchunk"
)

// task is a task's row. Its Task's ExecutionARN is not kept (it is read
// from the execution).
type task struct {
	t      engine.Task
	status string
}

func isOpen(status string) bool {
	return status == engine.TaskScheduled || status == engine.TaskStarted
}

// timerKey names a timer: an execution's timers are unique by key.
type timerKey struct {
	id  int64
	key string
}

// check checks, before anything is written, every way the mutations ms
// could fail as the SQL stores' statements would: the version check
// (engine.ErrConflict), and the keys they insert (a task token, the first
// event of a history chunk) already taken. staged are executions about to
// be inserted, at version 0; check records there the version each
// mutation leaves, so a later one is checked against it.
func (s *Store) check(ms []*engine.Mutation, staged map[int64]int64) error {
	tokens := map[string]bool{}
	chunks := map[[2]int64]bool{} // (execution, first event id)
	for _, m := range ms {
		if m == nil {
			return fmt.Errorf("%w: a nil mutation", engine.ErrInvalidInput)
		}
		v, ok := staged[m.ExecutionID]
		x := s.execs[m.ExecutionID]
		if !ok {
			if x == nil {
				return fmt.Errorf("%w: execution %d is no longer at version %d", engine.ErrConflict, m.ExecutionID, m.Version)
			}
			v = x.x.Version
		}
		if v != m.Version {
			return fmt.Errorf("%w: execution %d is no longer at version %d", engine.ErrConflict, m.ExecutionID, m.Version)
		}
		staged[m.ExecutionID] = m.Version + 1
		if len(m.Events) > 0 {
			k := [2]int64{m.ExecutionID, m.Events[0].ID}
			if chunks[k] || (x != nil && x.hasChunk(m.Events[0].ID)) {
				return fmt.Errorf("%w: history event %d of execution %d is written", engine.ErrConflict, m.Events[0].ID, m.ExecutionID)
			}
			chunks[k] = true
		}
		for _, t := range m.NewTasks {
			if tokens[t.Token] || s.tasks[t.Token] != nil {
				return fmt.Errorf("%w: task %s exists", engine.ErrConflict, t.Token)
			}
			tokens[t.Token] = true
		}
	}
	return nil
}

// apply writes a mutation that check passed, in the order of the SQL
// stores' statements.
func (s *Store) apply(m *engine.Mutation) {
	x := s.execs[m.ExecutionID]
	r := &x.x
	r.Version = m.Version + 1
	s.setStatus(x, m.Status)
	r.State, r.LastEventID = append([]byte{}, m.State...), m.LastEventID
	r.Output, r.Error, r.Cause, r.StopDate = m.Output, m.Error, m.Cause, ts(m.StopDate)
	if n := len(m.Events); n > 0 {
		x.addChunk(chunk{first: m.Events[0].ID, last: m.Events[n-1].ID, data: histchunk.EncodeRaw(m.Events)})
	}
	for _, t := range m.NewTasks {
		t.ExecutionID, t.ExecutionARN = m.ExecutionID, ""
		t.CreatedAt, t.DispatchAfter = ts(t.CreatedAt), ts(t.DispatchAfter)
		row := &task{t: t}
		s.tasks[t.Token] = row
		s.setTaskStatus(row, engine.TaskScheduled)
	}
	for _, mr := range m.MapRuns {
		s.upsertMapRun(m.ExecutionID, mr)
	}
	if rd := m.Redrive; rd != nil {
		r.RedriveCount, r.RedriveDate, r.RedriveUntil = rd.Count, ts(rd.Date), ts(rd.Until)
		if r.RedriveUntil.IsZero() {
			delete(s.keeping, r.ID)
		} else {
			s.keeping[r.ID] = struct{}{}
		}
		if rd.ParentToken != "" {
			s.setParentToken(x, rd.ParentToken)
		}
	}
	for _, u := range m.CloseTasks {
		if t := s.tasks[u.Token]; t != nil && isOpen(t.status) {
			s.setTaskStatus(t, u.Status)
		}
	}
	for _, k := range m.DeleteTimers {
		s.deleteTimer(x, k)
	}
	if m.Terminal {
		for tok := range x.open {
			s.setTaskStatus(s.tasks[tok], engine.TaskCancelled)
		}
		for k := range x.timers {
			s.deleteTimer(x, k)
		}
		x.parts = nil
		return
	}
	if m.DropParts {
		x.parts = nil
	}
	for _, f := range m.DropFrames {
		delete(x.parts, f)
	}
	for _, p := range m.Parts {
		if x.parts == nil {
			x.parts = map[int64]map[int64]string{}
		}
		if x.parts[p.Frame] == nil {
			x.parts[p.Frame] = map[int64]string{}
		}
		x.parts[p.Frame][p.Slot] = p.Data
	}
	for _, t := range m.NewTimers {
		s.setTimer(x, t.Key, t.FireAt)
	}
}

// setTaskStatus sets a task's status, keeping the sets of open tasks.
func (s *Store) setTaskStatus(t *task, status string) {
	t.status = status
	var x *execution
	if x = s.execs[t.t.ExecutionID]; x == nil {
		x = &execution{open: map[string]struct{}{}} // cannot happen: a task's execution stays
	}
	if isOpen(status) {
		s.open[t.t.Token] = t
		x.open[t.t.Token] = struct{}{}
	} else {
		delete(s.open, t.t.Token)
		delete(x.open, t.t.Token)
	}
}

func (s *Store) setTimer(x *execution, key string, at time.Time) {
	s.timers[timerKey{x.x.ID, key}] = ts(at)
	x.timers[key] = struct{}{}
}

func (s *Store) deleteTimer(x *execution, key string) {
	delete(s.timers, timerKey{x.x.ID, key})
	delete(x.timers, key)
}

// Commit implements engine.Store: all of m, or ErrConflict and nothing.
func (s *Store) Commit(_ context.Context, m *engine.Mutation) error {
	return s.write(func() error {
		if err := s.check([]*engine.Mutation{m}, map[int64]int64{}); err != nil {
			return err
		}
		s.apply(m)
		return nil
	})
}

// CommitGroup implements engine.Store. It is the one writer throughout:
// it gives the starts their ids and loads the executions holding the data
// lock for reading, calls decide without it, then checks and writes
// everything decide returns, with the starts, under one hold of the data
// lock. When decide or a check fails nothing is written.
func (s *Store) CommitGroup(_ context.Context, grp *engine.Group, decide func(map[int64]*engine.Execution) (*engine.GroupWrite, error)) (engine.GroupResult, error) {
	s.w.Lock()
	defer s.w.Unlock()
	s.mu.Lock()
	next := s.nextID
	grp.Taken = nil
	staged := map[[2]string]*engine.Execution{}
	versions := map[int64]int64{} // the starts', for check
	for i, e := range grp.Starts {
		if old := s.stage(e, staged); old != nil {
			if grp.Taken == nil {
				grp.Taken = map[int]*engine.Execution{}
			}
			grp.Taken[i] = old
			continue
		}
		versions[e.ID] = 0
	}
	xs := make(map[int64]*engine.Execution, len(grp.IDs))
	for _, id := range grp.IDs {
		x := s.execs[id]
		if x == nil {
			continue
		}
		c := x.row(true)
		if v, ok := grp.Cached[id]; !ok || v != c.Version {
			c.Parts = x.loadParts()
		}
		xs[id] = c
	}
	s.mu.Unlock()

	w, err := decide(xs)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil && w == nil {
		w = &engine.GroupWrite{}
	}
	if err == nil {
		err = s.check(w.Mutations, versions)
	}
	if err == nil {
		err = s.checkEnded(w.Ended)
	}
	if err != nil {
		s.nextID = next
		return engine.GroupResult{}, err
	}
	for i, e := range grp.Starts {
		if grp.Taken[i] == nil {
			s.insert(e)
		}
	}
	for _, m := range w.Mutations {
		s.apply(m)
	}
	for _, c := range w.Confirmed {
		if t := s.tasks[c.Token]; t != nil && t.status == engine.TaskScheduled {
			t.t.DispatchAfter = ts(c.Until)
		}
	}
	res := engine.GroupResult{Open: map[string]bool{}}
	for _, tok := range w.Started {
		t := s.tasks[tok]
		ok := t != nil && isOpen(t.status)
		if ok {
			s.setTaskStatus(t, engine.TaskStarted)
		}
		res.Open[tok] = res.Open[tok] || ok
	}
	for _, tok := range w.Heartbeats {
		res.Open[tok] = s.heartbeat(tok, w.Now) || res.Open[tok]
	}
	for _, e := range w.Ended {
		s.writeEnded(e)
	}
	return res, nil
}

// heartbeat marks an open task STARTED and moves its heartbeat timer (if
// it has one) to now plus its HeartbeatSeconds; false when the task is
// not open.
func (s *Store) heartbeat(token string, now time.Time) bool {
	t := s.tasks[token]
	if t == nil || !isOpen(t.status) {
		return false
	}
	s.setTaskStatus(t, engine.TaskStarted)
	s.moveHeartbeatTimer(t, now)
	return true
}

// moveHeartbeatTimer moves the heartbeat timer of t, if it has one, to now
// plus its HeartbeatSeconds.
func (s *Store) moveHeartbeatTimer(t *task, now time.Time) {
	if t.t.HeartbeatSeconds <= 0 {
		return
	}
	k := timerKey{t.t.ExecutionID, heartbeatTimerOf + t.t.Token}
	if _, ok := s.timers[k]; ok {
		s.timers[k] = ts(now.Add(time.Duration(t.t.HeartbeatSeconds) * time.Second))
	}
}
