package crashtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/internal/testserver"
	"github.com/stepwise-dev/stepwise/statelang"
)

// flakyTask is a Task state on crashengine's "flaky" activity that fails
// until the execution was redriven until times ("until" in its input, or
// the literal until when it is not empty).
func flakyTask(n, until, next string) string {
	if until[0] != '$' {
		until = `"until":` + until
	} else {
		until = `"until.$":"` + until + `"`
	}
	return `{"Type":"Task","Resource":"` + activity + `flaky",` +
		`"Parameters":{"n.$":"` + n + `","redrives.$":"$$.Execution.RedriveCount",` + until + `},` + next + `}`
}

// redriveMachine fails three times, once per stage, each stage until it
// was redriven once more: A (fails until the 1st redrive), the Parallel
// P whose branch Bad fails until the 2nd while Ok succeeds, and the
// inline Map M whose iterations 1 and 2 fail until the 3rd while 0, 3
// and 4 succeed.
var redriveMachine = `{"StartAt":"A","States":{
  "A":` + flakyTask("$.a", "1", `"ResultPath":"$.a","Next":"P"`) + `,
  "P":{"Type":"Parallel","ResultPath":"$.p","Next":"M","Branches":[
    {"StartAt":"Ok","States":{"Ok":` + flakyTask("$.ok", "0", `"End":true`) + `}},
    {"StartAt":"Bad","States":{"Bad":` + flakyTask("$.bad", "2", `"End":true`) + `}}]},
  "M":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":2,"ResultPath":"$.items","Next":"Done",
    "ItemProcessor":{"StartAt":"I","States":{"I":` + flakyTask("$.n", "$.until", `"End":true`) + `}}},
  "Done":{"Type":"Pass","Parameters":{"a.$":"$.a","p.$":"$.p","items.$":"$.items"},"End":true}}}`

// redriveTasks is how many tasks of redriveMachine succeed (A, Ok, Bad
// and five iterations), and redriveStages how many times it fails.
const (
	redriveTasks  = 8
	redriveStages = 3
)

// dmapMachine's distributed Map runs its items one at a time, each a
// child running a flaky task: item 1's child fails until it was redriven
// once, so the Map Run fails at item 1 (items 2 and 3 never start) and
// the parent's redrive redrives it in place.
var dmapMachine = `{"StartAt":"M","States":{"M":{"Type":"Map","Label":"Items","ItemsPath":"$.items","MaxConcurrency":1,"End":true,
  "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"I","States":{"I":` + flakyTask("$.n", "$.until", `"End":true`) + `}}}}}`

// hangMachine runs one flaky task that hangs (is never answered) until
// the execution was redriven once, within settings (the machine's
// TimeoutSeconds, or none).
func hangMachine(settings string) string {
	return `{` + settings + `"StartAt":"H","States":{"H":{"Type":"Task","Resource":"` + activity + `flaky",
		"Parameters":{"n.$":"$.n","redrives.$":"$$.Execution.RedriveCount","until":1,"hang":true},"End":true}}}`
}

// A redriveCase is a kind of execution Redrives redrives: of machine,
// named prefix and its number, it ends unsuccessfully stages times
// (with a failure, a timeout, or a stop when stop is set) before it
// succeeds, and tasks of its tasks succeed (for distributed, those of
// its children and its own tasks that started them).
type redriveCase struct {
	machine, prefix string
	stages, tasks   int
	stop            bool
}

var (
	failing   = redriveCase{machine: "redrive", prefix: "r", stages: redriveStages, tasks: redriveTasks}
	timingOut = redriveCase{machine: "redrivetimeout", prefix: "t", stages: 1, tasks: 1}
	stopped   = redriveCase{machine: "redrivestop", prefix: "s", stages: 1, tasks: 1, stop: true}
	// distributed: four children and their four tasks succeed; item 1's
	// child and its task fail once.
	distributed = redriveCase{machine: "redrivedmap", prefix: "d", stages: 1, tasks: 8}
)

// redriveCaseOf is the case of Redrives' i-th execution: one in six
// times out, one in six is stopped, one in six has a distributed Map, the
// others fail.
func redriveCaseOf(i int) redriveCase {
	switch i % 6 {
	case 3:
		return distributed
	case 4:
		return timingOut
	case 5:
		return stopped
	}
	return failing
}

// redriveMachines creates the machines of the redrive cases.
func redriveMachines(r *rig) {
	r.machine(failing.machine, redriveMachine)
	// Long enough that a redriven run outlives a kill and the restart,
	// under a loaded CI machine: its timeout counts from the redrive.
	r.machine(timingOut.machine, hangMachine(`"TimeoutSeconds":8,`))
	r.machine(stopped.machine, hangMachine(``))
	r.machine(distributed.machine, dmapMachine)
}

func (c redriveCase) name(i int) string { return fmt.Sprintf("%s%03d", c.prefix, i) }

// input and output are the i-th execution's.
func (c redriveCase) input(i int) string {
	if c == distributed {
		b := 10 * i
		return fmt.Sprintf(`{"items":[{"n":%d,"until":0},{"n":%d,"until":1},{"n":%d,"until":0},{"n":%d,"until":0}]}`, b, b+1, b+2, b+3)
	}
	if c.machine != failing.machine {
		return fmt.Sprintf(`{"n":%d}`, i)
	}
	return redriveInput(i)
}

func (c redriveCase) output(i int) string {
	if c == distributed {
		b := 20 * i
		return fmt.Sprintf(`[%d,%d,%d,%d]`, b, b+2, b+4, b+6)
	}
	if c.machine != failing.machine {
		return fmt.Sprint(2 * i)
	}
	return redriveOutput(i)
}

// redriveInput and redriveOutput are the i-th execution of
// redriveMachine's.
func redriveInput(i int) string {
	b := 10 * i
	return fmt.Sprintf(`{"a":%d,"ok":%d,"bad":%d,"items":[{"n":%d,"until":0},{"n":%d,"until":3},{"n":%d,"until":3},{"n":%d,"until":0},{"n":%d,"until":0}]}`,
		b, b+1, b+2, b+3, b+4, b+5, b+6, b+7)
}

func redriveOutput(i int) string {
	b := 20 * i
	return fmt.Sprintf(`{"a":%d,"items":[%d,%d,%d,%d,%d],"p":[%d,%d]}`, b, b+6, b+8, b+10, b+12, b+14, b+2, b+4)
}

// Redrives starts n executions, spread over five seconds, of
// redriveMachine (four in six), of a machine that times out and of one
// the test stops (one in six each) until they were redriven once, and
// redrives each, as soon as it ended, through RedriveExecution on the
// AWS endpoint of the engine process, while that process is SIGKILLed
// eight times; a redrive call that errors (refused while the process is
// down, or cut by a kill) is sent again with the same client token.
// Every execution must end SUCCEEDED with its output, redriven exactly
// as many times as it ended (three times for redriveMachine) whatever
// call a kill cut, and its history must hold one ExecutionRedriven per
// redrive, enter no state twice in one run, run no task again once it
// succeeded, and get each task's result once; each client token answers
// its own redrive afterwards.
func Redrives(t *testing.T, tgt Target, n int) {
	const kills = 8
	r := newRig(t, tgt)
	addr := testserver.FreeAddr(t)
	r.extra = []string{"-http", addr}
	redriveMachines(r)
	r.up()
	d := &redriver{r: r, url: "http://" + addr + "/", client: &http.Client{Timeout: 10 * time.Second}}
	drove := make(chan []string, 1)
	go func() { drove <- d.drive(n, 5*time.Second/time.Duration(n), time.Now().Add(3*time.Minute)) }()
	r.chaos(kills, 300*time.Millisecond, 900*time.Millisecond)
	arns := <-drove
	if len(arns) != n {
		t.Fatalf("started %d executions; want %d", len(arns), n)
	}
	t.Logf("redrive: %d executions, %d kills, %d redrive calls: %d redrove, %d refused while the engine was down, %d cut by a kill "+
		"(%d of them had redriven; sent again, their tokens redrove nothing)",
		len(arns), kills, d.calls, d.redrives, d.refused, d.cut, d.cutRedrove)

	d.verify(arns)
}

// verify checks the executions arns (the i-th of redriveInput(i)) after
// their redrives, and the tasks table, and logs the figures.
func (d *redriver) verify(arns []string) {
	r, t := d.r, d.r.t
	var lost, dup, tasks, failures int
	for _, arn := range arns {
		c, i := caseOfName(arn)
		x := r.describe(arn)
		if !r.succeeded(x, c.output(i)) {
			lost++
			continue
		}
		tasks += c.tasks
		switch c {
		case failing:
			failures += redriveStages
		case distributed:
			failures += 2 // item 1's child's task, and its parent's task for it
			if !d.checkMapRun(arn) {
				dup++
			}
		}
		if x.RedriveCount != int64(c.stages) {
			t.Errorf("%s: RedriveCount %d; want %d", arn, x.RedriveCount, c.stages)
			dup++
		}
		if !d.checkHistory(c, arn, r.history(arn)) {
			dup++
		}
		d.checkTokens(x)
	}
	t.Logf("redrive: %d executions, %d lost, %d duplicated", len(arns), lost, dup)
	if done := r.count(`SELECT count(*) FROM tasks WHERE status = 'SUCCEEDED'`); done != int64(tasks) {
		t.Errorf("%d tasks SUCCEEDED; want %d", done, tasks)
	}
	if failed := r.count(`SELECT count(*) FROM tasks WHERE status = 'FAILED'`); failed != int64(failures) {
		t.Errorf("%d tasks FAILED; want %d (one per stage of each failing execution)", failed, failures)
	}
	if other := r.count(`SELECT count(*) FROM tasks WHERE status NOT IN ('SUCCEEDED', 'FAILED', 'CANCELLED')`); other != 0 {
		t.Errorf("%d tasks still open; want 0", other)
	}
}

// caseOfName is the case and the number of an execution of Redrives.
func caseOfName(arn string) (redriveCase, int) {
	name := arn[strings.LastIndexByte(arn, ':')+1:]
	for _, c := range []redriveCase{failing, timingOut, stopped, distributed} {
		var i int
		if _, err := fmt.Sscanf(name, c.prefix+"%d", &i); err == nil {
			return c, i
		}
	}
	panic("not an execution of Redrives: " + arn)
}

// RedriveKilled kills the engine process deterministically in the two
// windows of a redrive (crashengine -redrive -die-at-redrive): right
// before its commit, which must leave the execution FAILED and
// unredriven, and right after it, before the answer and the dispatch of
// its tasks, which must leave it RUNNING and redriven once. The caller,
// who got no answer, sends the same client token again to the restarted
// engine: the first is redriven then, the second answers the date of its
// redrive and is not redriven twice; both then go on to succeed, checked
// as Redrives checks its executions.
func RedriveKilled(t *testing.T, tgt Target) {
	r := newRig(t, tgt)
	addr := testserver.FreeAddr(t)
	r.extra = []string{"-http", addr}
	redriveMachines(r)
	d := &redriver{r: r, url: "http://" + addr + "/", client: &http.Client{Timeout: 10 * time.Second}}
	r.up()
	xs := []*engine.Execution{r.start("redrive", "r000", redriveInput(0)), r.start("redrive", "r001", redriveInput(1))}
	deadline := time.Now().Add(time.Minute)
	for _, x := range xs {
		if got := r.wait(x.ARN, deadline); got.Status != engine.StatusFailed {
			t.Fatalf("%s: %s; want FAILED (its first stage)", x.ARN, got.Status)
		}
	}
	r.down()
	for i, at := range []string{"before", "after"} {
		x := xs[i]
		before := r.describe(x.ARN)
		if err := r.run("-redrive", x.ARN, "-token", token(x.ARN, 1), "-die-at-redrive", at).Wait(); !killed(err) {
			t.Fatalf("crashengine -redrive %s -die-at-redrive %s: %v; want killed %s the commit", x.ARN, at, err, at)
		}
		got := r.describe(x.ARN)
		switch {
		case at == "before" && (got.Status != engine.StatusFailed || got.RedriveCount != 0 || got.LastEventID != before.LastEventID):
			t.Errorf("%s killed before the redrive's commit: %s, RedriveCount %d, %d events; want FAILED, 0, %d",
				x.ARN, got.Status, got.RedriveCount, got.LastEventID, before.LastEventID)
		case at == "after" && (got.Status != engine.StatusRunning || got.RedriveCount != 1 || got.LastEventID <= before.LastEventID):
			t.Errorf("%s killed after the redrive's commit: %s, RedriveCount %d, %d events; want RUNNING, 1, more than %d",
				x.ARN, got.Status, got.RedriveCount, got.LastEventID, before.LastEventID)
		}
	}
	r.up()
	follow := []*redriven{{arn: xs[0].ARN, c: failing, next: 1, cut: true}, {arn: xs[1].ARN, c: failing, next: 1, cut: true}}
	for left := 2; left > 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("redrives: %d executions not done by the deadline", left)
		}
		left = 0
		for _, x := range follow {
			if !x.done {
				d.step(x)
				left++
			}
		}
	}
	if d.redrives != redriveStages*2-1 || d.cutRedrove != 1 {
		t.Errorf("%d redrives, %d tokens sent again that had redriven; want %d and 1", d.redrives, d.cutRedrove, redriveStages*2-1)
	}
	d.verify([]string{xs[0].ARN, xs[1].ARN})
}

// redriver redrives executions through the engine process's AWS
// endpoint and counts what the kills did to its calls.
type redriver struct {
	r      *rig
	url    string
	client *http.Client

	mu                                        sync.Mutex
	calls, redrives, refused, cut, cutRedrove int
	dumped                                    bool // a bad history was logged
}

// redriven is one execution the redriver follows.
type redriven struct {
	arn  string
	c    redriveCase
	next int64 // the redrive it asks for: its client token is <name>-<next>
	cut  bool  // the call for next errored: send its token again
	done bool
}

func token(arn string, k int64) string {
	return fmt.Sprintf("%s-%d", arn[strings.LastIndexByte(arn, ':')+1:], k)
}

// drive starts n executions of redriveMachine, gap apart, and redrives
// each that fails until each ended otherwise (or SUCCEEDED after its
// last stage), or the deadline passed; it returns their ARNs. It runs
// beside the chaos, so it never stops the test (t.Errorf only): it errs
// when a start or a redrive is refused, or when an execution was
// redriven more times than it was asked.
func (d *redriver) drive(n int, gap time.Duration, deadline time.Time) []string {
	t := d.r.t
	var xs []*redriven
	var arns []string
	sem := make(chan struct{}, 8)
	for t0 := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		for len(xs) < n && time.Since(t0) >= time.Duration(len(xs))*gap {
			i := len(xs)
			c := redriveCaseOf(i)
			x, err := d.r.eng.StartExecution(d.r.ctx, engine.StartExecutionInput{StateMachine: c.machine, Name: c.name(i), Input: c.input(i)})
			if err != nil {
				t.Errorf("StartExecution(%s) = %v", c.name(i), err)
				return arns
			}
			xs, arns = append(xs, &redriven{arn: x.ARN, c: c, next: 1}), append(arns, x.ARN)
		}
		left := n - len(xs)
		var wg sync.WaitGroup
		for _, x := range xs {
			if x.done {
				continue
			}
			left++
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				d.step(x)
			}()
		}
		wg.Wait()
		if left == 0 {
			return arns
		}
		if time.Now().After(deadline) {
			t.Errorf("redrives: %d executions not done by the deadline", left)
			return arns
		}
	}
}

// step moves x on: it sends again a call that errored, or redrives x
// once it failed, or marks it done once it succeeded.
func (d *redriver) step(x *redriven) {
	t := d.r.t
	ctx := d.r.ctx
	got, err := d.r.eng.DescribeExecution(ctx, x.arn)
	if err != nil {
		t.Errorf("DescribeExecution(%s) = %v", x.arn, err)
		x.done = true
		return
	}
	if x.cut {
		// The call for x.next errored: did it redrive before the kill?
		redrove := got.RedriveCount >= x.next
		date, err := d.call(x.arn, token(x.arn, x.next))
		if err != nil {
			return // the engine is down again: next time
		}
		x.cut = false
		after, err := d.r.eng.DescribeExecution(ctx, x.arn)
		if err != nil {
			t.Errorf("DescribeExecution(%s) = %v", x.arn, err)
			return
		}
		switch {
		case after.RedriveCount != x.next:
			t.Errorf("%s: RedriveCount %d after the token of redrive %d was sent again (it was %d before); want %d",
				x.arn, after.RedriveCount, x.next, got.RedriveCount, x.next)
		case redrove && got.RedriveCount == x.next && !sameMilli(date, got.RedriveDate):
			t.Errorf("%s: redrive %d's token sent again answered %v; want the date of that redrive, %v", x.arn, x.next, date, got.RedriveDate)
		}
		d.mu.Lock()
		if redrove {
			d.cutRedrove++
		} else {
			d.redrives++
		}
		d.mu.Unlock()
		x.next++
		return
	}
	switch got.Status {
	case engine.StatusRunning:
		if x.c.stop && got.RedriveCount == 0 {
			// A stopped execution keeps its running frames.
			if _, err := d.r.eng.StopExecution(ctx, x.arn, "Stopped", "by the crash test"); err != nil {
				t.Errorf("StopExecution(%s) = %v", x.arn, err)
			}
		}
		return
	case engine.StatusSucceeded:
		x.done = true
		return
	}
	if got.RedriveCount != x.next-1 || x.next > int64(x.c.stages) {
		t.Errorf("%s: %s %s %s after %d redrives (RedriveCount %d); want it to end so %d times", x.arn, got.Status, got.Error, got.Cause,
			x.next-1, got.RedriveCount, x.c.stages)
		x.done = true
		return
	}
	if _, err := d.call(x.arn, token(x.arn, x.next)); err != nil {
		if strings.Contains(err.Error(), "ExecutionNotRedrivable") {
			t.Errorf("RedriveExecution(%s) = %v", x.arn, err)
			x.done = true
		}
		x.cut = true
		return
	}
	d.mu.Lock()
	d.redrives++
	d.mu.Unlock()
	x.next++
}

// call sends RedriveExecution to the engine process and returns the
// redrive's date.
func (d *redriver) call(arn, clientToken string) (time.Time, error) {
	body, _ := json.Marshal(map[string]string{"executionArn": arn, "clientToken": clientToken})
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, d.url, bytes.NewReader(body))
	if err != nil {
		return time.Time{}, err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "AWSStepFunctions.RedriveExecution")
	d.mu.Lock()
	d.calls++
	d.mu.Unlock()
	resp, err := d.client.Do(req)
	if err != nil {
		d.mu.Lock()
		if errors.Is(err, syscall.ECONNREFUSED) {
			d.refused++
		} else {
			d.cut++
		}
		d.mu.Unlock()
		return time.Time{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return time.Time{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return time.Time{}, fmt.Errorf("RedriveExecution: %s: %s", resp.Status, b)
	}
	var out struct {
		RedriveDate float64 `json:"redriveDate"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return time.Time{}, fmt.Errorf("RedriveExecution: %w: %s", err, b)
	}
	return time.UnixMilli(int64(math.Round(out.RedriveDate * 1000))), nil
}

func sameMilli(a, b time.Time) bool { return a.UnixMilli() == b.UnixMilli() }

// checkHistory checks a redriven execution's history (already checked
// well-formed by rig.history), and reports whether it holds. It logs the
// first bad history whole.
func (d *redriver) checkHistory(rc redriveCase, arn string, evs []statelang.HistoryEvent) bool {
	t := d.r.t
	ok := true
	bad := func(format string, args ...any) {
		t.Helper()
		t.Errorf("%s: "+format, append([]any{arn}, args...)...)
		if ok && !d.dumped {
			d.dumped = true
			for _, e := range evs {
				t.Logf("%s event %d (after %d): %s %v", arn, e.ID, e.PreviousEventID, e.Type, e.Details)
			}
		}
		ok = false
	}
	c := eventCounts(evs)
	end, failures, tasks := "ExecutionFailed", redriveStages, rc.tasks
	switch rc {
	case timingOut:
		end, failures = "ExecutionTimedOut", 0
	case stopped:
		end, failures = "ExecutionAborted", 0
	case distributed: // its tasks are its children's
		failures, tasks = 0, 0
		if c["MapRunRedriven"] != rc.stages || c["MapRunStarted"] != 1 {
			bad("%d MapRunStarted, %d MapRunRedriven; want 1, %d", c["MapRunStarted"], c["MapRunRedriven"], rc.stages)
		}
	}
	if c["ExecutionRedriven"] != rc.stages || c[end] != rc.stages || c["ExecutionSucceeded"] != 1 || c["ExecutionStarted"] != 1 {
		bad("%d ExecutionStarted, %d %s, %d ExecutionRedriven, %d ExecutionSucceeded; want 1, %d, %d, 1",
			c["ExecutionStarted"], c[end], end, c["ExecutionRedriven"], c["ExecutionSucceeded"], rc.stages, rc.stages)
	}
	// Each task's result once, each failing stage's failure once.
	if c["ActivitySucceeded"] != tasks || c["TaskStateExited"] != tasks || c["ActivityFailed"] != failures {
		bad("%d ActivitySucceeded, %d TaskStateExited, %d ActivityFailed; want %d, %d, %d",
			c["ActivitySucceeded"], c["TaskStateExited"], c["ActivityFailed"], tasks, tasks, failures)
	}
	if c["ActivityScheduled"] != c["TaskStateEntered"] {
		bad("%d ActivityScheduled for %d TaskStateEntered; want one each", c["ActivityScheduled"], c["TaskStateEntered"])
	}
	run := 0
	var entered map[string]bool // this run's states entered
	left := map[string]bool{}   // the states that succeeded
	for _, e := range evs {
		switch {
		case e.Type == "ExecutionStarted" || e.Type == "ExecutionRedriven":
			entered = map[string]bool{}
			if e.Type == "ExecutionRedriven" {
				run++
				if got, _ := e.Details["redriveCount"].(int64); got != int64(run) {
					bad("ExecutionRedriven %d has redriveCount %v; want %d", e.ID, e.Details["redriveCount"], run)
				}
			}
		case strings.HasSuffix(string(e.Type), "StateEntered"):
			key := stateKey(e, "input", 1)
			if entered[key] {
				bad("%s entered twice in run %d (event %d)", key, run, e.ID)
			}
			if left[key] {
				bad("%s entered again in run %d (event %d) after it succeeded", key, run, e.ID)
			}
			entered[key] = true
		case strings.HasSuffix(string(e.Type), "StateExited"):
			left[stateKey(e, "output", 2)] = true
		}
	}
	return ok
}

// checkMapRun checks the one Map Run of distributed execution arn after
// its redrive, and reports whether it holds: SUCCEEDED, redriven once in
// place, its four children SUCCEEDED, item 1's redriven once (its history
// redriven once), the others never.
func (d *redriver) checkMapRun(arn string) bool {
	r, t := d.r, d.r.t
	runs, _, err := r.eng.ListMapRuns(r.ctx, arn, 0, "")
	if err != nil || len(runs) != 1 {
		t.Errorf("%s: ListMapRuns = %v, %v; want one run", arn, runs, err)
		return false
	}
	run, err := r.eng.DescribeMapRun(r.ctx, runs[0].ARN)
	if err != nil || run.Status != engine.MapRunSucceeded || run.RedriveCount != 1 || run.RedriveDate.IsZero() {
		t.Errorf("%s: Map Run %+v, %v; want SUCCEEDED, redriven once", arn, run, err)
		return false
	}
	kids, _, err := r.eng.ListExecutions(r.ctx, engine.ListExecutionsInput{MapRun: run.ARN})
	if err != nil || len(kids) != 4 {
		t.Errorf("%s: %d children, %v; want 4", arn, len(kids), err)
		return false
	}
	ok := true
	for _, k := range kids {
		want := int64(0)
		if strings.Contains(k.Input, `"until":1`) {
			want = 1
		}
		c := eventCounts(r.history(k.ARN))
		if k.Status != engine.StatusSucceeded || k.RedriveCount != want || int64(c["ExecutionRedriven"]) != want || c["ActivitySucceeded"] != 1 {
			t.Errorf("%s: child %s (%s) %s, RedriveCount %d, %d ExecutionRedriven, %d ActivitySucceeded; want SUCCEEDED, %d, %d, 1",
				arn, k.ARN, k.Input, k.Status, k.RedriveCount, c["ExecutionRedriven"], c["ActivitySucceeded"], want, want)
			ok = false
		}
	}
	return ok
}

// stateKey names the state of a StateEntered or StateExited event of
// redriveMachine: its name, and for an iteration of the Map (I) the n of
// its input (field "input", times 1) or output (field "output", 2n).
func stateKey(e statelang.HistoryEvent, field string, times int64) string {
	name, _ := e.Details["name"].(string)
	if name != "I" {
		return name
	}
	text, _ := e.Details[field].(string)
	v, err := statelang.ParseJSON([]byte(text))
	if m, ok := v.(map[string]any); ok {
		v = m["n"]
	}
	n, ok := v.(int64)
	if err != nil || !ok {
		return fmt.Sprintf("I %s %q", field, text)
	}
	return fmt.Sprintf("I %d", n/times)
}

// checkTokens sends each of x's redrive tokens again: each answers the
// date of its own redrive (its ExecutionRedriven event's) and changes
// nothing.
func (d *redriver) checkTokens(x *engine.Execution) {
	t := d.r.t
	var dates []time.Time
	for _, e := range d.r.history(x.ARN) {
		if e.Type == "ExecutionRedriven" {
			dates = append(dates, e.Timestamp)
		}
	}
	for k, want := range dates {
		date, err := d.call(x.ARN, token(x.ARN, int64(k+1)))
		if err != nil || !sameMilli(date, want) {
			t.Errorf("RedriveExecution(%s, %s) = %v, %v; want %v (the date of that redrive)", x.ARN, token(x.ARN, int64(k+1)), date, err, want)
		}
	}
	if after := d.r.describe(x.ARN); after.Status != engine.StatusSucceeded || after.RedriveCount != x.RedriveCount || after.LastEventID != x.LastEventID {
		t.Errorf("%s after its tokens were sent again: %s, RedriveCount %d, %d events; want SUCCEEDED, %d, %d",
			x.ARN, after.Status, after.RedriveCount, after.LastEventID, x.RedriveCount, x.LastEventID)
	}
}
