// Command fanout-worker runs the Map fan-out example's workers (resize-image and
// summarize-album) over NATS until SIGINT or SIGTERM:
//
//	go run ./examples/map-fanout/fanout-worker -nats nats://127.0.0.1:4222
package main

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/nats-io/nats.go"

	fanout "github.com/stepwise-dev/stepwise/examples/map-fanout"
	"github.com/stepwise-dev/stepwise/workers"
)

func main() {
	url := flag.String("nats", nats.DefaultURL, "NATS server URL")
	flag.Parse()
	nc, err := nats.Connect(*url, nats.MaxReconnects(-1))
	if err != nil {
		slog.Error("connect to NATS", "error", err)
		os.Exit(1)
	}
	defer nc.Close()
	w, err := workers.New(nc, &workers.Config{MaxConcurrency: 8})
	if err != nil {
		slog.Error("new worker", "error", err)
		os.Exit(1)
	}
	fanout.Register(w)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := w.Run(ctx); err != nil {
		slog.Error("worker", "error", err)
		os.Exit(1)
	}
}
