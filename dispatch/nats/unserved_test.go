package nats_test

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	natsdispatch "github.com/stepwise-dev/stepwise/dispatch/nats"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/workers"
	"github.com/stepwise-dev/stepwise/workers/natstest"
	"github.com/stepwise-dev/stepwise/workers/wire"
)

// unservedTimeout is the tests' Config.UnservedTimeout.
const unservedTimeout = time.Second

func newUnservedStack(t *testing.T, obs natsdispatch.Observer) *stack {
	t.Helper()
	return newStackOn(t, natstest.Start(t), natsdispatch.Config{UnservedTimeout: unservedTimeout, Observer: obs}, nil)
}

// replica starts a second engine and dispatcher on s's database and NATS
// (its own connection), with the dispatcher config dcfg.
func (s *stack) replica(dcfg natsdispatch.Config) *engine.Engine {
	s.t.Helper()
	nc := s.srv.Connect(s.t)
	ctx, cancel := context.WithCancel(context.Background())
	dcfg.Store = s.store
	d, err := natsdispatch.New(ctx, nc, dcfg)
	if err != nil {
		s.t.Fatal(err)
	}
	eng, err := engine.New(engine.Config{Store: s.store, Dispatcher: d, PollInterval: 20 * time.Millisecond, DispatchTimeout: time.Second})
	if err != nil {
		s.t.Fatal(err)
	}
	done := make(chan struct{}, 2)
	go func() { _ = eng.Run(ctx); done <- struct{}{} }()
	go func() { _ = d.Run(ctx, eng); done <- struct{}{} }()
	s.t.Cleanup(func() { cancel(); <-done; <-done })
	return eng
}

// lambdaNotFound is the shape of AWS's cause for a function that does not
// exist, as the conformance corpus recorded it.
var lambdaNotFound = regexp.MustCompile(`^Function not found: arn:aws:lambda:us-east-1:111111111111:function:chargeCard:\$LATEST ` +
	`\(Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: [0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}; Proxy: null\)$`)

// TestUnservedTaskFails: a Lambda function with a typo in its name (the
// worker serves charge-card, the definition says chargeCard) fails with
// Lambda.ResourceNotFoundException after the unserved task timeout, and
// its Catch works; the same through lambda:invoke; an integration no
// worker serves fails with States.TaskFailed naming it. The failed tasks
// leave the stream, and the observer saw them.
func TestUnservedTaskFails(t *testing.T) {
	t.Parallel()
	obs := &unservedObs{}
	s := newUnservedStack(t, obs)
	s.worker(workers.Config{}, func(w *workers.Worker) {
		w.Register("charge-card", func(_ context.Context, in json.RawMessage) (json.RawMessage, error) { return in, nil })
	})
	s.machine("caught", `{"StartAt":"Charge","States":{"Charge":{"Type":"Task","Resource":"`+fnARN+`chargeCard",
		"Catch":[{"ErrorEquals":["Lambda.ResourceNotFoundException"],"ResultPath":"$.error","Next":"Refund"}],"End":true},
		"Refund":{"Type":"Pass","End":true}}}`)
	s.machine("invoke", `{"StartAt":"Charge","States":{"Charge":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
		"Parameters":{"FunctionName":"chargeCard","Payload.$":"$"},"End":true}}}`)
	s.machine("sqs", `{"StartAt":"Send","States":{"Send":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage",
		"Parameters":{"QueueUrl":"q","MessageBody":"m"},"End":true}}}`)
	start := time.Now()
	a, b, c := s.start("caught", `{"amount":3}`), s.start("invoke", `{}`), s.start("sqs", `{}`)

	xa := s.wait(a.ARN, 20*time.Second)
	if time.Since(start) < unservedTimeout {
		t.Errorf("the task failed before the unserved task timeout")
	}
	if xa.Status != engine.StatusSucceeded {
		t.Fatalf("caught: %s %s %s; want SUCCEEDED through the Catch", xa.Status, xa.Error, xa.Cause)
	}
	var out struct {
		Amount int
		Error  struct{ Error, Cause string }
	}
	if err := json.Unmarshal([]byte(xa.Output), &out); err != nil || out.Amount != 3 ||
		out.Error.Error != "Lambda.ResourceNotFoundException" || !lambdaNotFound.MatchString(out.Error.Cause) {
		t.Errorf("caught output = %s; want the input with $.error Lambda.ResourceNotFoundException and AWS's cause", xa.Output)
	}
	evs := s.history(a.ARN)
	checkHistory(t, evs)
	want := "ExecutionStarted TaskStateEntered LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionFailed TaskStateExited PassStateEntered PassStateExited ExecutionSucceeded"
	if got := strings.Join(types(evs), " "); got != want {
		t.Errorf("history = %s; want %s", got, want)
	}
	if d := evs[4].Details; d["error"] != "Lambda.ResourceNotFoundException" || !lambdaNotFound.MatchString(d["cause"].(string)) {
		t.Errorf("LambdaFunctionFailed details = %v; want the error and AWS's cause", d)
	}

	xb := s.wait(b.ARN, 20*time.Second)
	if xb.Status != engine.StatusFailed || xb.Error != "Lambda.ResourceNotFoundException" || !lambdaNotFound.MatchString(xb.Cause) {
		t.Errorf("invoke: %s %s %q; want FAILED Lambda.ResourceNotFoundException with AWS's cause", xb.Status, xb.Error, xb.Cause)
	}
	if got, want := strings.Join(types(s.history(b.ARN)), " "), "ExecutionStarted TaskStateEntered TaskScheduled TaskStarted TaskFailed ExecutionFailed"; got != want {
		t.Errorf("invoke history = %s; want %s (as AWS's test_no_such_function)", got, want)
	}
	xc := s.wait(c.ARN, 20*time.Second)
	if xc.Status != engine.StatusFailed || xc.Error != "States.TaskFailed" ||
		!strings.Contains(xc.Cause, "arn:aws:states:::sqs:sendMessage") || !strings.Contains(xc.Cause, `no worker registered "sqs:sendMessage"`) {
		t.Errorf("sqs: %s %s %q; want FAILED States.TaskFailed naming the resource and the worker name", xc.Status, xc.Error, xc.Cause)
	}

	// The failed tasks left the stream.
	js, _ := jetstream.New(s.nc)
	ns := s.disp.Namespace()
	for _, name := range []string{"chargeCard", "sqs:sendMessage"} {
		st, err := js.Stream(context.Background(), ns.TaskStream())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.GetMsg(context.Background(), 1, jetstream.WithGetMsgSubject(ns.TaskSubject(name))); !errors.Is(err, jetstream.ErrMsgNotFound) {
			t.Errorf("task stream still holds a task for %s (%v); want it deleted", name, err)
		}
	}
	if n := obs.failed("chargeCard"); n != 2 {
		t.Errorf("UnservedFailed(chargeCard) = %d; want 2", n)
	}
	if obs.maxWaiting("chargeCard") < 1 {
		t.Errorf("UnservedTasks(chargeCard) never reported a waiting task")
	}
}

// TestUnservedBusyWorkerNotFailed: a worker that runs one task at a time
// holds a task for several timeouts. Its other tasks, of the same name
// and of another name it serves, wait with no pull request on their
// consumers; its announcement says it serves them, so none fails.
func TestUnservedBusyWorkerNotFailed(t *testing.T) {
	t.Parallel()
	s := newUnservedStack(t, nil)
	s.worker(workers.Config{MaxConcurrency: 1, PollTimeout: 200 * time.Millisecond}, func(w *workers.Worker) {
		w.Register("slow", func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
			select {
			case <-time.After(4 * unservedTimeout):
				return in, nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		})
		w.Register("quick", func(_ context.Context, in json.RawMessage) (json.RawMessage, error) { return in, nil })
	})
	s.machine("slow", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+fnARN+`slow","End":true}}}`)
	s.machine("quick", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+fnARN+`quick","End":true}}}`)
	first := s.start("slow", `{"n":1}`)
	waitStarted(t, s, first.ARN)
	arns := []string{first.ARN, s.start("slow", `{"n":2}`).ARN, s.start("quick", `{"n":3}`).ARN}
	for _, arn := range arns {
		if x := s.wait(arn, 30*time.Second); x.Status != engine.StatusSucceeded {
			t.Errorf("%s: %s %s %s; want SUCCEEDED", arn, x.Status, x.Error, x.Cause)
		}
	}
}

// TestUnservedOldWorkerNotFailed: a worker that announces nothing (an
// older SDK, or a worker in another language that follows the wire
// protocol) and runs one task at a time holds a task for several
// timeouts; its next task waits with a task of its name delivered and not
// acked, which is enough: it does not fail.
func TestUnservedOldWorkerNotFailed(t *testing.T) {
	t.Parallel()
	s := newUnservedStack(t, nil)
	legacyWorker(t, s, "legacy", 4*unservedTimeout)
	s.machine("m", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+fnARN+`legacy","End":true}}}`)
	first := s.start("m", `{"n":1}`)
	second := s.start("m", `{"n":2}`)
	for _, arn := range []string{first.ARN, second.ARN} {
		if x := s.wait(arn, 30*time.Second); x.Status != engine.StatusSucceeded {
			t.Errorf("%s: %s %s %s; want SUCCEEDED", arn, x.Status, x.Error, x.Cause)
		}
	}
}

// TestUnservedTwoEngines: two engine replicas on one database and one
// NATS, both watching: the unserved task fails once (one failure event,
// the Catch taken once), the served slow one does not fail.
func TestUnservedTwoEngines(t *testing.T) {
	t.Parallel()
	s := newUnservedStack(t, nil)
	s.replica(natsdispatch.Config{UnservedTimeout: unservedTimeout, Namespace: string(s.disp.Namespace())})
	s.worker(workers.Config{MaxConcurrency: 1}, func(w *workers.Worker) {
		w.Register("slow", func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
			time.Sleep(3 * unservedTimeout)
			return in, nil
		})
	})
	s.machine("typo", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+fnARN+`sloww",
		"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Caught"}],"End":true},"Caught":{"Type":"Pass","End":true}}}`)
	s.machine("slow", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+fnARN+`slow","End":true}}}`)
	typo, slow1, slow2 := s.start("typo", `{}`), s.start("slow", `{}`), s.start("slow", `{}`)
	x := s.wait(typo.ARN, 20*time.Second)
	evs := s.history(typo.ARN)
	checkHistory(t, evs)
	if x.Status != engine.StatusSucceeded || count(evs, "LambdaFunctionFailed") != 1 || count(evs, "PassStateEntered") != 1 {
		t.Errorf("typo: %s; history %v; want SUCCEEDED through one LambdaFunctionFailed and the Catch", x.Status, types(evs))
	}
	for _, arn := range []string{slow1.ARN, slow2.ARN} {
		if x := s.wait(arn, 30*time.Second); x.Status != engine.StatusSucceeded {
			t.Errorf("slow: %s %s %s; want SUCCEEDED", x.Status, x.Error, x.Cause)
		}
	}
}

// waitStarted waits until a worker took the execution's task: its
// worker's handler runs (the test's workers hold it).
func waitStarted(t *testing.T, s *stack, arn string) {
	t.Helper()
	js, _ := jetstream.New(s.nc)
	ns := s.disp.Namespace()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := js.Consumer(context.Background(), ns.TaskStream(), wire.TaskConsumerName("slow")); err == nil {
			if ci, err := c.Info(context.Background()); err == nil && ci.NumAckPending > 0 {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no worker took the task of %s", arn)
}

// legacyWorker runs a worker that follows the wire protocol but announces
// nothing, as workers did before announcements: one task at a time, each
// held for hold (with InProgress) and answered with its input.
func legacyWorker(t *testing.T, s *stack, name string, hold time.Duration) {
	t.Helper()
	nc := s.srv.Connect(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ns := s.disp.Namespace()
	ctx, cancel := context.WithCancel(context.Background())
	cons, err := ns.EnsureTaskConsumer(ctx, js, name, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	t.Cleanup(func() { cancel(); wg.Wait() })
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			batch, err := cons.Fetch(1, jetstream.FetchMaxWait(500*time.Millisecond))
			if err != nil {
				time.Sleep(50 * time.Millisecond)
				continue
			}
			for msg := range batch.Messages() {
				var task wire.Task
				if err := json.Unmarshal(msg.Data(), &task); err != nil {
					_ = msg.Term()
					continue
				}
				for end := time.Now().Add(hold); time.Now().Before(end) && ctx.Err() == nil; {
					_ = msg.InProgress()
					time.Sleep(200 * time.Millisecond)
				}
				r := &wire.Result{Token: task.Token, Attempt: task.Attempt, Kind: wire.KindSuccess, Output: task.Input}
				if _, err := ns.PublishResult(ctx, js, r); err == nil {
					_ = msg.Ack()
				}
			}
		}
	}()
}

// unservedObs records what the dispatcher reports of unserved tasks.
type unservedObs struct {
	mu      sync.Mutex
	waiting map[string]int // the most reported at once
	fails   map[string]int
}

func (o *unservedObs) Redelivered(string) {}

func (o *unservedObs) UnservedTasks(name string, n int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.waiting == nil {
		o.waiting = map[string]int{}
	}
	o.waiting[name] = max(o.waiting[name], n)
}

func (o *unservedObs) UnservedFailed(name string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.fails == nil {
		o.fails = map[string]int{}
	}
	o.fails[name]++
}

func (o *unservedObs) maxWaiting(name string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.waiting[name]
}

func (o *unservedObs) failed(name string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.fails[name]
}
