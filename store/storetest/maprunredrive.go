package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/statelang"
)

// testMapRunRedrive: a parent whose distributed Map fails (one child fails
// beyond the tolerance; those running then are aborted with the run, and
// the last items may never start) is redriven: its Map Run is redriven in place
// (same ARN, redriveCount 1, its redrive date, MapRunRedriven in the
// parent's history), only the items whose child did not succeed run again
// (the failed child redriven under its own ARN, from its failed state),
// and the parent succeeds with every item's result, the first run's
// included. A parent stopped while its Map runs is redriven the same way:
// the children aborted with it are redriven, the items never started
// start.
func testMapRunRedrive(t *testing.T, newStore NewStore) {
	h := newHarness(t, newStore, nil)
	h.machine("dm", `{"StartAt":"M","States":{"M":{"Type":"Map","Label":"Items","MaxConcurrency":2,"ToleratedFailureCount":0,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"P","States":{
			"P":{"Type":"Pass","Next":"T"},
			"T":{"Type":"Task","Resource":"`+fnDouble+`","End":true}}},
		"End":true}}}`)
	const n = 8
	var items, want []string
	for i := range n {
		items, want = append(items, fmt.Sprint(i+1)), append(want, fmt.Sprint(2*(i+1)))
	}
	x := h.start("dm", "p", "["+strings.Join(items, ",")+"]")
	failing := true
	var asked []int64
	// ans answers a task itself and counts the answers taken: a task of a
	// child aborted with the run may come before its stop (a child started
	// late), its answer refused.
	ans := func(tk engine.Task, in any) (any, *statelang.Failure, bool) {
		var err error
		if in == int64(3) && failing {
			err = h.eng.SendTaskFailure(h.ctx, tk.Token, "Three", "fails")
		} else {
			out, _, _ := double(tk, in)
			err = h.eng.SendTaskSuccess(h.ctx, tk.Token, statelang.MarshalString(out))
		}
		if err == nil {
			asked = append(asked, in.(int64))
		} else if !errors.Is(err, engine.ErrTaskClosed) {
			t.Fatalf("answering task %s: %v", tk.Token, err)
		}
		return nil, nil, false
	}
	got := h.drive(x.ARN, ans)
	if got.Status != engine.StatusFailed || got.Error != statelang.ErrExceedToleratedFailureThresh {
		t.Fatalf("first run: %s %s; want FAILED %s", got.Status, got.Error, statelang.ErrExceedToleratedFailureThresh)
	}
	run := h.onlyRun(x.ARN)
	h.pump(func() bool { return h.mapRun(run).Children[engine.StatusRunning] == 0 }, func(engine.Task, any) bool { return false })
	first := h.mapRun(run)
	if first.Status != engine.MapRunFailed || first.RedriveCount != 0 || !first.RedriveDate.IsZero() || first.Children[engine.StatusFailed] != 1 {
		t.Fatalf("Map Run after the first run = %+v; want FAILED, one child failed, never redriven", first)
	}
	kids, _, err := h.eng.ListExecutions(h.ctx, engine.ListExecutionsInput{MapRun: run})
	if err != nil {
		t.Fatal(err)
	}
	succeeded := map[string]bool{} // the first run's successful children, by input
	var failed *engine.Execution
	for _, c := range kids {
		switch c.Status {
		case engine.StatusSucceeded:
			succeeded[c.Input] = true
		case engine.StatusFailed:
			failed = c
		}
	}
	if failed == nil || failed.Input != "3" {
		t.Fatalf("first run's children = %d, failed %+v; want the child of 3 failed", len(kids), failed)
	}

	h.clock.Add(time.Minute)
	failing, asked = false, nil
	date, err := h.eng.RedriveExecution(h.ctx, x.ARN, "")
	if err != nil {
		t.Fatalf("RedriveExecution(%s) = %v", x.ARN, err)
	}
	if r := h.mapRun(run); r.Status != engine.MapRunRunning || r.RedriveCount != 1 || !r.RedriveDate.Equal(date) || !r.StopDate.IsZero() {
		t.Errorf("Map Run after the redrive = %+v; want RUNNING, redriveCount 1, redriveDate %v", r, date)
	}
	got = h.drive(x.ARN, ans)
	if got.Status != engine.StatusSucceeded || got.Output != "["+strings.Join(want, ",")+"]" {
		t.Fatalf("after the redrive: %s %s %s; want SUCCEEDED [%s]", got.Status, got.Output, got.Error, strings.Join(want, ","))
	}
	slices.Sort(asked)
	var rerun []int64 // the items whose child did not succeed
	for i := range n {
		if !succeeded[fmt.Sprint(i+1)] {
			rerun = append(rerun, int64(i+1))
		}
	}
	if !slices.Equal(asked, rerun) {
		t.Errorf("tasks after the redrive = %v; want one for each item whose child did not succeed, %v", asked, rerun)
	}
	if runs, _, err := h.eng.ListMapRuns(h.ctx, x.ARN, 0, ""); err != nil || len(runs) != 1 {
		t.Errorf("ListMapRuns after the redrive = %v, %v; want the one run", runs, err)
	}
	r := h.mapRun(run)
	if r.Status != engine.MapRunSucceeded || r.RedriveCount != 1 || !r.RedriveDate.Equal(date) || r.StopDate.IsZero() ||
		r.Children[engine.StatusSucceeded] != n || len(r.Children) != 1 {
		t.Errorf("Map Run at the end = %+v; want SUCCEEDED with %d children succeeded, redriveCount 1", r, n)
	}
	c := h.describe(failed.ARN)
	if c.Status != engine.StatusSucceeded || c.RedriveCount != 1 || !c.RedriveDate.Equal(date) || c.Output != "6" {
		t.Errorf("the failed child after the redrive: %s %s count %d date %v; want SUCCEEDED 6, redriven once", c.Status, c.Output, c.RedriveCount, c.RedriveDate)
	}
	cevs := h.history(failed.ARN)
	CheckHistory(t, failed.ARN, cevs)
	if i := slices.Index(types(cevs), "ExecutionRedriven"); i < 0 || cevs[i+1].Type != "TaskStateEntered" {
		t.Errorf("child history = %v; want it to go on from its failed Task state", types(cevs))
	}
	evs := h.history(x.ARN)
	CheckHistory(t, x.ARN, evs)
	i := slices.Index(types(evs), "ExecutionRedriven")
	if i < 0 || evs[i+1].Type != "MapRunRedriven" || evs[i+1].Details["mapRunArn"] != run || evs[i+1].Details["redriveCount"] != int64(1) {
		t.Errorf("parent history = %v; want MapRunRedriven (the run, redriveCount 1) after ExecutionRedriven", types(evs))
	}
	if count(evs, "MapRunStarted") != 1 || count(evs, "MapStateEntered") != 1 {
		t.Errorf("parent history = %v; want the one Map Run started once", types(evs))
	}

	// A parent stopped while two children run and one item waits.
	y := h.start("dm", "stopped", "[1,2,3,4]")
	yrun := h.onlyRun(y.ARN)
	h.pump(func() bool {
		c := h.mapRun(yrun).Children
		return c[engine.StatusSucceeded] == 1 && c[engine.StatusRunning] == 2
	}, func(_ engine.Task, in any) bool { return in == int64(1) })
	if _, err := h.eng.StopExecution(h.ctx, y.ARN, "", ""); err != nil {
		t.Fatal(err)
	}
	h.pump(func() bool { return h.mapRun(yrun).Children[engine.StatusRunning] == 0 }, func(engine.Task, any) bool { return false })
	if r := h.mapRun(yrun); r.Status != engine.MapRunAborted || r.Children[engine.StatusAborted] != 2 {
		t.Fatalf("Map Run of the stopped parent = %+v; want ABORTED with 2 children aborted", r)
	}
	h.clock.Add(time.Minute)
	asked = nil
	if _, err := h.eng.RedriveExecution(h.ctx, y.ARN, ""); err != nil {
		t.Fatalf("RedriveExecution(%s) = %v", y.ARN, err)
	}
	if got := h.drive(y.ARN, ans); got.Status != engine.StatusSucceeded || got.Output != "[2,4,6,8]" {
		t.Fatalf("stopped parent after the redrive: %s %s %s; want SUCCEEDED [2,4,6,8]", got.Status, got.Output, got.Error)
	}
	slices.Sort(asked)
	if !slices.Equal(asked, []int64{2, 3, 4}) {
		t.Errorf("tasks after the stopped parent's redrive = %v; want [2 3 4]", asked)
	}
	kids, _, err = h.eng.ListExecutions(h.ctx, engine.ListExecutionsInput{MapRun: yrun})
	if err != nil || len(kids) != 4 {
		t.Fatalf("children of the stopped parent's run = %d, %v; want 4", len(kids), err)
	}
	for _, c := range kids {
		if want := map[string]int64{"1": 0, "2": 1, "3": 1, "4": 0}[c.Input]; c.Status != engine.StatusSucceeded || c.RedriveCount != want {
			t.Errorf("child of %s: %s, redriven %d times; want SUCCEEDED, %d", c.Input, c.Status, c.RedriveCount, want)
		}
	}
	if r := h.mapRun(yrun); r.Status != engine.MapRunSucceeded || r.RedriveCount != 1 {
		t.Errorf("Map Run of the stopped parent after the redrive = %+v; want SUCCEEDED, redriveCount 1", r)
	}
}
