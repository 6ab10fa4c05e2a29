package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/statelang"
)

var echo TaskFunc = func(_ engine.Task, in any) (any, *statelang.Failure) { return in, nil }

func double(_ engine.Task, in any) (any, *statelang.Failure) {
	n, _ := in.(int64)
	return n * 2, nil
}

func boom(_ engine.Task, in any) (any, *statelang.Failure) {
	return nil, &statelang.Failure{Name: "Boom", Cause: "it broke"}
}

// scenario runs a machine through the durable engine and compares it with
// engine.RunLocal: status, output, error and the history (types and details,
// in order unless ordered is false).
type scenario struct {
	name, def, input string
	tasks            map[string]TaskFunc
	ordered          bool // compare event order (no concurrency)
	noCompare        bool // siblings are cancelled, which depends on the order of concurrent results
	status           string
	output           string // "" to skip
	error            string
}

func TestEngineScenarios(t *testing.T) {
	t.Parallel()
	scenarios := []scenario{
		{name: "pass-choice", ordered: true, status: "SUCCEEDED", output: `{"a":1,"b":"big"}`, input: `{"a":1}`, def: `{
			"StartAt":"P","States":{
			"P":{"Type":"Pass","Next":"C"},
			"C":{"Type":"Choice","Choices":[{"Variable":"$.a","NumericGreaterThan":0,"Next":"Big"}],"Default":"Small"},
			"Big":{"Type":"Pass","Result":"big","ResultPath":"$.b","End":true},
			"Small":{"Type":"Fail","Error":"Small"}}}`},
		{name: "fail-state", ordered: true, status: "FAILED", error: "Small", input: `{"a":0}`, def: `{
			"StartAt":"C","States":{
			"C":{"Type":"Choice","Choices":[{"Variable":"$.a","NumericGreaterThan":0,"Next":"Big"}],"Default":"Small"},
			"Big":{"Type":"Succeed"},
			"Small":{"Type":"Fail","Error":"Small","Cause":"too small"}}}`},
		{name: "task", ordered: true, status: "SUCCEEDED", output: `{"r":42,"x":21}`, input: `{"x":21}`,
			tasks: map[string]TaskFunc{"arn:aws:states:::sqs:sendMessage": func(t engine.Task, in any) (any, *statelang.Failure) {
				return map[string]any{"Payload": in.(map[string]any)["x"].(int64) * 2}, nil
			}}, def: `{
			"StartAt":"T","States":{
			"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","Parameters":{"x.$":"$.x"},
			     "ResultSelector":{"v.$":"$.Payload"},"ResultPath":"$.r","OutputPath":"$","Next":"S"},
			"S":{"Type":"Pass","Parameters":{"x.$":"$.x","r.$":"$.r.v"},"End":true}}}`},
		{name: "lambda-function", ordered: true, status: "SUCCEEDED", output: `{"x":21,"y":42}`, input: `{"x":21}`,
			tasks: map[string]TaskFunc{"arn:aws:lambda:us-east-1:111111111111:function:double-x:$LATEST": func(t engine.Task, in any) (any, *statelang.Failure) {
				return in.(map[string]any)["x"].(int64) * 2, nil
			}}, def: `{
			"StartAt":"T","States":{
			"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:double-x:$LATEST","ResultPath":"$.y","TimeoutSeconds":30,"End":true}}}`},
		{name: "retry-then-succeed", ordered: true, status: "SUCCEEDED", output: `"ok"`,
			tasks: map[string]TaskFunc{"flaky": func(tk engine.Task, _ any) (any, *statelang.Failure) {
				if tk.Attempt == 0 {
					return nil, &statelang.Failure{Name: "Flaky"}
				}
				return "ok", nil
			}}, def: `{
			"StartAt":"T","States":{
			"T":{"Type":"Task","Resource":"arn:aws:states:us-east-1:111111111111:activity:flaky","Retry":[{"ErrorEquals":["Flaky"],"IntervalSeconds":1,"MaxAttempts":2}],"End":true}}}`},
		{name: "catch", ordered: true, status: "SUCCEEDED", output: `{"err":{"Cause":"it broke","Error":"Boom"},"in":1}`, input: `{"in":1}`,
			tasks: map[string]TaskFunc{"boom": boom}, def: `{
			"StartAt":"T","States":{
			"T":{"Type":"Task","Resource":"arn:aws:states:us-east-1:111111111111:activity:boom","Retry":[{"ErrorEquals":["Other"]}],
			     "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"Done"}],"End":true},
			"Done":{"Type":"Pass","End":true}}}`},
		{name: "wait", ordered: true, status: "SUCCEEDED", output: `{"s":1}`, input: `{"s":1}`, def: `{
			"StartAt":"W","States":{
			"W":{"Type":"Wait","SecondsPath":"$.s","Next":"W2"},
			"W2":{"Type":"Wait","Seconds":0,"End":true}}}`},
		{name: "parallel", status: "SUCCEEDED", output: `[{"r":2},[4,6]]`, input: `2`,
			tasks: map[string]TaskFunc{"double": double}, def: `{
			"StartAt":"P","States":{
			"P":{"Type":"Parallel","End":true,"Branches":[
			  {"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"r.$":"$"},"End":true}}},
			  {"StartAt":"B","States":{"B":{"Type":"Parallel","End":true,"Branches":[
			     {"StartAt":"B1","States":{"B1":{"Type":"Task","Resource":"arn:aws:states:us-east-1:111111111111:activity:double","End":true}}},
			     {"StartAt":"B2","States":{"B2":{"Type":"Pass","Result":6,"End":true}}}]}}}]}}}`},
		{name: "parallel-branch-fails", noCompare: true, status: "FAILED", error: "Boom",
			tasks: map[string]TaskFunc{"boom": boom}, def: `{
			"StartAt":"P","States":{
			"P":{"Type":"Parallel","End":true,"Branches":[
			  {"StartAt":"A","States":{"A":{"Type":"Wait","Seconds":30,"End":true}}},
			  {"StartAt":"B","States":{"B":{"Type":"Task","Resource":"arn:aws:states:us-east-1:111111111111:activity:boom","End":true}}}]}}}`},
		{name: "map", status: "SUCCEEDED", output: `[2,4,6,8,10]`, input: `[1,2,3,4,5]`,
			tasks: map[string]TaskFunc{"double": double}, def: `{
			"StartAt":"M","States":{
			"M":{"Type":"Map","MaxConcurrency":2,"End":true,
			     "ItemProcessor":{"ProcessorConfig":{"Mode":"INLINE"},"StartAt":"D","States":{"D":{"Type":"Task","Resource":"arn:aws:states:us-east-1:111111111111:activity:double","End":true}}}}}}`},
		{name: "map-pure", ordered: true, status: "SUCCEEDED", output: `[{"i":0,"v":"a"},{"i":1,"v":"b"}]`, input: `["a","b"]`, def: `{
			"StartAt":"M","States":{
			"M":{"Type":"Map","End":true,"ItemSelector":{"i.$":"$$.Map.Item.Index","v.$":"$$.Map.Item.Value"},
			     "ItemProcessor":{"StartAt":"D","States":{"D":{"Type":"Pass","End":true}}}}}}`},
		{name: "map-tolerated", status: "SUCCEEDED", output: `[2,null,6]`, input: `[1,-1,3]`,
			tasks: map[string]TaskFunc{"double": func(t engine.Task, in any) (any, *statelang.Failure) {
				if in.(int64) < 0 {
					return nil, &statelang.Failure{Name: "Negative"}
				}
				return double(t, in)
			}}, def: `{
			"StartAt":"M","States":{
			"M":{"Type":"Map","ToleratedFailureCount":1,"End":true,
			     "ItemProcessor":{"StartAt":"D","States":{"D":{"Type":"Task","Resource":"arn:aws:states:us-east-1:111111111111:activity:double","End":true}}}}}}`},
		{name: "map-fails", status: "FAILED", error: "Negative", input: `[1,-1,3]`,
			tasks: map[string]TaskFunc{"double": func(t engine.Task, in any) (any, *statelang.Failure) {
				if in.(int64) < 0 {
					return nil, &statelang.Failure{Name: "Negative"}
				}
				return double(t, in)
			}}, def: `{
			"StartAt":"M","States":{
			"M":{"Type":"Map","MaxConcurrency":1,"End":true,
			     "ItemProcessor":{"StartAt":"D","States":{"D":{"Type":"Task","Resource":"arn:aws:states:us-east-1:111111111111:activity:double","End":true}}}}}}`},
		{name: "jsonata-variables", ordered: true, status: "SUCCEEDED", output: `{"d":4,"k":2,"m":[5,10],"w":5}`, input: `{"n":2}`,
			tasks: map[string]TaskFunc{"double": double}, def: `{
			"QueryLanguage":"JSONata","StartAt":"A","States":{
			"A":{"Type":"Pass","Assign":{"k":"{% $states.input.n %}"},"Next":"T"},
			"T":{"Type":"Task","Resource":"arn:aws:states:us-east-1:111111111111:activity:double","Arguments":"{% $k %}",
			     "Assign":{"d":"{% $states.result %}"},"Next":"W"},
			"W":{"Type":"Wait","Seconds":1,"Assign":{"w":"{% $d + 1 %}"},"Next":"M"},
			"M":{"Type":"Map","Items":"{% [1,2] %}","MaxConcurrency":1,
			     "ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","Assign":{"x":"{% $states.input * $w %}"},"Next":"J"},
			                                         "J":{"Type":"Pass","Output":"{% $x %}","End":true}}},
			     "Output":{"k":"{% $k %}","d":"{% $d %}","w":"{% $w %}","m":"{% $states.result %}"},"End":true}}}`},
		{name: "jsonata-evaluation-failed", ordered: true, status: "FAILED", error: "States.QueryEvaluationError", def: `{
			"QueryLanguage":"JSONata","StartAt":"A","States":{
			"A":{"Type":"Pass","Assign":{"items":"x"},"Next":"M"},
			"M":{"Type":"Map","Items":"{% $items %}","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}}}`},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, sc.tasks, nil)
			h.machine("m", sc.def)
			in := sc.input
			if in == "" {
				in = "{}"
			}
			x := h.start("m", "run1", in)
			x = h.wait(x.ARN, 30*time.Second)
			if x.Status != sc.status {
				t.Fatalf("status = %s (%s: %s); want %s", x.Status, x.Error, x.Cause, sc.status)
			}
			if sc.output != "" && x.Output != sc.output {
				t.Errorf("output = %s; want %s", x.Output, sc.output)
			}
			if sc.error != "" && x.Error != sc.error {
				t.Errorf("error = %s; want %s", x.Error, sc.error)
			}
			evs := h.history(x.ARN)
			checkHistory(t, evs)
			// The same machine in memory.
			m, err := statelang.Parse([]byte(sc.def))
			if err != nil {
				t.Fatal(err)
			}
			input, _ := statelang.ParseJSON([]byte(in))
			res := engine.RunLocal(m, input, engine.LocalOptions{
				ExecutionName: "run1", StateMachineName: "m", RoleArn: "arn:aws:iam::111111111111:role/test",
				Task: func(t engine.Task, in any) (any, *statelang.Failure) {
					fn := lookup(sc.tasks, t.Resource)
					if fn == nil {
						return nil, &statelang.Failure{Name: "States.TaskFailed"}
					}
					return fn(t, in)
				}})
			if res.Status != x.Status {
				t.Errorf("engine.RunLocal status = %s; durable %s", res.Status, x.Status)
			}
			want, got := eventLines(res.Events), eventLines(evs)
			if sc.noCompare {
				return
			}
			if !sc.ordered {
				sort.Strings(want)
				sort.Strings(got)
			}
			if strings.Join(want, "\n") != strings.Join(got, "\n") {
				t.Errorf("history differs from engine.RunLocal:\n got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

func eventLines(evs []statelang.HistoryEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = string(e.Type) + " " + statelang.MarshalString(e.Details)
	}
	return out
}

// checkHistory checks ids are 1..n, previous ids consistent and exactly one
// terminal event at the end.
func checkHistory(t testing.TB, evs []statelang.HistoryEvent) {
	t.Helper()
	terminal := 0
	for i, e := range evs {
		if e.ID != int64(i+1) {
			t.Fatalf("event %d has id %d", i+1, e.ID)
		}
		if e.PreviousEventID != e.ID-1 {
			t.Fatalf("event %d has previous id %d", e.ID, e.PreviousEventID)
		}
		if strings.HasPrefix(string(e.Type), "Execution") && e.Type != "ExecutionStarted" {
			terminal++
		}
	}
	if terminal != 1 || !strings.HasPrefix(string(evs[len(evs)-1].Type), "Execution") {
		t.Fatalf("history has %d terminal events; want exactly one, last: %v", terminal, types(evs))
	}
}

func TestTaskTimeouts(t *testing.T) {
	t.Parallel()
	hung := func(engine.Task, any) (any, *statelang.Failure) { time.Sleep(3 * time.Second); return "late", nil }
	h := newHarness(t, map[string]TaskFunc{"hung": hung}, nil)
	h.machine("timeout", `{"StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"arn:aws:states:us-east-1:111111111111:activity:hung","TimeoutSeconds":1,
		     "Catch":[{"ErrorEquals":["States.Timeout"],"Next":"Caught"}],"End":true},
		"Caught":{"Type":"Pass","End":true}}}`)
	h.machine("heartbeat", `{"StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"arn:aws:states:us-east-1:111111111111:activity:hung","HeartbeatSeconds":1,"End":true}}}`)
	a := h.start("timeout", "a", "{}")
	b := h.start("heartbeat", "b", "{}")
	xa := h.wait(a.ARN, 10*time.Second)
	if xa.Status != "SUCCEEDED" || xa.Output != `{"Cause":"","Error":"States.Timeout"}` {
		t.Errorf("timeout: %s %s", xa.Status, xa.Output)
	}
	xb := h.wait(b.ARN, 10*time.Second)
	if xb.Status != "FAILED" || xb.Error != "States.HeartbeatTimeout" {
		t.Errorf("heartbeat: %s %s", xb.Status, xb.Error)
	}
	evs := h.history(a.ARN)
	if got := strings.Join(types(evs), ","); !strings.Contains(got, "ActivityTimedOut") {
		t.Errorf("history %s has no ActivityTimedOut", got)
	}
	// The late results change nothing.
	time.Sleep(2500 * time.Millisecond)
	if n := len(h.history(a.ARN)); n != len(evs) {
		t.Errorf("history grew after a late result: %d events; want %d", n, len(evs))
	}
}

func TestHeartbeatKeepsTaskAlive(t *testing.T) {
	t.Parallel()
	var h *harness
	slow := func(tk engine.Task, in any) (any, *statelang.Failure) {
		for range 4 {
			time.Sleep(400 * time.Millisecond)
			if err := h.eng.SendTaskHeartbeat(context.Background(), tk.Token); err != nil {
				return nil, &statelang.Failure{Name: "HeartbeatError", Cause: err.Error()}
			}
		}
		return "done", nil
	}
	h = newHarness(t, map[string]TaskFunc{"slow": slow}, nil)
	h.machine("m", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:us-east-1:111111111111:activity:slow","HeartbeatSeconds":1,"End":true}}}`)
	x := h.wait(h.start("m", "a", "{}").ARN, 10*time.Second)
	if x.Status != "SUCCEEDED" || x.Output != `"done"` {
		t.Errorf("status = %s %s %s; want SUCCEEDED \"done\"", x.Status, x.Error, x.Output)
	}
}

func TestExecutionTimeout(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	h.machine("m", `{"TimeoutSeconds":1,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"End":true}}}`)
	x := h.wait(h.start("m", "a", "{}").ARN, 10*time.Second)
	if x.Status != "TIMED_OUT" || x.Error != "" || x.Cause != "" {
		// AWS describes an execution that ran out of its TimeoutSeconds
		// with neither error nor cause (the corpus' test_global_timeout).
		t.Errorf("status = %s %q %q; want TIMED_OUT without error or cause", x.Status, x.Error, x.Cause)
	}
	var n int
	if err := h.pool.QueryRow(context.Background(), "SELECT count(*) FROM timers").Scan(&n); err != nil || n != 0 {
		t.Errorf("timers left: %d (%v); want 0", n, err)
	}
}

func TestStopExecution(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var token atomic.Value
	h := newHarness(t, map[string]TaskFunc{"block": func(tk engine.Task, in any) (any, *statelang.Failure) {
		token.Store(tk.Token)
		<-release
		return "late", nil
	}}, nil)
	h.machine("m", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:us-east-1:111111111111:activity:block","End":true}}}`)
	x := h.start("m", "a", "{}")
	for token.Load() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	ctx := context.Background()
	got, err := h.eng.StopExecution(ctx, x.ARN, "Stopped", "by test")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != "ABORTED" {
		t.Fatalf("status = %s; want ABORTED", got.Status)
	}
	close(release)
	if err := h.eng.SendTaskSuccess(ctx, token.Load().(string), `"late"`); !errors.Is(err, engine.ErrTaskClosed) {
		t.Errorf("late SendTaskSuccess = %v; want ErrTaskClosed", err)
	}
	evs := h.history(x.ARN)
	checkHistory(t, evs)
	if last := evs[len(evs)-1]; last.Type != "ExecutionAborted" || last.Details["error"] != "Stopped" {
		t.Errorf("last event = %s %v", last.Type, last.Details)
	}
	_, status, err := h.store.GetTask(ctx, token.Load().(string))
	if err != nil || status != engine.TaskCancelled {
		t.Errorf("task status = %s, %v; want CANCELLED", status, err)
	}
	if _, err := h.eng.StopExecution(ctx, x.ARN, "", ""); !errors.Is(err, engine.ErrExecutionNotRunning) {
		t.Errorf("second stop = %v; want ErrExecutionNotRunning", err)
	}
}

func TestIdempotentStart(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	h.machine("m", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)
	a := h.start("m", "same", `{"a":1}`) // a Pass: it has ended already
	b, err := h.eng.StartExecution(context.Background(), engine.StartExecutionInput{StateMachine: "m", Name: "same", Input: `{"a":1}`})
	if !errors.Is(err, engine.ErrExecutionAlreadyExists) || b == nil || b.ID != a.ID {
		t.Errorf("second start of an ended execution = %v, %v; want ErrExecutionAlreadyExists with %s", b, err, a.ARN)
	}
	_, err = h.eng.StartExecution(context.Background(), engine.StartExecutionInput{StateMachine: "m", Name: "same", Input: `{"a":2}`})
	if !errors.Is(err, engine.ErrExecutionAlreadyExists) {
		t.Errorf("start with other input = %v; want ErrExecutionAlreadyExists", err)
	}
	big := `"` + strings.Repeat("x", 256*1024) + `"`
	if _, err := h.eng.StartExecution(context.Background(), engine.StartExecutionInput{StateMachine: "m", Input: big}); !errors.Is(err, engine.ErrPayloadTooLarge) {
		t.Errorf("start with 256 KiB input = %v; want ErrPayloadTooLarge", err)
	}
	if _, err := h.eng.StartExecution(context.Background(), engine.StartExecutionInput{StateMachine: "nope"}); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("start of unknown machine = %v; want ErrNotFound", err)
	}
}

func TestVersions(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	ctx := context.Background()
	h.machine("m", `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":1,"End":true}}}`)
	sm, err := h.eng.UpdateStateMachine(ctx, "m", `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":2,"End":true}}}`)
	if err != nil || sm.Version != 2 {
		t.Fatalf("UpdateStateMachine = %d, %v; want version 2", sm.Version, err)
	}
	x1, _ := h.eng.StartExecution(ctx, engine.StartExecutionInput{StateMachine: "m", Version: 1})
	x2, _ := h.eng.StartExecution(ctx, engine.StartExecutionInput{StateMachine: "m"})
	if a, b := h.wait(x1.ARN, 5*time.Second).Output, h.wait(x2.ARN, 5*time.Second).Output; a != "1" || b != "2" {
		t.Errorf("outputs = %s, %s; want 1, 2", a, b)
	}
}

func TestPagination(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	ctx := context.Background()
	h.machine("m", `{"StartAt":"P","States":{"P":{"Type":"Pass","Next":"Q"},"Q":{"Type":"Pass","Next":"R"},"R":{"Type":"Pass","End":true}}}`)
	h.machine("w", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":100,"End":true}}}`)
	var arns []string
	for i := range 7 {
		arns = append(arns, h.start("m", fmt.Sprintf("e%d", i), "{}").ARN)
	}
	h.start("w", "waiting", "{}")
	var got []string
	tok := ""
	for {
		xs, next, err := h.eng.ListExecutions(ctx, engine.ListExecutionsInput{StateMachine: "m", MaxResults: 3, NextToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range xs {
			got = append(got, x.ARN)
		}
		if next == "" {
			break
		}
		tok = next
	}
	for i := range arns {
		if got[i] != arns[len(arns)-1-i] {
			t.Fatalf("ListExecutions order = %v; want newest first", got)
		}
	}
	running, _, _ := h.eng.ListExecutions(ctx, engine.ListExecutionsInput{StateMachine: "w", Status: "RUNNING"})
	done, _, _ := h.eng.ListExecutions(ctx, engine.ListExecutionsInput{StateMachine: "w", Status: "SUCCEEDED"})
	if len(running) != 1 || len(done) != 0 {
		t.Errorf("by status: %d running, %d succeeded; want 1, 0", len(running), len(done))
	}
	// History, forward and reverse, two at a time.
	all := h.history(arns[0])
	var rev []int64
	tok = ""
	for {
		evs, next, err := h.eng.GetExecutionHistory(ctx, arns[0], engine.HistoryInput{MaxResults: 2, NextToken: tok, ReverseOrder: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			rev = append(rev, e.ID)
		}
		if next == "" {
			break
		}
		tok = next
	}
	if len(rev) != len(all) || rev[0] != int64(len(all)) || rev[len(rev)-1] != 1 {
		t.Errorf("reverse history ids = %v; want %d..1", rev, len(all))
	}
}

func TestHistoryLimit(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, func(c *engine.Config) { c.MaxHistoryEvents = 50 })
	// A loop that never reaches its terminal state (AWS requires one).
	h.machine("loop", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Choice","Default":"A",
		"Choices":[{"Variable":"$.stop","IsPresent":true,"Next":"C"}]},"C":{"Type":"Succeed"}}}`)
	x := h.wait(h.start("loop", "a", "{}").ARN, 5*time.Second)
	if x.Status != "FAILED" || x.Error != "States.Runtime" {
		t.Errorf("status = %s %s; want FAILED States.Runtime", x.Status, x.Error)
	}
}

func TestManyEnginesOneDatabase(t *testing.T) {
	t.Parallel()
	h := newHarness(t, map[string]TaskFunc{"double": double}, nil)
	// A second engine on the same schema shares the timers and tasks.
	d2 := &funcDispatcher{fns: map[string]TaskFunc{"double": double}}
	e2, err := engine.New(engine.Config{Store: h.store, Dispatcher: d2, PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	d2.eng = e2
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = e2.Run(ctx) }()
	h.machine("m", `{"StartAt":"M","States":{"M":{"Type":"Map","End":true,"ItemProcessor":{"StartAt":"W","States":{
		"W":{"Type":"Wait","Seconds":1,"Next":"D"},"D":{"Type":"Task","Resource":"arn:aws:states:us-east-1:111111111111:activity:double","End":true}}}}}}`)
	var arns []string
	for i := range 20 {
		arns = append(arns, h.start("m", fmt.Sprintf("e%d", i), `[1,2,3]`).ARN)
	}
	for _, arn := range arns {
		x := h.wait(arn, 20*time.Second)
		if x.Status != "SUCCEEDED" || x.Output != "[2,4,6]" {
			t.Errorf("%s: %s %s", arn, x.Status, x.Output)
		}
		checkHistory(t, h.history(arn))
	}
}
