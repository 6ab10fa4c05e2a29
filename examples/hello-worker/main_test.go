package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	natsdispatch "github.com/stepwise-dev/stepwise/dispatch/nats"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/store/sqlite"
	"github.com/stepwise-dev/stepwise/workers"
	"github.com/stepwise-dev/stepwise/workers/natstest"
)

// TestREADME checks that workers/README.md shows this program word for
// word.
func TestREADME(t *testing.T) {
	readme, err := os.ReadFile("../../workers/README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```go\n"+string(src)+"```\n") {
		t.Error("workers/README.md does not show examples/hello-worker/main.go word for word in a ```go block")
	}
}

// TestHello runs examples/hello.asl.json on the engine (SQLite, the NATS
// dispatcher, an embedded NATS) with this worker serving echo.
func TestHello(t *testing.T) {
	def, err := os.ReadFile("../hello.asl.json")
	if err != nil {
		t.Fatal(err)
	}
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
	srv := natstest.Start(t)
	d, err := natsdispatch.New(ctx, srv.Connect(t), natsdispatch.Config{})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(engine.Config{Store: st, Dispatcher: d, PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	w, err := workers.New(srv.Connect(t), &workers.Config{})
	if err != nil {
		t.Fatal(err)
	}
	register(w)
	done := make(chan struct{}, 3)
	go func() { _ = eng.Run(ctx); done <- struct{}{} }()
	go func() { _ = d.Run(ctx, eng); done <- struct{}{} }()
	go func() { _ = w.Run(ctx); done <- struct{}{} }()
	defer func() { cancel(); <-done; <-done; <-done }()

	if _, err := eng.CreateStateMachine(ctx, "hello", string(def), ""); err != nil {
		t.Fatal(err)
	}
	x, err := eng.StartExecution(ctx, engine.StartExecutionInput{StateMachine: "hello", Name: "world", Input: `{"name":"world"}`})
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Minute); x.Status == engine.StatusRunning && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		if x, err = eng.DescribeExecution(ctx, x.ARN); err != nil {
			t.Fatal(err)
		}
	}
	want := `"echoed":{"greeting":"Hello, world!","items":[1,2,3]}`
	if x.Status != engine.StatusSucceeded || !strings.Contains(x.Output, want) {
		t.Errorf("execution = %s %s %s %s; want SUCCEEDED with %s", x.Status, x.Output, x.Error, x.Cause, want)
	}
}
