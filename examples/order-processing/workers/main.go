// Command workers runs the example workers of the order-processing state
// machine (../order.asl.json) over NATS: validate-order, check-inventory,
// process-payment and ship-order, the Lambda functions the seed's
// definition names.
//
// process-payment is invoked through lambda:invoke.waitForTaskToken: it
// gets the task token in its payload, starts the payment and returns at
// once; the payment completes later with a callback (workers.SendSuccess,
// over NATS) carrying the token, as the seed's Lambda calls
// send_task_success.
//
//	go run ./examples/order-processing/workers -nats nats://127.0.0.1:4222
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"

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
	p := &Payments{NC: nc}
	Register(w, p)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := w.Run(ctx); err != nil { // drains on SIGTERM
		slog.Error("worker", "error", err)
	}
	p.Wait()
}

// Order is the execution input.
type Order struct {
	OrderID     string   `json:"orderId"`
	Items       []string `json:"items"`
	TotalAmount float64  `json:"totalAmount"`
}

// Register registers the four functions on w.
func Register(w *workers.Worker, p *Payments) {
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
	workers.HandleFunc(w, "process-payment", p.Start)
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
