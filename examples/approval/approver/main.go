// Command approver is the callback example's external approver: it
// watches the inbox of pending approvals in NATS and answers each over
// Stepwise's REST API, approving amounts up to -limit:
//
//	go run ./examples/approval/approver -nats nats://127.0.0.1:4222 -api http://localhost:8080 -limit 1000
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
)

func main() {
	url := flag.String("nats", nats.DefaultURL, "NATS server URL")
	api := flag.String("api", "http://localhost:8080", "Stepwise HTTP address")
	limit := flag.Float64("limit", 1000, "largest amount approved")
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
	a := &approval.Approver{API: *api, Limit: *limit}
	if err := a.Run(ctx, inbox); err != nil {
		slog.Error("approver", "error", err)
		os.Exit(1)
	}
}
