package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/statelang"
)

// testMapRuns: a distributed Map's Map Run is a row its parent's steps
// write (status, settings, dates), whose children are counted and listed
// by parent; UpdateMapRun changes the running Map at once (more children
// launched, a lower tolerance failing it); a Map Run whose parent stops
// is ABORTED with its children, and recorded so (MapRunAborted).
func testMapRuns(t *testing.T, newStore NewStore) {
	h := newHarness(t, newStore, nil)
	h.machine("dm", `{"StartAt":"M","States":{"M":{"Type":"Map","Label":"Items","MaxConcurrency":1,"ToleratedFailureCount":5,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+fnDouble+`","End":true}}},
		"End":true}}}`)

	x := h.start("dm", "one", `[1,2,3,4]`)
	runs, next, err := h.eng.ListMapRuns(h.ctx, x.ARN, 0, "")
	if err != nil || len(runs) != 1 || next != "" {
		t.Fatalf("ListMapRuns(%s) = %v, %q, %v; want one run", x.ARN, runs, next, err)
	}
	run := runs[0].ARN
	if runs[0].ExecutionARN != x.ARN || engine.MapRunMachine(run) != "dm/Items" {
		t.Errorf("ListMapRuns = %+v; want the run of %s on dm/Items", runs[0], x.ARN)
	}
	r := h.mapRun(run)
	if r.Status != engine.MapRunRunning || r.ExecutionARN != x.ARN || r.StateName != "M" || r.MaxConcurrency != 1 ||
		r.ToleratedFailureCount != 5 || r.ToleratedFailurePercentage != -1 || r.Total != 4 || !r.StopDate.IsZero() ||
		r.Children[engine.StatusRunning] != 1 {
		t.Errorf("DescribeMapRun at start = %+v; want RUNNING, 1 of 4 children running", r)
	}

	// More children at once, as soon as UpdateMapRun returns.
	three := int64(3)
	if err := h.eng.UpdateMapRun(h.ctx, run, engine.MapRunUpdate{MaxConcurrency: &three}); err != nil {
		t.Fatalf("UpdateMapRun(MaxConcurrency 3) = %v", err)
	}
	if r := h.mapRun(run); r.MaxConcurrency != 3 || r.Children[engine.StatusRunning] != 3 {
		t.Errorf("after UpdateMapRun: MaxConcurrency %d, %v; want 3 running", r.MaxConcurrency, r.Children)
	}
	kids, _, err := h.eng.ListExecutions(h.ctx, engine.ListExecutionsInput{MapRun: run})
	if err != nil || len(kids) != 3 {
		t.Fatalf("ListExecutions(MapRun) = %d, %v; want 3", len(kids), err)
	}
	for _, c := range kids {
		if c.ParentID != x.ID || c.StateMachine != "dm/Items" {
			t.Errorf("child %s: parent %d machine %s; want %d, dm/Items", c.ARN, c.ParentID, c.StateMachine, x.ID)
		}
	}
	if got := h.answerUntilDone(x.ARN, double); got != 4 {
		t.Errorf("answered %d tasks; want 4", got)
	}
	if got := h.describe(x.ARN); got.Status != engine.StatusSucceeded || got.Output != "[2,4,6,8]" {
		t.Errorf("parent = %s %s; want SUCCEEDED [2,4,6,8]", got.Status, got.Output)
	}
	r = h.mapRun(run)
	if r.Status != engine.MapRunSucceeded || r.StopDate.IsZero() || r.Children[engine.StatusSucceeded] != 4 || len(r.Children) != 1 {
		t.Errorf("DescribeMapRun after = %+v; want SUCCEEDED, 4 children succeeded", r)
	}
	var all []*engine.Execution
	err = h.eng.MapRunChildren(h.ctx, run, "", func(xs []*engine.Execution) error { all = append(all, xs...); return nil })
	if err != nil || len(all) != 4 {
		t.Errorf("MapRunChildren = %d, %v; want 4", len(all), err)
	}
	done, _, err := h.eng.ListExecutions(h.ctx, engine.ListExecutionsInput{MapRun: run, Status: engine.StatusSucceeded, MaxResults: 2})
	if err != nil || len(done) != 2 {
		t.Errorf("ListExecutions(MapRun, SUCCEEDED, 2) = %d, %v; want 2", len(done), err)
	}
	if err := h.eng.UpdateMapRun(h.ctx, run, engine.MapRunUpdate{MaxConcurrency: &three}); !errors.Is(err, engine.ErrMapRunNotRunning) {
		t.Errorf("UpdateMapRun(ended) = %v; want ErrMapRunNotRunning", err)
	}
	i := len(run) - 36
	other := run[:i] + "0" + run[i+1:] // another uuid with the same execution id
	if other == run {
		other = run[:i] + "1" + run[i+1:]
	}
	if err := h.eng.UpdateMapRun(h.ctx, other, engine.MapRunUpdate{MaxConcurrency: &three}); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("UpdateMapRun(unknown) = %v; want ErrNotFound", err)
	}
	if _, _, err := h.eng.ListExecutions(h.ctx, engine.ListExecutionsInput{MapRun: other}); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("ListExecutions(unknown MapRun) = %v; want ErrNotFound", err)
	}

	// A lower tolerance fails the running Map: one child failed, one runs.
	y := h.start("dm", "two", `["x",1,2]`)
	run = h.onlyRun(y.ARN)
	h.pump(func() bool {
		return h.mapRun(run).Children[engine.StatusRunning] == 1 && h.mapRun(run).Children[engine.StatusFailed] == 1
	},
		func(tk engine.Task, in any) bool { return in != int64(1) })
	zero := int64(0)
	if err := h.eng.UpdateMapRun(h.ctx, run, engine.MapRunUpdate{ToleratedFailureCount: &zero}); err != nil {
		t.Fatalf("UpdateMapRun(ToleratedFailureCount 0) = %v", err)
	}
	h.pump(func() bool { return h.mapRun(run).Children[engine.StatusRunning] == 0 }, nil)
	got := h.describe(y.ARN)
	r = h.mapRun(run)
	if got.Status != engine.StatusFailed || got.Error != statelang.ErrExceedToleratedFailureThresh || r.Status != engine.MapRunFailed ||
		r.StopDate.IsZero() || r.ToleratedFailureCount != 0 || r.Children[engine.StatusFailed] != 1 || r.Children[engine.StatusAborted] != 1 {
		t.Errorf("after lowering the tolerance: parent %s %s, run %+v; want FAILED, run FAILED with 1 failed and 1 aborted child", got.Status, got.Error, r)
	}

	// Stopping the parent aborts its Map Run and its children.
	z := h.start("dm", "three", `[1,2]`)
	run = h.onlyRun(z.ARN)
	if _, err := h.eng.StopExecution(h.ctx, z.ARN, "", ""); err != nil {
		t.Fatal(err)
	}
	h.pump(func() bool { return h.mapRun(run).Children[engine.StatusRunning] == 0 }, nil)
	if r := h.mapRun(run); r.Status != engine.MapRunAborted || r.StopDate.IsZero() || r.Children[engine.StatusAborted] != 1 || r.Total != 2 {
		t.Errorf("Map Run of a stopped parent = %+v; want ABORTED with its child", r)
	}
	// As on AWS, the parent's history records the run's end: MapRunAborted
	// (no details), then ExecutionAborted.
	var types []statelang.EventType
	for _, e := range h.history(z.ARN) {
		types = append(types, e.Type)
	}
	if n := len(types); n < 2 || types[n-2] != statelang.EventTypeMapRunAborted || types[n-1] != statelang.EventTypeExecutionAborted {
		t.Errorf("history of a stopped parent ends %v; want MapRunAborted, ExecutionAborted", types)
	}
	if _, _, err := h.eng.ListMapRuns(h.ctx, z.ARN+"-none", 0, ""); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("ListMapRuns(unknown execution) = %v; want ErrNotFound", err)
	}
}

func (h *harness) mapRun(arn string) engine.MapRun {
	h.t.Helper()
	r, err := h.eng.DescribeMapRun(h.ctx, arn)
	if err != nil {
		h.t.Fatalf("DescribeMapRun(%s) = %v", arn, err)
	}
	return r
}

// onlyRun is the ARN of the one Map Run of an execution.
func (h *harness) onlyRun(arn string) string {
	h.t.Helper()
	runs, _, err := h.eng.ListMapRuns(h.ctx, arn, 0, "")
	if err != nil || len(runs) != 1 {
		h.t.Fatalf("ListMapRuns(%s) = %v, %v; want one run", arn, runs, err)
	}
	return runs[0].ARN
}

// pump answers dispatched tasks with double (those answer accepts, or
// all if nil; the others stay unanswered) and runs maintenance passes until
// cond holds.
func (h *harness) pump(cond func() bool, accept func(engine.Task, any) bool) {
	h.t.Helper()
	var held []engine.Task
	for range 500 {
		if cond() {
			h.q.mu.Lock()
			h.q.tasks = append(held, h.q.tasks...)
			h.q.mu.Unlock()
			return
		}
		for _, tk := range h.q.take() {
			in, _ := statelang.ParseJSON([]byte(tk.Input))
			if accept != nil && !accept(tk, in) {
				held = append(held, tk)
				continue
			}
			out, fail, _ := double(tk, in)
			h.reply(tk, out, fail)
		}
		h.tick()
		time.Sleep(10 * time.Millisecond)
	}
	h.t.Fatal("condition not reached")
}
