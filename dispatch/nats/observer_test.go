package nats_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	natsdispatch "github.com/stepwise-dev/stepwise/dispatch/nats"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/workers"
	"github.com/stepwise-dev/stepwise/workers/natstest"
)

// failFirstResults is a store whose first two group commits of existing
// executions (the worker's result, sent directly and then on the stream)
// fail, as a database that was down.
type failFirstResults struct {
	engine.Store
	failed atomic.Int32
}

func (s *failFirstResults) CommitGroup(ctx context.Context, g *engine.Group, decide func(map[int64]*engine.Execution) (*engine.GroupWrite, error)) (engine.GroupResult, error) {
	if len(g.IDs) > 0 && len(g.Starts) == 0 && s.failed.Add(1) <= 2 {
		return engine.GroupResult{}, errors.New("database down")
	}
	return s.Store.CommitGroup(ctx, g, decide)
}

type redeliveries struct {
	mu      sync.Mutex
	streams []string
}

func (r *redeliveries) Redelivered(stream string) {
	r.mu.Lock()
	r.streams = append(r.streams, stream)
	r.mu.Unlock()
}

// TestObserverRedelivered: a result whose commit failed when the worker
// sent it directly goes to the results stream; failing there too, it is
// nak'ed and comes again, and the Observer is told once, for the results
// stream.
func TestObserverRedelivered(t *testing.T) {
	t.Parallel()
	obs := &redeliveries{}
	s := newStackOn(t, natstest.Start(t), natsdispatch.Config{Observer: obs}, func(c *engine.Config) {
		c.Store = &failFirstResults{Store: c.Store}
	})
	s.worker(workers.Config{}, func(w *workers.Worker) {
		workers.HandleFunc(w, "echo", func(_ context.Context, in map[string]any) (map[string]any, error) { return in, nil })
	})
	s.machine("m", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+fnARN+`echo","End":true}}}`)
	x := s.wait(s.start("m", `{"a":1}`).ARN, 30*time.Second)
	if x.Status != engine.StatusSucceeded {
		t.Fatalf("execution = %s %s; want SUCCEEDED", x.Status, x.Error)
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if len(obs.streams) != 1 || obs.streams[0] != "results" {
		t.Errorf("Redelivered calls = %q; want one, for results", obs.streams)
	}
}
