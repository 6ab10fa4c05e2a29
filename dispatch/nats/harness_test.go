package nats_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"

	natsdispatch "github.com/stepwise-dev/stepwise/dispatch/nats"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/internal/pgtest"
	"github.com/stepwise-dev/stepwise/statelang"
	"github.com/stepwise-dev/stepwise/store/postgres"
	"github.com/stepwise-dev/stepwise/workers"
	"github.com/stepwise-dev/stepwise/workers/natstest"
)

// stack is one engine on Postgres with the NATS dispatcher, an embedded
// nats-server, and helpers to run workers.
type stack struct {
	t     testing.TB
	srv   *natstest.Server
	nc    *nats.Conn
	store *postgres.Store
	pool  *pgxpool.Pool
	eng   *engine.Engine
	disp  *natsdispatch.Dispatcher
}

func newStack(t testing.TB, tweak func(*engine.Config)) *stack {
	t.Helper()
	return newStackOn(t, natstest.Start(t), natsdispatch.Config{}, tweak)
}

// newStackOn is newStack on the server srv, with the dispatcher's config
// dcfg (its Store is the stack's).
func newStackOn(t testing.TB, srv *natstest.Server, dcfg natsdispatch.Config, tweak func(*engine.Config)) *stack {
	t.Helper()
	st, pool := pgtest.Store(t)
	nc := srv.Connect(t)
	ctx, cancel := context.WithCancel(context.Background())
	dcfg.Store = st
	d, err := natsdispatch.New(ctx, nc, dcfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg := engine.Config{Store: st, Dispatcher: d, PollInterval: 20 * time.Millisecond, DispatchTimeout: time.Second}
	if tweak != nil {
		tweak(&cfg)
	}
	eng, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{}, 2)
	go func() { _ = eng.Run(ctx); done <- struct{}{} }()
	go func() { _ = d.Run(ctx, eng); done <- struct{}{} }()
	t.Cleanup(func() { cancel(); <-done; <-done })
	return &stack{t: t, srv: srv, nc: nc, store: st, pool: pool, eng: eng, disp: d}
}

// worker starts a worker on its own connection with the handlers reg
// registers; it stops (hard) when the test ends. It returns the connection
// so a test can cut it (a worker killed mid-task).
func (s *stack) worker(cfg workers.Config, reg func(w *workers.Worker)) *nats.Conn {
	s.t.Helper()
	nc := s.srv.Connect(s.t)
	if cfg.AckWait == 0 {
		cfg.AckWait = 2 * time.Second
	}
	w, err := workers.New(nc, &cfg)
	if err != nil {
		s.t.Fatal(err)
	}
	reg(w)
	ctx, cancel := context.WithCancel(context.Background())
	if err := w.Start(ctx); err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(cancel)
	return nc
}

func (s *stack) machine(name, def string) {
	s.t.Helper()
	if _, err := s.eng.CreateStateMachine(context.Background(), name, def, "arn:aws:iam::111111111111:role/test"); err != nil {
		s.t.Fatalf("CreateStateMachine(%s): %v", name, err)
	}
}

func (s *stack) start(machine, input string) *engine.Execution {
	s.t.Helper()
	x, err := s.eng.StartExecution(context.Background(), engine.StartExecutionInput{StateMachine: machine, Input: input})
	if err != nil {
		s.t.Fatalf("StartExecution(%s): %v", machine, err)
	}
	return x
}

// wait polls until the execution is no longer RUNNING.
func (s *stack) wait(arn string, timeout time.Duration) *engine.Execution {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		x, err := s.eng.DescribeExecution(context.Background(), arn)
		if err != nil {
			s.t.Fatal(err)
		}
		if x.Status != engine.StatusRunning {
			return x
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("execution %s still RUNNING after %v; history %v", arn, timeout, types(s.history(arn)))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (s *stack) history(arn string) []statelang.HistoryEvent {
	s.t.Helper()
	evs, _, err := s.eng.GetExecutionHistory(context.Background(), arn, engine.HistoryInput{})
	if err != nil {
		s.t.Fatal(err)
	}
	return evs
}

func types(evs []statelang.HistoryEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = string(e.Type)
	}
	return out
}

func count(evs []statelang.HistoryEvent, typ statelang.EventType) int {
	n := 0
	for _, e := range evs {
		if e.Type == typ {
			n++
		}
	}
	return n
}

// checkHistory checks ids are 1..n with consistent previous ids, and one
// terminal event, last.
func checkHistory(t testing.TB, evs []statelang.HistoryEvent) {
	t.Helper()
	for i, e := range evs {
		if e.ID != int64(i+1) || e.PreviousEventID != e.ID-1 {
			t.Fatalf("event %d has id %d, previous %d", i+1, e.ID, e.PreviousEventID)
		}
	}
	terminal := 0
	for _, e := range evs {
		switch e.Type {
		case "ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted":
			terminal++
		}
	}
	if terminal != 1 {
		t.Fatalf("history has %d terminal events: %v", terminal, types(evs))
	}
}
