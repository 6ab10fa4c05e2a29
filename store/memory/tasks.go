package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
)

var _ engine.TaskStore = (*Store)(nil)

// CreateActivity implements engine.TaskStore.
func (s *Store) CreateActivity(_ context.Context, a engine.Activity) (engine.Activity, error) {
	var out engine.Activity
	err := s.write(func() error {
		if old, ok := s.activities[a.Name]; ok {
			out = old
			return fmt.Errorf("%w: activity %q exists", engine.ErrConflict, a.Name)
		}
		for _, old := range s.activities {
			if old.ARN == a.ARN {
				out = old
				return fmt.Errorf("%w: activity %s exists", engine.ErrConflict, a.ARN)
			}
		}
		out = a
		a.CreationDate = ts(a.CreationDate)
		s.activities[a.Name] = a
		return nil
	})
	return out, err
}

// activity returns the activity of an ARN.
func (s *Store) activity(arn string) (engine.Activity, bool) {
	for _, a := range s.activities {
		if a.ARN == arn {
			return a, true
		}
	}
	return engine.Activity{}, false
}

// GetActivity implements engine.TaskStore.
func (s *Store) GetActivity(_ context.Context, arn string) (engine.Activity, error) {
	var out engine.Activity
	err := s.read(func() error {
		a, ok := s.activity(arn)
		if !ok {
			return fmt.Errorf("activity %s: %w", arn, engine.ErrNotFound)
		}
		out = a
		return nil
	})
	return out, err
}

// DeleteActivity implements engine.TaskStore.
func (s *Store) DeleteActivity(_ context.Context, arn string) error {
	return s.write(func() error {
		if a, ok := s.activity(arn); ok {
			delete(s.activities, a.Name)
		}
		return nil
	})
}

// ListActivities implements engine.TaskStore.
func (s *Store) ListActivities(_ context.Context, afterName string, limit int) ([]engine.Activity, error) {
	var out []engine.Activity
	err := s.read(func() error {
		for _, n := range after(sortedKeys(s.activities), "", afterName, limit) {
			out = append(out, s.activities[n])
		}
		return nil
	})
	return out, err
}

// ClaimActivityTask implements engine.TaskStore: the oldest SCHEDULED task
// of resource becomes STARTED and its heartbeat clock starts, in one step.
func (s *Store) ClaimActivityTask(_ context.Context, resource string, now time.Time) (engine.Task, error) {
	var out engine.Task
	err := s.write(func() error {
		due := s.openTasks(func(t *task) bool { return t.status == engine.TaskScheduled && t.t.Resource == resource },
			func(t *task) time.Time { return t.t.CreatedAt })
		if len(due) == 0 {
			return fmt.Errorf("a task of %s: %w", resource, engine.ErrNotFound)
		}
		t := due[0]
		s.setTaskStatus(t, engine.TaskStarted)
		s.moveHeartbeatTimer(t, now)
		out = s.taskOut(t)
		return nil
	})
	return out, err
}

// ReopenStarted implements engine.TaskStore.
func (s *Store) ReopenStarted(_ context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.write(func() error {
		for _, t := range s.open {
			if t.status == engine.TaskStarted && strings.HasSuffix(t.t.Resource, callbackSuffix) &&
				t.t.CreatedAt.UnixMicro() < before.UnixMicro() {
				s.setTaskStatus(t, engine.TaskScheduled)
				t.t.DispatchAfter = ts(before)
				n++
			}
		}
		return nil
	})
	return n, err
}

// upsertMapRun writes a Map Run's row for execution id: a new row, or the
// columns a step changes (its ARN, execution, state and start date stay).
func (s *Store) upsertMapRun(id int64, r engine.MapRun) {
	old := s.mapRuns[r.ARN]
	if old == nil {
		old = &engine.MapRun{ARN: r.ARN, ExecutionID: id, StateName: r.StateName, StartDate: ts(r.StartDate)}
		s.mapRuns[r.ARN] = old
	}
	old.Status, old.MaxConcurrency = r.Status, r.MaxConcurrency
	old.ToleratedFailureCount, old.ToleratedFailurePercentage = r.ToleratedFailureCount, r.ToleratedFailurePercentage
	old.Total, old.ResultsWritten, old.StopDate = r.Total, r.ResultsWritten, ts(r.StopDate)
	old.RedriveCount, old.RedriveDate, old.PendingRedrive, old.Running = r.RedriveCount, ts(r.RedriveDate), r.PendingRedrive, r.Running
}

// GetMapRun implements engine.MapRunStore: the row, and its children
// counted by status: the children of its execution running its machine
// that started within the run's dates (see engine.MapRunChildren).
func (s *Store) GetMapRun(_ context.Context, arn string) (engine.MapRun, error) {
	var out engine.MapRun
	err := s.read(func() error {
		r := s.mapRuns[arn]
		var x *execution
		if r != nil {
			x = s.execs[r.ExecutionID]
		}
		if x == nil {
			return fmt.Errorf("map run %s: %w", arn, engine.ErrNotFound)
		}
		out = *r
		out.ExecutionARN, out.Children = x.x.ARN, map[string]int64{}
		machine := engine.MapRunMachine(arn)
		for _, id := range s.byParent[r.ExecutionID] {
			c := s.execs[id].x
			if c.StateMachine == machine && !c.StartDate.Before(r.StartDate) && (r.StopDate.IsZero() || !c.StartDate.After(r.StopDate)) {
				out.Children[c.Status]++
			}
		}
		return nil
	})
	return out, err
}

// ListMapRuns implements engine.MapRunStore: by start date, then ARN.
func (s *Store) ListMapRuns(_ context.Context, executionID int64, offset, limit int) ([]engine.MapRun, error) {
	var out []engine.MapRun
	err := s.read(func() error {
		for _, r := range s.mapRuns {
			if r.ExecutionID == executionID {
				out = append(out, *r)
			}
		}
		return nil
	})
	slices.SortFunc(out, func(a, b engine.MapRun) int {
		return cmp.Or(a.StartDate.Compare(b.StartDate), strings.Compare(a.ARN, b.ARN))
	})
	out = out[min(max(offset, 0), len(out)):]
	return limited(out, limit), err
}
