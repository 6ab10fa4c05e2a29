package nats_test

import (
	"context"
	"fmt"
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
	ctx, engines := twoReplicas(t, srv)

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
	ctx, engines := twoReplicas(t, natstest.Start(t))
	if _, err := engines[0].CreateStateMachineWith(ctx, engine.StateMachine{Name: "xslow",
		RoleARN: "arn:aws:iam::111111111111:role/test",
		Definition: `{"StartAt":"M","States":{"M":{"Type":"Map","Label":"Items","End":true,
		  "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},
		    "StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}}}}`}); err != nil {
		t.Fatal(err)
	}
	x, err := engines[0].StartExecution(ctx, engine.StartExecutionInput{StateMachine: "xslow", Name: "p", Input: `[1,2,3]`})
	if err != nil {
		t.Fatal(err)
	}
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

// twoReplicas runs two engine replicas that share one database and the
// NATS namespace of srv, until the test ends; ctx ends with the test.
func twoReplicas(t *testing.T, srv *natstest.Server) (context.Context, []*engine.Engine) {
	st, _ := pgtest.Store(t)
	ctx, cancel := context.WithCancel(context.Background())
	var engines []*engine.Engine
	var done sync.WaitGroup
	for range 2 {
		d, err := natsdispatch.New(ctx, srv.Connect(t), natsdispatch.Config{Store: st})
		if err != nil {
			t.Fatal(err)
		}
		eng, err := engine.New(engine.Config{Store: st, Dispatcher: d, PollInterval: 20 * time.Millisecond})
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
