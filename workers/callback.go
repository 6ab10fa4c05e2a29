package workers

import (
	"context"
	"encoding/json"
	"fmt"

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
func SendSuccess(ctx context.Context, nc *nats.Conn, token string, output json.RawMessage) error {
	if len(output) == 0 {
		output = json.RawMessage("null")
	}
	if !json.Valid(output) {
		return fmt.Errorf("workers: send success: output is not valid JSON")
	}
	return sendCallback(ctx, nc, &wire.Result{Token: token, Kind: wire.KindSuccess, Output: output})
}

// SendFailure fails the task waiting on token with an ASL error name and
// cause, like SendTaskFailure, over NATS (see SendSuccess). An empty
// errorName becomes ErrorNameDefault.
func SendFailure(ctx context.Context, nc *nats.Conn, token, errorName, cause string) error {
	if errorName == "" {
		errorName = ErrorNameDefault
	}
	return sendCallback(ctx, nc, &wire.Result{Token: token, Kind: wire.KindFailure,
		Error: truncate(errorName, maxErrorName), Cause: truncate(cause, maxCause)})
}

// SendHeartbeat reports that the task waiting on token is still being
// worked on, like SendTaskHeartbeat, over NATS (see SendSuccess).
func SendHeartbeat(ctx context.Context, nc *nats.Conn, token string) error {
	return sendCallback(ctx, nc, &wire.Result{Token: token, Kind: wire.KindHeartbeat})
}

func sendCallback(ctx context.Context, nc *nats.Conn, r *wire.Result) error {
	if nc == nil {
		return fmt.Errorf("workers: send %s: nil NATS connection", r.Kind)
	}
	r.Attempt = wire.CallbackAttempt
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("workers: send %s: %w", r.Kind, err)
	}
	if _, err := wire.PublishResult(ctx, js, r); err != nil {
		return fmt.Errorf("workers: send %s: %w", r.Kind, err)
	}
	return nil
}
