// Command approval-worker runs the callback example's request-approval worker over
// NATS until SIGINT or SIGTERM:
//
//	go run ./examples/approval/approval-worker -nats nats://127.0.0.1:4222
package main

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/nats-io/nats.go"

	"github.com/stepwise-dev/stepwise/examples/approval"
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
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	inbox, err := approval.OpenInbox(ctx, nc)
	if err != nil {
		slog.Error("open the inbox", "error", err)
		os.Exit(1)
	}
	w, err := workers.New(nc, &workers.Config{})
	if err != nil {
		slog.Error("new worker", "error", err)
		os.Exit(1)
	}
	approval.Register(w, inbox)
	if err := w.Run(ctx); err != nil {
		slog.Error("worker", "error", err)
		os.Exit(1)
	}
}
