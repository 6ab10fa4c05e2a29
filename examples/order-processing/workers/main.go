// Command workers runs the example workers of the order-processing state
// machine (../order.asl.json, package order) over NATS: validate-order,
// check-inventory, process-payment and ship-order, the Lambda functions the
// seed's definition names.
//
//	go run ./examples/order-processing/workers -nats nats://127.0.0.1:4222
package main

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/nats-io/nats.go"

	order "github.com/stepwise-dev/stepwise/examples/order-processing"
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
	w, err := workers.New(nc, &workers.Config{})
	if err != nil {
		slog.Error("new worker", "error", err)
		os.Exit(1)
	}
	p := &order.Payments{NC: nc}
	order.Register(w, p.Start)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := w.Run(ctx); err != nil { // drains on SIGTERM
		slog.Error("worker", "error", err)
	}
	p.Wait()
}
