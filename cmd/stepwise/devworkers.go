package main

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/nats-io/nats.go"

	"github.com/stepwise-dev/stepwise/examples/approval"
	fanout "github.com/stepwise-dev/stepwise/examples/map-fanout"
	"github.com/stepwise-dev/stepwise/workers"
)

// registerDevWorkers registers the example workers dev mode runs in its
// own process: the order-processing functions of
// examples/order-processing/order.asl.json (whose process-payment leaves
// the payment's callback to you, as in the README's tour), the Map fan-out
// example's and the callback example's request-approval. It returns their
// names.
func registerDevWorkers(ctx context.Context, w *workers.Worker, nc *nats.Conn, log *slog.Logger) ([]string, error) {
	w.Register("validate-order", func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
		var o struct {
			OrderID     string   `json:"orderId"`
			Items       []string `json:"items"`
			TotalAmount float64  `json:"totalAmount"`
		}
		if err := json.Unmarshal(in, &o); err != nil || o.OrderID == "" || len(o.Items) == 0 || o.TotalAmount <= 0 {
			return nil, workers.Fail("ValidationError", "an order needs an orderId, items and a positive totalAmount")
		}
		return in, nil
	})
	workers.HandleFunc(w, "check-inventory", func(_ context.Context, in struct {
		Warehouse string   `json:"warehouse"`
		Items     []string `json:"items"`
	}) (map[string]any, error) {
		return map[string]any{"warehouse": in.Warehouse, "available": true, "items": len(in.Items)}, nil
	})
	// process-payment is invoked with .waitForTaskToken: it accepts the
	// payment and returns; the state stays open until someone sends the
	// task token back (aws stepfunctions send-task-success, or
	// POST /v1/tasks:success).
	workers.HandleFunc(w, "process-payment", func(_ context.Context, in struct {
		OrderID   string  `json:"orderId"`
		Amount    float64 `json:"amount"`
		TaskToken string  `json:"taskToken"`
	}) (map[string]string, error) {
		log.Info("payment awaits its callback", "order_id", in.OrderID, "amount", in.Amount, "task_token", in.TaskToken)
		return map[string]string{"status": "accepted"}, nil
	})
	workers.HandleFunc(w, "ship-order", func(_ context.Context, in struct {
		OrderID string          `json:"orderId"`
		Payment json.RawMessage `json:"payment"`
	}) (map[string]any, error) {
		return map[string]any{"orderId": in.OrderID, "shipped": true, "trackingNumber": "TRK-" + in.OrderID, "payment": in.Payment}, nil
	})
	fanout.Register(w)
	inbox, err := approval.OpenInbox(ctx, nc)
	if err != nil {
		return nil, err
	}
	approval.Register(w, inbox)
	return []string{"validate-order", "check-inventory", "process-payment", "ship-order", "resize-image", "summarize-album", "request-approval"}, nil
}
