package postgres_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/statelang"
)

// children lists the child executions of a distributed Map (their state
// machine is <machine>/<label>).
func children(t *testing.T, h *harness, machine string) []*engine.Execution {
	t.Helper()
	xs, _, err := h.eng.ListExecutions(context.Background(), engine.ListExecutionsInput{StateMachine: machine})
	if err != nil {
		t.Fatal(err)
	}
	return xs
}

// TestDistributedMapChildren: a distributed Map runs each item as a child
// execution of its ItemProcessor, at most MaxConcurrency at once; the
// parent's history holds the Map Run's events only, and its output the
// children's outputs in item order.
func TestDistributedMapChildren(t *testing.T) {
	t.Parallel()
	h := newHarness(t, map[string]TaskFunc{"double": double}, nil)
	h.machine("dm", `{"StartAt":"M","States":{"M":{"Type":"Map","Label":"Items","MaxConcurrency":3,"ItemsPath":"$.items",
		"ItemSelector":{"n.$":"$$.Map.Item.Value","i.$":"$$.Map.Item.Index"},
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"D","States":{
			"D":{"Type":"Task","Resource":"arn:aws:states:us-east-1:111111111111:activity:double","InputPath":"$.n","End":true}}},
		"End":true}}}`)
	var items []string
	for i := range 20 {
		items = append(items, fmt.Sprint(i))
	}
	x := h.wait(h.start("dm", "run", `{"items":[`+strings.Join(items, ",")+`]}`).ARN, 30*time.Second)
	if x.Status != engine.StatusSucceeded {
		t.Fatalf("status = %s %s %s", x.Status, x.Error, x.Cause)
	}
	var want []string
	for i := range 20 {
		want = append(want, fmt.Sprint(2*i))
	}
	if x.Output != "["+strings.Join(want, ",")+"]" {
		t.Errorf("output = %s", x.Output)
	}
	evs := h.history(x.ARN)
	if got := strings.Join(types(evs), " "); got != "ExecutionStarted MapStateEntered MapStateStarted MapRunStarted "+
		"MapRunSucceeded MapStateSucceeded MapStateExited ExecutionSucceeded" {
		t.Errorf("parent history = %s", got)
	}
	run, _ := evs[3].Details["mapRunArn"].(string)
	if !regexp.MustCompile(`^arn:aws:states:us-east-1:111111111111:mapRun:dm/Items:[0-9a-f-]{36}$`).MatchString(run) {
		t.Errorf("mapRunArn = %q", run)
	}
	if id, ok := engine.MapRunExecutionID(run); !ok || id != x.ID {
		t.Errorf("MapRunExecutionID(%s) = %d, %v; want %d", run, id, ok, x.ID)
	}
	kids := children(t, h, "dm/Items")
	if len(kids) != 20 {
		t.Fatalf("%d children; want 20", len(kids))
	}
	ctx := context.Background()
	if r, err := h.eng.DescribeMapRun(ctx, run); err != nil || r.Status != engine.MapRunSucceeded ||
		r.Children[engine.StatusSucceeded] != 20 || r.Total != 20 || r.MaxConcurrency != 3 {
		t.Errorf("DescribeMapRun = %+v, %v; want SUCCEEDED, 20 children succeeded", r, err)
	}
	// A run started by a build that wrote no Map Run rows: its children
	// are still found, by parent and machine.
	if _, err := h.pool.Exec(ctx, "DELETE FROM map_runs WHERE arn = $1", run); err != nil {
		t.Fatal(err)
	}
	got, pages := 0, 0
	err := h.eng.MapRunChildren(ctx, run, engine.StatusSucceeded, func(xs []*engine.Execution) error { got, pages = got+len(xs), pages+1; return nil })
	if err != nil || got != 20 || pages != 1 {
		t.Errorf("MapRunChildren(run without a row) = %d in %d pages, %v; want 20 in 1", got, pages, err)
	}
	if err := h.eng.MapRunChildren(ctx, run, engine.StatusFailed, func([]*engine.Execution) error { pages++; return nil }); err != nil || pages != 1 {
		t.Errorf("MapRunChildren(FAILED) = %d pages, %v; want none", pages-1, err)
	}
	for _, c := range kids {
		if c.Status != engine.StatusSucceeded || c.ParentID != x.ID ||
			!strings.HasPrefix(c.ARN, "arn:aws:states:us-east-1:111111111111:execution:dm/Items:") ||
			c.StateMachineARN != "arn:aws:states:us-east-1:111111111111:stateMachine:dm/Items" {
			t.Errorf("child %s: %s parent %d machine %s", c.ARN, c.Status, c.ParentID, c.StateMachineARN)
		}
		if got := strings.Join(types(h.history(c.ARN)), " "); got != "ExecutionStarted TaskStateEntered ActivityScheduled "+
			"ActivityStarted ActivitySucceeded TaskStateExited ExecutionSucceeded" {
			t.Errorf("child history = %s", got)
		}
	}
	// MaxConcurrency: never more than 3 children ran at once.
	type span struct{ start, stop time.Time }
	var spans []span
	for _, c := range kids {
		spans = append(spans, span{c.StartDate, c.StopDate})
	}
	for _, s := range spans {
		n := 0
		for _, o := range spans {
			if !o.start.After(s.start) && o.stop.After(s.start) {
				n++
			}
		}
		if n > 3 {
			t.Errorf("%d children running at %v; MaxConcurrency is 3", n, s.start)
		}
	}
}

// TestDistributedMapTolerance: failed children count against the
// tolerated failures; past them the Map Run fails with
// States.ExceedToleratedFailureThreshold and the Map's Catch sees it.
func TestDistributedMapTolerance(t *testing.T) {
	t.Parallel()
	odd := func(_ engine.Task, in any) (any, *statelang.Failure) {
		if n, _ := in.(int64); n%2 == 1 {
			return nil, &statelang.Failure{Name: "Odd", Cause: fmt.Sprint(n)}
		}
		return in, nil
	}
	h := newHarness(t, map[string]TaskFunc{"odd": odd}, nil)
	h.machine("tol", `{"StartAt":"M","States":{"M":{"Type":"Map","ToleratedFailureCountPath":"$.tol","ItemsPath":"$.items",
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"T","States":{
			"T":{"Type":"Task","Resource":"arn:aws:states:us-east-1:111111111111:activity:odd","End":true}}},
		"Catch":[{"ErrorEquals":["States.ExceedToleratedFailureThreshold"],"Next":"Caught"}],"End":true},
		"Caught":{"Type":"Pass","End":true}}}`)
	ok := h.wait(h.start("tol", "ok", `{"items":[0,1,2,3],"tol":2}`).ARN, 30*time.Second)
	if ok.Status != engine.StatusSucceeded || ok.Output != "[0,null,2,null]" {
		t.Errorf("within tolerance: %s %s %s", ok.Status, ok.Output, ok.Cause)
	}
	bad := h.wait(h.start("tol", "bad", `{"items":[0,1,2,3,5,7],"tol":1}`).ARN, 30*time.Second)
	if bad.Status != engine.StatusSucceeded || !strings.Contains(bad.Output, "States.ExceedToleratedFailureThreshold") {
		t.Errorf("past tolerance: %s %s", bad.Status, bad.Output)
	}
	got := strings.Join(types(h.history(bad.ARN)), " ")
	if !strings.Contains(got, "MapRunStarted MapRunFailed MapStateFailed") {
		t.Errorf("history = %s", got)
	}
}

// TestDistributedMapStop: stopping the parent stops its running children.
func TestDistributedMapStop(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	h.machine("slow", `{"StartAt":"M","States":{"M":{"Type":"Map",
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}},
		"End":true}}}`)
	x := h.start("slow", "s", `[1,2,3]`)
	var kids []*engine.Execution
	for deadline := time.Now().Add(10 * time.Second); len(kids) < 3 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		evs := h.history(x.ARN)
		if len(evs) >= 4 {
			run, _ := evs[3].Details["mapRunArn"].(string)
			label := run[strings.Index(run, "/")+1 : strings.LastIndex(run, ":")]
			kids = children(t, h, "slow/"+label)
		}
	}
	if len(kids) != 3 {
		t.Fatalf("%d children started; want 3", len(kids))
	}
	if _, err := h.eng.StopExecution(context.Background(), x.ARN, "", ""); err != nil {
		t.Fatal(err)
	}
	for _, c := range kids {
		if got := h.wait(c.ARN, 10*time.Second); got.Status != engine.StatusAborted {
			t.Errorf("child %s: %s; want ABORTED", c.ARN, got.Status)
		}
	}
}
