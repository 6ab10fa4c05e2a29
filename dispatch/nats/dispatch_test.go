package nats_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	natsdispatch "github.com/stepwise-dev/stepwise/dispatch/nats"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/statelang"
	"github.com/stepwise-dev/stepwise/workers"
)

const fnARN = "arn:aws:lambda:us-east-1:111111111111:function:"

func TestRouteTask(t *testing.T) {
	t.Parallel()
	tests := []struct {
		resource, input string
		name, out       string
	}{
		{fnARN + "f", `{"a":1}`, "f", `{"a":1}`},
		{fnARN + "f:prod", `{"a":1}`, "f", `{"a":1}`},
		{"arn:aws:states:::lambda:invoke", `{"FunctionName":"g","Payload":{"x":1.0}}`, "g", `{"x":1.0}`},
		{"arn:aws:states:::lambda:invoke", `{"FunctionName":"` + fnARN + `g:1","Payload":"[1,2]"}`, "g", `[1,2]`},
		{"arn:aws:states:::lambda:invoke", `{"FunctionName":"g","Payload":"not json"}`, "g", `"not json"`},
		{"arn:aws:states:::lambda:invoke", `{"FunctionName":"g"}`, "g", `{}`},
		{"arn:aws:states:::lambda:invoke.waitForTaskToken", `{"FunctionName":"g","Payload":{"t":"x"}}`, "g", `{"t":"x"}`},
		{"arn:aws:states:::sqs:sendMessage", `{"QueueUrl":"q"}`, "sqs:sendMessage", `{"QueueUrl":"q"}`},
		{"arn:aws:states:::sns:publish.waitForTaskToken", `{}`, "sns:publish", `{}`},
	}
	for _, tt := range tests {
		r, err := natsdispatch.RouteTask(statelang.ParseResource(tt.resource), tt.input)
		if err != nil || r.Name != tt.name || string(r.Input) != tt.out {
			t.Errorf("RouteTask(%q, %s) = %q %s, %v; want %q %s", tt.resource, tt.input, r.Name, r.Input, err, tt.name, tt.out)
		}
	}
	if _, err := natsdispatch.RouteTask(statelang.ParseResource("arn:aws:states:::lambda:invoke"), `{"Payload":1}`); err == nil {
		t.Errorf("RouteTask(lambda:invoke without FunctionName) = nil error; want one")
	}
}

// TestUndeliverableTask: a task no worker can take (a Lambda invoke
// without a FunctionName) is reported undeliverable by Dispatch, and the
// engine fails it with States.Runtime, which fails the execution.
func TestUndeliverableTask(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	s.machine("m", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
		"Parameters":{"Payload":1},"End":true}}}`)
	x := s.wait(s.start("m", `{}`).ARN, 20*time.Second)
	if x.Status != engine.StatusFailed || x.Error != "States.Runtime" || !strings.Contains(x.Cause, "not a Lambda function name") {
		t.Fatalf("execution = %s %s %q; want FAILED States.Runtime: not a Lambda function name", x.Status, x.Error, x.Cause)
	}
}

func TestSuccess(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	s.worker(workers.Config{}, func(w *workers.Worker) {
		workers.HandleFunc(w, "double", func(_ context.Context, in struct{ N int }) (map[string]int, error) {
			return map[string]int{"n": in.N * 2}, nil
		})
	})
	s.machine("m", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+fnARN+`double","ResultPath":"$.r","End":true}}}`)
	x := s.wait(s.start("m", `{"N":21}`).ARN, 20*time.Second)
	if x.Status != engine.StatusSucceeded || x.Output != `{"N":21,"r":{"n":42}}` {
		t.Fatalf("execution = %s %s %s; want SUCCEEDED {\"N\":21,\"r\":{\"n\":42}}", x.Status, x.Error, x.Output)
	}
	evs := s.history(x.ARN)
	checkHistory(t, evs)
	want := "ExecutionStarted TaskStateEntered LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionSucceeded TaskStateExited ExecutionSucceeded"
	if got := strings.Join(types(evs), " "); got != want {
		t.Errorf("history = %s; want %s", got, want)
	}
	if r := evs[2].Details["resource"]; r != fnARN+"double" {
		t.Errorf("LambdaFunctionScheduled resource = %v; want the function ARN", r)
	}
}

func TestCatchNamedFailure(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	s.worker(workers.Config{}, func(w *workers.Worker) {
		w.Register("validate", func(context.Context, json.RawMessage) (json.RawMessage, error) {
			return nil, workers.Fail("ValidationError", "no items")
		})
	})
	s.machine("m", `{"StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"`+fnARN+`validate","Retry":[{"ErrorEquals":["States.TaskFailed"],"MaxAttempts":3}],
		     "Catch":[{"ErrorEquals":["ValidationError"],"ResultPath":"$.err","Next":"Bad"}],"End":true},
		"Bad":{"Type":"Pass","End":true}}}`)
	x := s.wait(s.start("m", `{}`).ARN, 20*time.Second)
	if x.Status != engine.StatusSucceeded || x.Output != `{"err":{"Cause":"no items","Error":"ValidationError"}}` {
		t.Fatalf("execution = %s %s; want SUCCEEDED with the caught error", x.Status, x.Output)
	}
	// States.TaskFailed matches ValidationError too: three retries, then
	// the Catch (the seed's ValidateOrder).
	if n := count(s.history(x.ARN), "LambdaFunctionFailed"); n != 4 {
		t.Errorf("LambdaFunctionFailed events = %d; want 4", n)
	}
}

func TestRetryBackoffThenSuccess(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	var calls atomic.Int32
	var attempts sync.Map
	s.worker(workers.Config{}, func(w *workers.Worker) {
		w.Register("flaky", func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
			info, _ := workers.TaskInfoFromContext(ctx)
			attempts.Store(info.Attempt, time.Now())
			if calls.Add(1) < 3 {
				return nil, workers.Fail("Flaky", "try again")
			}
			return json.RawMessage(`"ok"`), nil
		})
	})
	s.machine("m", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+fnARN+`flaky",
		"Retry":[{"ErrorEquals":["Flaky"],"IntervalSeconds":1,"BackoffRate":2,"MaxAttempts":3}],"End":true}}}`)
	x := s.wait(s.start("m", `{}`).ARN, 30*time.Second)
	if x.Status != engine.StatusSucceeded || x.Output != `"ok"` {
		t.Fatalf("execution = %s %s %s; want SUCCEEDED \"ok\"", x.Status, x.Error, x.Output)
	}
	evs := s.history(x.ARN)
	if f, sc := count(evs, "LambdaFunctionFailed"), count(evs, "LambdaFunctionSucceeded"); f != 2 || sc != 1 {
		t.Errorf("failed/succeeded events = %d/%d; want 2/1", f, sc)
	}
	for a := 1; a <= 3; a++ {
		if _, ok := attempts.Load(a); !ok {
			t.Errorf("attempt %d never ran", a)
		}
	}
	// The backoff (1 s, then 2 s) shows in the event timestamps.
	var fails, scheds []time.Time
	for _, e := range evs {
		switch e.Type {
		case "LambdaFunctionFailed":
			fails = append(fails, e.Timestamp)
		case "LambdaFunctionScheduled":
			scheds = append(scheds, e.Timestamp)
		}
	}
	if len(scheds) == 3 && (scheds[1].Sub(fails[0]) < time.Second || scheds[2].Sub(fails[1]) < 2*time.Second) {
		t.Errorf("retries scheduled %v and %v after the failures; want >= 1s and >= 2s", scheds[1].Sub(fails[0]), scheds[2].Sub(fails[1]))
	}
}

func TestTimeoutAndHeartbeatExpiry(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	var cancelled atomic.Int32
	s.worker(workers.Config{}, func(w *workers.Worker) {
		w.Register("slow", func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
			select {
			case <-ctx.Done():
				cancelled.Add(1)
				return nil, ctx.Err()
			case <-time.After(20 * time.Second):
				return in, nil
			}
		})
		// Delivers a callback request and never calls back.
		w.Register("silent", func(context.Context, json.RawMessage) (json.RawMessage, error) { return nil, nil })
	})
	s.machine("timeout", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+fnARN+`slow","TimeoutSeconds":1,
		"Catch":[{"ErrorEquals":["States.Timeout"],"Next":"Caught"}],"End":true},"Caught":{"Type":"Pass","End":true}}}`)
	s.machine("heartbeat", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
		"Parameters":{"FunctionName":"silent","Payload":{"token.$":"$$.Task.Token"}},"HeartbeatSeconds":1,"End":true}}}`)
	a, b := s.start("timeout", `{}`), s.start("heartbeat", `{}`)
	xa := s.wait(a.ARN, 20*time.Second)
	if xa.Status != engine.StatusSucceeded || xa.Output != `{"Cause":"","Error":"States.Timeout"}` {
		t.Errorf("timeout: %s %s; want SUCCEEDED {\"Cause\":\"\",\"Error\":\"States.Timeout\"}", xa.Status, xa.Output)
	}
	if n := count(s.history(a.ARN), "LambdaFunctionTimedOut"); n != 1 {
		t.Errorf("LambdaFunctionTimedOut events = %d; want 1", n)
	}
	xb := s.wait(b.ARN, 20*time.Second)
	if xb.Status != engine.StatusFailed || xb.Error != "States.HeartbeatTimeout" {
		t.Errorf("heartbeat: %s %s; want FAILED States.HeartbeatTimeout", xb.Status, xb.Error)
	}
	if n := count(s.history(b.ARN), "TaskTimedOut"); n != 1 {
		t.Errorf("TaskTimedOut events = %d; want 1", n)
	}
	// The worker's handler was stopped (its deadline, or the engine's cancel).
	deadline := time.Now().Add(5 * time.Second)
	for cancelled.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if cancelled.Load() == 0 {
		t.Errorf("the timed out handler's context was never cancelled")
	}
}

// TestWorkerKilledMidTask: the worker running the task dies (its
// connection is cut); the heartbeat timeout fails the attempt, Retry
// schedules another, a second worker completes it, and the task is
// completed exactly once even though the first delivery is redelivered.
func TestWorkerKilledMidTask(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	took := make(chan struct{}, 1)
	// AckWait (4 s) is longer than the heartbeat timeout (1 s): the
	// heartbeat timeout and Retry, not JetStream's redelivery, recover.
	nc1 := s.worker(workers.Config{ID: "doomed", AckWait: 4 * time.Second}, func(w *workers.Worker) {
		w.Register("job", func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
			took <- struct{}{}
			<-ctx.Done()
			return nil, ctx.Err()
		})
	})
	s.machine("m", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+fnARN+`job","HeartbeatSeconds":1,
		"Retry":[{"ErrorEquals":["States.HeartbeatTimeout"],"IntervalSeconds":1,"MaxAttempts":2}],"End":true}}}`)
	x := s.start("m", `{"v":1}`)
	select {
	case <-took:
	case <-time.After(20 * time.Second):
		t.Fatal("the first worker never took the task")
	}
	nc1.Close() // killed: no heartbeats, no result, no ack
	var runs sync.Map
	s.worker(workers.Config{ID: "survivor", AckWait: 4 * time.Second}, func(w *workers.Worker) {
		w.Register("job", func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
			info, _ := workers.TaskInfoFromContext(ctx)
			runs.Store(fmt.Sprintf("%d/%d", info.Attempt, info.Delivery), true)
			return in, nil
		})
	})
	got := s.wait(x.ARN, 40*time.Second)
	if got.Status != engine.StatusSucceeded || got.Output != `{"v":1}` {
		t.Fatalf("execution = %s %s %s; want SUCCEEDED", got.Status, got.Error, got.Output)
	}
	evs := s.history(x.ARN)
	checkHistory(t, evs)
	if n, to := count(evs, "LambdaFunctionSucceeded"), count(evs, "LambdaFunctionTimedOut"); n != 1 || to != 1 {
		t.Errorf("succeeded/timed out events = %d/%d; want 1/1: %v", n, to, types(evs))
	}
	// The first attempt's redelivery (after AckWait) changes nothing.
	time.Sleep(5 * time.Second)
	if n := len(s.history(x.ARN)); n != len(evs) {
		t.Errorf("history grew to %d events after completion; want %d", n, len(evs))
	}
}

// TestNATSRestart restarts nats-server while executions run: tasks
// published before, during and after the outage all complete, once.
func TestNATSRestart(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	s.worker(workers.Config{}, func(w *workers.Worker) {
		w.Register("step", func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
			time.Sleep(50 * time.Millisecond)
			var n int
			_ = json.Unmarshal(in, &n)
			return json.RawMessage(fmt.Sprint(n + 1)), nil
		})
	})
	s.machine("m", `{"StartAt":"A","States":{
		"A":{"Type":"Task","Resource":"`+fnARN+`step","Next":"B"},
		"B":{"Type":"Task","Resource":"`+fnARN+`step","Next":"C"},
		"C":{"Type":"Task","Resource":"`+fnARN+`step","End":true}}}`)
	var xs []*engine.Execution
	for i := range 20 {
		xs = append(xs, s.start("m", fmt.Sprint(i*10)))
	}
	time.Sleep(100 * time.Millisecond)
	if err := s.srv.Restart(); err != nil {
		t.Fatal(err)
	}
	for i := 20; i < 30; i++ {
		xs = append(xs, s.start("m", fmt.Sprint(i*10)))
	}
	for i, x := range xs {
		got := s.wait(x.ARN, 60*time.Second)
		if want := fmt.Sprint(i*10 + 3); got.Status != engine.StatusSucceeded || got.Output != want {
			t.Errorf("%s = %s %s %s; want SUCCEEDED %s", x.Name, got.Status, got.Error, got.Output, want)
			continue
		}
		evs := s.history(x.ARN)
		checkHistory(t, evs)
		if n := count(evs, "LambdaFunctionSucceeded"); n != 3 {
			t.Errorf("%s: %d LambdaFunctionSucceeded; want 3", x.Name, n)
		}
	}
}

func TestCallbacks(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	var mu sync.Mutex
	tokens := map[string]string{} // mode → token
	workerNC := s.worker(workers.Config{}, func(w *workers.Worker) {
		w.Register("pay", func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
			var p struct{ Mode, Token string }
			_ = json.Unmarshal(in, &p)
			mu.Lock()
			tokens[p.Mode] = p.Token
			mu.Unlock()
			return json.RawMessage(`{"delivered":true}`), nil // not the task's output
		})
	})
	s.machine("m", `{"StartAt":"Pay","States":{"Pay":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
		"Parameters":{"FunctionName":"pay","Payload":{"Mode.$":"$.mode","Token.$":"$$.Task.Token"}},"End":true}}}`)
	s.machine("hb", `{"StartAt":"Pay","States":{"Pay":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
		"Parameters":{"FunctionName":"pay","Payload":{"Mode.$":"$.mode","Token.$":"$$.Task.Token"}},"HeartbeatSeconds":3,"End":true}}}`)
	tokenOf := func(mode string) string {
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			mu.Lock()
			tok := tokens[mode]
			mu.Unlock()
			if tok != "" {
				return tok
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Fatalf("no token for %s", mode)
		return ""
	}
	ctx := context.Background()
	xs := map[string]*engine.Execution{}
	for _, mode := range []string{"nats-success", "nats-failure", "api-success", "api-failure", "nats-heartbeat", "api-heartbeat"} {
		machine := "m"
		if strings.HasSuffix(mode, "heartbeat") {
			machine = "hb"
		}
		xs[mode] = s.start(machine, `{"mode":"`+mode+`"}`)
	}
	for mode := range xs {
		tokenOf(mode)
	}
	// Heartbeats for 4 s keep a 3 s heartbeat timeout from firing.
	for range 8 {
		time.Sleep(500 * time.Millisecond)
		if err := workers.SendHeartbeat(ctx, workerNC, tokenOf("nats-heartbeat")); err != nil {
			t.Fatal(err)
		}
		if err := s.eng.SendTaskHeartbeat(ctx, tokenOf("api-heartbeat")); err != nil {
			x, _ := s.eng.DescribeExecution(ctx, xs["api-heartbeat"].ARN)
			t.Fatalf("SendTaskHeartbeat = %v (%s %s %v)", err, x.Status, x.Error, types(s.history(x.ARN)))
		}
	}
	if err := workers.SendSuccess(ctx, workerNC, tokenOf("nats-success"), json.RawMessage(`{"paid":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := workers.SendFailure(ctx, workerNC, tokenOf("nats-failure"), "PaymentFailed", "card declined"); err != nil {
		t.Fatal(err)
	}
	if err := s.eng.SendTaskSuccess(ctx, tokenOf("api-success"), `{"paid":2}`); err != nil {
		t.Fatal(err)
	}
	if err := s.eng.SendTaskFailure(ctx, tokenOf("api-failure"), "PaymentFailed", "expired"); err != nil {
		t.Fatal(err)
	}
	if err := workers.SendSuccess(ctx, workerNC, tokenOf("nats-heartbeat"), json.RawMessage(`"hb-nats"`)); err != nil {
		t.Fatal(err)
	}
	if err := s.eng.SendTaskSuccess(ctx, tokenOf("api-heartbeat"), `"hb-api"`); err != nil {
		t.Fatal(err)
	}
	want := map[string][3]string{
		"nats-success":   {engine.StatusSucceeded, `{"paid":1}`, ""},
		"nats-failure":   {engine.StatusFailed, "", "PaymentFailed"},
		"api-success":    {engine.StatusSucceeded, `{"paid":2}`, ""},
		"api-failure":    {engine.StatusFailed, "", "PaymentFailed"},
		"nats-heartbeat": {engine.StatusSucceeded, `"hb-nats"`, ""},
		"api-heartbeat":  {engine.StatusSucceeded, `"hb-api"`, ""},
	}
	for mode, x := range xs {
		got := s.wait(x.ARN, 20*time.Second)
		w := want[mode]
		if got.Status != w[0] || got.Output != w[1] || got.Error != w[2] {
			t.Errorf("%s: %s output=%s error=%s; want %v", mode, got.Status, got.Output, got.Error, w)
		}
	}
	// A second answer for a finished task is rejected as AWS does.
	if err := s.eng.SendTaskSuccess(ctx, tokenOf("api-success"), `{}`); !errors.Is(err, engine.ErrTaskClosed) {
		t.Errorf("second SendTaskSuccess = %v; want ErrTaskClosed", err)
	}
	if err := s.eng.SendTaskHeartbeat(ctx, tokenOf("api-success")); !errors.Is(err, engine.ErrTaskClosed) {
		t.Errorf("SendTaskHeartbeat for a finished task = %v; want ErrTaskClosed", err)
	}
}

func TestForgedAndReplayedTokens(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	s.machine("m", `{"StartAt":"W","States":{"W":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken",
		"Parameters":{"t.$":"$$.Task.Token"},"End":true}}}`)
	x := s.start("m", `{}`)
	ctx := context.Background()
	var token string
	deadline := time.Now().Add(10 * time.Second)
	for token == "" && time.Now().Before(deadline) {
		// Nobody serves sqs:sendMessage here; the token is in the history.
		for _, e := range s.history(x.ARN) {
			if e.Type == "TaskScheduled" {
				var p struct{ T string }
				_ = json.Unmarshal([]byte(e.Details["parameters"].(string)), &p)
				token = p.T
			}
		}
	}
	id, ok := engine.ExecutionIDOfToken(token)
	if !ok || id != x.ID {
		t.Fatalf("ExecutionIDOfToken(%q) = %d, %v; want %d", token, id, ok, x.ID)
	}
	parts := strings.Split(token, "-")
	mac := []byte(parts[2])
	mac[0] ^= 1
	if mac[0] > 'f' || (mac[0] > '9' && mac[0] < 'a') {
		mac[0] = '0'
	}
	forged := []string{
		parts[0] + "-" + parts[1] + "-" + string(mac),                   // wrong MAC
		parts[0] + "-" + fmt.Sprint(1+len(parts[1])*7) + "-" + parts[2], // another task's number
		fmt.Sprint(x.ID+1) + "-" + parts[1] + "-" + parts[2],            // another execution
		"garbage", "", fmt.Sprint(x.ID) + "-1",
	}
	for _, f := range forged {
		if f == token {
			continue
		}
		if err := s.eng.SendTaskSuccess(ctx, f, `{}`); !errors.Is(err, engine.ErrInvalidToken) {
			t.Errorf("SendTaskSuccess(forged %q) = %v; want ErrInvalidToken", f, err)
		}
		if err := s.eng.SendTaskHeartbeat(ctx, f); !errors.Is(err, engine.ErrInvalidToken) {
			t.Errorf("SendTaskHeartbeat(forged %q) = %v; want ErrInvalidToken", f, err)
		}
	}
	if err := s.eng.SendTaskSuccess(ctx, token, `{"ok":true}`); err != nil {
		t.Fatalf("SendTaskSuccess(real token) = %v", err)
	}
	if err := s.eng.SendTaskSuccess(ctx, token, `{"ok":"again"}`); !errors.Is(err, engine.ErrTaskClosed) {
		t.Errorf("replayed SendTaskSuccess = %v; want ErrTaskClosed", err)
	}
	if err := s.eng.SendTaskFailure(ctx, token, "E", ""); !errors.Is(err, engine.ErrTaskClosed) {
		t.Errorf("replayed SendTaskFailure = %v; want ErrTaskClosed", err)
	}
	got := s.wait(x.ARN, 10*time.Second)
	if got.Output != `{"ok":true}` {
		t.Errorf("output = %s; want the first answer", got.Output)
	}
	// Tokens of one execution do not repeat and do not reveal each other.
	if n := count(s.history(x.ARN), "TaskSucceeded"); n != 1 {
		t.Errorf("TaskSucceeded events = %d; want 1", n)
	}
}

func TestActivityLongPoll(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	ctx := context.Background()
	act, err := s.eng.CreateActivity(ctx, "approve")
	if err != nil {
		t.Fatal(err)
	}
	if again, err := s.eng.CreateActivity(ctx, "approve"); err != nil || again.ARN != act.ARN {
		t.Errorf("CreateActivity again = %+v, %v; want the same activity", again, err)
	}
	if d, err := s.eng.DescribeActivity(ctx, act.ARN); err != nil || d.Name != "approve" {
		t.Errorf("DescribeActivity = %+v, %v", d, err)
	}
	if list, next, err := s.eng.ListActivities(ctx, 0, ""); err != nil || len(list) != 1 || next != "" {
		t.Errorf("ListActivities = %v %q %v; want one", list, next, err)
	}
	// An empty poll ends with the caller's context and an empty token.
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	tok, _, err := s.eng.GetActivityTask(short, act.ARN, "w0")
	cancel()
	if err != nil || tok != "" {
		t.Errorf("empty GetActivityTask = %q, %v; want no token", tok, err)
	}
	type polled struct{ token, input string }
	got := make(chan polled, 1)
	go func() {
		tok, in, err := s.eng.GetActivityTask(ctx, act.ARN, "worker-1")
		if err != nil {
			t.Error(err)
		}
		got <- polled{tok, in}
	}()
	time.Sleep(200 * time.Millisecond) // the poll is waiting
	s.machine("m", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"`+act.ARN+`","HeartbeatSeconds":5,"End":true}}}`)
	x := s.start("m", `{"doc":7}`)
	var p polled
	select {
	case p = <-got:
	case <-time.After(30 * time.Second):
		t.Fatal("GetActivityTask did not return the task")
	}
	if p.token == "" || p.input != `{"doc":7}` {
		t.Fatalf("GetActivityTask = %q %s; want a token and the input", p.token, p.input)
	}
	if err := s.eng.SendTaskHeartbeat(ctx, p.token); err != nil {
		t.Fatal(err)
	}
	if err := s.eng.SendTaskSuccess(ctx, p.token, `{"approved":true}`); err != nil {
		t.Fatal(err)
	}
	xx := s.wait(x.ARN, 10*time.Second)
	if xx.Status != engine.StatusSucceeded || xx.Output != `{"approved":true}` {
		t.Errorf("execution = %s %s", xx.Status, xx.Output)
	}
	evs := s.history(x.ARN)
	want := "ExecutionStarted TaskStateEntered ActivityScheduled ActivityStarted ActivitySucceeded TaskStateExited ExecutionSucceeded"
	if got := strings.Join(types(evs), " "); got != want {
		t.Errorf("history = %s; want %s", got, want)
	}
	if w := evs[3].Details["workerName"]; w != "worker-1" {
		t.Errorf("ActivityStarted workerName = %v; want worker-1", w)
	}
	if err := s.eng.DeleteActivity(ctx, act.ARN); err != nil {
		t.Fatal(err)
	}
	if _, err := s.eng.DescribeActivity(ctx, act.ARN); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("DescribeActivity after delete = %v; want ErrNotFound", err)
	}
}

func TestLambdaInvokeOutput(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	s.worker(workers.Config{}, func(w *workers.Worker) {
		w.Register("echo", func(_ context.Context, in json.RawMessage) (json.RawMessage, error) { return in, nil })
	})
	s.machine("m", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
		"Parameters":{"FunctionName":"`+fnARN+`echo","Payload.$":"$"},"End":true}}}`)
	x := s.wait(s.start("m", `{"a":[1,2.5]}`).ARN, 20*time.Second)
	var out struct {
		ExecutedVersion string
		Payload         json.RawMessage
		StatusCode      int
		SdkHttpMetadata struct {
			HttpHeaders    map[string]string
			HttpStatusCode int
		}
		SdkResponseMetadata struct{ RequestId string }
	}
	if err := json.Unmarshal([]byte(x.Output), &out); err != nil {
		t.Fatal(err)
	}
	if out.ExecutedVersion != "$LATEST" || string(out.Payload) != `{"a":[1,2.5]}` || out.StatusCode != 200 ||
		out.SdkHttpMetadata.HttpStatusCode != 200 || out.SdkHttpMetadata.HttpHeaders["Content-Length"] != "13" ||
		out.SdkResponseMetadata.RequestId == "" {
		t.Errorf("lambda:invoke output = %s; want the AWS wrapper around the payload", x.Output)
	}
	if got := strings.Join(types(s.history(x.ARN)), " "); !strings.Contains(got, "TaskScheduled TaskStarted TaskSucceeded") {
		t.Errorf("history = %s; want Task* events for lambda:invoke", got)
	}
}

// TestNULInWorkerFailure: a worker failure whose error name and cause hold
// a NUL (U+0000), which Postgres text cannot store, fails the task with
// States.Runtime naming the problem, instead of a commit that fails on
// every redelivery while the execution stays RUNNING. An output with an
// escaped NUL is kept as it came.
func TestNULInWorkerFailure(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	s.worker(workers.Config{}, func(w *workers.Worker) {
		w.Register("nul", func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
			if string(in) == `{"fail":true}` {
				return nil, workers.Fail("Bad\x00Name", "a\x00b")
			}
			return json.RawMessage(`{"s":"x\u0000y"}`), nil
		})
	})
	s.machine("m", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+fnARN+`nul","End":true}}}`)
	x := s.wait(s.start("m", `{"fail":true}`).ARN, 20*time.Second)
	if x.Status != engine.StatusFailed || x.Error != "States.Runtime" || !strings.Contains(x.Cause, `"Bad\u0000Name"`) {
		t.Errorf("execution = %s %q %q; want FAILED with States.Runtime quoting the error name", x.Status, x.Error, x.Cause)
	}
	x = s.wait(s.start("m", `{}`).ARN, 20*time.Second)
	if x.Status != engine.StatusSucceeded || x.Output != `{"s":"x\u0000y"}` {
		t.Errorf("execution = %s %q; want SUCCEEDED with the escaped NUL kept", x.Status, x.Output)
	}
}
