package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
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
		head, err := withLastEventID(a.State, ev)
		if err != nil {
			return nil, err
		}
		return &engine.GroupWrite{
			Mutations: []*engine.Mutation{{
				ExecutionID: a.ID, Version: a.Version, Status: a.Status, LastEventID: ev, State: head, Parts: a.Parts,
				Events:    []statelang.HistoryEvent{{ID: ev, PreviousEventID: ev - 1, Type: "PassStateEntered", Timestamp: now}},
				NewTimers: []engine.Timer{{ExecutionID: a.ID, Key: "g", FireAt: now}},
			}},
			Confirmed:  []engine.Confirmation{{Token: tok[x2.ID], Until: now.Add(time.Hour)}},
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

// testStateParts checks the parts of an execution's state beside its row:
// CommitGroup loads them unless the engine holds the row's version, a
// mutation drops frames before it upserts parts, and a terminal mutation
// deletes them all.
func testStateParts(t *testing.T, newStore NewStore) {
	h := newHarness(t, newStore, nil)
	ctx := h.ctx
	h.machine("m", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+fnDouble+`","End":true}}}`)
	x := h.start("m", "parts", `1`)
	h.q.take()
	now := h.clock.Now()
	type part = engine.StatePart
	// step commits m (its version and events filled in) and returns the
	// parts loaded before it, with the engine said to hold cached.
	step := func(cached map[int64]int64, m *engine.Mutation) []part {
		t.Helper()
		var got []part
		_, err := h.store.CommitGroup(ctx, &engine.Group{IDs: []int64{x.ID}, Cached: cached}, func(xs map[int64]*engine.Execution) (*engine.GroupWrite, error) {
			a := xs[x.ID]
			got = a.Parts
			if m == nil {
				return &engine.GroupWrite{}, nil
			}
			ev := a.LastEventID + 1
			m.ExecutionID, m.Version, m.LastEventID, m.State = a.ID, a.Version, ev, a.State
			if m.Status == "" {
				m.Status = a.Status
			}
			m.Events = []statelang.HistoryEvent{{ID: ev, PreviousEventID: ev - 1, Type: "PassStateEntered", Timestamp: now}}
			return &engine.GroupWrite{Mutations: []*engine.Mutation{m}}, nil
		})
		if err != nil {
			t.Fatalf("CommitGroup = %v", err)
		}
		return got
	}
	set := func(ps []part) map[[2]int64]string {
		m := map[[2]int64]string{}
		for _, p := range ps {
			m[[2]int64{p.Frame, p.Slot}] = p.Data
		}
		return m
	}
	first := set(step(nil, &engine.Mutation{Parts: []part{
		{Frame: 7, Slot: engine.PartFrame, Data: `{"id":7}`}, {Frame: 7, Slot: 3, Data: `"r3"`}, {Frame: 8, Slot: engine.PartFrame, Data: `{"id":8}`}}}))
	if len(first) != 0 {
		t.Fatalf("parts of a small running execution = %v; want none (its state is whole in its row)", first)
	}
	got := set(step(nil, &engine.Mutation{DropFrames: []int64{7}, Parts: []part{
		{Frame: 7, Slot: engine.PartFrame, Data: `{"id":7,"x":1}`}, {Frame: 8, Slot: 0, Data: `null`}}}))
	if got[[2]int64{7, 3}] != `"r3"` || got[[2]int64{8, engine.PartFrame}] != `{"id":8}` || len(got) != len(first)+3 {
		t.Fatalf("parts after the first mutation = %v", got)
	}
	cur := h.describe(x.ARN)
	if ps := step(map[int64]int64{x.ID: cur.Version}, nil); ps != nil {
		t.Errorf("parts loaded although the engine holds version %d: %v", cur.Version, ps)
	}
	got = set(step(map[int64]int64{x.ID: cur.Version - 1}, nil))
	if got[[2]int64{7, engine.PartFrame}] != `{"id":7,"x":1}` || got[[2]int64{7, 3}] != "" || got[[2]int64{8, 0}] != "null" {
		t.Errorf("frame 7 dropped, then written again; frame 8 kept: parts = %v", got)
	}
	step(nil, &engine.Mutation{DropParts: true, Parts: []part{{Frame: 9, Slot: engine.PartFrame, Data: `{"id":9}`}}})
	if ps := step(nil, nil); len(ps) != 1 || ps[0].Frame != 9 {
		t.Errorf("parts after DropParts and one new part = %v; want frame 9's", ps)
	}
	step(nil, &engine.Mutation{Status: engine.StatusAborted, Terminal: true, StopDate: now})
	if ps := step(nil, nil); len(ps) != 0 {
		t.Errorf("parts of an ended execution = %v; want none", ps)
	}

	// Through the engine: a Map of 100 Tasks is stored in parts; when it
	// ends, the state is small again and written whole, its parts dropped.
	h.machine("wide", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","ResultPath":"$.out","ItemProcessor":{"StartAt":"D","States":{"D":{"Type":"Task","Resource":"`+fnDouble+`","End":true}}},"Next":"Last"},
		"Last":{"Type":"Task","Resource":"`+fnDouble+`","InputPath":"$.n","ResultPath":"$.n","End":true}}}`)
	items := make([]string, 100)
	for i := range items {
		items[i] = fmt.Sprint(i)
	}
	w := h.start("wide", "wide", `{"n":21,"items":[`+strings.Join(items, ",")+`]}`)
	loaded := func() []part {
		t.Helper()
		var ps []part
		if _, err := h.store.CommitGroup(ctx, &engine.Group{IDs: []int64{w.ID}}, func(xs map[int64]*engine.Execution) (*engine.GroupWrite, error) {
			ps = xs[w.ID].Parts
			return &engine.GroupWrite{}, nil
		}); err != nil {
			t.Fatal(err)
		}
		return ps
	}
	if ps := loaded(); len(ps) < 100 {
		t.Errorf("a running Map of 100 items: %d parts; want its frames in parts", len(ps))
	}
	for _, task := range h.q.take() {
		var n int
		if err := json.Unmarshal([]byte(task.Input), &n); err != nil {
			t.Fatal(err)
		}
		if err := h.eng.SendTaskSuccess(ctx, task.Token, fmt.Sprint(10*n)); err != nil {
			t.Fatal(err)
		}
	}
	if ps := loaded(); len(ps) != 0 {
		t.Errorf("after the Map: %d parts; want the state whole in the row", len(ps))
	}
	end := h.drive(w.ARN, double)
	var out struct {
		N   int   `json:"n"`
		Out []int `json:"out"`
	}
	if err := json.Unmarshal([]byte(end.Output), &out); err != nil || end.Status != engine.StatusSucceeded || out.N != 42 || len(out.Out) != 100 || out.Out[99] != 990 {
		t.Errorf("wide: %s %s; want SUCCEEDED, n 42 and every item times ten", end.Status, end.Output)
	}
}

// testContinuationWithoutPoll runs a loop of 2,400 states, more than one
// decision's work budget: the continuation timers the decisions leave due
// are fired after their commits, with no maintenance pass (no Tick), and
// the execution ends with the loop's count.
func testContinuationWithoutPoll(t *testing.T, newStore NewStore) {
	h := newHarness(t, newStore, nil)
	h.machine("loop", `{"StartAt":"Init","States":{
		"Init":{"Type":"Pass","Result":0,"ResultPath":"$.i","Next":"Inc"},
		"Inc":{"Type":"Pass","Parameters":{"i.$":"States.MathAdd($.i, 1)"},"Next":"Check"},
		"Check":{"Type":"Choice","Choices":[{"Variable":"$.i","NumericLessThan":1200,"Next":"Inc"}],"Default":"Done"},
		"Done":{"Type":"Succeed"}}}`)
	x := h.start("loop", "loop", `{}`)
	deadline := time.Now().Add(time.Minute)
	for h.describe(x.ARN).Status == engine.StatusRunning && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	got := h.describe(x.ARN)
	if got.Status != engine.StatusSucceeded || got.Output != `{"i":1200}` {
		t.Fatalf("loop of 2,400 states without a maintenance pass: %s %s; want SUCCEEDED {\"i\":1200}", got.Status, got.Output)
	}
	var all []statelang.HistoryEvent
	for tok := ""; ; {
		evs, next, err := h.eng.GetExecutionHistory(h.ctx, x.ARN, engine.HistoryInput{MaxResults: 1000, NextToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, evs...)
		if tok = next; tok == "" {
			break
		}
	}
	CheckHistory(t, x.ARN, all)
}

// testReopenStarted: after a transport loss, the STARTED tasks of
// .waitForTaskToken resources created before it are SCHEDULED and due
// again (their callbacks may have been lost); other STARTED tasks are not.
func testReopenStarted(t *testing.T, newStore NewStore) {
	h := newHarness(t, newStore, nil)
	ts := h.store
	h.machine("cb", `{"StartAt":"C","States":{"C":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken","Parameters":{"FunctionName":"f","Payload.$":"$"},"End":true}}}`)
	h.machine("plain", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+fnDouble+`","HeartbeatSeconds":60,"End":true}}}`)
	h.start("cb", "cb", `{}`)
	h.start("plain", "plain", `1`)
	tasks := h.q.take()
	if len(tasks) != 2 {
		t.Fatalf("%d tasks; want 2", len(tasks))
	}
	now := h.clock.Now()
	var toks []string
	for _, task := range tasks {
		toks = append(toks, task.Token)
	}
	if _, err := h.store.CommitGroup(h.ctx, &engine.Group{}, func(map[int64]*engine.Execution) (*engine.GroupWrite, error) {
		return &engine.GroupWrite{Started: toks, Now: now}, nil
	}); err != nil {
		t.Fatal(err)
	}
	n, err := ts.ReopenStarted(h.ctx, now.Add(time.Second))
	if err != nil || n != 1 {
		t.Fatalf("ReopenStarted = %d, %v; want the callback task", n, err)
	}
	for _, task := range tasks {
		want := engine.TaskStarted
		if strings.HasSuffix(task.Resource, ".waitForTaskToken") {
			want = engine.TaskScheduled
		}
		if _, status, err := h.store.GetTask(h.ctx, task.Token); err != nil || status != want {
			t.Errorf("task on %s after ReopenStarted: %s, %v; want %s", task.Resource, status, err, want)
		}
	}
	due, err := h.store.ClaimUndispatched(h.ctx, now.Add(time.Second), time.Minute, 10)
	if err != nil || len(due) != 1 || !strings.HasSuffix(due[0].Resource, ".waitForTaskToken") {
		t.Errorf("due after ReopenStarted = %v, %v; want the callback task", due, err)
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

// withLastEventID is the decider's state row (its JSON object) with the
// id of its last history event set to id, as the decider writes it with
// an event it appends: a later step of the execution then numbers its
// events after it.
func withLastEventID(state []byte, id int64) ([]byte, error) {
	var st map[string]json.RawMessage
	if err := json.Unmarshal(state, &st); err != nil {
		return nil, fmt.Errorf("the state row: %w", err)
	}
	st["last_event_id"] = json.RawMessage(strconv.FormatInt(id, 10))
	return json.Marshal(st)
}
