// Package order is the order-processing example: order.asl.json validates
// an order, checks two warehouses in parallel, takes the payment with a
// lambda:invoke.waitForTaskToken task and ships. Register adds its four
// functions (validate-order, check-inventory, process-payment and
// ship-order, the Lambda functions the definition names) to a
// workers.Worker; ./workers runs them as a program, and `stepwise dev`
// runs them in its own process.
//
// process-payment gets the task token in its payload, starts the payment
// and returns at once; the payment completes later with a callback
// (workers.SendSuccess, over NATS) carrying the token, as the seed's
// Lambda calls send_task_success.
package order

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/stepwise-dev/stepwise/workers"
)

// Definition is the state machine (order.asl.json).
//
//go:embed order.asl.json
var Definition string

// Functions are the names Register registers.
var Functions = []string{"validate-order", "check-inventory", "process-payment", "ship-order"}

// Order is the execution input.
type Order struct {
	OrderID     string   `json:"orderId"`
	Items       []string `json:"items"`
	TotalAmount float64  `json:"totalAmount"`
}

// Register registers the four functions on w, with pay as
// process-payment: Payments.Start, or a handler that leaves the callback to
// someone else (`stepwise dev` logs the task token for you to send back).
func Register(w *workers.Worker, pay func(context.Context, PaymentRequest) (map[string]string, error)) {
	w.Register("validate-order", func(_ context.Context, in json.RawMessage) (json.RawMessage, error) {
		var o Order
		if err := json.Unmarshal(in, &o); err != nil {
			return nil, workers.Fail("ValidationError", "order is not valid JSON: "+err.Error())
		}
		if o.OrderID == "" || len(o.Items) == 0 || o.TotalAmount <= 0 {
			return nil, workers.Fail("ValidationError", "an order needs an orderId, items and a positive totalAmount")
		}
		return in, nil // the state's output is the order itself
	})
	workers.HandleFunc(w, "check-inventory", func(_ context.Context, in struct {
		Warehouse string   `json:"warehouse"`
		Items     []string `json:"items"`
	}) (map[string]any, error) {
		return map[string]any{"warehouse": in.Warehouse, "available": true, "items": len(in.Items)}, nil
	})
	workers.HandleFunc(w, "process-payment", pay)
	workers.HandleFunc(w, "ship-order", func(_ context.Context, in struct {
		OrderID string          `json:"orderId"`
		Payment json.RawMessage `json:"payment"`
	}) (map[string]any, error) {
		return map[string]any{"orderId": in.OrderID, "shipped": true, "trackingNumber": "TRK-" + in.OrderID, "payment": in.Payment}, nil
	})
}

// Payments takes payments asynchronously and reports each with a task
// token callback.
type Payments struct {
	NC *nats.Conn
	// Delay is how long a payment takes. Defaults to 10 ms.
	Delay time.Duration
	wg    sync.WaitGroup
}

// PaymentRequest is process-payment's payload.
type PaymentRequest struct {
	OrderID   string  `json:"orderId"`
	Amount    float64 `json:"amount"`
	TaskToken string  `json:"taskToken"`
}

// Start starts a payment and returns; the callback completes the state.
func (p *Payments) Start(_ context.Context, req PaymentRequest) (map[string]string, error) {
	if req.TaskToken == "" {
		return nil, workers.Fail("PaymentFailed", "no task token in the payload")
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		d := p.Delay
		if d == 0 {
			d = 10 * time.Millisecond
		}
		time.Sleep(d)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var err error
		if req.Amount > 10000 {
			err = workers.SendFailure(ctx, p.NC, req.TaskToken, "PaymentFailed", fmt.Sprintf("amount %.2f exceeds the limit", req.Amount))
		} else {
			out, _ := json.Marshal(map[string]any{"paymentId": "pay-" + req.OrderID, "status": "completed", "amount": req.Amount})
			err = workers.SendSuccess(ctx, p.NC, req.TaskToken, out)
		}
		if err != nil {
			slog.Error("payment callback failed", "order_id", req.OrderID, "error", err)
		}
	}()
	return map[string]string{"status": "accepted"}, nil
}

// Wait waits for the payments in flight to call back.
func (p *Payments) Wait() { p.wg.Wait() }
