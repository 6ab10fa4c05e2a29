// Command hello-worker serves the echo function of examples/hello.asl.json
// over NATS until SIGINT or SIGTERM. It is the complete worker of
// workers/README.md, word for word:
//
//	STEPWISE_NAMESPACE=default go run ./examples/hello-worker -nats nats://127.0.0.1:4222
package main

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/nats-io/nats.go"

	"github.com/stepwise-dev/stepwise/workers"
)

// Greeting is the echo task's input (the state's input) and its output.
type Greeting struct {
	Greeting string `json:"greeting"`
	Items    []int  `json:"items"`
}

// register adds the worker's handlers: "echo" serves the state whose
// Resource is arn:aws:lambda:REGION:ACCOUNT:function:echo.
func register(w *workers.Worker) {
	workers.HandleFunc(w, "echo", func(ctx context.Context, in Greeting) (Greeting, error) {
		if in.Greeting == "" {
			// A named ASL error, for the state's Retry and Catch.
			return Greeting{}, workers.Fail("EmptyGreeting", "the input has no greeting")
		}
		return in, nil
	})
}

func main() {
	url := flag.String("nats", nats.DefaultURL, "NATS URL of the Stepwise installation")
	flag.Parse()
	nc, err := nats.Connect(*url, nats.MaxReconnects(-1))
	if err != nil {
		slog.Error("connect to NATS", "error", err)
		os.Exit(1)
	}
	defer nc.Close()
	// The namespace is STEPWISE_NAMESPACE's, as `stepwise dev` and
	// `stepwise server` print it ("default" when unset).
	w, err := workers.New(nc, &workers.Config{MaxConcurrency: 8})
	if err != nil {
		slog.Error("new worker", "error", err)
		os.Exit(1)
	}
	register(w)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := w.Run(ctx); err != nil { // on SIGTERM: drains the tasks in flight
		slog.Error("worker", "error", err)
		os.Exit(1)
	}
}
