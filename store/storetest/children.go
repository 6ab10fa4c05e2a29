package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/statelang"
)

// testChildExecutions runs a Map whose iterations each start a child
// execution with states:startExecution.sync:2 and wait for it: every child
// is its own execution with its parent recorded, the parent gets each
// child's output, and a failed child fails its parent's task with
// States.TaskFailed and the child's description as the cause.
func testChildExecutions(t *testing.T, newStore NewStore) {
	h := newHarness(t, newStore, nil)
	kid := h.machine("kid", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+fnDouble+`","End":true}}}`)
	h.machine("mom", `{"StartAt":"M","States":{"M":{"Type":"Map","End":true,"ItemProcessor":{"StartAt":"Run","States":{
		"Run":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2",
		       "Parameters":{"StateMachineArn":"`+kid.ARN+`","Input.$":"$"},
		       "ResultSelector":{"v.$":"$.Output","status.$":"$.Status"},"End":true}}}}}}`)
	h.machine("fire", `{"StartAt":"Run","States":{"Run":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution",
		"Parameters":{"StateMachineArn":"`+kid.ARN+`","Input":5,"Name":"fired"},"End":true}}}`)

	x := h.start("mom", "mom", `[1,2,3]`)
	answered := h.answerUntilDone(x.ARN, double)
	if answered != 3 {
		t.Errorf("workers answered %d tasks; want 3 (one per child)", answered)
	}
	if got := h.describe(x.ARN); got.Status != engine.StatusSucceeded ||
		got.Output != `[{"status":"SUCCEEDED","v":2},{"status":"SUCCEEDED","v":4},{"status":"SUCCEEDED","v":6}]` {
		t.Errorf("parent = %s %s %s; want SUCCEEDED with the children's outputs", got.Status, got.Output, got.Cause)
	}
	CheckHistory(t, x.ARN, h.history(x.ARN))
	xs, _, err := h.eng.ListExecutions(h.ctx, engine.ListExecutionsInput{StateMachine: "kid"})
	if err != nil || len(xs) != 3 {
		t.Fatalf("child executions = %d, %v; want 3", len(xs), err)
	}
	for _, c := range xs {
		d := h.describe(c.ARN)
		if d.ParentID != x.ID || d.ParentToken == "" || d.Status != engine.StatusSucceeded {
			t.Errorf("child %s: parent %d %q, %s; want parent %d, SUCCEEDED", c.Name, d.ParentID, d.ParentToken, d.Status, x.ID)
		}
		CheckHistory(t, c.ARN, h.history(c.ARN))
	}
	if cs, err := h.store.EndedChildren(h.ctx, 10); err != nil || len(cs) != 0 {
		t.Errorf("EndedChildren after every parent was answered = %d, %v; want none", len(cs), err)
	}

	// A failed child fails its parent's task.
	y := h.start("mom", "mom-fails", `[1,{"a":1}]`)
	h.answerUntilDone(y.ARN, double)
	got := h.describe(y.ARN)
	if got.Status != engine.StatusFailed || got.Error != statelang.ErrTaskFailed ||
		!strings.Contains(got.Cause, `"Error":"BadInput"`) || !strings.Contains(got.Cause, `"Status":"FAILED"`) {
		t.Errorf("parent of a failed child = %s %s %s; want FAILED States.TaskFailed with the child's description", got.Status, got.Error, got.Cause)
	}

	// Stopping a parent stops the children it waits for.
	s := h.start("mom", "mom-stopped", `[7]`)
	if n := len(h.q.take()); n != 1 {
		t.Fatalf("the child's task: %d dispatched; want 1", n)
	}
	if _, err := h.eng.StopExecution(h.ctx, s.ARN, "", ""); err != nil {
		t.Fatalf("StopExecution(parent) = %v", err)
	}
	kids, _, err := h.eng.ListExecutions(h.ctx, engine.ListExecutionsInput{StateMachine: "kid", MaxResults: 1})
	if err != nil || len(kids) != 1 || kids[0].Status != engine.StatusAborted || h.describe(kids[0].ARN).ParentToken == "" {
		t.Errorf("newest child after its parent stopped = %v, %v; want one ABORTED child", kids, err)
	}

	// startExecution without .sync answers at once with the child's ARN.
	z := h.start("fire", "fire", `{}`)
	h.answerUntilDone(z.ARN, double)
	if got := h.describe(z.ARN); got.Status != engine.StatusSucceeded || !strings.Contains(got.Output, `:execution:kid:fired"`) {
		t.Errorf("startExecution = %s %s; want SUCCEEDED with the child's ARN", got.Status, got.Output)
	}
}

// answerUntilDone answers dispatched tasks with ans and runs maintenance
// passes until the execution ends (children answer their parents from
// other goroutines, so it also waits a little between passes). It returns
// how many tasks it answered. A task closed before its answer is not an
// error: a sibling's failure, answered first in the same batch, may have
// ended the parent, which stops the children it waits for meanwhile.
func (h *harness) answerUntilDone(arn string, ans answer) int {
	h.t.Helper()
	n := 0
	for range 1000 {
		if x := h.describe(arn); x.Status != engine.StatusRunning {
			return n
		}
		for _, tk := range h.q.take() {
			in, _ := statelang.ParseJSON([]byte(tk.Input))
			out, fail, _ := ans(tk, in)
			var err error
			if fail != nil {
				err = h.eng.SendTaskFailure(h.ctx, tk.Token, fail.Name, fail.Cause)
			} else {
				err = h.eng.SendTaskSuccess(h.ctx, tk.Token, statelang.MarshalString(out))
			}
			switch {
			case errors.Is(err, engine.ErrTaskClosed):
			case err != nil:
				h.t.Fatalf("answering %s: %v", tk.Token, err)
			default:
				n++
			}
		}
		h.tick()
		time.Sleep(10 * time.Millisecond)
	}
	h.t.Fatalf("%s still RUNNING", arn)
	return n
}

// lostChildStops is a store an engine can commit through but not read
// tasks from: an engine on it commits a parent's end and then cannot stop
// the children (it reads the child's task first), like an engine that
// stopped between the two.
type lostChildStops struct{ engine.Store }

func (lostChildStops) GetTask(context.Context, string) (engine.Task, string, error) {
	return engine.Task{}, "", errors.New("storetest: the engine stopped")
}

// testStrandedChildren: a running child whose parent's .sync task was
// closed without a result (the parent stopped, and its engine stopped
// before the child) is one of StrandedChildren, until a maintenance pass
// stops it (ABORTED); a child whose task is open, or that a
// startExecution without .sync started, is not.
func testStrandedChildren(t *testing.T, newStore NewStore) {
	h := newHarness(t, newStore, nil)
	kid := h.machine("kid", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+fnHang+`","End":true}}}`)
	h.machine("mom", `{"StartAt":"Run","States":{"Run":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2",
		"Parameters":{"StateMachineArn":"`+kid.ARN+`","Input.$":"$"},"End":true}}}`)
	h.machine("dm", `{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":2,"End":true,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+fnHang+`","End":true}}}}}}`)
	h.machine("fire", `{"StartAt":"Run","States":{"Run":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution",
		"Parameters":{"StateMachineArn":"`+kid.ARN+`","Input":5,"Name":"fired"},"End":true}}}`)
	stopped := []*engine.Execution{h.start("mom", "stopped", `{}`), h.start("dm", "dm-stopped", `[1,2,3]`)}
	running := h.start("mom", "running", `{}`)
	fired := h.start("fire", "fire", `{}`)
	if got := h.describe(fired.ARN); got.Status != engine.StatusSucceeded {
		t.Fatalf("fire = %s; want SUCCEEDED", got.Status)
	}
	children := func(statuses ...string) map[int64]int {
		n := map[int64]int{}
		for _, s := range statuses {
			xs, _, err := h.eng.ListExecutions(h.ctx, engine.ListExecutionsInput{Status: s})
			if err != nil {
				t.Fatalf("ListExecutions(%s) = %v", s, err)
			}
			for _, x := range xs {
				if c := h.describe(x.ARN); c.ParentToken != "" {
					n[c.ParentID]++
				}
			}
		}
		return n
	}
	want := map[int64]int{stopped[0].ID: 1, stopped[1].ID: 2, running.ID: 1, fired.ID: 1}
	if got := children(engine.StatusRunning); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("running children by parent = %v; want %v", got, want)
	}
	if cs, err := h.store.StrandedChildren(h.ctx, 10); err != nil || len(cs) != 0 {
		t.Errorf("StrandedChildren before any parent ended = %d, %v; want none", len(cs), err)
	}

	cut, err := engine.New(engine.Config{Store: lostChildStops{h.store}, Now: h.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range stopped {
		if got, err := cut.StopExecution(h.ctx, x.ARN, "", ""); err != nil || got.Status != engine.StatusAborted {
			t.Fatalf("StopExecution(%s) = %v, %v; want ABORTED", x.ARN, got, err)
		}
	}
	if got := children(engine.StatusRunning); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("running children by parent after the lost stops = %v; want %v", got, want)
	}
	cs, err := h.store.StrandedChildren(h.ctx, 10)
	stranded := map[int64]int{}
	for _, c := range cs {
		if c.Status != engine.StatusRunning || c.ARN == "" || c.ParentToken == "" {
			t.Errorf("StrandedChildren: %+v; want a RUNNING child with its ARN and parent", c)
		}
		stranded[c.ParentID]++
	}
	if want := map[int64]int{stopped[0].ID: 1, stopped[1].ID: 2}; err != nil || fmt.Sprint(stranded) != fmt.Sprint(want) {
		t.Errorf("StrandedChildren by parent = %v, %v; want %v", stranded, err, want)
	}
	if cs, err := h.store.StrandedChildren(h.ctx, 1); err != nil || len(cs) != 1 {
		t.Errorf("StrandedChildren(limit 1) = %d, %v; want 1", len(cs), err)
	}

	h.tick() // the maintenance pass stops them
	if cs, err := h.store.StrandedChildren(h.ctx, 10); err != nil || len(cs) != 0 {
		t.Errorf("StrandedChildren after a maintenance pass = %d, %v; want none", len(cs), err)
	}
	if got, want := children(engine.StatusAborted), map[int64]int{stopped[0].ID: 1, stopped[1].ID: 2}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("aborted children by parent = %v; want %v", got, want)
	}
	if got, want := children(engine.StatusRunning), map[int64]int{running.ID: 1, fired.ID: 1}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("running children by parent after the pass = %v; want %v", got, want)
	}
	runs, _, err := h.eng.ListMapRuns(h.ctx, stopped[1].ARN, 0, "")
	if err != nil || len(runs) != 1 {
		t.Fatalf("ListMapRuns(%s) = %v, %v; want one run", stopped[1].ARN, runs, err)
	}
	if r := h.mapRun(runs[0].ARN); r.Status != engine.MapRunAborted || r.Children[engine.StatusAborted] != 2 || len(r.Children) != 1 {
		t.Errorf("DescribeMapRun = %s %v; want ABORTED, 2 children ABORTED", r.Status, r.Children)
	}
}
