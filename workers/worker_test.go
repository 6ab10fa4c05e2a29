package workers_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/stepwise-dev/stepwise/workers"
	"github.com/stepwise-dev/stepwise/workers/wire"
)

func echo(_ context.Context, in json.RawMessage) (json.RawMessage, error) { return in, nil }

func TestSuccessRoundTrip(t *testing.T) {
	t.Parallel()
	e := newEngine(t)
	var info workers.TaskInfo
	e.worker(workers.Config{ID: "w1"}, func(w *workers.Worker) {
		w.Register("Echo", func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
			info, _ = workers.TaskInfoFromContext(ctx)
			return in, nil
		})
	})
	// Values survive exactly: big integers, 1.0, key order, escapes. (JSON
	// encoding compacts whitespace.)
	const input = `{"b":12345678901234567890123,"a":1.0,"s":"\u00e9"}`
	task := newTask("Echo", input)
	e.publish(task)
	r := e.final()
	want := wire.Result{Token: task.Token, Attempt: 1, Kind: wire.KindSuccess, Output: json.RawMessage(input), Worker: "w1"}
	if r.Token != want.Token || r.Attempt != want.Attempt || r.Kind != want.Kind || string(r.Output) != input || r.Worker != want.Worker {
		t.Errorf("result = %+v; want %+v", r, want)
	}
	if info.Token != task.Token || info.Execution != task.Execution || info.Name != "Echo" || info.Delivery != 1 {
		t.Errorf("TaskInfoFromContext = %+v; want the task's fields, delivery 1", info)
	}
	e.waitTasksAcked()
}

func TestFailures(t *testing.T) {
	t.Parallel()
	e := newEngine(t)
	e.worker(workers.Config{}, func(w *workers.Worker) {
		w.Register("Named", func(context.Context, json.RawMessage) (json.RawMessage, error) {
			return nil, fmt.Errorf("validate: %w", workers.Fail("ValidationError", "quantity must be positive"))
		})
		w.Register("Plain", func(context.Context, json.RawMessage) (json.RawMessage, error) {
			return nil, errors.New("disk full")
		})
		w.Register("Panics", func(context.Context, json.RawMessage) (json.RawMessage, error) {
			panic("kaboom")
		})
		w.Register("BadJSON", func(context.Context, json.RawMessage) (json.RawMessage, error) {
			return json.RawMessage(`{"unterminated`), nil
		})
		w.Register("Null", func(context.Context, json.RawMessage) (json.RawMessage, error) {
			return nil, nil
		})
	})
	tests := []struct {
		name             string
		kind             wire.Kind
		errName, cause   string
		output           string
		causeContainsAll bool
	}{
		{name: "Named", kind: wire.KindFailure, errName: "ValidationError", cause: "quantity must be positive"},
		{name: "Plain", kind: wire.KindFailure, errName: workers.ErrorNameDefault, cause: "disk full"},
		{name: "Panics", kind: wire.KindFailure, errName: workers.ErrorNamePanic, cause: "kaboom"},
		{name: "BadJSON", kind: wire.KindFailure, errName: workers.ErrorNameMarshal, cause: "handler returned invalid JSON"},
		{name: "Null", kind: wire.KindSuccess, output: "null"},
		// The worker survived the panic.
		{name: "Plain", kind: wire.KindFailure, errName: workers.ErrorNameDefault, cause: "disk full"},
	}
	for _, tc := range tests {
		task := newTask(tc.name, `{}`)
		e.publish(task)
		r := e.final()
		if r.Token != task.Token || r.Kind != tc.kind || r.Error != tc.errName || r.Cause != tc.cause || string(r.Output) != tc.output {
			t.Errorf("%s: result = %+v; want kind %q error %q cause %q output %q", tc.name, r, tc.kind, tc.errName, tc.cause, tc.output)
		}
	}
}

type order struct {
	Qty   int `json:"qty"`
	Price int `json:"price"`
}

type total struct {
	Total int `json:"total"`
}

func TestHandleFunc(t *testing.T) {
	t.Parallel()
	e := newEngine(t)
	e.worker(workers.Config{}, func(w *workers.Worker) {
		workers.HandleFunc(w, "Total", func(_ context.Context, o order) (total, error) {
			return total{Total: o.Qty * o.Price}, nil
		})
		workers.HandleFunc(w, "Any", func(_ context.Context, v any) (any, error) {
			return v, nil
		})
	})
	tests := []struct {
		name, input     string
		kind            wire.Kind
		output, errName string
		causePrefix     string
	}{
		{"Total", `{"qty": 3, "price": 7}`, wire.KindSuccess, `{"total":21}`, "", ""},
		{"Total", `{"qty": "three"}`, wire.KindFailure, "", workers.ErrorNameUnmarshal, "decode input: "},
		// Numbers in `any` keep every digit.
		{"Any", `{"n":12345678901234567890123}`, wire.KindSuccess, `{"n":12345678901234567890123}`, "", ""},
	}
	for _, tc := range tests {
		task := newTask(tc.name, tc.input)
		e.publish(task)
		r := e.final()
		if r.Kind != tc.kind || string(r.Output) != tc.output || r.Error != tc.errName || !strings.HasPrefix(r.Cause, tc.causePrefix) {
			t.Errorf("%s(%s) = %+v; want kind %q output %s error %q cause %q...", tc.name, tc.input, r, tc.kind, tc.output, tc.errName, tc.causePrefix)
		}
	}
}

func TestConcurrencyLimit(t *testing.T) {
	t.Parallel()
	e := newEngine(t)
	const limit, n = 2, 8
	var cur, peak atomic.Int32
	e.worker(workers.Config{MaxConcurrency: limit}, func(w *workers.Worker) {
		for _, name := range []string{"A", "B", "C"} { // more names than slots
			w.Register(name, func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
				c := cur.Add(1)
				defer cur.Add(-1)
				for {
					p := peak.Load()
					if c <= p || peak.CompareAndSwap(p, c) {
						break
					}
				}
				time.Sleep(20 * time.Millisecond)
				return in, nil
			})
		}
	})
	tokens := map[string]bool{}
	for i := range n {
		task := newTask([]string{"A", "B", "C"}[i%3], `{}`)
		tokens[task.Token] = true
		e.publish(task)
	}
	for range n {
		r := e.final()
		if !tokens[r.Token] || r.Kind != wire.KindSuccess {
			t.Errorf("result = %+v; want a success for one of the tasks", r)
		}
		delete(tokens, r.Token)
	}
	if p := peak.Load(); p > limit {
		t.Errorf("peak concurrent handlers = %d; want <= %d", p, limit)
	}
}

func TestHeartbeats(t *testing.T) {
	t.Parallel()
	e := newEngine(t)
	release := make(chan struct{})
	e.worker(workers.Config{}, func(w *workers.Worker) {
		w.Register("Slow", func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
			<-release
			return in, nil
		})
	})
	task := newTask("Slow", `"done"`)
	task.HeartbeatSeconds = 1
	e.publish(task)
	for i := 0; i < 2; i++ {
		r := e.next()
		if r.Token != task.Token || r.Attempt != 1 || r.Kind != wire.KindHeartbeat {
			t.Fatalf("result %d = %+v; want a heartbeat for the task", i, r)
		}
	}
	close(release)
	if r := e.final(); r.Token != task.Token || r.Kind != wire.KindSuccess || string(r.Output) != `"done"` {
		t.Errorf("final result = %+v; want success \"done\"", r)
	}
}

func TestCancelAndTimeout(t *testing.T) {
	t.Parallel()
	e := newEngine(t)
	started := make(chan string, 2)
	causes := make(chan error, 2)
	e.worker(workers.Config{}, func(w *workers.Worker) {
		w.Register("Wait", func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
			info, _ := workers.TaskInfoFromContext(ctx)
			started <- info.Token
			<-ctx.Done()
			causes <- context.Cause(ctx)
			return nil, ctx.Err()
		})
	})

	cancelled := newTask("Wait", `{}`)
	e.publish(cancelled)
	if tok := recv(t, started, "handler start"); tok != cancelled.Token {
		t.Fatalf("started %s; want %s", tok, cancelled.Token)
	}
	if err := wire.DefaultNamespace.PublishCancel(e.nc, &wire.Cancel{Token: cancelled.Token, Reason: "execution stopped"}); err != nil {
		t.Fatal(err)
	}
	if cause := recv(t, causes, "cancel cause"); !errors.Is(cause, workers.ErrTaskCanceled) || !strings.Contains(cause.Error(), "execution stopped") {
		t.Errorf("cause after cancel = %v; want ErrTaskCanceled with the reason", cause)
	}

	timedOut := newTask("Wait", `{}`)
	timedOut.TimeoutSeconds = 1
	timedOut.Deadline = time.Now().Add(300 * time.Millisecond)
	e.publish(timedOut)
	recv(t, started, "handler start")
	if cause := recv(t, causes, "timeout cause"); !errors.Is(cause, workers.ErrTaskTimedOut) {
		t.Errorf("cause after deadline = %v; want ErrTaskTimedOut", cause)
	}

	// A task already past its deadline is dropped without running.
	expired := newTask("Wait", `{}`)
	expired.Deadline = time.Now().Add(-time.Second)
	e.publish(expired)

	// Both acked, and neither sent a result: the engine owns timeouts and
	// cancels.
	e.waitTasksAcked()
	if n := e.resultCount(); n != 0 {
		t.Errorf("results stored = %d; want 0", n)
	}
	select {
	case tok := <-started:
		t.Errorf("handler ran the expired task %s", tok)
	default:
	}
}

func TestGracefulDrain(t *testing.T) {
	t.Parallel()
	e := newEngine(t)
	started := make(chan struct{}, 1)
	release := make(chan struct{})
	var calls atomic.Int32
	logs := make(chan string, 100)
	w, _ := e.worker(workers.Config{ID: "old", Logger: slog.New(logSignal{logs})}, func(w *workers.Worker) {
		w.Register("Job", func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
			calls.Add(1)
			started <- struct{}{}
			select {
			case <-release:
			case <-ctx.Done():
				return nil, context.Cause(ctx)
			}
			return in, nil
		})
	})
	first := newTask("Job", `1`)
	e.publish(first)
	recv(t, started, "first task start")

	stopped := make(chan error, 1)
	go func() { stopped <- w.Stop(context.Background()) }()
	waitLog(t, logs, "worker stopping: draining in-flight tasks")
	second := newTask("Job", `2`)
	e.publish(second)
	close(release)
	if err := recv(t, stopped, "Stop"); err != nil {
		t.Fatalf("Stop = %v; want nil", err)
	}
	if r := e.final(); r.Token != first.Token || r.Kind != wire.KindSuccess || r.Worker != "old" {
		t.Errorf("result = %+v; want the in-flight task's success from the old worker", r)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("handler calls after Stop = %d; want 1 (no new task pulled)", n)
	}
	// A new worker picks up what the stopped one left.
	e.worker(workers.Config{ID: "new"}, func(w *workers.Worker) {
		w.Register("Job", echo)
	})
	if r := e.final(); r.Token != second.Token || r.Kind != wire.KindSuccess || r.Worker != "new" {
		t.Errorf("result = %+v; want the second task's success from the new worker", r)
	}
}

func TestStopTimeoutHandsTaskBack(t *testing.T) {
	t.Parallel()
	e := newEngine(t)
	started := make(chan struct{}, 1)
	w, _ := e.worker(workers.Config{ID: "old"}, func(w *workers.Worker) {
		w.Register("Stuck", func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
			started <- struct{}{}
			<-ctx.Done()
			return nil, context.Cause(ctx)
		})
	})
	task := newTask("Stuck", `{}`)
	e.publish(task)
	recv(t, started, "handler start")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := w.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Stop = %v; want context.DeadlineExceeded", err)
	}
	// The cancelled handler's task was handed back (Nak), not failed.
	e.worker(workers.Config{ID: "new"}, func(w *workers.Worker) { w.Register("Stuck", echo) })
	if r := e.final(); r.Token != task.Token || r.Kind != wire.KindSuccess || r.Worker != "new" {
		t.Errorf("result = %+v; want success from the new worker", r)
	}
}

func TestRedeliveryAfterWorkerDies(t *testing.T) {
	t.Parallel()
	e := newEngine(t)
	started := make(chan struct{}, 1)
	release := make(chan struct{})
	defer close(release)
	_, deadConn := e.worker(workers.Config{ID: "doomed"}, func(w *workers.Worker) {
		w.Register("Job", func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
			started <- struct{}{}
			<-release
			return in, nil
		})
	})
	task := newTask("Job", `{"x":1}`)
	e.publish(task)
	recv(t, started, "handler start")
	deadConn.Close() // the worker dies without acking

	var deliveries sync.Map
	e.worker(workers.Config{ID: "survivor"}, func(w *workers.Worker) {
		w.Register("Job", func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
			info, _ := workers.TaskInfoFromContext(ctx)
			deliveries.Store(info.Token, info.Delivery)
			return in, nil
		})
	})
	r := e.final()
	if r.Token != task.Token || r.Kind != wire.KindSuccess || r.Worker != "survivor" || string(r.Output) != `{"x":1}` {
		t.Errorf("result = %+v; want success from the survivor", r)
	}
	if d, _ := deliveries.Load(task.Token); d.(int) < 2 {
		t.Errorf("delivery seen by the survivor = %v; want >= 2", d)
	}
	e.waitTasksAcked()
}

func TestServerRestart(t *testing.T) {
	t.Parallel()
	e := newEngine(t)
	started := make(chan struct{}, 4)
	release := make(chan struct{})
	var once sync.Once
	e.worker(workers.Config{}, func(w *workers.Worker) {
		w.Register("Job", func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
			started <- struct{}{}
			if string(in) == `"blocked"` {
				<-release
			}
			return in, nil
		})
	})
	inflight := newTask("Job", `"blocked"`)
	e.publish(inflight)
	recv(t, started, "handler start")

	if err := e.srv.Restart(); err != nil {
		t.Fatal(err)
	}
	once.Do(func() { close(release) })

	// The in-flight task's result gets through after the reconnect (maybe
	// twice, if JetStream redelivered it meanwhile; the engine ignores a
	// duplicate by token and attempt).
	after := newTask("Job", `"after"`)
	e.publish(after)
	seen := map[string]bool{}
	for !seen[inflight.Token] || !seen[after.Token] {
		r := e.final()
		if r.Kind != wire.KindSuccess {
			t.Fatalf("result = %+v; want success", r)
		}
		seen[r.Token] = true
	}
	e.waitTasksAcked()
}

func TestCallbacks(t *testing.T) {
	t.Parallel()
	e := newEngine(t)
	ctx := context.Background()
	if err := workers.SendHeartbeat(ctx, e.nc, "tok-1"); err != nil {
		t.Fatal(err)
	}
	if err := workers.SendSuccess(ctx, e.nc, "tok-1", json.RawMessage(`{"paid":true}`)); err != nil {
		t.Fatal(err)
	}
	if err := workers.SendFailure(ctx, e.nc, "tok-2", "PaymentDeclined", "card expired"); err != nil {
		t.Fatal(err)
	}
	if err := workers.SendSuccess(ctx, e.nc, "tok-3", json.RawMessage(`{bad`)); err == nil {
		t.Error("SendSuccess with invalid JSON = nil; want an error")
	}
	want := []wire.Result{
		{Token: "tok-1", Attempt: wire.CallbackAttempt, Kind: wire.KindHeartbeat},
		{Token: "tok-1", Attempt: wire.CallbackAttempt, Kind: wire.KindSuccess, Output: json.RawMessage(`{"paid":true}`)},
		{Token: "tok-2", Attempt: wire.CallbackAttempt, Kind: wire.KindFailure, Error: "PaymentDeclined", Cause: "card expired"},
	}
	for _, w := range want {
		r := e.next()
		if r.Token != w.Token || r.Attempt != w.Attempt || r.Kind != w.Kind || string(r.Output) != string(w.Output) || r.Error != w.Error || r.Cause != w.Cause {
			t.Errorf("callback result = %+v; want %+v", r, w)
		}
	}
}

func TestNewAndRegisterErrors(t *testing.T) {
	t.Parallel()
	if _, err := workers.New(nil, nil); err == nil {
		t.Error("New(nil, nil) = nil error; want an error")
	}
	e := newEngine(t)
	if _, err := workers.New(e.nc, &workers.Config{MaxConcurrency: -1}); err == nil {
		t.Error("New with MaxConcurrency -1 = nil error; want an error")
	}
	w, err := workers.New(e.nc, &workers.Config{Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(context.Background()); err == nil {
		t.Error("Start with no handler = nil; want an error")
	}
	w.Register("X", echo)
	for _, tc := range []struct {
		name string
		fn   func()
	}{
		{"duplicate", func() { w.Register("X", echo) }},
		{"empty name", func() { w.Register("", echo) }},
		{"nil handler", func() { w.Register("Y", nil) }},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register %s did not panic", tc.name)
				}
			}()
			tc.fn()
		}()
	}
}

// publishCopy publishes t again under another message id, as the engine
// does when it re-dispatches a task NATS lost.
func (e *engine) publishCopy(t *wire.Task, id string) {
	e.t.Helper()
	data, err := json.Marshal(t)
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := e.js.PublishMsg(ctx, &nats.Msg{Subject: wire.DefaultNamespace.TaskSubject(t.Name), Data: data}, jetstream.WithMsgID(id)); err != nil {
		e.t.Fatal(err)
	}
}

// A task that comes again after this worker finished it, or while it runs
// it, is not run again.
func TestDuplicateTaskRunsOnce(t *testing.T) {
	t.Parallel()
	e := newEngine(t)
	var runs atomic.Int32
	release := make(chan struct{})
	e.worker(workers.Config{}, func(w *workers.Worker) {
		w.Register("Once", func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
			runs.Add(1)
			<-release
			return in, nil
		})
	})
	task := newTask("Once", `{"n":1}`)
	e.publish(task)
	e.waitFor("handler running", func() bool { return runs.Load() == 1 })
	e.publishCopy(task, "copy-while-running")
	// The copy is acked without a run while the first run still holds its
	// message; then the first run ends.
	e.waitFor("copy dropped", func() bool { return e.taskCount() == 1 })
	close(release)
	if r := e.final(); r.Token != task.Token || r.Kind != wire.KindSuccess {
		t.Fatalf("result = %+v; want a success for the task", r)
	}
	e.waitTasksAcked()
	e.publishCopy(task, "copy-after-done")
	e.waitTasksAcked()
	if got := runs.Load(); got != 1 {
		t.Errorf("handler ran %d times; want 1", got)
	}
}

// A worker sees only its namespace's tasks, and refuses a bad namespace.
func TestNamespaceConfig(t *testing.T) {
	t.Parallel()
	e := newEngine(t)
	var other atomic.Int32
	e.worker(workers.Config{Namespace: "other"}, func(w *workers.Worker) {
		w.Register("Echo", func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
			other.Add(1)
			return in, nil
		})
	})
	e.worker(workers.Config{}, func(w *workers.Worker) {
		w.Register("Echo", func(_ context.Context, in json.RawMessage) (json.RawMessage, error) { return in, nil })
	})
	for range 5 {
		e.publish(newTask("Echo", `1`))
		if r := e.final(); r.Kind != wire.KindSuccess {
			t.Fatalf("result = %+v; want a success", r)
		}
	}
	if got := other.Load(); got != 0 {
		t.Errorf("the worker of namespace other ran %d tasks of namespace default; want 0", got)
	}
	if _, err := workers.New(e.nc, &workers.Config{Namespace: "Prod.1"}); err == nil {
		t.Error(`New(Namespace "Prod.1") = nil error; want an error`)
	}
}
