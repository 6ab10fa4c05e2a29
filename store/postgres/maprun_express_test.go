package postgres_test

import (
	"context"
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

// expressMap is a distributed Map whose children are EXPRESS executions of
// processor (its States), labelled Items.
func expressMap(extra, states string) string {
	return `{"StartAt":"M","States":{"M":{"Type":"Map","Label":"Items",` + extra + `
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"T","States":` + states + `},
		"End":true}}}`
}

// TestDistributedMapExpressChildren: a distributed Map with ExecutionType
// EXPRESS runs each item as an express execution, in memory (no history),
// and writes each child's row once it ended, so that the Map Run's counts,
// ListExecutions and MapRunChildren see them as they see standard ones;
// each child's task is dispatched once.
func TestDistributedMapExpressChildren(t *testing.T) {
	t.Parallel()
	five := func(_ engine.Task, in any) (any, *statelang.Failure) {
		if n, _ := in.(int64); n == 5 {
			return nil, &statelang.Failure{Name: "Five", Cause: "not five"}
		}
		return double(engine.Task{}, in)
	}
	h := newHarness(t, map[string]TaskFunc{"five": five}, nil)
	h.machine("dx", expressMap(`"MaxConcurrency":3,"ToleratedFailureCount":1,`,
		`{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:five","End":true}}`))
	var items, want []string
	for i := range 20 {
		items = append(items, fmt.Sprint(i))
		if i == 5 {
			want = append(want, "null")
		} else {
			want = append(want, fmt.Sprint(2*i))
		}
	}
	x := h.wait(h.start("dx", "run", `[`+strings.Join(items, ",")+`]`).ARN, 30*time.Second)
	if x.Status != engine.StatusSucceeded || x.Output != "["+strings.Join(want, ",")+"]" {
		t.Fatalf("parent: %s %s %s %s", x.Status, x.Output, x.Error, x.Cause)
	}
	evs := h.history(x.ARN)
	if got := strings.Join(types(evs), " "); got != "ExecutionStarted MapStateEntered MapStateStarted MapRunStarted "+
		"MapRunSucceeded MapStateSucceeded MapStateExited ExecutionSucceeded" {
		t.Errorf("parent history = %s", got)
	}
	run, _ := evs[3].Details["mapRunArn"].(string)
	ctx := context.Background()
	r, err := h.eng.DescribeMapRun(ctx, run)
	if err != nil || r.Status != engine.MapRunSucceeded || r.Total != 20 ||
		r.Children[engine.StatusSucceeded] != 19 || r.Children[engine.StatusFailed] != 1 {
		t.Errorf("DescribeMapRun = %+v, %v; want SUCCEEDED, 19 children succeeded and 1 failed", r, err)
	}
	kids := children(t, h, "dx/Items")
	if len(kids) != 20 {
		t.Fatalf("%d children listed; want 20", len(kids))
	}
	for _, c := range kids {
		if !strings.HasPrefix(c.ARN, "arn:aws:states:us-east-1:111111111111:express:dx/Items:") || c.ParentID != x.ID ||
			c.StopDate.Before(c.StartDate) || c.StartDate.IsZero() {
			t.Errorf("child %s: parent %d, %v → %v", c.ARN, c.ParentID, c.StartDate, c.StopDate)
		}
		switch c.Input {
		case "5":
			if c.Status != engine.StatusFailed || c.Error != "Five" || c.Cause != "not five" {
				t.Errorf("child of item 5: %s %s %s; want FAILED Five", c.Status, c.Error, c.Cause)
			}
		default:
			n, err := strconv.Atoi(c.Input)
			if err != nil || c.Status != engine.StatusSucceeded || c.Output != fmt.Sprint(2*n) {
				t.Errorf("child of item %s: %s %s", c.Input, c.Status, c.Output)
			}
		}
		// An express execution has no history and no description, as on AWS.
		if _, _, err := h.eng.GetExecutionHistory(ctx, c.ARN, engine.HistoryInput{}); !errors.Is(err, engine.ErrExpressARN) {
			t.Errorf("GetExecutionHistory(%s) = %v; want ErrExpressARN", c.ARN, err)
		}
	}
	n := 0
	if err := h.eng.MapRunChildren(ctx, run, engine.StatusSucceeded, func(xs []*engine.Execution) error { n += len(xs); return nil }); err != nil || n != 19 {
		t.Errorf("MapRunChildren(SUCCEEDED) = %d, %v; want 19", n, err)
	}
	h.disp.mu.Lock()
	for tok, c := range h.disp.count {
		if c != 1 {
			t.Errorf("task %s dispatched %d times; want once", engine.TaskRef(tok), c)
		}
	}
	h.disp.mu.Unlock()
}

// TestDistributedMapExpressStop: stopping the parent stops its running
// express children, which are written ABORTED.
func TestDistributedMapExpressStop(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	h.machine("xslow", expressMap(``, `{"T":{"Type":"Wait","Seconds":3600,"End":true}}`))
	x := h.start("xslow", "s", `[1,2,3]`)
	for deadline := time.Now().Add(10 * time.Second); h.eng.RunningExpress() < 3; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d express children running; want 3", h.eng.RunningExpress())
		}
	}
	if _, err := h.eng.StopExecution(context.Background(), x.ARN, "", ""); err != nil {
		t.Fatal(err)
	}
	var kids []*engine.Execution
	for deadline := time.Now().Add(10 * time.Second); len(kids) < 3; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d children written; want 3", len(kids))
		}
		kids = children(t, h, "xslow/Items")
	}
	for _, c := range kids {
		if c.Status != engine.StatusAborted {
			t.Errorf("child %s: %s; want ABORTED", c.ARN, c.Status)
		}
	}
	if n := h.eng.RunningExpress(); n != 0 {
		t.Errorf("%d express executions still running", n)
	}
}

// TestDistributedMapExpressRedrive: a Map Run whose EXPRESS children
// failed past its tolerance fails its parent; its failed children are
// redrivable by the Map Run (DescribeMapRun counts none as not
// redrivable), and the parent's redrive starts their items again as new
// express executions, whose rows replace the failed ones.
func TestDistributedMapExpressRedrive(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	tries := map[int64]int{}
	firstFails := func(_ engine.Task, in any) (any, *statelang.Failure) {
		n, _ := in.(int64)
		mu.Lock()
		tries[n]++
		try := tries[n]
		mu.Unlock()
		if n == 0 && try == 1 {
			return nil, &statelang.Failure{Name: "Once", Cause: fmt.Sprint(n)}
		}
		return n * 2, nil
	}
	h := newHarness(t, map[string]TaskFunc{"once": firstFails}, nil)
	h.machine("xre", expressMap(`"MaxConcurrency":4,`,
		`{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:once","End":true}}`))
	x := h.wait(h.start("xre", "r", `[0,1,2,3,4,5,6,7,8]`).ARN, 30*time.Second)
	if x.Status != engine.StatusFailed || x.Error != "States.ExceedToleratedFailureThreshold" {
		t.Fatalf("parent: %s %s %s; want FAILED States.ExceedToleratedFailureThreshold", x.Status, x.Error, x.Cause)
	}
	ctx := context.Background()
	runs, _, err := h.eng.ListMapRuns(ctx, x.ARN, 0, "")
	if err != nil || len(runs) != 1 {
		t.Fatalf("ListMapRuns = %d, %v", len(runs), err)
	}
	r, err := h.eng.DescribeMapRun(ctx, runs[0].ARN)
	if err != nil || r.Status != engine.MapRunFailed || r.Children[engine.StatusFailed] == 0 || r.NotRedrivable != 0 {
		t.Fatalf("DescribeMapRun = %s children %v not redrivable %d, %v; want FAILED with failed children, all redrivable",
			r.Status, r.Children, r.NotRedrivable, err)
	}
	for _, c := range children(t, h, "xre/Items") {
		if st, _ := h.eng.RedriveStatus(c); c.Status == engine.StatusFailed && st != engine.RedriveRedrivableByRun {
			t.Errorf("child %s (FAILED): redrive status %s; want %s", c.ARN, st, engine.RedriveRedrivableByRun)
		}
	}
	if _, err := h.eng.RedriveExecution(ctx, x.ARN, ""); err != nil {
		t.Fatal(err)
	}
	x = h.wait(x.ARN, 30*time.Second)
	if x.Status != engine.StatusSucceeded || x.Output != "[0,2,4,6,8,10,12,14,16]" {
		for _, c := range children(t, h, "xre/Items") {
			t.Logf("child %s %s %s %s %s", c.Name, c.Input, c.Status, c.Error, c.Cause)
		}
		t.Fatalf("redriven parent: %s %s %s %s\n%s", x.Status, x.Output, x.Error, x.Cause, strings.Join(types(h.history(x.ARN)), " "))
	}
	kids := children(t, h, "xre/Items")
	if len(kids) != 9 {
		t.Errorf("%d child rows after the redrive; want 9 (one per item)", len(kids))
	}
	for _, c := range kids {
		if c.Status != engine.StatusSucceeded {
			t.Errorf("child %s (item %s): %s; want SUCCEEDED", c.ARN, c.Input, c.Status)
		}
	}
	if r, err := h.eng.DescribeMapRun(ctx, runs[0].ARN); err != nil || r.Status != engine.MapRunSucceeded ||
		r.Children[engine.StatusSucceeded] != 9 || r.RedriveCount != 1 {
		t.Errorf("DescribeMapRun after the redrive = %s children %v redrives %d, %v; want SUCCEEDED, 9 succeeded, 1 redrive",
			r.Status, r.Children, r.RedriveCount, err)
	}
}

// TestDistributedMapExpressRunning: DescribeMapRun counts a Map Run's
// running EXPRESS children (which have no row while they run) as running,
// from its row's Running that the parent writes: 3 of 5 with
// MaxConcurrency 3, 5 once UpdateMapRun allows them, none once the parent
// is stopped and they are written ABORTED. A Map Run of STANDARD children
// writes no Running (its children's rows count them).
func TestDistributedMapExpressRunning(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	h.machine("xrun", expressMap(`"MaxConcurrency":3,`, `{"T":{"Type":"Wait","Seconds":3600,"End":true}}`))
	x := h.start("xrun", "r", `[1,2,3,4,5]`)
	ctx := context.Background()
	var run string
	want := func(when string, c engine.MapRunCounts, status string) engine.MapRun {
		t.Helper()
		var r engine.MapRun
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if run == "" {
				if runs, _, err := h.eng.ListMapRuns(ctx, x.ARN, 0, ""); err == nil && len(runs) == 1 {
					run = runs[0].ARN
				}
			}
			var err error
			if run != "" {
				r, err = h.eng.DescribeMapRun(ctx, run)
			}
			if run != "" && err == nil && r.Status == status && r.Counts() == c {
				return r
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: DescribeMapRun(%s) = %s %+v, %v; want %s %+v", when, run, r.Status, r.Counts(), err, status, c)
			}
		}
	}
	want("while they run", engine.MapRunCounts{Pending: 2, Running: 3, Total: 5}, engine.MapRunRunning)
	five := int64(5)
	if err := h.eng.UpdateMapRun(ctx, run, engine.MapRunUpdate{MaxConcurrency: &five}); err != nil {
		t.Fatal(err)
	}
	want("after UpdateMapRun", engine.MapRunCounts{Running: 5, Total: 5}, engine.MapRunRunning)
	if _, err := h.eng.StopExecution(ctx, x.ARN, "", ""); err != nil {
		t.Fatal(err)
	}
	r := want("after the parent's stop", engine.MapRunCounts{Aborted: 5, Total: 5}, engine.MapRunAborted)
	if r.Running != 0 {
		t.Errorf("the ended run's row has Running %d; want 0", r.Running)
	}
	for _, c := range children(t, h, "xrun/Items") {
		if c.Status != engine.StatusAborted {
			t.Errorf("child %s: %s; want ABORTED", c.ARN, c.Status)
		}
	}

	// STANDARD children: their rows count them; the row has no Running.
	h.machine("srun", `{"StartAt":"M","States":{"M":{"Type":"Map","Label":"Items","MaxConcurrency":3,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"T","States":{"T":{"Type":"Wait","Seconds":3600,"End":true}}},
		"End":true}}}`)
	x, run = h.start("srun", "s", `[1,2,3,4,5]`), ""
	r = want("STANDARD children", engine.MapRunCounts{Pending: 2, Running: 3, Total: 5}, engine.MapRunRunning)
	var running int64
	if err := h.pool.QueryRow(ctx, "SELECT running FROM map_runs WHERE arn = $1", r.ARN).Scan(&running); err != nil || running != 0 {
		t.Errorf("a STANDARD Map Run's row: running %d, %v; want 0", running, err)
	}
	if _, err := h.eng.StopExecution(ctx, x.ARN, "", ""); err != nil {
		t.Fatal(err)
	}
}
