package main

import (
	"context"
	"log/slog"
	"slices"

	"github.com/nats-io/nats.go"

	"github.com/stepwise-dev/stepwise/examples/approval"
	fanout "github.com/stepwise-dev/stepwise/examples/map-fanout"
	order "github.com/stepwise-dev/stepwise/examples/order-processing"
	"github.com/stepwise-dev/stepwise/workers"
)

// registerDevWorkers registers the example workers dev mode runs in its
// own process: the order-processing example's (whose process-payment here
// leaves the payment's callback to you, as in the README's tour), the Map fan-out
// example's and the callback example's request-approval. It returns their
// names.
func registerDevWorkers(ctx context.Context, w *workers.Worker, nc *nats.Conn, log *slog.Logger) ([]string, error) {
	// process-payment accepts the payment and returns; the state stays
	// open until someone sends the task token back (aws stepfunctions
	// send-task-success, or POST /v1/tasks:success).
	order.Register(w, func(_ context.Context, in order.PaymentRequest) (map[string]string, error) {
		log.Info("payment awaits its callback", "order_id", in.OrderID, "amount", in.Amount, "task_token", in.TaskToken)
		return map[string]string{"status": "accepted"}, nil
	})
	fanout.Register(w)
	inbox, err := approval.OpenInbox(ctx, nc)
	if err != nil {
		return nil, err
	}
	approval.Register(w, inbox)
	return append(slices.Clone(order.Functions), "resize-image", "summarize-album", "request-approval"), nil
}
