package memory

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
)

// The resources the children queries look at, as the SQL stores' LIKE
// patterns name them.
const (
	syncChildPrefix  = "arn:aws:states:::states:startExecution.sync"
	callbackSuffix   = ".waitForTaskToken"
	heartbeatTimerOf = "hb:"
)

// ClaimDueTimers implements engine.Store: the due timers, soonest first,
// each moved to now+lease.
func (s *Store) ClaimDueTimers(_ context.Context, now time.Time, lease time.Duration, limit int) ([]engine.Timer, error) {
	var out []engine.Timer
	err := s.write(func() error {
		type due struct {
			k  timerKey
			at time.Time
		}
		var ds []due
		for k, at := range s.timers {
			if at.UnixMicro() <= now.UnixMicro() {
				ds = append(ds, due{k, at})
			}
		}
		slices.SortFunc(ds, func(a, b due) int {
			return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.k.id, b.k.id), strings.Compare(a.k.key, b.k.key))
		})
		until := now.Add(lease)
		for _, d := range limited(ds, limit) {
			s.timers[d.k] = ts(until)
			out = append(out, engine.Timer{ExecutionID: d.k.id, Key: d.k.key, FireAt: until})
		}
		return nil
	})
	return out, err
}

// taskOut is a copy of a task's row with its execution's ARN.
func (s *Store) taskOut(t *task) engine.Task {
	out := t.t
	if x := s.execs[t.t.ExecutionID]; x != nil {
		out.ExecutionARN = x.x.ARN
	}
	return out
}

// openTasks returns the open tasks that pass keep, oldest first by by.
func (s *Store) openTasks(keep func(*task) bool, by func(*task) time.Time) []*task {
	var ts []*task
	for _, t := range s.open {
		if keep(t) {
			ts = append(ts, t)
		}
	}
	slices.SortFunc(ts, func(a, b *task) int {
		return cmp.Or(by(a).Compare(by(b)), strings.Compare(a.t.Token, b.t.Token))
	})
	return ts
}

// ClaimUndispatched implements engine.Store: SCHEDULED tasks past their
// dispatch deadline, the oldest deadlines first, each deadline moved to
// now+lease; handed out oldest task first.
func (s *Store) ClaimUndispatched(_ context.Context, now time.Time, lease time.Duration, limit int) ([]engine.Task, error) {
	var out []engine.Task
	err := s.write(func() error {
		due := s.openTasks(func(t *task) bool {
			return t.status == engine.TaskScheduled && t.t.DispatchAfter.UnixMicro() <= now.UnixMicro()
		}, func(t *task) time.Time { return t.t.DispatchAfter })
		for _, t := range limited(due, limit) {
			t.t.DispatchAfter = ts(now.Add(lease))
			out = append(out, s.taskOut(t))
		}
		return nil
	})
	slices.SortStableFunc(out, func(a, b engine.Task) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, err
}

// GetTask implements engine.Store.
func (s *Store) GetTask(_ context.Context, token string) (engine.Task, string, error) {
	var out engine.Task
	var status string
	err := s.read(func() error {
		t := s.tasks[token]
		if t == nil {
			return fmt.Errorf("task %s: %w", engine.TaskRef(token), engine.ErrNotFound)
		}
		out, status = s.taskOut(t), t.status
		return nil
	})
	return out, status, err
}

// children returns up to limit executions (State not loaded), by id, of
// those the ids hold that pass keep.
func (s *Store) children(ids map[int64]struct{}, keep func(*execution) bool, limit int) []*engine.Execution {
	var xs []*execution
	for id := range ids {
		if x := s.execs[id]; x != nil && keep(x) {
			xs = append(xs, x)
		}
	}
	slices.SortFunc(xs, func(a, b *execution) int { return cmp.Compare(a.x.ID, b.x.ID) })
	var out []*engine.Execution
	for _, x := range limited(xs, limit) {
		out = append(out, x.row(false))
	}
	return out
}

// EndedChildren implements engine.Store: child executions that ended
// while their parent's .sync task is still open.
func (s *Store) EndedChildren(_ context.Context, limit int) ([]*engine.Execution, error) {
	var out []*engine.Execution
	err := s.read(func() error {
		ended := map[int64]struct{}{}
		for tok, t := range s.open {
			if strings.HasPrefix(t.t.Resource, syncChildPrefix) {
				for id := range s.byToken[tok] {
					ended[id] = struct{}{}
				}
			}
		}
		out = s.children(ended, func(x *execution) bool { return x.x.Status != engine.StatusRunning }, limit)
		return nil
	})
	return out, err
}

// StrandedChildren implements engine.Store: running child executions
// whose parent's .sync task was closed without a result.
func (s *Store) StrandedChildren(_ context.Context, limit int) ([]*engine.Execution, error) {
	var out []*engine.Execution
	err := s.read(func() error {
		out = s.children(s.running, func(x *execution) bool {
			t := s.tasks[x.x.ParentToken]
			return x.x.ParentToken != "" && t != nil && (t.status == engine.TaskCancelled || t.status == engine.TaskTimedOut) &&
				strings.HasPrefix(t.t.Resource, syncChildPrefix)
		}, limit)
		return nil
	})
	return out, err
}

// ExpireRedrives implements engine.RedriveStore: the frames of ended
// executions whose redrive window passed are dropped from their state (a
// JSON object: its "frames" key goes, the others stay as they are).
func (s *Store) ExpireRedrives(_ context.Context, now time.Time, limit int) (int, error) {
	n := 0
	err := s.write(func() error {
		var xs []*execution
		for id := range s.keeping {
			if x := s.execs[id]; x.x.RedriveUntil.UnixMicro() < now.UnixMicro() && x.x.Status != engine.StatusRunning {
				xs = append(xs, x)
			}
		}
		slices.SortFunc(xs, func(a, b *execution) int {
			return cmp.Or(a.x.RedriveUntil.Compare(b.x.RedriveUntil), cmp.Compare(a.x.ID, b.x.ID))
		})
		xs = limited(xs, limit)
		states := make([][]byte, len(xs))
		for i, x := range xs { // all or nothing, as one UPDATE
			st, err := withoutFrames(x.x.State)
			if err != nil {
				return fmt.Errorf("expire the redrive of execution %d: %w", x.x.ID, err)
			}
			states[i] = st
		}
		for i, x := range xs {
			x.x.State, x.x.RedriveUntil = states[i], time.Time{}
			delete(s.keeping, x.x.ID)
		}
		n = len(xs)
		return nil
	})
	return n, err
}

// withoutFrames is a state row (a JSON object) without its "frames" key;
// its other values keep their text.
func withoutFrames(state []byte) ([]byte, error) {
	var st map[string]json.RawMessage
	if err := json.Unmarshal(state, &st); err != nil {
		return nil, fmt.Errorf("the state is not a JSON object: %w", err)
	}
	delete(st, "frames")
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(st); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// Backlog returns how many tasks are open (SCHEDULED or STARTED) and how
// many executions are RUNNING, of one snapshot: the gauges
// stepwise_tasks_open and stepwise_executions_running of package
// telemetry, which finds this method on the store (telemetry.Backlog).
func (s *Store) Backlog(_ context.Context) (openTasks, runningExecutions int64, err error) {
	err = s.read(func() error {
		openTasks, runningExecutions = int64(len(s.open)), int64(len(s.running))
		return nil
	})
	return openTasks, runningExecutions, err
}
