package engine

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/statelang"
)

// row is an execution's row as a store keeps it: the state column and the
// state parts, written by the engine's own mutation path (merge), and
// decoded again before each event, as after a restart.
type row struct {
	t     *testing.T
	m     *statelang.Machine
	x     execFacts
	env   *statelang.Env
	head  []byte
	parts map[partKey]string
	muts  []*Mutation
}

func newRow(t *testing.T, def string, input any) *row {
	t.Helper()
	m, err := statelang.Parse([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return &row{t: t, m: m, env: &statelang.Env{Random: func() float64 { return 0.5 }, UUID: func() string { return "u" }},
		x: execFacts{ID: 7, ARN: "arn:x", Name: "x", Input: input, StartTime: t0, Region: "us-east-1"}, parts: map[partKey]string{}}
}

// step decides ev at now on the decoded row and writes the merged mutation.
func (r *row) step(ev event, now time.Time) *decision {
	r.t.Helper()
	var ps []StatePart
	for _, k := range slices.SortedFunc(maps.Keys(r.parts), func(a, b partKey) int { return int(a.frame - b.frame) }) {
		ps = append(ps, StatePart{Frame: k.frame, Slot: k.slot, Data: r.parts[k]})
	}
	st, err := decodeState(r.head, ps)
	if err != nil {
		r.t.Fatal(err)
	}
	d, err := decideEvent(r.m, r.x, st, ev, now, r.env, decisionLimits{})
	if err != nil {
		r.t.Fatal(err)
	}
	if !d.Changed {
		return d
	}
	g := newMerge(&Execution{ID: r.x.ID})
	g.add(d, now)
	m := g.mutation(st, now)
	r.muts = append(r.muts, m)
	if m.Terminal {
		clear(r.parts) // the store drops every part of an ended execution
	}
	if m.DropParts {
		clear(r.parts)
	}
	for _, f := range m.DropFrames {
		for k := range r.parts {
			if k.frame == f {
				delete(r.parts, k)
			}
		}
	}
	for _, p := range m.Parts {
		r.parts[partKey{p.Frame, p.Slot}] = p.Data
	}
	r.head = m.State
	return d
}

func types(d *decision) string {
	var s []string
	for _, e := range d.Events {
		s = append(s, string(e.Type))
	}
	return strings.Join(s, " ")
}

// taskOf returns the one new task of d whose input contains sub.
func taskOf(t *testing.T, d *decision, sub string) Task {
	t.Helper()
	for _, k := range d.NewTasks {
		if strings.Contains(k.Input, sub) {
			return k
		}
	}
	t.Fatalf("no new task with input %q among %+v", sub, d.NewTasks)
	return Task{}
}

// retryTimer is the key of d's one retry timer.
func retryTimer(t *testing.T, d *decision) string {
	t.Helper()
	for _, tm := range d.NewTimers {
		if strings.HasPrefix(tm.Key, "r:") {
			return tm.Key
		}
	}
	t.Fatalf("no retry timer among %+v", d.NewTimers)
	return ""
}

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// TestRedriveTask: a Task that fails after its retries ends the execution
// FAILED; RedriveExecution enters the Task again with the input and
// variables it had, its retries start over, $$.Execution.RedriveCount and
// RedriveTime are set, and it then succeeds.
func TestRedriveTask(t *testing.T) {
	r := newRow(t, `{"StartAt":"P","States":{
		"P":{"Type":"Pass","Assign":{"v":"kept"},"Result":{"n":2},"Next":"T"},
		"T":{"Type":"Task","Resource":"arn:aws:states:us-east-1:111111111111:activity:a",
			"Parameters":{"n.$":"$.n","v.$":"$v","rc.$":"$$.Execution.RedriveCount","rt.$":"$$.Execution"},
			"Retry":[{"ErrorEquals":["E"],"MaxAttempts":1,"IntervalSeconds":1}],"End":true}}}`, map[string]any{})
	d := r.step(event{Kind: evStart}, t0)
	tk := taskOf(t, d, `"rc":0`)
	if !strings.Contains(tk.Input, `"v":"kept"`) || strings.Contains(tk.Input, "RedriveTime") {
		t.Fatalf("first task input = %s; want v kept and no RedriveTime", tk.Input)
	}
	d = r.step(event{Kind: evTaskFailed, Token: tk.Token, Error: "E"}, t0.Add(time.Second))
	d = r.step(event{Kind: evTimer, TimerKey: retryTimer(t, d)}, t0.Add(2*time.Second))
	tk = taskOf(t, d, `"rc":0`) // retried once
	d = r.step(event{Kind: evTaskFailed, Token: tk.Token, Error: "E", Cause: "c"}, t0.Add(2*time.Second))
	if d.Status != StatusFailed {
		t.Fatalf("after the retry: %s; want FAILED", d.Status)
	}
	if m := r.muts[len(r.muts)-1]; m.Redrive == nil || !m.Redrive.Until.Equal(t0.Add(2*time.Second+RedriveWindow)) || len(r.parts) != 0 {
		t.Fatalf("terminal mutation Redrive = %+v, %d parts; want the window's end and no parts", m.Redrive, len(r.parts))
	}
	t1 := t0.Add(time.Hour)
	d = r.step(event{Kind: evRedrive, ClientToken: "tok"}, t1)
	if !d.Redriven.Equal(t1) || d.Status != StatusRunning {
		t.Fatalf("redrive: Redriven %v status %s (%s); want %v RUNNING", d.Redriven, d.Status, d.NotRedrivable, t1)
	}
	if got, want := types(d), "ExecutionRedriven TaskStateEntered ActivityScheduled"; got != want {
		t.Errorf("redrive events = %s; want %s", got, want)
	}
	if got := d.Events[0].Details["redriveCount"]; got != int64(1) {
		t.Errorf("ExecutionRedriven redriveCount = %v; want 1", got)
	}
	if got := d.Events[1].Details["input"]; got != `{"n":2}` {
		t.Errorf("TaskStateEntered input = %v; want the failed state's input {\"n\":2}", got)
	}
	if m := r.muts[len(r.muts)-1]; m.Redrive == nil || m.Redrive.Count != 1 || !m.Redrive.Date.Equal(t1) || !m.Redrive.Until.IsZero() {
		t.Errorf("redrive mutation Redrive = %+v; want count 1, date %v, no window", m.Redrive, t1)
	}
	tk = taskOf(t, d, `"rc":1`)
	if !strings.Contains(tk.Input, `"v":"kept"`) || !strings.Contains(tk.Input, `"RedriveTime":"2026-01-01T01:00:00`) {
		t.Errorf("redriven task input = %s; want the variable and RedriveTime", tk.Input)
	}
	if again := r.step(event{Kind: evRedrive, ClientToken: "tok"}, t1.Add(time.Minute)); again.Changed || !again.Redriven.Equal(t1) {
		t.Errorf("same client token: changed %v, Redriven %v; want no change and %v", again.Changed, again.Redriven, t1)
	}
	if other := r.step(event{Kind: evRedrive, ClientToken: "other"}, t1.Add(time.Minute)); other.Changed || other.NotRedrivable != reasonRunning {
		t.Errorf("another token while RUNNING: changed %v, reason %q; want %q", other.Changed, other.NotRedrivable, reasonRunning)
	}
	// The retry counter started over: one failure is retried again.
	d = r.step(event{Kind: evTaskFailed, Token: tk.Token, Error: "E"}, t1.Add(time.Second))
	d = r.step(event{Kind: evTimer, TimerKey: retryTimer(t, d)}, t1.Add(2*time.Second))
	tk = taskOf(t, d, `"rc":1`)
	d = r.step(event{Kind: evTaskSucceeded, Token: tk.Token, Output: "done"}, t1.Add(2*time.Second))
	if d.Status != StatusSucceeded || d.Output != "done" {
		t.Fatalf("after the redrive: %s %v; want SUCCEEDED done", d.Status, d.Output)
	}
	if d := r.step(event{Kind: evRedrive}, t1.Add(time.Minute)); d.Changed || d.NotRedrivable != reasonSucceeded {
		t.Errorf("redrive of a SUCCEEDED execution: changed %v, reason %q; want %q", d.Changed, d.NotRedrivable, reasonSucceeded)
	}
}

// TestRedriveParallel: a Parallel whose second branch failed reruns that
// branch from its failed state only; the first branch's result stays.
func TestRedriveParallel(t *testing.T) {
	branch := func(n int) string {
		return fmt.Sprintf(`{"StartAt":"A%d","States":{"A%d":{"Type":"Pass","Result":%d,"Next":"T%d"},
			"T%d":{"Type":"Task","Resource":"arn:aws:states:us-east-1:111111111111:activity:a","Parameters":{"b":%d,"in.$":"$"},"End":true}}}`,
			n, n, n, n, n, n)
	}
	r := newRow(t, `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[`+branch(1)+`,`+branch(2)+`],"End":true}}}`, map[string]any{})
	d := r.step(event{Kind: evStart}, t0)
	t1, t2 := taskOf(t, d, `"b":1`), taskOf(t, d, `"b":2`)
	r.step(event{Kind: evTaskSucceeded, Token: t1.Token, Output: "one"}, t0.Add(time.Second))
	if d = r.step(event{Kind: evTaskFailed, Token: t2.Token, Error: "E"}, t0.Add(2*time.Second)); d.Status != StatusFailed {
		t.Fatalf("branch 2 failed: %s; want FAILED", d.Status)
	}
	d = r.step(event{Kind: evRedrive}, t0.Add(time.Hour))
	if got, want := types(d), "ExecutionRedriven TaskStateEntered ActivityScheduled"; got != want {
		t.Errorf("redrive events = %s; want %s (only branch 2's task)", got, want)
	}
	t2 = taskOf(t, d, `"b":2`)
	if !strings.Contains(t2.Input, `"in":2`) {
		t.Errorf("redriven task input = %s; want the failed state's input 2", t2.Input)
	}
	d = r.step(event{Kind: evTaskSucceeded, Token: t2.Token, Output: "two"}, t0.Add(time.Hour+time.Second))
	if d.Status != StatusSucceeded || statelang.MarshalString(d.Output) != `["one","two"]` {
		t.Fatalf("after the redrive: %s %s; want SUCCEEDED [\"one\",\"two\"]", d.Status, statelang.MarshalString(d.Output))
	}
}

// TestRedriveMap: an inline Map reruns only its unsuccessful iterations:
// one that failed (tolerated) in an earlier step from its start, one that
// failed last at its failed state, one cancelled by the failure where it
// was; the successful iteration keeps its result.
func TestRedriveMap(t *testing.T) {
	for _, wide := range []bool{false, true} {
		t.Run(fmt.Sprint("wide=", wide), func(t *testing.T) {
			items := []any{int64(0), int64(1), int64(2), int64(3)}
			n := len(items)
			if wide { // more than smallState: the running state is written in parts
				for i := 4; i < 70; i++ {
					items = append(items, int64(i))
				}
				n = len(items)
			}
			r := newRow(t, `{"StartAt":"M","States":{"M":{"Type":"Map","ToleratedFailureCount":1,"End":true,
				"ItemProcessor":{"StartAt":"T","States":{
					"T":{"Type":"Task","Resource":"arn:aws:states:us-east-1:111111111111:activity:a","Parameters":{"i.$":"$"},"Next":"U"},
					"U":{"Type":"Task","Resource":"arn:aws:states:us-east-1:111111111111:activity:b","Parameters":{"u.$":"$"},"End":true}}}}}}`,
				map[string]any{})
			r.x.Input = items
			d := r.step(event{Kind: evStart}, t0)
			if len(d.NewTasks) != n {
				t.Fatalf("start: %d tasks; want %d", len(d.NewTasks), n)
			}
			tok := map[int]string{}
			for i := range n {
				tok[i] = taskOf(t, d, fmt.Sprintf(`{"i":%d}`, i)).Token
			}
			at := t0
			next := func() time.Time { at = at.Add(time.Second); return at }
			// Iteration 0 fails at T (tolerated); 2 and the wide ones succeed;
			// 1 goes on to U and fails there; 3 is still at T.
			r.step(event{Kind: evTaskFailed, Token: tok[0], Error: "E"}, next())
			for i := 4; i < n; i++ {
				d = r.step(event{Kind: evTaskSucceeded, Token: tok[i], Output: int64(10 * i)}, next())
				r.step(event{Kind: evTaskSucceeded, Token: taskOf(t, d, fmt.Sprintf(`{"u":%d}`, 10*i)).Token, Output: int64(i)}, next())
			}
			d = r.step(event{Kind: evTaskSucceeded, Token: tok[2], Output: int64(20)}, next())
			r.step(event{Kind: evTaskSucceeded, Token: taskOf(t, d, `{"u":20}`).Token, Output: "two"}, next())
			d = r.step(event{Kind: evTaskSucceeded, Token: tok[1], Output: int64(10)}, next())
			d = r.step(event{Kind: evTaskFailed, Token: taskOf(t, d, `{"u":10}`).Token, Error: "E"}, next())
			if d.Status != StatusFailed || d.Failure.Name != statelang.ErrExceedToleratedFailureThresh {
				t.Fatalf("second failure: %s %v; want FAILED %s", d.Status, d.Failure, statelang.ErrExceedToleratedFailureThresh)
			}
			d = r.step(event{Kind: evRedrive}, next())
			var got []string
			for _, k := range d.NewTasks {
				got = append(got, k.Input)
			}
			slices.Sort(got)
			if want := []string{`{"i":0}`, `{"i":3}`, `{"u":10}`}; !slices.Equal(got, want) {
				t.Fatalf("redriven tasks = %v; want %v", got, want)
			}
			if c := strings.Count(types(d), "MapIterationStarted"); c != 1 {
				t.Errorf("redrive events = %s; want one MapIterationStarted (iteration 0 from its start)", types(d))
			}
			r.step(event{Kind: evTaskSucceeded, Token: taskOf(t, d, `{"u":10}`).Token, Output: "one"}, next())
			d0 := r.step(event{Kind: evTaskSucceeded, Token: taskOf(t, d, `{"i":0}`).Token, Output: int64(0)}, next())
			d3 := r.step(event{Kind: evTaskSucceeded, Token: taskOf(t, d, `{"i":3}`).Token, Output: int64(30)}, next())
			r.step(event{Kind: evTaskSucceeded, Token: taskOf(t, d0, `{"u":0}`).Token, Output: "zero"}, next())
			d = r.step(event{Kind: evTaskSucceeded, Token: taskOf(t, d3, `{"u":30}`).Token, Output: "three"}, next())
			if d.Status != StatusSucceeded {
				t.Fatalf("after the redrive: %s %v; want SUCCEEDED", d.Status, d.Failure)
			}
			out, _ := d.Output.([]any)
			if len(out) != n || out[0] != "zero" || out[1] != "one" || out[2] != "two" || out[3] != "three" || (wide && out[5] != int64(5)) {
				t.Errorf("Map output = %s; want zero one two three (then each wide item's index)", statelang.MarshalString(d.Output))
			}
		})
	}
}

// TestRedriveTimedOutAborted: an execution that timed out or was stopped
// goes on from the states it was in; the machine's timeout counts again
// from the redrive.
func TestRedriveTimedOutAborted(t *testing.T) {
	def := `{"TimeoutSeconds":10,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":5,"Next":"T"},
		"T":{"Type":"Task","Resource":"arn:aws:states:us-east-1:111111111111:activity:a","End":true}}}`
	t.Run("TIMED_OUT", func(t *testing.T) {
		r := newRow(t, def, map[string]any{"k": "v"})
		d := r.step(event{Kind: evStart}, t0)
		d = r.step(event{Kind: evTimer, TimerKey: d.NewTimers[1].Key}, t0.Add(5*time.Second))
		if len(d.NewTasks) != 1 {
			t.Fatalf("after the Wait: %d tasks; want 1", len(d.NewTasks))
		}
		if d = r.step(event{Kind: evTimer, TimerKey: timerExecutionTimeout}, t0.Add(10*time.Second)); d.Status != StatusTimedOut {
			t.Fatalf("timeout: %s; want TIMED_OUT", d.Status)
		}
		t1 := t0.Add(time.Hour)
		d = r.step(event{Kind: evRedrive}, t1)
		if got, want := types(d), "ExecutionRedriven TaskStateEntered ActivityScheduled"; got != want {
			t.Errorf("redrive events = %s; want %s", got, want)
		}
		var timeout *Timer
		for i, tm := range d.NewTimers {
			if tm.Key == timerExecutionTimeout {
				timeout = &d.NewTimers[i]
			}
		}
		if timeout == nil || !timeout.FireAt.Equal(t1.Add(10*time.Second)) {
			t.Errorf("redrive timers = %+v; want the execution timeout at %v", d.NewTimers, t1.Add(10*time.Second))
		}
		d = r.step(event{Kind: evTaskSucceeded, Token: d.NewTasks[0].Token, Output: "ok"}, t1.Add(time.Second))
		if d.Status != StatusSucceeded {
			t.Errorf("after the redrive: %s; want SUCCEEDED", d.Status)
		}
	})
	t.Run("ABORTED", func(t *testing.T) {
		r := newRow(t, def, map[string]any{"k": "v"})
		r.step(event{Kind: evStart}, t0)
		if d := r.step(event{Kind: evStop, Error: "e"}, t0.Add(time.Second)); d.Status != StatusAborted {
			t.Fatalf("stop: %s; want ABORTED", d.Status)
		}
		t1 := t0.Add(time.Hour)
		d := r.step(event{Kind: evRedrive}, t1)
		if got, want := types(d), "ExecutionRedriven WaitStateEntered"; got != want {
			t.Errorf("redrive events = %s; want %s", got, want)
		}
		var wait *Timer
		for i, tm := range d.NewTimers {
			if strings.HasPrefix(tm.Key, "w:") {
				wait = &d.NewTimers[i]
			}
		}
		if wait == nil || !wait.FireAt.Equal(t1.Add(5*time.Second)) {
			t.Fatalf("redrive timers = %+v; want the Wait's at %v", d.NewTimers, t1.Add(5*time.Second))
		}
		if got := d.Events[1].Details["input"]; got != `{"k":"v"}` {
			t.Errorf("WaitStateEntered input = %v; want {\"k\":\"v\"}", got)
		}
	})
}

// TestRedriveCaught: a failure a Catch handled is not what is redriven:
// the execution failed later, at a Fail state, and goes on from there.
func TestRedriveCaught(t *testing.T) {
	r := newRow(t, `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[
		{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"X"}}}],
		"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Boom"}],"Next":"Boom"},
		"Boom":{"Type":"Fail","Error":"Final"}}}`, map[string]any{})
	if d := r.step(event{Kind: evStart}, t0); d.Status != StatusFailed || d.Failure.Name != "Final" {
		t.Fatalf("start: %s %v; want FAILED Final", d.Status, d.Failure)
	}
	d := r.step(event{Kind: evRedrive}, t0.Add(time.Hour))
	if got, want := types(d), "ExecutionRedriven FailStateEntered ExecutionFailed"; got != want {
		t.Errorf("redrive events = %s; want %s", got, want)
	}
}

// TestRedriveDistributedMap: a distributed Map that failed (one child
// failed, one was aborted with the run, two items never started) is
// redriven in place: MapRunRedriven, the same run's row RUNNING again with
// its redrive count and date, the failed and aborted items launched again
// under their children's names (so those children are redriven), the
// items never started after them, the first child's result kept. A child's
// redrive for a new task writes that task as its parent token.
func TestRedriveDistributedMap(t *testing.T) {
	r := newRow(t, `{"StartAt":"M","States":{"M":{"Type":"Map","Label":"L","MaxConcurrency":2,"ToleratedFailureCount":0,"End":true,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"T","States":{"T":{"Type":"Pass","End":true}}}}}}`,
		[]any{int64(0), int64(1), int64(2), int64(3), int64(4)})
	r.x.ARN, r.x.StateMachineName = "arn:aws:states:us-east-1:111111111111:execution:m:x", "m"
	at := t0
	next := func() time.Time { at = at.Add(time.Second); return at }
	name := func(k Task) string {
		v, _ := statelang.ParseJSON([]byte(k.Input))
		n, _ := v.(map[string]any)["Name"].(string)
		return n
	}
	d := r.step(event{Kind: evStart}, next())
	run := d.MapRuns[0].ARN
	if len(d.NewTasks) != 2 || name(d.NewTasks[0]) != mapChildName(run, 0) || name(d.NewTasks[1]) != mapChildName(run, 1) {
		t.Fatalf("start: tasks %+v; want the children of items 0 and 1, named after the run", d.NewTasks)
	}
	first, second := d.NewTasks[0].Token, d.NewTasks[1].Token
	d = r.step(event{Kind: evTaskSucceeded, Token: first, Output: map[string]any{"Output": "zero"}}, next())
	if len(d.NewTasks) != 1 || name(d.NewTasks[0]) != mapChildName(run, 2) {
		t.Fatalf("after item 0: tasks %+v; want item 2's child", d.NewTasks)
	}
	d = r.step(event{Kind: evTaskFailed, Token: second, Error: statelang.ErrTaskFailed, Cause: `{"Status":"FAILED","Error":"E"}`}, next())
	if d.Status != StatusFailed || len(d.CloseTasks) != 2 || d.MapRuns[0].Status != MapRunFailed {
		t.Fatalf("item 1 failed: %s, %d tasks closed, run %+v; want FAILED, item 2's task closed, run FAILED", d.Status, len(d.CloseTasks), d.MapRuns)
	}

	when := next()
	d = r.step(event{Kind: evRedrive}, when)
	if got := types(d); got != "ExecutionRedriven MapRunRedriven" || d.Events[1].Details["mapRunArn"] != run || d.Events[1].Details["redriveCount"] != int64(1) {
		t.Errorf("redrive events = %s %v; want ExecutionRedriven, MapRunRedriven of the run (redriveCount 1)", got, d.Events)
	}
	if len(d.MapRuns) != 1 || d.MapRuns[0].ARN != run || d.MapRuns[0].Status != MapRunRunning || d.MapRuns[0].RedriveCount != 1 ||
		!d.MapRuns[0].RedriveDate.Equal(when) || !d.MapRuns[0].StopDate.IsZero() {
		t.Errorf("redrive's Map Run rows = %+v; want the run RUNNING, redriven once at %v", d.MapRuns, when)
	}
	if len(d.NewTasks) != 2 || name(d.NewTasks[0]) != mapChildName(run, 1) || name(d.NewTasks[1]) != mapChildName(run, 2) {
		t.Fatalf("redrive's tasks = %+v; want items 1 and 2 again, under their children's names", d.NewTasks)
	}
	pending := []string{d.NewTasks[0].Token, d.NewTasks[1].Token}
	outs := map[string]string{mapChildName(run, 1): "one", mapChildName(run, 2): "two", mapChildName(run, 3): "three", mapChildName(run, 4): "four"}
	names := map[string]string{d.NewTasks[0].Token: name(d.NewTasks[0]), d.NewTasks[1].Token: name(d.NewTasks[1])}
	for len(pending) > 0 {
		tok := pending[0]
		pending = pending[1:]
		d = r.step(event{Kind: evTaskSucceeded, Token: tok, Output: map[string]any{"Output": outs[names[tok]]}}, next())
		for _, k := range d.NewTasks {
			pending, names[k.Token] = append(pending, k.Token), name(k)
		}
	}
	if d.Status != StatusSucceeded || statelang.MarshalString(d.Output) != `["zero","one","two","three","four"]` {
		t.Errorf("after the redrive: %s %s; want SUCCEEDED with every item's result", d.Status, statelang.MarshalString(d.Output))
	}
	if rr := d.MapRuns[0]; rr.Status != MapRunSucceeded || rr.RedriveCount != 1 || !rr.RedriveDate.Equal(when) {
		t.Errorf("run at the end = %+v; want SUCCEEDED, still redriven once at %v", rr, when)
	}

	// A child redriven for its iteration's new task.
	c := newRow(t, `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E"}}}`, map[string]any{})
	c.step(event{Kind: evStart}, t0)
	if d := c.step(event{Kind: evRedrive, ParentToken: "new-task"}, next()); d.ParentToken != "new-task" || d.Status != StatusFailed {
		t.Errorf("child's redrive: parent token %q, %s; want new-task, FAILED again", d.ParentToken, d.Status)
	}
	if m := c.muts[len(c.muts)-1]; m.Redrive == nil || m.Redrive.ParentToken != "new-task" || m.Redrive.Count != 1 {
		t.Errorf("child's redrive mutation = %+v; want the new parent token and redriveCount 1", m.Redrive)
	}
}
