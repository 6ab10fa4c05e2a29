package order_test

import (
	"context"
	"strings"
	"testing"
	"time"

	natsdispatch "github.com/stepwise-dev/stepwise/dispatch/nats"
	"github.com/stepwise-dev/stepwise/engine"
	order "github.com/stepwise-dev/stepwise/examples/order-processing"
	"github.com/stepwise-dev/stepwise/internal/pgtest"
	"github.com/stepwise-dev/stepwise/workers"
	"github.com/stepwise-dev/stepwise/workers/natstest"
)

// TestOrderProcessingEndToEnd runs the seed's order machine on the durable
// engine (Postgres) with these workers over an embedded NATS server: a good
// order ships after the payment callback; an order without items fails
// through ValidationError's Catch; a payment over the limit fails the
// execution with the callback's PaymentFailed.
func TestOrderProcessingEndToEnd(t *testing.T) {
	srv := natstest.Start(t)
	st, _ := pgtest.Store(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d, err := natsdispatch.New(ctx, srv.Connect(t), natsdispatch.Config{})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(engine.Config{Store: st, Dispatcher: d, PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{}, 2)
	go func() { _ = eng.Run(ctx); done <- struct{}{} }()
	go func() { _ = d.Run(ctx, eng); done <- struct{}{} }()
	defer func() { cancel(); <-done; <-done }()

	wnc := srv.Connect(t)
	w, err := workers.New(wnc, &workers.Config{})
	if err != nil {
		t.Fatal(err)
	}
	pay := &order.Payments{NC: wnc}
	order.Register(w, pay.Start)
	wctx, wcancel := context.WithCancel(ctx)
	defer wcancel()
	if err := w.Start(wctx); err != nil {
		t.Fatal(err)
	}

	if _, err := eng.CreateStateMachine(ctx, "order-processing", order.Definition, "arn:aws:iam::123456789012:role/orders"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, input, status, output, errName string
		events                               []string
	}{
		{name: "ships", input: `{"orderId":"o-1","items":["book","pen"],"totalAmount":12.5}`, status: engine.StatusSucceeded,
			output: `{"orderId":"o-1","payment":{"amount":12.5,"paymentId":"pay-o-1","status":"completed"},"shipped":true,"trackingNumber":"TRK-o-1"}`,
			events: []string{"LambdaFunctionSucceeded", "ParallelStateExited", "TaskSucceeded", "ExecutionSucceeded"}},
		{name: "invalid", input: `{"orderId":"o-2","items":[],"totalAmount":1}`, status: engine.StatusFailed, errName: "OrderProcessingFailed",
			events: []string{"LambdaFunctionFailed", "FailStateEntered", "ExecutionFailed"}},
		{name: "payment-declined", input: `{"orderId":"o-3","items":["car"],"totalAmount":20000}`, status: engine.StatusFailed, errName: "PaymentFailed",
			events: []string{"ParallelStateExited", "TaskFailed", "ExecutionFailed"}},
	}
	for _, tt := range tests {
		x, err := eng.StartExecution(ctx, engine.StartExecutionInput{StateMachine: "order-processing", Name: tt.name, Input: tt.input})
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(60 * time.Second)
		for x.Status == engine.StatusRunning && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
			if x, err = eng.DescribeExecution(ctx, x.ARN); err != nil {
				t.Fatal(err)
			}
		}
		if x.Status != tt.status || (tt.output != "" && x.Output != tt.output) || x.Error != tt.errName {
			t.Errorf("%s: %s output=%s error=%s %s; want %s %s %s", tt.name, x.Status, x.Output, x.Error, x.Cause, tt.status, tt.output, tt.errName)
		}
		evs, _, err := eng.GetExecutionHistory(ctx, x.ARN, engine.HistoryInput{})
		if err != nil {
			t.Fatal(err)
		}
		var types []string
		for _, e := range evs {
			types = append(types, string(e.Type))
		}
		got := strings.Join(types, " ")
		for _, want := range tt.events {
			if !strings.Contains(got, want) {
				t.Errorf("%s: history %s lacks %s", tt.name, got, want)
			}
		}
	}
	pay.Wait()
}
