package storetest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/statelang"
)

// testCommitGroup checks Store.CommitGroup's contract directly: the
// executions asked for are loaded (unknown ids are absent), every write of
// the group lands together, task bookkeeping reports which tasks were
// open, and a failing decision writes nothing.
func testCommitGroup(t *testing.T, newStore NewStore) {
	h := newHarness(t, newStore, nil)
	ctx := h.ctx
	h.machine("m", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+fnDouble+`","End":true}}}`)
	x1, x2 := h.start("m", "g1", `1`), h.start("m", "g2", `2`)
	tasks := h.q.take()
	if len(tasks) != 2 {
		t.Fatalf("dispatched %d tasks; want 2", len(tasks))
	}
	tok := map[int64]string{tasks[0].ExecutionID: tasks[0].Token, tasks[1].ExecutionID: tasks[1].Token}
	now := h.clock.Now()

	// A failing decision writes nothing.
	boom := errors.New("boom")
	_, err := h.store.CommitGroup(ctx, &engine.Group{IDs: []int64{x1.ID}}, func(xs map[int64]*engine.Execution) (*engine.GroupWrite, error) {
		return nil, boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("CommitGroup(decide fails) = %v; want the decision's error", err)
	}

	unknown := x2.ID + 1000
	res, err := h.store.CommitGroup(ctx, &engine.Group{IDs: []int64{x2.ID, unknown, x1.ID}}, func(xs map[int64]*engine.Execution) (*engine.GroupWrite, error) {
		if len(xs) != 2 || xs[x1.ID] == nil || xs[x2.ID] == nil || xs[unknown] != nil {
			return nil, fmt.Errorf("loaded %v; want executions %d and %d only", xs, x1.ID, x2.ID)
		}
		a := xs[x1.ID]
		ev := a.LastEventID + 1
		st, err := engine.DecodeState(a.State)
		if err != nil {
			return nil, err
		}
		st.LastEventID = ev
		return &engine.GroupWrite{
			Mutations: []*engine.Mutation{{
				ExecutionID: a.ID, Version: a.Version, Status: a.Status, LastEventID: ev, State: engine.EncodeState(st),
				Events:    []statelang.HistoryEvent{{ID: ev, PreviousEventID: ev - 1, Type: "PassStateEntered", Timestamp: now}},
				NewTimers: []engine.Timer{{ExecutionID: a.ID, Key: "g", FireAt: now}},
			}},
			Confirmed: []string{tok[x2.ID]}, ConfirmedUntil: now.Add(time.Hour),
			Started:    []string{tok[x1.ID], "no-such-token"},
			Heartbeats: []string{tok[x2.ID]},
			Now:        now,
		}, nil
	})
	if err != nil {
		t.Fatalf("CommitGroup = %v", err)
	}
	if !res.Open[tok[x1.ID]] || !res.Open[tok[x2.ID]] || res.Open["no-such-token"] {
		t.Errorf("CommitGroup open tasks = %v; want %s and %s only", res.Open, tok[x1.ID], tok[x2.ID])
	}
	if got := h.describe(x1.ARN); got.Version != x1.Version+1 || got.LastEventID != x1.LastEventID+1 {
		t.Errorf("execution 1 after the group: version %d, last event %d; want %d, %d", got.Version, got.LastEventID, x1.Version+1, x1.LastEventID+1)
	}
	if got := h.describe(x2.ARN); got.Version != x2.Version {
		t.Errorf("execution 2 (no mutation) moved to version %d; want %d", got.Version, x2.Version)
	}
	for _, id := range []int64{x1.ID, x2.ID} {
		if _, status, err := h.store.GetTask(ctx, tok[id]); err != nil || status != engine.TaskStarted {
			t.Errorf("task of execution %d = %s, %v; want STARTED", id, status, err)
		}
	}
	timers, err := h.store.ClaimDueTimers(ctx, now, time.Second, 10)
	if err != nil || len(timers) != 1 || timers[0].Key != "g" || timers[0].ExecutionID != x1.ID {
		t.Errorf("due timers after the group = %v, %v; want the group's timer g", timers, err)
	}

	// Starts: a new name is inserted (its first mutation has version 0), a
	// taken one is reported with the execution that holds it.
	fresh := &engine.Execution{ARN: strings.Replace(x1.ARN, ":g1", ":g3", 1), Name: "g3", StateMachine: "m", StateMachineVersion: 1,
		StateMachineARN: x1.StateMachineARN, Status: engine.StatusRunning, Input: "{}", StartDate: now, State: []byte("{}")}
	dup := *fresh
	dup.ARN, dup.Name = x1.ARN, "g1"
	grp := &engine.Group{Starts: []*engine.Execution{fresh, &dup}}
	_, err = h.store.CommitGroup(ctx, grp, func(map[int64]*engine.Execution) (*engine.GroupWrite, error) {
		if fresh.ID == 0 || grp.Taken[0] != nil || grp.Taken[1] == nil || grp.Taken[1].ID != x1.ID {
			return nil, fmt.Errorf("starts: new id %d, taken %v; want an id for g3 and g1 taken by execution %d", fresh.ID, grp.Taken, x1.ID)
		}
		return &engine.GroupWrite{Mutations: []*engine.Mutation{{ExecutionID: fresh.ID, Version: 0, Status: engine.StatusRunning,
			LastEventID: 1, State: []byte(`{"status":"RUNNING","last_event_id":1}`),
			Events: []statelang.HistoryEvent{{ID: 1, Type: "ExecutionStarted", Timestamp: now}}}}}, nil
	})
	if err != nil {
		t.Fatalf("CommitGroup(starts) = %v", err)
	}
	if got := h.describe(fresh.ARN); got.ID != fresh.ID || got.Version != 1 || got.LastEventID != 1 {
		t.Errorf("started in a group: id %d version %d last event %d; want %d, 1, 1", got.ID, got.Version, got.LastEventID, fresh.ID)
	}

	// The engine goes on from the group's state: answering both tasks ends
	// both executions.
	for _, x := range []*engine.Execution{x1, x2} {
		if err := h.eng.SendTaskSuccess(ctx, tok[x.ID], `0`); err != nil {
			t.Fatalf("SendTaskSuccess = %v", err)
		}
		if got := h.describe(x.ARN); got.Status != engine.StatusSucceeded {
			t.Errorf("%s = %s; want SUCCEEDED", x.Name, got.Status)
		}
		CheckHistory(t, x.ARN, h.history(x.ARN))
	}
}

// testGroupedResults answers the 40 tasks of a Map at once, from 40
// goroutines, so that group commits decide many results of one execution
// together: the Map's output keeps item order and the history is whole.
func testGroupedResults(t *testing.T, newStore NewStore) {
	h := newHarness(t, newStore, func(c *engine.Config) { c.Now = nil })
	const n = 40
	h.machine("fan", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+fnDouble+`","End":true}}},"End":true}}}`)
	in := "["
	for i := range n {
		if i > 0 {
			in += ","
		}
		in += fmt.Sprint(i)
	}
	x := h.start("fan", "fan", in+"]")
	tasks := h.q.take()
	if len(tasks) != n {
		t.Fatalf("dispatched %d tasks; want %d", len(tasks), n)
	}
	var wg sync.WaitGroup
	for _, tk := range tasks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, _ := statelang.ParseJSON([]byte(tk.Input))
			out, _, _ := double(tk, v)
			if err := h.eng.SendTaskSuccess(h.ctx, tk.Token, statelang.MarshalString(out)); err != nil {
				t.Errorf("SendTaskSuccess(%s) = %v", tk.Token, err)
			}
			// A second answer to the same token is refused.
			if err := h.eng.SendTaskSuccess(h.ctx, tk.Token, `0`); !errors.Is(err, engine.ErrTaskClosed) {
				t.Errorf("SendTaskSuccess(answered %s) = %v; want ErrTaskClosed", tk.Token, err)
			}
		}()
	}
	wg.Wait()
	want := "["
	for i := range n {
		if i > 0 {
			want += ","
		}
		want += fmt.Sprint(2 * i)
	}
	want += "]"
	if got := h.describe(x.ARN); got.Status != engine.StatusSucceeded || got.Output != want {
		t.Errorf("execution = %s %s; want SUCCEEDED %s", got.Status, got.Output, want)
	}
	CheckHistory(t, x.ARN, h.history(x.ARN))
}
