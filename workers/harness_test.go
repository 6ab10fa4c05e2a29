package workers_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/stepwise-dev/stepwise/workers"
	"github.com/stepwise-dev/stepwise/workers/natstest"
	"github.com/stepwise-dev/stepwise/workers/wire"
)

// waitLimit bounds every wait in these tests so that a bug fails a test
// instead of hanging it; no test asserts how long anything takes.
const waitLimit = 15 * time.Second

// engine is a fake engine: it publishes tasks and reads results.
type engine struct {
	t       *testing.T
	srv     *natstest.Server
	nc      *nats.Conn
	js      jetstream.JetStream
	results jetstream.Consumer
}

func newEngine(t *testing.T) *engine {
	t.Helper()
	srv := natstest.Start(t)
	nc := srv.Connect(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := wire.DefaultNamespace.EnsureStreams(ctx, js); err != nil {
		t.Fatal(err)
	}
	results, err := wire.DefaultNamespace.EnsureResultConsumer(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	return &engine{t: t, srv: srv, nc: nc, js: js, results: results}
}

func testLogger() *slog.Logger {
	if os.Getenv("STEPWISE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// worker starts a worker on its own connection with test-friendly timings,
// registered by reg, and stops it when the test ends.
func (e *engine) worker(cfg workers.Config, reg func(w *workers.Worker)) (*workers.Worker, *nats.Conn) {
	e.t.Helper()
	nc := e.srv.Connect(e.t)
	if cfg.AckWait == 0 {
		cfg.AckWait = time.Second
	}
	if cfg.PollTimeout == 0 {
		cfg.PollTimeout = 200 * time.Millisecond
	}
	if cfg.PublishTimeout == 0 {
		cfg.PublishTimeout = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger()
	}
	w, err := workers.New(nc, &cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	reg(w)
	if err := w.Start(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = w.Stop(ctx)
	})
	return w, nc
}

func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func newTask(name, input string) *wire.Task {
	return &wire.Task{
		Token:     newToken(),
		Attempt:   1,
		Execution: "arn:aws:states:us-east-1:123456789012:execution:Orders:" + newToken()[:8],
		State:     "Step",
		Resource:  "arn:aws:lambda:us-east-1:123456789012:function:" + name,
		Name:      name,
		Input:     json.RawMessage(input),
		Deadline:  time.Now().Add(time.Minute),
	}
}

// publish publishes t, retrying while JetStream is unavailable (restarts).
func (e *engine) publish(t *wire.Task) {
	e.t.Helper()
	limit := time.Now().Add(waitLimit)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := wire.DefaultNamespace.PublishTask(ctx, e.js, t)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(limit) {
			e.t.Fatalf("PublishTask: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// next returns the next result, acked.
func (e *engine) next() wire.Result {
	e.t.Helper()
	limit := time.Now().Add(waitLimit)
	for time.Now().Before(limit) {
		batch, err := e.results.Fetch(1, jetstream.FetchMaxWait(500*time.Millisecond))
		if err != nil {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		for m := range batch.Messages() {
			var r wire.Result
			if err := json.Unmarshal(m.Data(), &r); err != nil {
				e.t.Fatalf("result %s: %v", m.Data(), err)
			}
			if err := r.Validate(); err != nil {
				e.t.Fatalf("result %s: %v", m.Data(), err)
			}
			_ = m.Ack()
			return r
		}
	}
	e.t.Fatal("no result")
	return wire.Result{}
}

// final returns the next success or failure, skipping heartbeats.
func (e *engine) final() wire.Result {
	e.t.Helper()
	for {
		if r := e.next(); r.Kind != wire.KindHeartbeat {
			return r
		}
	}
}

// waitTasksAcked waits until the task stream holds no message: every task
// was acked (and so any result it had was already published).
func (e *engine) waitTasksAcked() {
	e.t.Helper()
	e.waitFor("task stream empty", func() bool { return e.taskCount() == 0 })
}

// taskCount is how many tasks the task stream holds (-1 if it cannot say).
func (e *engine) taskCount() int {
	s, err := e.js.Stream(context.Background(), wire.DefaultNamespace.TaskStream())
	if err != nil {
		return -1
	}
	info, err := s.Info(context.Background())
	if err != nil {
		return -1
	}
	return int(info.State.Msgs)
}

// resultCount is how many results are stored and not yet read.
func (e *engine) resultCount() uint64 {
	e.t.Helper()
	s, err := e.js.Stream(context.Background(), wire.DefaultNamespace.ResultStream())
	if err != nil {
		e.t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return info.State.Msgs
}

func (e *engine) waitFor(what string, cond func() bool) {
	e.t.Helper()
	limit := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(limit) {
			e.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// recv receives from ch or fails the test.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitLimit):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}

// logSignal is a slog.Handler that sends each record's message to ch (when
// there is room) and drops it.
type logSignal struct{ ch chan string }

func (h logSignal) Enabled(context.Context, slog.Level) bool { return true }
func (h logSignal) Handle(_ context.Context, r slog.Record) error {
	select {
	case h.ch <- r.Message:
	default:
	}
	return nil
}
func (h logSignal) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h logSignal) WithGroup(string) slog.Handler      { return h }

// waitLog waits for a log message.
func waitLog(t *testing.T, ch <-chan string, msg string) {
	t.Helper()
	for {
		if recv(t, ch, "log "+msg) == msg {
			return
		}
	}
}
