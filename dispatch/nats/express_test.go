package nats_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	natsdispatch "github.com/stepwise-dev/stepwise/dispatch/nats"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/internal/pgtest"
	"github.com/stepwise-dev/stepwise/workers"
	"github.com/stepwise-dev/stepwise/workers/natstest"
)

// TestExpressAcrossReplicas runs EXPRESS executions whose tasks go to a
// NATS worker, on two engine replicas that share one database and one
// NATS namespace, so a worker's result may first reach the replica that
// does not run the execution: it is handed on (ErrElsewhere) on the
// owner's own subject, and the owner applies it. Every execution ends SUCCEEDED with its worker's
// output, through a Retry of a worker failure too.
func TestExpressAcrossReplicas(t *testing.T) {
	t.Parallel()
	srv := natstest.Start(t)
	ctx, engines := twoReplicas(t, srv, engine.Config{})

	var mu sync.Mutex
	failed := map[int]bool{}
	s := &stack{t: t, srv: srv}
	s.worker(workers.Config{}, func(w *workers.Worker) {
		workers.HandleFunc(w, "double", func(_ context.Context, in struct{ N int }) (map[string]int, error) {
			mu.Lock()
			first := !failed[in.N]
			failed[in.N] = true
			mu.Unlock()
			if first && in.N%3 == 0 {
				return nil, workers.Fail("Flaky", "fails once")
			}
			return map[string]int{"n": in.N * 2}, nil
		})
	})
	if _, err := engines[0].CreateStateMachineWith(ctx, engine.StateMachine{Name: "x", Type: engine.TypeExpress,
		RoleARN: "arn:aws:iam::111111111111:role/test",
		Definition: `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + fnARN + `double","ResultPath":"$.r",
		  "Retry":[{"ErrorEquals":["Flaky"],"IntervalSeconds":1}],"End":true}}}`}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() {
			sctx, scancel := context.WithTimeout(ctx, 30*time.Second)
			defer scancel()
			x, err := engines[i%2].StartExecution(sctx, engine.StartExecutionInput{StateMachine: "x", Input: fmt.Sprintf(`{"N":%d}`, i), Sync: true})
			if err != nil {
				t.Errorf("execution %d: %v", i, err)
				return
			}
			if want := fmt.Sprintf(`{"N":%d,"r":{"n":%d}}`, i, 2*i); x.Status != engine.StatusSucceeded || x.Output != want {
				t.Errorf("execution %d = %s %s %s %s; want SUCCEEDED %s", i, x.Status, x.Error, x.Cause, x.Output, want)
			}
		})
	}
	wg.Wait()
	for i, eng := range engines {
		if n := eng.RunningExpress(); n != 0 {
			t.Errorf("replica %d still runs %d express executions", i, n)
		}
	}
}

// TestExpressChildStoppedAcrossReplicas: a distributed Map's EXPRESS
// children run in the replica that started them; stopping their parent
// through the other replica stops them too (that replica publishes the
// cancels of the parent's closed tasks, and the replica running a child
// for a cancelled task stops it), so they are written ABORTED at once,
// not at the end of their hour-long Wait.
func TestExpressChildStoppedAcrossReplicas(t *testing.T) {
	t.Parallel()
	ctx, engines := twoReplicas(t, natstest.Start(t), engine.Config{})
	x := startWaitingMap(ctx, t, engines[0], "xslow", 3600)
	running := func() (n []int) {
		for _, e := range engines {
			n = append(n, e.RunningExpress())
		}
		return n
	}
	for deadline := time.Now().Add(10 * time.Second); running()[0] < 3; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("express children running per replica: %v; want 3 in the first", running())
		}
	}
	if _, err := engines[1].StopExecution(ctx, x.ARN, "", ""); err != nil {
		t.Fatal(err)
	}
	var kids []*engine.Execution
	for deadline := time.Now().Add(20 * time.Second); len(kids) < 3; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d children written (running per replica: %v); want 3 written ABORTED", len(kids), running())
		}
		var err error
		kids, _, err = engines[1].ListExecutions(ctx, engine.ListExecutionsInput{StateMachine: "xslow/Items"})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range kids {
		if c.Status != engine.StatusAborted {
			t.Errorf("child %s: %s; want ABORTED", c.ARN, c.Status)
		}
	}
	if n := running(); n[0]+n[1] != 0 {
		t.Errorf("express executions still running per replica: %v", n)
	}
}

// TestExpressChildLease: the replica that runs a distributed Map's
// EXPRESS child renews the lease on its parent's task while the child
// runs, so the other replica's maintenance loop, which dispatches a task
// whose confirmation lapsed again, never starts a second child, though
// each child runs many leases long. Every item has one child row.
func TestExpressChildLease(t *testing.T) {
	t.Parallel()
	ctx, engines := twoReplicas(t, natstest.Start(t), engine.Config{DispatchTimeout: 500 * time.Millisecond, ExpressChildLease: 500 * time.Millisecond})
	x := startWaitingMap(ctx, t, engines[0], "xlong", 4)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if n := engines[1].RunningExpress(); n != 0 {
			t.Fatalf("the other replica runs %d express children; want none (the lease was renewed)", n)
		}
		got, err := engines[0].DescribeExecution(ctx, x.ARN)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != engine.StatusRunning {
			if got.Status != engine.StatusSucceeded || got.Output != "[1,2,3]" {
				t.Fatalf("parent = %s %s %s %s; want SUCCEEDED [1,2,3]", got.Status, got.Output, got.Error, got.Cause)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("parent still RUNNING (express children per replica: %d, %d)", engines[0].RunningExpress(), engines[1].RunningExpress())
		}
	}
	kids, _, err := engines[0].ListExecutions(ctx, engine.ListExecutionsInput{StateMachine: "xlong/Items"})
	if err != nil || len(kids) != 3 {
		t.Fatalf("%d child rows, %v; want 3", len(kids), err)
	}
}

// startWaitingMap creates machine, a distributed Map over its input whose
// EXPRESS children (state machine <machine>/Items) Wait seconds, on eng,
// and starts it as "p" with three items.
func startWaitingMap(ctx context.Context, t *testing.T, eng *engine.Engine, machine string, seconds int) *engine.Execution {
	t.Helper()
	if _, err := eng.CreateStateMachineWith(ctx, engine.StateMachine{Name: machine,
		RoleARN: "arn:aws:iam::111111111111:role/test",
		Definition: `{"StartAt":"M","States":{"M":{"Type":"Map","Label":"Items","End":true,
		  "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},
		    "StartAt":"W","States":{"W":{"Type":"Wait","Seconds":` + strconv.Itoa(seconds) + `,"End":true}}}}}}`}); err != nil {
		t.Fatal(err)
	}
	x, err := eng.StartExecution(ctx, engine.StartExecutionInput{StateMachine: machine, Name: "p", Input: `[1,2,3]`})
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// twoReplicas runs two engine replicas with cfg (its Store, Dispatcher
// and PollInterval set) that share one database and the NATS namespace
// of srv, until the test ends; ctx ends with the test.
func twoReplicas(t *testing.T, srv *natstest.Server, cfg engine.Config) (context.Context, []*engine.Engine) {
	st, _ := pgtest.Store(t)
	ctx, cancel := context.WithCancel(context.Background())
	var engines []*engine.Engine
	var done sync.WaitGroup
	for range 2 {
		d, err := natsdispatch.New(ctx, srv.Connect(t), natsdispatch.Config{Store: st})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Store, cfg.Dispatcher, cfg.PollInterval = st, d, 20*time.Millisecond
		eng, err := engine.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		done.Go(func() { _ = eng.Run(ctx) })
		done.Go(func() { _ = d.Run(ctx, eng) })
		engines = append(engines, eng)
	}
	t.Cleanup(func() { cancel(); done.Wait() })
	return ctx, engines
}
