package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/statelang"
)

// logSink keeps what express executions log, per group and stream.
type logSink struct {
	mu     sync.Mutex
	events map[string][]engine.LogEvent // by group ARN
	groups map[string]bool
}

func (s *logSink) DeliverLogs(_ context.Context, group, _ string, evs []engine.LogEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.groups[group] {
		return errors.New("no such log group")
	}
	s.events[group] = append(s.events[group], evs...)
	return nil
}

// messages returns the decoded messages logged for execution arn.
func (s *logSink) messages(group, arn string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, ev := range s.events[group] {
		var m map[string]any
		if err := json.Unmarshal([]byte(ev.Message), &m); err == nil && m["execution_arn"] == arn {
			out = append(out, m)
		}
	}
	return out
}

// expressWorker answers tasks at once, in goroutines, as NATS workers
// would: fnDouble doubles, fnFlaky fails once per input with Flaky, and
// fnHang never answers.
type expressWorker struct {
	eng   func() *engine.Engine
	mu    sync.Mutex
	flaky map[string]bool
	hung  []string // tokens of fnHang tasks
}

func (w *expressWorker) Dispatch(_ context.Context, t engine.Task) (held bool, err error) {
	if t.Resource == fnHang {
		w.mu.Lock()
		w.hung = append(w.hung, t.Token)
		w.mu.Unlock()
		return false, nil
	}
	go func() {
		ctx := context.Background()
		if t.Resource == fnFlaky {
			w.mu.Lock()
			again := w.flaky[t.Input]
			w.flaky[t.Input] = true
			w.mu.Unlock()
			if !again {
				_ = w.eng().ApplyWorkerResult(ctx, engine.WorkerResult{Token: t.Token, Attempt: t.Attempt + 1, Failed: true, Error: "Flaky"})
				return
			}
		}
		in, _ := statelang.ParseJSON([]byte(t.Input))
		out, fail, _ := double(t, in)
		if fail != nil {
			_ = w.eng().SendTaskFailure(ctx, t.Token, fail.Name, fail.Cause)
			return
		}
		_ = w.eng().ApplyWorkerResult(ctx, engine.WorkerResult{Token: t.Token, Attempt: t.Attempt + 1, Output: statelang.MarshalString(out)})
	}()
	return false, nil
}

// testExpress runs EXPRESS machines: the store keeps a machine's type and
// logging for all its versions; executions run in memory (no row, no
// history: DescribeExecution refuses their ARN) through tasks, retries,
// Parallel, Map, Wait and a timeout, StartSyncExecution answers their
// outcome, and their events go to the machine's log group at its level.
func testExpress(t *testing.T, newStore NewStore) {
	sink := &logSink{events: map[string][]engine.LogEvent{}, groups: map[string]bool{}}
	const group = "arn:aws:logs:us-east-1:111111111111:log-group:express:*"
	sink.groups[group] = true
	var eng *engine.Engine
	worker := &expressWorker{eng: func() *engine.Engine { return eng }, flaky: map[string]bool{}}
	h := newHarness(t, newStore, func(c *engine.Config) {
		c.Dispatcher, c.Logs, c.Now = worker, sink, time.Now
	})
	eng = h.eng
	ctx := h.ctx

	def := `{"StartAt":"P","States":{
	  "P":{"Type":"Pass","Parameters":{"n.$":"$.n","id.$":"$$.Execution.Id","ctx.$":"$$.Execution"},"Next":"T"},
	  "T":{"Type":"Task","Resource":"` + fnFlaky + `","InputPath":"$.n","ResultPath":"$.t",
	       "Retry":[{"ErrorEquals":["Flaky"],"IntervalSeconds":1,"MaxAttempts":2}],"Next":"Par"},
	  "Par":{"Type":"Parallel","ResultPath":"$.par","Next":"M","Branches":[
	    {"StartAt":"A","States":{"A":{"Type":"Task","Resource":"` + fnDouble + `","InputPath":"$.t","End":true}}},
	    {"StartAt":"B","States":{"B":{"Type":"Wait","Seconds":1,"Next":"C"},"C":{"Type":"Pass","Result":7,"End":true}}}]},
	  "M":{"Type":"Map","ItemsPath":"$.par","ResultPath":"$.m","ItemProcessor":{"StartAt":"D","States":{
	    "D":{"Type":"Task","Resource":"` + fnDouble + `","End":true}}},"End":true}}}`
	sm, err := eng.CreateStateMachineWith(ctx, engine.StateMachine{Name: "fast", Definition: def, RoleARN: role,
		Type: engine.TypeExpress, Logging: &engine.Logging{Level: engine.LogAll, IncludeExecutionData: true, LogGroupARN: group}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := eng.DescribeStateMachine(ctx, "fast", 0)
	if err != nil || got.Type != engine.TypeExpress || got.Logging == nil || got.Logging.LogGroupARN != group || !got.Logging.IncludeExecutionData {
		t.Fatalf("DescribeStateMachine = %+v %+v, %v; want EXPRESS logging ALL to %s", got, got.Logging, err, group)
	}
	if again, err := eng.CreateStateMachine(ctx, "fast", def, role); !errors.Is(err, engine.ErrStateMachineExists) {
		t.Errorf("CreateStateMachine of the same name and definition as STANDARD = %+v, %v; want ErrStateMachineExists", again, err)
	}

	// StartSyncExecution: the outcome, with a context object without
	// RedriveCount.
	x, err := eng.StartExecution(ctx, engine.StartExecutionInput{StateMachine: "fast", Name: "sync-1", Input: `{"n":3}`, Sync: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(x.ARN, "arn:aws:states:us-east-1:111111111111:express:fast:sync-1:") || x.StateMachineARN != sm.ARN {
		t.Errorf("express ARN = %q (machine %q); want arn:aws:states:us-east-1:111111111111:express:fast:sync-1:<uuid>", x.ARN, x.StateMachineARN)
	}
	var out struct {
		N   int64          `json:"n"`
		ID  string         `json:"id"`
		Ctx map[string]any `json:"ctx"`
		T   int64          `json:"t"`
		Par []int64        `json:"par"`
		M   []int64        `json:"m"`
	}
	if x.Status != engine.StatusSucceeded || json.Unmarshal([]byte(x.Output), &out) != nil {
		t.Fatalf("sync execution = %s %s %s: %s; want SUCCEEDED", x.Status, x.Error, x.Cause, x.Output)
	}
	if out.ID != x.ARN || out.T != 6 || len(out.Par) != 2 || out.Par[0] != 12 || out.Par[1] != 7 ||
		len(out.M) != 2 || out.M[0] != 24 || out.M[1] != 14 {
		t.Errorf("sync output = %s; want id = ARN, t 6, par [12,7], m [24,14]", x.Output)
	}
	if _, has := out.Ctx["RedriveCount"]; has || out.Ctx["Name"] != "sync-1" {
		t.Errorf("$$.Execution of a sync express execution = %v; want its name and no RedriveCount", out.Ctx)
	}
	if x.StopDate.Before(x.StartDate) || x.StopDate.Sub(x.StartDate) < 2*time.Second {
		t.Errorf("sync execution took %v; want at least the retry's 1 s and the Wait's 1 s", x.StopDate.Sub(x.StartDate))
	}
	if _, err := eng.DescribeExecution(ctx, x.ARN); !errors.Is(err, engine.ErrExpressARN) {
		t.Errorf("DescribeExecution(express ARN) = %v; want ErrExpressARN", err)
	}
	if _, _, err := eng.GetExecutionHistory(ctx, x.ARN, engine.HistoryInput{}); !errors.Is(err, engine.ErrExpressARN) {
		t.Errorf("GetExecutionHistory(express ARN) = %v; want ErrExpressARN", err)
	}
	msgs := sink.messages(group, x.ARN)
	if len(msgs) < 10 || msgs[0]["type"] != "ExecutionStarted" || msgs[len(msgs)-1]["type"] != "ExecutionSucceeded" {
		t.Fatalf("logged %d events for the sync execution; want ExecutionStarted … ExecutionSucceeded", len(msgs))
	}
	for i, m := range msgs {
		if m["id"] != strconv.Itoa(i+1) || m["previous_event_id"] != strconv.Itoa(i) {
			t.Fatalf("logged event %d = id %v previous %v; want ids 1..n in order", i, m["id"], m["previous_event_id"])
		}
		if _, has := m["redrive_count"]; has {
			t.Fatalf("a sync execution's log event has redrive_count: %v", m)
		}
	}
	if det, _ := msgs[len(msgs)-1]["details"].(map[string]any); det["output"] != x.Output {
		t.Errorf("ExecutionSucceeded logged output %v; want %s", det["output"], x.Output)
	}

	// StartExecution answers at once; the end shows in the log.
	y, err := eng.StartExecution(ctx, engine.StartExecutionInput{StateMachine: "fast", Name: "async-1", Input: `{"n":5}`})
	if err != nil || y.Status != engine.StatusRunning || !engine.IsExpressARN(y.ARN) {
		t.Fatalf("StartExecution(express) = %+v, %v; want RUNNING with an express ARN", y, err)
	}
	end := waitLogged(t, sink, group, y.ARN, "ExecutionSucceeded")
	if det, _ := end["details"].(map[string]any); !strings.Contains(det["output"].(string), `"m":[40,14]`) || end["redrive_count"] != "0" {
		t.Errorf("async end event = %v; want output with m [40,14] and redrive_count 0", end)
	}

	// A failure, logged at level ERROR without data; the STANDARD machine
	// is refused by StartSyncExecution.
	h.machine("std", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)
	if _, err := eng.StartExecution(ctx, engine.StartExecutionInput{StateMachine: "std", Sync: true}); !errors.Is(err, engine.ErrNotExpress) {
		t.Errorf("StartSyncExecution of a STANDARD machine = %v; want ErrNotExpress", err)
	}
	if _, err := eng.CreateStateMachineWith(ctx, engine.StateMachine{Name: "fails", RoleARN: role, Type: engine.TypeExpress,
		Definition: `{"StartAt":"P","States":{"P":{"Type":"Pass","Next":"F"},"F":{"Type":"Fail","Error":"Bad","Cause":"input was bad"}}}`,
		Logging:    &engine.Logging{Level: engine.LogError, LogGroupARN: group}}); err != nil {
		t.Fatal(err)
	}
	f, err := eng.StartExecution(ctx, engine.StartExecutionInput{StateMachine: "fails", Input: `{"secret":1}`, Sync: true})
	if err != nil || f.Status != engine.StatusFailed || f.Error != "Bad" || f.Cause != "input was bad" {
		t.Fatalf("failing sync execution = %+v, %v; want FAILED Bad: input was bad", f, err)
	}
	for _, m := range sink.messages(group, f.ARN) {
		if typ := m["type"].(string); !strings.HasSuffix(typ, "Failed") && typ != "FailStateEntered" {
			t.Errorf("level ERROR logged %s", typ)
		}
		if det, _ := m["details"].(map[string]any); det["input"] != nil {
			t.Errorf("includeExecutionData false logged the input: %v", m)
		}
	}

	// The 5-minute limit and TimeoutSeconds: an execution waiting on a
	// task that never answers times out; its task's late result is
	// refused.
	if _, err := eng.CreateStateMachineWith(ctx, engine.StateMachine{Name: "hangs", RoleARN: role, Type: engine.TypeExpress,
		Definition: `{"TimeoutSeconds":1,"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + fnHang + `","End":true}}}`}); err != nil {
		t.Fatal(err)
	}
	z, err := eng.StartExecution(ctx, engine.StartExecutionInput{StateMachine: "hangs", Sync: true})
	// As DescribeExecution on AWS: a timed-out execution has neither error
	// nor cause (its ExecutionTimedOut event names States.Timeout).
	if err != nil || z.Status != engine.StatusTimedOut || z.Error != "" || z.Cause != "" {
		t.Fatalf("hanging sync execution = %+v, %v; want TIMED_OUT without error or cause", z, err)
	}
	if n := eng.RunningExpress(); n != 0 {
		t.Errorf("RunningExpress() = %d after every execution ended; want 0", n)
	}
	worker.mu.Lock()
	hung := worker.hung
	worker.mu.Unlock()
	if len(hung) != 1 {
		t.Fatalf("hanging tasks dispatched: %d; want 1", len(hung))
	}
	if err := eng.SendTaskSuccess(ctx, hung[0], "{}"); !errors.Is(err, engine.ErrTaskClosed) {
		t.Errorf("SendTaskSuccess with the token of an ended express run = %v; want ErrTaskClosed", err)
	}
	if err := eng.SendTaskSuccess(ctx, "x1-1-00000000000000000000000000000000", "{}"); !errors.Is(err, engine.ErrElsewhere) {
		t.Errorf("SendTaskSuccess with the token of another process's express run = %v; want ErrElsewhere", err)
	}

	// Logging changes for every version, without a new revision.
	if _, _, err := eng.ReviseStateMachine(ctx, engine.UpdateStateMachineInput{Name: "fast", Logging: &engine.Logging{Level: engine.LogOff}}); err != nil {
		t.Fatal(err)
	}
	if got, err := eng.DescribeStateMachine(ctx, "fast", 0); err != nil || got.Logging != nil || got.Version != sm.Version {
		t.Errorf("after logging OFF: %+v %+v, %v; want no logging, revision %d", got, got.Logging, err, sm.Version)
	}
	list, _, err := eng.ListStateMachines(ctx, engine.ListStateMachinesInput{})
	types := map[string]string{}
	for _, m := range list {
		types[m.Name] = engine.MachineType(m.Type)
	}
	if err != nil || types["fast"] != engine.TypeExpress || types["std"] != engine.TypeStandard {
		t.Errorf("ListStateMachines types = %v, %v; want fast EXPRESS, std STANDARD", types, err)
	}
}

// waitLogged waits (up to 10 s) for an event of type typ of execution arn
// in the log group, and returns it.
func waitLogged(t *testing.T, sink *logSink, group, arn, typ string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range sink.messages(group, arn) {
			if m["type"] == typ {
				return m
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no %s logged for %s within 10 s", typ, arn)
	return nil
}

// testExpressMachineCache checks that a start of an EXPRESS machine uses
// the machine read by a start less than a second before (no row read),
// and an updated definition after that, as AWS allows: executions started
// just after UpdateStateMachine may run the previous definition.
func testExpressMachineCache(t *testing.T, newStore NewStore) {
	h := newHarness(t, newStore, nil)
	ctx := h.ctx
	def := func(v int) string {
		return `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":` + strconv.Itoa(v) + `,"End":true}}}`
	}
	if _, err := h.eng.CreateStateMachineWith(ctx, engine.StateMachine{Name: "c", Definition: def(1), RoleARN: role, Type: engine.TypeExpress}); err != nil {
		t.Fatal(err)
	}
	run := func() string {
		t.Helper()
		x, err := h.eng.StartExecution(ctx, engine.StartExecutionInput{StateMachine: "c", Sync: true})
		if err != nil || x.Status != engine.StatusSucceeded {
			t.Fatalf("sync execution = %+v, %v", x, err)
		}
		return x.Output
	}
	if out := run(); out != "1" {
		t.Fatalf("first execution output %s; want 1", out)
	}
	if _, _, err := h.eng.ReviseStateMachine(ctx, engine.UpdateStateMachineInput{Name: "c", Definition: ptr(def(2))}); err != nil {
		t.Fatal(err)
	}
	if out := run(); out != "1" {
		t.Errorf("a start right after the update ran %s; want the machine read a moment before (1)", out)
	}
	h.clock.Add(2 * time.Second)
	if out := run(); out != "2" {
		t.Errorf("a start 2 s after the update ran %s; want the new definition (2)", out)
	}
}

func ptr[T any](v T) *T { return &v }

// testStandardLogging checks that a STANDARD machine with a logging
// configuration logs its executions' events after they commit, in order,
// at its level, with their redrive count.
func testStandardLogging(t *testing.T, newStore NewStore) {
	sink := &logSink{events: map[string][]engine.LogEvent{}, groups: map[string]bool{}}
	const group = "arn:aws:logs:us-east-1:111111111111:log-group:standard:*"
	sink.groups[group] = true
	h := newHarness(t, newStore, func(c *engine.Config) { c.Logs = sink })
	ctx := h.ctx
	if _, err := h.eng.CreateStateMachineWith(ctx, engine.StateMachine{Name: "logged", RoleARN: role,
		Definition: `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + fnDouble + `","Next":"P"},"P":{"Type":"Pass","End":true}}}`,
		Logging:    &engine.Logging{Level: engine.LogAll, IncludeExecutionData: true, LogGroupARN: group}}); err != nil {
		t.Fatal(err)
	}
	x := h.start("logged", "one", `21`)
	if got := h.drive(x.ARN, double); got.Status != engine.StatusSucceeded || got.Output != "42" {
		t.Fatalf("execution = %s %s; want SUCCEEDED 42", got.Status, got.Output)
	}
	msgs := sink.messages(group, x.ARN)
	hist := h.history(x.ARN)
	if len(msgs) != len(hist) {
		t.Fatalf("logged %d events; the history has %d", len(msgs), len(hist))
	}
	for i, m := range msgs {
		if m["type"] != string(hist[i].Type) || m["id"] != strconv.Itoa(i+1) || m["redrive_count"] != "0" {
			t.Fatalf("logged event %d = %v; want %s, id %d, redrive_count 0", i, m, hist[i].Type, i+1)
		}
	}
	if det, _ := msgs[len(msgs)-1]["details"].(map[string]any); det["output"] != "42" {
		t.Errorf("ExecutionSucceeded logged %v; want output 42", msgs[len(msgs)-1])
	}
}
