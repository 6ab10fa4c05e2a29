package workers

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/stepwise-dev/stepwise/workers/wire"
)

// SendSuccess completes the task waiting on token (a .waitForTaskToken
// state) with output, like SendTaskSuccess, over NATS: it publishes a
// success Result with attempt 0 (wire.CallbackAttempt) and returns once
// JetStream has stored it. The engine applies it later; a token that is
// unknown, finished or already completed is rejected there, not here (use
// the API to learn the outcome). output nil means null.
//
// The callback goes to the namespace in STEPWISE_NAMESPACE, or
// wire.DefaultNamespace; Worker.SendSuccess sends it to the worker's. A
// namespace without streams on nc's server is an error, never a callback
// taken by another installation.
func SendSuccess(ctx context.Context, nc *nats.Conn, token string, output json.RawMessage) error {
	return envNamespace().sendSuccess(ctx, nc, token, output)
}

// SendFailure fails the task waiting on token with an ASL error name and
// cause, like SendTaskFailure, over NATS (see SendSuccess). An empty
// errorName becomes ErrorNameDefault.
func SendFailure(ctx context.Context, nc *nats.Conn, token, errorName, cause string) error {
	return envNamespace().sendFailure(ctx, nc, token, errorName, cause)
}

// SendHeartbeat reports that the task waiting on token is still being
// worked on, like SendTaskHeartbeat, over NATS (see SendSuccess).
func SendHeartbeat(ctx context.Context, nc *nats.Conn, token string) error {
	return envNamespace().sendCallback(ctx, nc, &wire.Result{Token: token, Kind: wire.KindHeartbeat})
}

// SendSuccess is the package's SendSuccess in w's namespace, on w's
// connection.
func (w *Worker) SendSuccess(ctx context.Context, token string, output json.RawMessage) error {
	return callbacks{w.ns}.sendSuccess(ctx, w.nc, token, output)
}

// SendFailure is the package's SendFailure in w's namespace, on w's
// connection.
func (w *Worker) SendFailure(ctx context.Context, token, errorName, cause string) error {
	return callbacks{w.ns}.sendFailure(ctx, w.nc, token, errorName, cause)
}

// SendHeartbeat is the package's SendHeartbeat in w's namespace, on w's
// connection.
func (w *Worker) SendHeartbeat(ctx context.Context, token string) error {
	return callbacks{w.ns}.sendCallback(ctx, w.nc, &wire.Result{Token: token, Kind: wire.KindHeartbeat})
}

// callbacks sends task token callbacks in one namespace.
type callbacks struct{ ns wire.Namespace }

// envNamespace is the namespace of the package-level callbacks.
func envNamespace() callbacks {
	if ns := os.Getenv("STEPWISE_NAMESPACE"); ns != "" {
		return callbacks{wire.Namespace(ns)}
	}
	return callbacks{wire.DefaultNamespace}
}

func (c callbacks) sendSuccess(ctx context.Context, nc *nats.Conn, token string, output json.RawMessage) error {
	if len(output) == 0 {
		output = json.RawMessage("null")
	}
	if !json.Valid(output) {
		return fmt.Errorf("workers: send success: output is not valid JSON")
	}
	return c.sendCallback(ctx, nc, &wire.Result{Token: token, Kind: wire.KindSuccess, Output: output})
}

func (c callbacks) sendFailure(ctx context.Context, nc *nats.Conn, token, errorName, cause string) error {
	if errorName == "" {
		errorName = ErrorNameDefault
	}
	return c.sendCallback(ctx, nc, &wire.Result{Token: token, Kind: wire.KindFailure,
		Error: truncate(errorName, maxErrorName), Cause: truncate(cause, maxCause)})
}

func (c callbacks) sendCallback(ctx context.Context, nc *nats.Conn, r *wire.Result) error {
	if nc == nil {
		return fmt.Errorf("workers: send %s: nil NATS connection", r.Kind)
	}
	if err := c.ns.Validate(); err != nil {
		return fmt.Errorf("workers: send %s: %w (STEPWISE_NAMESPACE)", r.Kind, err)
	}
	r.Attempt = wire.CallbackAttempt
	r.Trace = traceOf(ctx)
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("workers: send %s: %w", r.Kind, err)
	}
	if _, err := c.ns.PublishResult(ctx, js, r); err != nil {
		return fmt.Errorf("workers: send %s: %w", r.Kind, err)
	}
	return nil
}
