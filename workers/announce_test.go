package workers_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/workers"
	"github.com/stepwise-dev/stepwise/workers/wire"
)

// TestAnnounce: a running worker's announcement lists its names; a
// stopped worker's is gone.
func TestAnnounce(t *testing.T) {
	t.Parallel()
	e := newEngine(t)
	w, err := workers.New(e.srv.Connect(t), &workers.Config{Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	h := func(_ context.Context, in json.RawMessage) (json.RawMessage, error) { return in, nil }
	w.Register("charge-card", h)
	w.Register("sqs:sendMessage", h)
	ctx := context.Background()
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	kv, err := wire.DefaultNamespace.EnsureWorkerBucket(ctx, e.js)
	if err != nil {
		t.Fatal(err)
	}
	names, err := wire.AnnouncedNames(ctx, kv, time.Now())
	if err != nil || !names["charge-card"] || !names["sqs:sendMessage"] || len(names) != 2 {
		t.Fatalf("AnnouncedNames after Start = %v, %v; want charge-card and sqs:sendMessage", names, err)
	}
	if names, _ := wire.AnnouncedNames(ctx, kv, time.Now().Add(wire.WorkerTTL)); len(names) != 0 {
		t.Errorf("AnnouncedNames a WorkerTTL later = %v; want none (expired)", names)
	}
	sctx, cancel := context.WithTimeout(ctx, waitLimit)
	defer cancel()
	if err := w.Stop(sctx); err != nil {
		t.Fatal(err)
	}
	if names, err := wire.AnnouncedNames(ctx, kv, time.Now()); err != nil || len(names) != 0 {
		t.Errorf("AnnouncedNames after Stop = %v, %v; want none", names, err)
	}
}
