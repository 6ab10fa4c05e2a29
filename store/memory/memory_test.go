package memory_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/statelang"
	"github.com/stepwise-dev/stepwise/store/memory"
)

var t0 = time.Date(2026, 12, 6, 10, 0, 0, 123456789, time.UTC)

// start inserts a RUNNING execution named name with one event, one
// SCHEDULED task (token name+"-task") and one timer ("w", due at t0).
func start(t *testing.T, s *memory.Store, name string) *engine.Execution {
	t.Helper()
	e := &engine.Execution{ARN: "arn:aws:states:us-east-1:111111111111:execution:m:" + name, Name: name, StateMachine: "m",
		StateMachineVersion: 1, Status: engine.StatusRunning, Input: "{}", StartDate: t0, State: []byte(`{}`)}
	x, err := s.CreateExecution(context.Background(), e, func(id int64) (*engine.Mutation, error) {
		return &engine.Mutation{Status: engine.StatusRunning, LastEventID: 1, State: []byte(`{"last_event_id":1}`),
			Events:    []statelang.HistoryEvent{{ID: 1, Type: "ExecutionStarted", Timestamp: t0}},
			NewTasks:  []engine.Task{{Token: name + "-task", StateName: "T", Resource: "r", Input: "1", CreatedAt: t0, DispatchAfter: t0}},
			NewTimers: []engine.Timer{{Key: "w", FireAt: t0}},
			Parts:     []engine.StatePart{{Frame: 1, Slot: engine.PartFrame, Data: `{"id":1}`}}}, nil
	})
	if err != nil {
		t.Fatalf("CreateExecution(%s) = %v", name, err)
	}
	return x
}

// TestNoAliasing: what a caller hands the store or gets from it is its
// own: changing it changes nothing stored.
func TestNoAliasing(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	x := start(t, s, "a")
	x.State[0] = 'X'
	got, err := s.GetExecution(ctx, x.ID)
	if err != nil || string(got.State) != `{"last_event_id":1}` {
		t.Fatalf("GetExecution after the returned execution's State changed = %s, %v", got.State, err)
	}
	got.State[0], got.Status = 'Y', "CHANGED"
	again, _ := s.GetExecutionByARN(ctx, x.ARN)
	if string(again.State) != `{"last_event_id":1}` || again.Status != engine.StatusRunning {
		t.Errorf("GetExecutionByARN after a read copy changed = %s %s", again.State, again.Status)
	}
	if again == got {
		t.Error("two reads returned the same *Execution")
	}

	state := []byte(`{"last_event_id":2}`)
	m := &engine.Mutation{ExecutionID: x.ID, Version: 1, Status: engine.StatusRunning, LastEventID: 2, State: state,
		Events: []statelang.HistoryEvent{{ID: 2, PreviousEventID: 1, Type: "PassStateEntered", Timestamp: t0, Details: map[string]any{"name": "P"}}}}
	if err := s.Commit(ctx, m); err != nil {
		t.Fatal(err)
	}
	state[0] = 'Z'
	m.Events[0].Details["name"] = "changed"
	if got, _ := s.GetExecution(ctx, x.ID); string(got.State) != `{"last_event_id":2}` {
		t.Errorf("stored state after the committed slice changed = %s", got.State)
	}
	evs, err := s.History(ctx, x.ID, engine.HistoryFilter{})
	if err != nil || len(evs) != 2 || evs[1].Details["name"] != "P" {
		t.Fatalf("History after the committed event changed = %v, %v", evs, err)
	}
	evs[1].Details["name"] = "mine"
	if evs, _ := s.History(ctx, x.ID, engine.HistoryFilter{}); evs[1].Details["name"] != "P" {
		t.Errorf("History after a read event changed = %v", evs[1].Details)
	}

	// Parts loaded by CommitGroup are copies.
	var parts []engine.StatePart
	if _, err := s.CommitGroup(ctx, &engine.Group{IDs: []int64{x.ID}}, func(xs map[int64]*engine.Execution) (*engine.GroupWrite, error) {
		parts = xs[x.ID].Parts
		xs[x.ID].State[0], xs[x.ID].Version = 'Q', 99
		parts[0].Data = "changed"
		return &engine.GroupWrite{}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CommitGroup(ctx, &engine.Group{IDs: []int64{x.ID}}, func(xs map[int64]*engine.Execution) (*engine.GroupWrite, error) {
		if got := xs[x.ID]; got.Version != 2 || string(got.State) != `{"last_event_id":2}` || len(got.Parts) != 1 || got.Parts[0].Data != `{"id":1}` {
			t.Errorf("loaded after the last load's copy changed: version %d state %s parts %v", got.Version, got.State, got.Parts)
		}
		return &engine.GroupWrite{}, nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestTimesAsSQL: times are kept as the SQL stores keep them:
// microseconds, UTC.
func TestTimesAsSQL(t *testing.T) {
	s := memory.New()
	x := start(t, s, "a")
	got, _ := s.GetExecution(context.Background(), x.ID)
	if want := t0.Truncate(time.Microsecond); !got.StartDate.Equal(want) || got.StartDate.Location() != time.UTC || got.StartDate.Nanosecond() != want.Nanosecond() {
		t.Errorf("StartDate = %v; want %v", got.StartDate, want)
	}
}

// TestCommitGroupAllOrNothing: a group whose decision fails, or whose
// mutations do not all pass their checks, writes nothing: not its starts,
// not the mutations that would pass.
func TestCommitGroupAllOrNothing(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	a := start(t, s, "a")
	newStart := func(name string) *engine.Execution {
		return &engine.Execution{ARN: "arn:x:" + name, Name: name, StateMachine: "m", Status: engine.StatusRunning, Input: "{}", StartDate: t0, State: []byte(`{}`)}
	}
	step := func(id, version int64, token string) *engine.Mutation {
		return &engine.Mutation{ExecutionID: id, Version: version, Status: engine.StatusRunning, LastEventID: 5, State: []byte(`{"n":1}`),
			NewTasks: []engine.Task{{Token: token, CreatedAt: t0, DispatchAfter: t0}}}
	}
	boom := errors.New("boom")
	for _, c := range []struct {
		name   string
		decide func(fresh *engine.Execution) (*engine.GroupWrite, error)
		want   error
	}{
		{"decision fails", func(*engine.Execution) (*engine.GroupWrite, error) { return nil, boom }, boom},
		{"stale version", func(fresh *engine.Execution) (*engine.GroupWrite, error) {
			return &engine.GroupWrite{Mutations: []*engine.Mutation{step(fresh.ID, 0, "t1"), step(a.ID, 0, "t2")}}, nil
		}, engine.ErrConflict},
		{"token taken", func(fresh *engine.Execution) (*engine.GroupWrite, error) {
			return &engine.GroupWrite{Mutations: []*engine.Mutation{step(fresh.ID, 0, "t1"), step(a.ID, 1, "a-task")}}, nil
		}, engine.ErrConflict},
		{"token twice", func(fresh *engine.Execution) (*engine.GroupWrite, error) {
			return &engine.GroupWrite{Mutations: []*engine.Mutation{step(fresh.ID, 0, "t1"), step(a.ID, 1, "t1")}}, nil
		}, engine.ErrConflict},
		{"two steps of one execution", func(fresh *engine.Execution) (*engine.GroupWrite, error) {
			return &engine.GroupWrite{Mutations: []*engine.Mutation{step(a.ID, 1, "t1"), step(a.ID, 1, "t2")}}, nil
		}, engine.ErrConflict},
	} {
		fresh := newStart("fresh")
		_, err := s.CommitGroup(ctx, &engine.Group{IDs: []int64{a.ID}, Starts: []*engine.Execution{fresh}},
			func(map[int64]*engine.Execution) (*engine.GroupWrite, error) { return c.decide(fresh) })
		if !errors.Is(err, c.want) {
			t.Errorf("%s: CommitGroup = %v; want %v", c.name, err, c.want)
		}
		if _, err := s.GetExecutionByARN(ctx, fresh.ARN); !errors.Is(err, engine.ErrNotFound) {
			t.Errorf("%s: the group's start = %v; want ErrNotFound (not inserted)", c.name, err)
		}
		if got, _ := s.GetExecution(ctx, a.ID); got.Version != 1 || got.LastEventID != 1 {
			t.Errorf("%s: execution a at version %d, last event %d; want 1, 1", c.name, got.Version, got.LastEventID)
		}
		for _, tok := range []string{"t1", "t2"} {
			if _, _, err := s.GetTask(ctx, tok); !errors.Is(err, engine.ErrNotFound) {
				t.Errorf("%s: GetTask(%s) = %v; want ErrNotFound", c.name, tok, err)
			}
		}
	}
	// The ids the failed groups gave out are given again: the next start
	// follows a.
	b := start(t, s, "b")
	if b.ID != a.ID+1 {
		t.Errorf("id after failed groups = %d; want %d", b.ID, a.ID+1)
	}
	if open, running, _ := s.Backlog(ctx); open != 2 || running != 2 {
		t.Errorf("Backlog = %d, %d; want 2, 2", open, running)
	}
}

// TestCreateExecutionFirstFails: when first fails, no row is left and its
// error is returned; the name is free for the next start.
func TestCreateExecutionFirstFails(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	boom := errors.New("boom")
	e := &engine.Execution{ARN: "arn:x:a", Name: "a", StateMachine: "m", Status: engine.StatusRunning, StartDate: t0, State: []byte(`{}`)}
	if _, err := s.CreateExecution(ctx, e, func(int64) (*engine.Mutation, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("CreateExecution(first fails) = %v; want boom", err)
	}
	if xs, _ := s.ListExecutions(ctx, engine.ListFilter{Limit: 10}); len(xs) != 0 {
		t.Errorf("ListExecutions after a failed create = %d executions; want none", len(xs))
	}
	x := start(t, s, "a")
	again, err := s.CreateExecution(ctx, e, func(int64) (*engine.Mutation, error) {
		t.Error("first called for a taken name")
		return nil, boom
	})
	if !errors.Is(err, engine.ErrConflict) || again == nil || again.ID != x.ID || again.Version != 1 {
		t.Errorf("CreateExecution(name taken) = %+v, %v; want the existing execution and ErrConflict", again, err)
	}
}

// TestDecideReadsStore: a group's decision may read the store (the engine
// reads state machines there) without a deadlock, and does not see the
// group's starts before they are committed.
func TestDecideReadsStore(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	if _, err := s.CreateStateMachine(ctx, engine.StateMachine{Name: "m", ARN: "arn:m", Definition: "{}", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	fresh := &engine.Execution{ARN: "arn:x:fresh", Name: "fresh", StateMachine: "m", Status: engine.StatusRunning, StartDate: t0, State: []byte(`{}`)}
	done := make(chan error, 1)
	go func() {
		_, err := s.CommitGroup(ctx, &engine.Group{Starts: []*engine.Execution{fresh}}, func(map[int64]*engine.Execution) (*engine.GroupWrite, error) {
			if _, err := s.GetStateMachine(ctx, "m", 0); err != nil {
				return nil, err
			}
			if _, err := s.GetExecutionByARN(ctx, fresh.ARN); !errors.Is(err, engine.ErrNotFound) {
				t.Errorf("a start seen before its group committed: %v", err)
			}
			return &engine.GroupWrite{Mutations: []*engine.Mutation{{ExecutionID: fresh.ID, Status: engine.StatusRunning, State: []byte(`{}`)}}}, nil
		})
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("CommitGroup whose decision reads the store did not return")
	}
	if got, err := s.GetExecutionByARN(ctx, fresh.ARN); err != nil || got.Version != 1 {
		t.Errorf("start after its group = %+v, %v; want version 1", got, err)
	}
}

// TestClaims: due timers and undispatched tasks are claimed once per
// lease, soonest first, up to the limit.
func TestClaims(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	for _, n := range []string{"a", "b", "c"} {
		start(t, s, n)
	}
	lease := time.Minute
	timers, err := s.ClaimDueTimers(ctx, t0, lease, 2)
	if err != nil || len(timers) != 2 || !timers[0].FireAt.Equal(t0.Add(lease)) {
		t.Fatalf("ClaimDueTimers(limit 2) = %v, %v; want 2 moved to now+lease", timers, err)
	}
	if more, _ := s.ClaimDueTimers(ctx, t0, lease, 10); len(more) != 1 {
		t.Errorf("ClaimDueTimers again = %v; want the third only", more)
	}
	if more, _ := s.ClaimDueTimers(ctx, t0.Add(lease-time.Microsecond), lease, 10); len(more) != 0 {
		t.Errorf("ClaimDueTimers within the lease = %v; want none", more)
	}
	if more, _ := s.ClaimDueTimers(ctx, t0.Add(lease), lease, 10); len(more) != 3 {
		t.Errorf("ClaimDueTimers at the lease's end = %v; want all 3", more)
	}

	tasks, err := s.ClaimUndispatched(ctx, t0, lease, 10)
	if err != nil || len(tasks) != 3 || tasks[0].ExecutionARN == "" || !tasks[0].DispatchAfter.Equal(t0.Add(lease).Truncate(time.Microsecond)) {
		t.Fatalf("ClaimUndispatched = %+v, %v; want 3 with their execution's ARN and the new deadline", tasks, err)
	}
	if more, _ := s.ClaimUndispatched(ctx, t0, lease, 10); len(more) != 0 {
		t.Errorf("ClaimUndispatched within the lease = %v; want none", more)
	}
	// A STARTED task is not dispatched again; an activity claim takes
	// the oldest SCHEDULED one.
	claimed, err := s.ClaimActivityTask(ctx, "r", t0)
	if err != nil || claimed.Token != "a-task" {
		t.Fatalf("ClaimActivityTask = %+v, %v; want a-task", claimed, err)
	}
	if more, _ := s.ClaimUndispatched(ctx, t0.Add(time.Hour), lease, 10); len(more) != 2 {
		t.Errorf("ClaimUndispatched after a claim = %d tasks; want the 2 SCHEDULED", len(more))
	}
	if _, err := s.ClaimActivityTask(ctx, "other", t0); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("ClaimActivityTask(no task) = %v; want ErrNotFound", err)
	}
}

// TestExpireRedrives: the frames go, the other keys of the state keep
// their text; a state that is not a JSON object is an error, not a panic.
func TestExpireRedrives(t *testing.T) {
	ctx := context.Background()
	s := memory.New()
	x := start(t, s, "a")
	end := func(state string, until time.Time) error {
		cur, _ := s.GetExecution(ctx, x.ID)
		return s.Commit(ctx, &engine.Mutation{ExecutionID: x.ID, Version: cur.Version, Status: engine.StatusFailed, Terminal: true,
			StopDate: t0, State: []byte(state), Redrive: &engine.RedriveRow{Until: until}})
	}
	if err := end(`{"big":12345678901234567890,"f":1.0,"s":"<&>","frames":{"1":{}}}`, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n, err := s.ExpireRedrives(ctx, t0.Add(time.Hour), 10); err != nil || n != 0 {
		t.Errorf("ExpireRedrives(at the window's end) = %d, %v; want 0", n, err)
	}
	if n, err := s.ExpireRedrives(ctx, t0.Add(2*time.Hour), 10); err != nil || n != 1 {
		t.Fatalf("ExpireRedrives(after the window) = %d, %v; want 1", n, err)
	}
	got, _ := s.GetExecution(ctx, x.ID)
	if string(got.State) != `{"big":12345678901234567890,"f":1.0,"s":"<&>"}` || !got.RedriveUntil.IsZero() {
		t.Errorf("after ExpireRedrives: state %s, until %v; want the frames gone, the rest as it was", got.State, got.RedriveUntil)
	}
	if err := end(`not json`, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ExpireRedrives(ctx, t0.Add(time.Hour), 10); err == nil || !strings.Contains(err.Error(), "JSON") {
		t.Errorf("ExpireRedrives(a state that is not JSON) = %v; want an error", err)
	}
}
