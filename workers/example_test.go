package workers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/stepwise-dev/stepwise/workers"
	"github.com/stepwise-dev/stepwise/workers/natstest"
	"github.com/stepwise-dev/stepwise/workers/wire"
)

type Order struct {
	ID  string `json:"id"`
	Qty int    `json:"qty"`
}

type Validated struct {
	ID    string `json:"id"`
	Valid bool   `json:"valid"`
}

// A worker for the Lambda function ValidateOrder, with typed input and
// output and a named error for Catch to match. Here a test NATS server and
// a few lines standing in for the engine show the round trip.
func ExampleHandleFunc() {
	srv, err := natstest.New("")
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Shutdown()
	nc, err := nats.Connect(srv.URL(), nats.MaxReconnects(-1))
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()

	w, err := workers.New(nc, &workers.Config{ID: "example", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		log.Fatal(err)
	}
	workers.HandleFunc(w, "ValidateOrder", func(ctx context.Context, o Order) (Validated, error) {
		if o.Qty <= 0 {
			return Validated{}, workers.Fail("ValidationError", fmt.Sprintf("order %s: quantity %d", o.ID, o.Qty))
		}
		return Validated{ID: o.ID, Valid: true}, nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.Start(ctx); err != nil {
		log.Fatal(err)
	}
	defer func() { _ = w.Stop(ctx) }()

	// The engine's side: publish two tasks, read their results.
	js, _ := jetstream.New(nc)
	results, _ := wire.DefaultNamespace.EnsureResultConsumer(ctx, js)
	for i, input := range []string{`{"id":"o-1","qty":2}`, `{"id":"o-2","qty":0}`} {
		_, err := wire.DefaultNamespace.PublishTask(ctx, js, &wire.Task{
			Token: fmt.Sprintf("token-%d", i), Attempt: 1, Name: "ValidateOrder",
			Resource: "arn:aws:lambda:us-east-1:123456789012:function:ValidateOrder",
			Input:    json.RawMessage(input), Deadline: time.Now().Add(time.Minute),
		})
		if err != nil {
			log.Fatal(err)
		}
		msg, err := results.Next()
		if err != nil {
			log.Fatal(err)
		}
		var r wire.Result
		_ = json.Unmarshal(msg.Data(), &r)
		_ = msg.Ack()
		if r.Kind == wire.KindSuccess {
			fmt.Println(r.Token, r.Kind, string(r.Output))
		} else {
			fmt.Println(r.Token, r.Kind, r.Error, r.Cause)
		}
	}
	// Output:
	// token-0 success {"id":"o-1","valid":true}
	// token-1 failure ValidationError order o-2: quantity 0
}

// A complete worker process: it serves until SIGTERM or Ctrl-C, then lets
// in-flight tasks finish (up to Config.ShutdownTimeout) before it exits.
func ExampleWorker_Run() {
	nc, err := nats.Connect(os.Getenv("NATS_URL"), nats.MaxReconnects(-1))
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()
	w, err := workers.New(nc, &workers.Config{MaxConcurrency: 16})
	if err != nil {
		log.Fatal(err)
	}
	// An activity, by its name in arn:aws:states:...:activity:approve-order.
	w.Register("approve-order", func(ctx context.Context, input json.RawMessage) (json.RawMessage, error) {
		return json.RawMessage(`{"approved":true}`), nil
	})
	// A service integration: arn:aws:states:::sqs:sendMessage runs here.
	w.Register("sqs:sendMessage", func(ctx context.Context, input json.RawMessage) (json.RawMessage, error) {
		return json.RawMessage(`{"MessageId":"local-1"}`), nil
	})
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := w.Run(ctx); err != nil {
		log.Fatal(err)
	}
}

// A handler reports a named ASL error with Fail; Retry and Catch match the
// name. Wrapping keeps it; a plain error is reported as "Error".
func ExampleFail() {
	err := fmt.Errorf("charge card: %w", workers.Fail("PaymentDeclined", "card expired"))
	fmt.Println(err)
	// Output: charge card: PaymentDeclined: card expired
}

// A handler for a lambda:invoke.waitForTaskToken state receives the task
// token in its payload and hands it on; whoever finishes the work
// completes the task with SendSuccess (or SendFailure).
func ExampleSendSuccess() {
	nc, err := nats.Connect(os.Getenv("NATS_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	token := os.Getenv("TASK_TOKEN") // from $$.Task.Token
	if err := workers.SendSuccess(ctx, nc, token, json.RawMessage(`{"paid":true}`)); err != nil {
		log.Fatal(err)
	}
}

// A handler reads the task it runs from its context.
func ExampleTaskInfoFromContext() {
	handler := func(ctx context.Context, input json.RawMessage) (json.RawMessage, error) {
		info, _ := workers.TaskInfoFromContext(ctx)
		if info.Delivery > 1 {
			// A worker died while running this task; it may have had side
			// effects already. Use info.Token as an idempotency key.
			slog.InfoContext(ctx, "task redelivered", "execution", info.Execution, "delivery", info.Delivery)
		}
		return input, nil
	}
	_ = handler
}
