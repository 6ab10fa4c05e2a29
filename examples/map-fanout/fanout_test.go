package fanout_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	natsdispatch "github.com/stepwise-dev/stepwise/dispatch/nats"
	"github.com/stepwise-dev/stepwise/engine"
	fanout "github.com/stepwise-dev/stepwise/examples/map-fanout"
	"github.com/stepwise-dev/stepwise/store/sqlite"
	"github.com/stepwise-dev/stepwise/workers"
	"github.com/stepwise-dev/stepwise/workers/natstest"
)

// TestFanout runs the example end to end: an engine on SQLite, an embedded
// NATS with JetStream, the NATS dispatcher and the example's workers.
func TestFanout(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := sqlite.Open(sqlite.Config{Path: filepath.Join(t.TempDir(), "db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	ns := natstest.Start(t)
	d, err := natsdispatch.New(ctx, ns.Connect(t), natsdispatch.Config{})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(engine.Config{Store: st, Dispatcher: d, PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	w, err := workers.New(ns.Connect(t), &workers.Config{MaxConcurrency: 8})
	if err != nil {
		t.Fatal(err)
	}
	fanout.Register(w)
	done := make(chan struct{}, 3)
	go func() { _ = eng.Run(ctx); done <- struct{}{} }()
	go func() { _ = d.Run(ctx, eng); done <- struct{}{} }()
	go func() { _ = w.Run(ctx); done <- struct{}{} }()
	defer func() { cancel(); <-done; <-done; <-done }()

	if _, err := eng.CreateStateMachine(ctx, "fanout", fanout.Definition, ""); err != nil {
		t.Fatal(err)
	}
	run := func(name string, images []string) *engine.Execution {
		t.Helper()
		in, _ := json.Marshal(map[string]any{"album": "trip", "images": images})
		x, err := eng.StartExecution(ctx, engine.StartExecutionInput{StateMachine: "fanout", Name: name, Input: string(in)})
		if err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(time.Minute); x.Status == engine.StatusRunning && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond)
			if x, err = eng.DescribeExecution(ctx, x.ARN); err != nil {
				t.Fatal(err)
			}
		}
		return x
	}
	var images []string
	for i := range 10 {
		images = append(images, fmt.Sprintf("p%d.png", i))
	}
	x := run("ok", images)
	var sum fanout.Summary
	if err := json.Unmarshal([]byte(x.Output), &sum); x.Status != engine.StatusSucceeded || err != nil {
		t.Fatalf("execution = %s %s %s; want SUCCEEDED", x.Status, x.Error, x.Cause)
	}
	if sum.Count != 10 || sum.Thumbnails[3] != "trip/thumbs/003-p3.jpg" || sum.TotalBytes != 10*(1000+10*6) {
		t.Errorf("summary = %+v", sum)
	}
	if x := run("bad", []string{"a.png", "noext"}); x.Status != engine.StatusFailed || x.Error != "BadImage" {
		t.Errorf("execution with a bad image = %s %s; want FAILED BadImage", x.Status, x.Error)
	}
}
