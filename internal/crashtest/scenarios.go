package crashtest

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
)

// execMachine passes, chooses, waits, then runs an activity and an inline
// Map of activities in parallel.
const execMachine = `{"StartAt":"Prep","States":{
  "Prep":{"Type":"Pass","Parameters":{"x.$":"$.x","items.$":"$.items"},"Next":"Check"},
  "Check":{"Type":"Choice","Choices":[{"Variable":"$.x","NumericGreaterThanEquals":0,"Next":"Pause"}],"Default":"Bad"},
  "Bad":{"Type":"Fail","Error":"Negative"},
  "Pause":{"Type":"Wait","Seconds":1,"Next":"Fan"},
  "Fan":{"Type":"Parallel","Next":"Shape","Branches":[
    {"StartAt":"DoubleX","States":{"DoubleX":{"Type":"Task","Resource":"` + activity + `double","InputPath":"$.x","End":true}}},
    {"StartAt":"Each","States":{"Each":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":2,"End":true,
      "ItemProcessor":{"StartAt":"D","States":{"D":{"Type":"Task","Resource":"` + activity + `double","End":true}}}}}}]},
  "Shape":{"Type":"Pass","Parameters":{"x2.$":"$[0]","items2.$":"$[1]"},"End":true}}}`

// Executions starts n executions of a machine with a Wait, a Parallel,
// an inline Map and four activity tasks while the engine is SIGKILLed six
// times: every execution succeeds with its output, its history has no
// gap and no duplicate, and every task ran and succeeded exactly once.
func Executions(t *testing.T, tgt Target, n int) {
	r := newRig(t, tgt)
	r.machine("crash", execMachine)
	xs := r.survive(load{n: n, machine: always("crash"), name: func(i int) string { return fmt.Sprintf("e%03d", i) },
		input: func(i int) string { return fmt.Sprintf(`{"x":%d,"items":[%d,%d,%d]}`, i, i, i+1, i+2) },
		gap:   10 * time.Millisecond, kills: 6, least: 300 * time.Millisecond, spread: 1200 * time.Millisecond})
	for i, x := range xs {
		if !r.succeeded(x, fmt.Sprintf(`{"items2":[%d,%d,%d],"x2":%d}`, 2*i, 2*(i+1), 2*(i+2), 2*i)) {
			continue
		}
		arn := x.ARN
		evs := r.history(arn)
		seen := map[string]bool{}
		for _, e := range evs {
			// The same state entered twice with the same input is a
			// duplicate in this machine (only the Map's iterations and
			// their Task states repeat a state).
			key := string(e.Type) + " " + fmt.Sprint(e.Details)
			if strings.HasSuffix(string(e.Type), "Entered") && seen[key] && !strings.Contains(key, "Map") && e.Type != "TaskStateEntered" {
				t.Errorf("%s: duplicate event %s", arn, key)
			}
			seen[key] = true
		}
		c := eventCounts(evs)
		if c["ActivityScheduled"] != 4 || c["ActivitySucceeded"] != 4 || c["ExecutionSucceeded"] != 1 {
			t.Errorf("%s: %d activities scheduled, %d succeeded, %d ExecutionSucceeded; want 4, 4, 1",
				arn, c["ActivityScheduled"], c["ActivitySucceeded"], c["ExecutionSucceeded"])
		}
	}
	if bad := r.count(`SELECT count(*) FROM tasks WHERE status <> 'SUCCEEDED'`); bad != 0 {
		t.Errorf("%d tasks not SUCCEEDED; want 0", bad)
	}
	if done := r.count(`SELECT count(*) FROM tasks WHERE status = 'SUCCEEDED'`); done != int64(4*n) {
		t.Errorf("%d tasks SUCCEEDED; want %d", done, 4*n)
	}
}

// Children starts n parents whose inline Map iterations each wait for a
// child execution (states:startExecution.sync:2) that waits and runs an
// activity, while the engine is SIGKILLed five times: every parent sees
// each child's result exactly once, and no child is started twice.
func Children(t *testing.T, tgt Target, n int) {
	r := newRig(t, tgt)
	kid := r.machine("kid", `{"StartAt":"W","States":{
		"W":{"Type":"Wait","Seconds":1,"Next":"T"},
		"T":{"Type":"Task","Resource":"`+activity+`double","End":true}}}`)
	r.machine("mom", `{"StartAt":"M","States":{"M":{"Type":"Map","End":true,
		"ItemProcessor":{"StartAt":"Run","States":{"Run":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2",
		"Parameters":{"StateMachineArn":"`+kid.ARN+`","Input.$":"$"},"OutputPath":"$.Output","End":true}}}}}}`)
	xs := r.survive(load{n: n, machine: always("mom"), name: func(i int) string { return fmt.Sprintf("p%03d", i) },
		input: func(i int) string { return fmt.Sprintf(`[%d,%d,%d]`, 3*i, 3*i+1, 3*i+2) },
		gap:   20 * time.Millisecond, kills: 5, least: 300 * time.Millisecond, spread: 900 * time.Millisecond})
	for i, x := range xs {
		if !r.succeeded(x, fmt.Sprintf(`[%d,%d,%d]`, 6*i, 2*(3*i+1), 2*(3*i+2))) {
			continue
		}
		arn := x.ARN
		if c := eventCounts(r.history(arn)); c["TaskSucceeded"]+c["TaskFailed"] != 3 {
			t.Errorf("%s: %d child results in the history; want 3", arn, c["TaskSucceeded"]+c["TaskFailed"])
		}
	}
	kids := r.count(`SELECT count(*) FROM executions WHERE state_machine = 'kid'`)
	parented := r.count(`SELECT count(DISTINCT parent_token) FROM executions WHERE state_machine = 'kid'`)
	if kids != int64(3*n) || parented != kids {
		t.Errorf("%d child executions (%d distinct parent tasks); want %d", kids, parented, 3*n)
	}
	if bad := r.count(`SELECT count(*) FROM tasks WHERE status <> 'SUCCEEDED'`); bad != 0 {
		t.Errorf("%d tasks not SUCCEEDED exactly once; want 0", bad)
	}
}

// distributedMap is a distributed Map over $.items (settings: extra
// fields of the Map state) whose children wait a second and run an
// activity.
func distributedMap(settings string) string {
	return `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items",` + settings + `"End":true,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"W","States":{
		"W":{"Type":"Wait","Seconds":1,"Next":"T"},
		"T":{"Type":"Task","Resource":"` + activity + `double","End":true}}}}}}`
}

// DistributedMap starts n parents, each a distributed Map over 10 to 30
// items (one in three with MaxConcurrency 3, one in three tolerating one
// failed item, which it has), while the engine is SIGKILLed five times:
// every parent succeeds with its output, each item ran as exactly one
// child execution, every task ended exactly once (SUCCEEDED, or FAILED
// for the failing items), each Map Run ended SUCCEEDED with its
// children's counts, and every history is well-formed.
func DistributedMap(t *testing.T, tgt Target, n int) {
	r := newRig(t, tgt)
	machines := []string{"dmap3", "dmap", "dmaptol"}
	r.machine("dmap3", distributedMap(`"MaxConcurrency":3,`))
	r.machine("dmap", distributedMap(``))
	r.machine("dmaptol", distributedMap(`"MaxConcurrency":5,"ToleratedFailureCount":1,`))
	size := func(i int) int { return 10 + i*7%21 }
	tolerant := func(i int) bool { return i%3 == 2 } // item 1 is "bad"
	type parent struct{ input, output string }
	ps := make([]parent, n)
	for i := range ps {
		var in, out []string
		for j := range size(i) {
			if tolerant(i) && j == 1 {
				in, out = append(in, `"bad"`), append(out, "null")
				continue
			}
			in, out = append(in, fmt.Sprint(100*i+j)), append(out, fmt.Sprint(2*(100*i+j)))
		}
		ps[i].input = `{"items":[` + strings.Join(in, ",") + `]}`
		ps[i].output = "[" + strings.Join(out, ",") + "]"
	}
	xs := r.survive(load{n: n, machine: func(i int) string { return machines[i%3] }, name: func(i int) string { return fmt.Sprintf("d%03d", i) },
		input: func(i int) string { return ps[i].input },
		gap:   100 * time.Millisecond, kills: 5, least: 500 * time.Millisecond, spread: 2000 * time.Millisecond})
	var items, failing int
	for i, x := range xs {
		k := size(i)
		items += k
		if !r.succeeded(x, ps[i].output) {
			continue
		}
		arn := x.ARN
		c := eventCounts(r.history(arn))
		if c["MapRunStarted"] != 1 || c["MapRunSucceeded"] != 1 || c["ExecutionSucceeded"] != 1 {
			t.Errorf("%s: %d MapRunStarted, %d MapRunSucceeded, %d ExecutionSucceeded; want 1 each",
				arn, c["MapRunStarted"], c["MapRunSucceeded"], c["ExecutionSucceeded"])
		}
		kids := r.count(fmt.Sprintf(`SELECT count(*) FROM executions WHERE parent_id = %d`, x.ID))
		tokens := r.count(fmt.Sprintf(`SELECT count(DISTINCT parent_token) FROM executions WHERE parent_id = %d`, x.ID))
		if kids != int64(k) || tokens != kids {
			t.Errorf("%s: %d child executions (%d distinct parent tasks); want %d", arn, kids, tokens, k)
		}
		want := map[string]int64{engine.StatusSucceeded: int64(k)}
		if tolerant(i) {
			want = map[string]int64{engine.StatusSucceeded: int64(k - 1), engine.StatusFailed: 1}
			failing++
		}
		runs, _, err := r.eng.ListMapRuns(r.ctx, arn, 0, "")
		if err != nil || len(runs) != 1 {
			t.Errorf("ListMapRuns(%s) = %d runs, %v; want 1", arn, len(runs), err)
			continue
		}
		run, err := r.eng.DescribeMapRun(r.ctx, runs[0].ARN)
		if err != nil || run.Status != engine.MapRunSucceeded || run.StopDate.IsZero() || run.Total != int64(k) ||
			fmt.Sprint(run.Children) != fmt.Sprint(want) {
			t.Errorf("DescribeMapRun(%s) = %s total %d children %v stopped %v, %v; want SUCCEEDED total %d children %v stopped",
				runs[0].ARN, run.Status, run.Total, run.Children, run.StopDate, err, k, want)
		}
		children, err := r.mapRunChildren(runs[0].ARN)
		if err != nil || len(children) != k {
			t.Errorf("MapRunChildren(%s) = %d, %v; want %d", runs[0].ARN, len(children), err, k)
		}
		for _, ch := range children {
			c := eventCounts(r.history(ch.ARN))
			if c["ActivityScheduled"] != 1 || c["WaitStateExited"] != 1 {
				t.Errorf("child %s: %d ActivityScheduled, %d WaitStateExited; want 1 and 1", ch.ARN, c["ActivityScheduled"], c["WaitStateExited"])
			}
		}
	}
	// Each item: the parent's task for its child and the child's activity.
	if done := r.count(`SELECT count(*) FROM tasks WHERE status = 'SUCCEEDED'`); done != int64(2*(items-failing)) {
		t.Errorf("%d tasks SUCCEEDED; want %d", done, 2*(items-failing))
	}
	if failed := r.count(`SELECT count(*) FROM tasks WHERE status = 'FAILED'`); failed != int64(2*failing) {
		t.Errorf("%d tasks FAILED; want %d (the bad items')", failed, 2*failing)
	}
	if other := r.count(`SELECT count(*) FROM tasks WHERE status NOT IN ('SUCCEEDED', 'FAILED')`); other != 0 {
		t.Errorf("%d tasks neither SUCCEEDED nor FAILED; want 0", other)
	}
	if running := r.count(`SELECT count(*) FROM executions WHERE status = 'RUNNING'`); running != 0 {
		t.Errorf("%d executions still RUNNING; want 0", running)
	}
}

// ExpressDistributedMap is DistributedMap with EXPRESS children, which run
// in the engine's memory and get a row only once they ended: a child lost
// with a killed engine is started again once its lease lapsed
// (crashengine's ExpressChildLease is short), as AWS may run an Express
// execution more than once, but the
// parent takes exactly one outcome per item. Every parent succeeds with
// its output; each item has exactly one child row (the last run's), with
// no history; each parent's task per item ended exactly once; each Map
// Run ended SUCCEEDED with its children's counts.
func ExpressDistributedMap(t *testing.T, tgt Target, n int) {
	r := newRig(t, tgt)
	r.machine("xmap", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":4,"ToleratedFailureCount":1,"End":true,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"W","States":{
		"W":{"Type":"Wait","Seconds":1,"Next":"T"},
		"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:double","End":true}}}}}}`)
	size := func(i int) int { return 6 + i*5%11 }
	bad := func(i int) bool { return i%2 == 1 } // item 0 is "bad"
	inputs, outputs := make([]string, n), make([]string, n)
	for i := range n {
		var in, out []string
		for j := range size(i) {
			if bad(i) && j == 0 {
				in, out = append(in, `"bad"`), append(out, "null")
				continue
			}
			in, out = append(in, fmt.Sprint(100*i+j)), append(out, fmt.Sprint(2*(100*i+j)))
		}
		inputs[i], outputs[i] = `{"items":[`+strings.Join(in, ",")+`]}`, "["+strings.Join(out, ",")+"]"
	}
	xs := r.survive(load{n: n, machine: func(int) string { return "xmap" }, name: func(i int) string { return fmt.Sprintf("x%03d", i) },
		input: func(i int) string { return inputs[i] },
		gap:   100 * time.Millisecond, kills: 4, least: 500 * time.Millisecond, spread: 2000 * time.Millisecond})
	var items, failing int
	for i, x := range xs {
		k := size(i)
		items += k
		if bad(i) {
			failing++
		}
		if !r.succeeded(x, outputs[i]) {
			if runs, _, err := r.eng.ListMapRuns(r.ctx, x.ARN, 0, ""); err == nil && len(runs) == 1 {
				kids, _ := r.mapRunChildren(runs[0].ARN)
				for _, c := range kids {
					t.Logf("  child %s (item %s): %s %s %s", c.ARN, c.Input, c.Status, c.Error, c.Cause)
				}
			}
			continue
		}
		kids := r.count(fmt.Sprintf(`SELECT count(*) FROM executions WHERE parent_id = %d`, x.ID))
		tokens := r.count(fmt.Sprintf(`SELECT count(DISTINCT parent_token) FROM executions WHERE parent_id = %d`, x.ID))
		express := r.count(fmt.Sprintf(`SELECT count(*) FROM executions WHERE parent_id = %d AND arn LIKE '%%:express:%%'`, x.ID))
		if kids != int64(k) || tokens != kids || express != kids {
			t.Errorf("%s: %d child rows (%d distinct parent tasks, %d express); want %d", x.ARN, kids, tokens, express, k)
		}
		runs, _, err := r.eng.ListMapRuns(r.ctx, x.ARN, 0, "")
		if err != nil || len(runs) != 1 {
			t.Errorf("ListMapRuns(%s) = %d runs, %v; want 1", x.ARN, len(runs), err)
			continue
		}
		want := map[string]int64{engine.StatusSucceeded: int64(k)}
		if bad(i) {
			want = map[string]int64{engine.StatusSucceeded: int64(k - 1), engine.StatusFailed: 1}
		}
		run, err := r.eng.DescribeMapRun(r.ctx, runs[0].ARN)
		if err != nil || run.Status != engine.MapRunSucceeded || run.Total != int64(k) || fmt.Sprint(run.Children) != fmt.Sprint(want) {
			t.Errorf("DescribeMapRun(%s) = %s total %d children %v, %v; want SUCCEEDED total %d children %v",
				runs[0].ARN, run.Status, run.Total, run.Children, err, k, want)
		}
	}
	if h := r.count(`SELECT count(*) FROM executions WHERE parent_id IS NOT NULL AND last_event_id <> 0`); h != 0 {
		t.Errorf("%d express children with history events; want none", h)
	}
	// The parent's task per item, each answered once; the children's own
	// tasks are not stored.
	if done := r.count(`SELECT count(*) FROM tasks WHERE status = 'SUCCEEDED'`); done != int64(items-failing) {
		t.Errorf("%d tasks SUCCEEDED; want %d", done, items-failing)
	}
	if failed := r.count(`SELECT count(*) FROM tasks WHERE status = 'FAILED'`); failed != int64(failing) {
		t.Errorf("%d tasks FAILED; want %d (the bad items')", failed, failing)
	}
	if other := r.count(`SELECT count(*) FROM tasks WHERE status NOT IN ('SUCCEEDED', 'FAILED')`); other != 0 {
		t.Errorf("%d tasks neither SUCCEEDED nor FAILED; want 0", other)
	}
	if running := r.count(`SELECT count(*) FROM executions WHERE status = 'RUNNING'`); running != 0 {
		t.Errorf("%d executions still RUNNING; want 0", running)
	}
}

// StrandedChildren kills the engine in the window between a parent's end
// and the stop of its children, deterministically (crashengine
// -die-before-child-stop): a distributed Map's parent and a .sync
// child's parent stopped by StopExecution, and a parent that fails (a
// task failed) while its distributed Map and a .sync child run. After a
// restart no child of an ended parent may stay RUNNING: each is ABORTED,
// as AWS aborts the children of a stopped parent, and the Map Runs are
// ABORTED.
func StrandedChildren(t *testing.T, tgt Target) {
	r := newRig(t, tgt)
	hang := `{"Type":"Task","Resource":"` + activity + `hang","End":true}`
	kid := r.machine("hangkid", `{"StartAt":"H","States":{"H":`+hang+`}}`)
	dmap := `{"Type":"Map","MaxConcurrency":3,"End":true,"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
		"StartAt":"H","States":{"H":` + hang + `}}}`
	sync := `{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2",
		"Parameters":{"StateMachineArn":"` + kid.ARN + `","Input.$":"$"},"End":true}`
	gate, err := r.eng.CreateActivity(r.ctx, "gate")
	if err != nil {
		t.Fatal(err)
	}
	r.machine("dmapstop", `{"StartAt":"M","States":{"M":`+dmap+`}}`)
	r.machine("syncstop", `{"StartAt":"Run","States":{"Run":`+sync+`}}`)
	r.machine("fails", `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
		{"StartAt":"M","States":{"M":`+dmap+`}},
		{"StartAt":"Run","States":{"Run":`+sync+`}},
		{"StartAt":"G","States":{"G":{"Type":"Task","Resource":"`+gate.ARN+`","End":true}}}]}}}`)
	runningKids := func(x *engine.Execution) int64 {
		return r.count(fmt.Sprintf(`SELECT count(*) FROM executions WHERE parent_id = %d AND status = 'RUNNING'`, x.ID))
	}
	deadline := func() time.Time { return time.Now().Add(time.Minute) }

	r.up()
	parents := []*engine.Execution{r.start("dmapstop", "dmap-stopped", `[1,2,3,4,5]`), r.start("syncstop", "sync-stopped", `{}`),
		r.start("fails", "failed", `[1,2,3,4,5]`)}
	wantKids := []int64{3, 1, 4}
	for i, x := range parents {
		if !r.until(deadline(), func() bool { return runningKids(x) == wantKids[i] }) {
			t.Fatalf("%s: %d children RUNNING; want %d", x.ARN, runningKids(x), wantKids[i])
		}
	}
	token, _, err := r.eng.GetActivityTask(r.ctx, gate.ARN, "crashtest")
	if err != nil || token == "" {
		t.Fatalf("GetActivityTask(gate) = %q, %v; want its task", token, err)
	}
	r.down()

	// Each parent's end is committed by a process that dies right after.
	end := [][]string{{"-stop", parents[0].ARN}, {"-stop", parents[1].ARN}, {"-fail-task", token}}
	wantStatus := []string{engine.StatusAborted, engine.StatusAborted, engine.StatusFailed}
	for i, x := range parents {
		if err := r.run(append(end[i], "-die-before-child-stop")...).Wait(); !killed(err) {
			t.Fatalf("crashengine %v -die-before-child-stop: %v; want killed before it stopped the children", end[i], err)
		}
		if got := r.describe(x.ARN); got.Status != wantStatus[i] || runningKids(x) != wantKids[i] {
			t.Fatalf("%s after the crash: %s, %d children RUNNING; want %s, %d", x.ARN, got.Status, runningKids(x), wantStatus[i], wantKids[i])
		}
	}

	// After a restart, the ended parents' children end.
	r.up()
	if !r.until(deadline(), func() bool {
		return runningKids(parents[0])+runningKids(parents[1])+runningKids(parents[2]) == 0
	}) {
		t.Errorf("children still RUNNING after their parents ended: %d, %d, %d; want none (stranded)",
			runningKids(parents[0]), runningKids(parents[1]), runningKids(parents[2]))
	}
	for _, x := range parents {
		r.history(x.ARN)
		if n := r.count(fmt.Sprintf(`SELECT count(*) FROM executions WHERE parent_id = %d AND status <> 'ABORTED'`, x.ID)); n != 0 {
			t.Errorf("%s: %d children not ABORTED; want 0", x.ARN, n)
		}
	}
	children, _, err := r.eng.ListExecutions(r.ctx, engine.ListExecutionsInput{StateMachine: "hangkid"})
	if err != nil || len(children) != 2 {
		t.Errorf("ListExecutions(hangkid) = %d, %v; want 2", len(children), err)
	}
	for _, x := range []*engine.Execution{parents[0], parents[2]} {
		runs, _, err := r.eng.ListMapRuns(r.ctx, x.ARN, 0, "")
		if err != nil || len(runs) != 1 {
			t.Errorf("ListMapRuns(%s) = %d runs, %v; want 1", x.ARN, len(runs), err)
			continue
		}
		kids, err := r.mapRunChildren(runs[0].ARN)
		if err != nil {
			t.Errorf("MapRunChildren(%s) = %v", runs[0].ARN, err)
		}
		children = append(children, kids...)
		run, err := r.eng.DescribeMapRun(r.ctx, runs[0].ARN)
		if err != nil || run.Status != engine.MapRunAborted || run.StopDate.IsZero() || run.Children[engine.StatusRunning] != 0 {
			t.Errorf("DescribeMapRun(%s) = %s children %v stopped %v, %v; want ABORTED, none running, stopped",
				runs[0].ARN, run.Status, run.Children, run.StopDate, err)
		}
	}
	for _, c := range children {
		if evs := r.history(c.ARN); len(evs) == 0 || evs[len(evs)-1].Type != "ExecutionAborted" {
			t.Errorf("child %s: history ends %v; want ExecutionAborted", c.ARN, eventCounts(evs))
		}
	}
}

// killed reports whether a process's Wait error says SIGKILL ended it.
func killed(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// mapRunChildren returns every child execution of the Map Run of arn.
func (r *rig) mapRunChildren(arn string) ([]*engine.Execution, error) {
	var all []*engine.Execution
	err := r.eng.MapRunChildren(r.ctx, arn, "", func(xs []*engine.Execution) error { all = append(all, xs...); return nil })
	return all, err
}
