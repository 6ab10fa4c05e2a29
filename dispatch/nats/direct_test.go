package nats_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/workers"
	"github.com/stepwise-dev/stepwise/workers/wire"
)

// TestDirectResults: with an engine listening, a worker's results reach it
// directly: every execution succeeds and the result stream never stores a
// message. A direct request an engine refuses is published on the stream
// instead (TestObserverRedelivered).
func TestDirectResults(t *testing.T) {
	t.Parallel()
	s := newStack(t, nil)
	s.worker(workers.Config{}, func(w *workers.Worker) {
		workers.HandleFunc(w, "echo", func(_ context.Context, in map[string]any) (map[string]any, error) { return in, nil })
	})
	s.machine("m", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"`+fnARN+`echo","Next":"B"},`+
		`"B":{"Type":"Task","Resource":"`+fnARN+`echo","End":true}}}`)
	var arns []string
	for range 10 {
		arns = append(arns, s.start("m", `{"a":1}`).ARN)
	}
	for _, arn := range arns {
		if x := s.wait(arn, 30*time.Second); x.Status != engine.StatusSucceeded {
			t.Fatalf("execution = %s %s; want SUCCEEDED", x.Status, x.Error)
		}
	}
	js, err := jetstream.New(s.nc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(context.Background(), wire.DefaultNamespace.ResultStream())
	if err != nil {
		t.Fatal(err)
	}
	if n := st.CachedInfo().State.LastSeq; n != 0 {
		t.Errorf("the result stream stored %d messages; want none (20 results sent directly)", n)
	}
}
