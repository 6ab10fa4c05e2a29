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
