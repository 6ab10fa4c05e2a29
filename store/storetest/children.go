package storetest

import (
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
// how many tasks it answered.
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
			if err != nil {
				h.t.Fatalf("answering %s: %v", tk.Token, err)
			}
			n++
		}
		h.tick()
		time.Sleep(10 * time.Millisecond)
	}
	h.t.Fatalf("%s still RUNNING", arn)
	return n
}
