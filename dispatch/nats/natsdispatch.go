// Package natsdispatch is the engine's NATS JetStream transport: an
// engine.Dispatcher that publishes committed tasks to workers, and the
// loop that applies their results through the Engine's API. The protocol is
// workers/wire's (read its package documentation).
//
// # What it does
//
//   - New calls wire.EnsureStreams.
//   - Dispatch (called by the engine after the task's row committed, and
//     again by the maintenance loop for a task not yet confirmed) maps the
//     task's Resource to a worker name (a Lambda function ARN → the
//     function's name; arn:aws:states:::lambda:invoke → its FunctionName,
//     the worker's input being its Payload; any other integration
//     arn:aws:states:::service:action → "service:action") and publishes it
//     with wire.PublishTask under Nats-Msg-Id "<token>:<attempt>". When
//     JetStream acknowledges the publish (a duplicate ack included: the
//     task landed earlier) it calls Engine.ConfirmDispatch, so the
//     maintenance loop never publishes that task again. A publish that
//     fails is left to the maintenance loop, which retries it after
//     engine.Config.DispatchTimeout (under the same message id, so a
//     publish that did land is not stored twice). From then on a worker
//     that dies is covered by JetStream's redelivery (AckWait, MaxDeliver)
//     and by the state's TimeoutSeconds and HeartbeatSeconds, which the
//     engine enforces from Postgres; ASL Retry owns retries.
//   - Activity tasks are not published: they are served from Postgres by
//     Engine.GetActivityTask (see engine's activities). Dispatch confirms
//     them so that the maintenance loop leaves them alone.
//   - Run consumes STEPWISE_RESULTS through the durable consumer all
//     engine replicas share (wire.EnsureResultConsumer) and applies each
//     result in one engine transaction: heartbeats move the heartbeat
//     deadline (Engine.SendTaskHeartbeat); attempt 0 is a task token
//     callback (Engine.SendTaskSuccess/SendTaskFailure); attempt >= 1 is
//     the worker's own result (Engine.ApplyWorkerResult, which for a
//     .waitForTaskToken task takes a success as "delivered" only). The
//     message is acked only after the commit; a stale, duplicate, unknown
//     or malformed result is acked and ignored; a transient failure
//     (database down) is nak'ed and redelivered.
//   - Cancel (engine.Canceler) publishes wire.Cancel for a task the engine
//     closed without a result (StopExecution, a timeout, a cancelled
//     branch), so its worker's handler context ends.
//
// It imports engine, statelang and workers/wire; the engine never imports
// it (or NATS).
package natsdispatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/statelang"
	"github.com/stepwise-dev/stepwise/workers/wire"
)

// Config configures a Dispatcher. Zero values take the documented
// defaults.
type Config struct {
	// PublishTimeout bounds one task publish. Defaults to 5s.
	PublishTimeout time.Duration
	// Workers bounds how many results are applied concurrently. Defaults
	// to 64.
	Workers int
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.PublishTimeout <= 0 {
		c.PublishTimeout = 5 * time.Second
	}
	if c.Workers <= 0 {
		c.Workers = 64
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Dispatcher publishes tasks to NATS JetStream and applies the results
// that come back. Create it with New, give it to engine.Config.Dispatcher,
// then call Run with the Engine. Its methods are safe for concurrent use.
type Dispatcher struct {
	cfg Config
	nc  *nats.Conn
	js  jetstream.JetStream
	eng atomic.Pointer[engine.Engine]
}

var (
	_ engine.Dispatcher = (*Dispatcher)(nil)
	_ engine.Canceler   = (*Dispatcher)(nil)
)

// New returns a Dispatcher on nc and makes sure the streams exist. The
// caller owns nc.
func New(ctx context.Context, nc *nats.Conn, cfg Config) (*Dispatcher, error) {
	cfg.setDefaults()
	if nc == nil {
		return nil, errors.New("natsdispatch: no NATS connection")
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("natsdispatch: %w", err)
	}
	if err := wire.EnsureStreams(ctx, js); err != nil {
		return nil, fmt.Errorf("natsdispatch: %w", err)
	}
	return &Dispatcher{cfg: cfg, nc: nc, js: js}, nil
}

// Route is where a task goes: the worker name and the worker's input.
type Route struct {
	Name  string
	Input json.RawMessage
}

// RouteTask maps a task's Resource and effective input to its worker name
// and input. For arn:aws:states:::lambda:invoke[.waitForTaskToken] the
// worker is FunctionName (a name or an ARN) and its input the Payload: a
// JSON value, or a string holding JSON text (Lambda takes a string payload
// as the raw request body); a missing Payload is {}.
func RouteTask(resource, input string) (Route, error) {
	rt, res := statelang.SplitResource(resource)
	if statelang.ResourceFamily(resource) == statelang.FamilyTask && rt == "lambda" && (res == "invoke" || strings.HasPrefix(res, "invoke.")) {
		v, err := statelang.ParseJSON([]byte(input))
		if err != nil {
			return Route{}, fmt.Errorf("task input: %w", err)
		}
		params, _ := v.(map[string]any)
		fn, _ := params["FunctionName"].(string)
		name, err := wire.FunctionName(fn)
		if err != nil {
			return Route{}, err
		}
		payload, ok := params["Payload"]
		switch p := payload.(type) {
		case nil:
			if !ok {
				return Route{Name: name, Input: json.RawMessage("{}")}, nil
			}
		case string:
			if json.Valid([]byte(p)) {
				return Route{Name: name, Input: json.RawMessage(p)}, nil
			}
		}
		return Route{Name: name, Input: statelang.MarshalJSON(payload)}, nil
	}
	name, err := wire.NameFromResource(resource)
	if err != nil {
		return Route{}, err
	}
	return Route{Name: name, Input: json.RawMessage(input)}, nil
}

// Dispatch implements engine.Dispatcher: it publishes the task and, once
// JetStream has stored it, confirms the dispatch to the engine.
func (d *Dispatcher) Dispatch(ctx context.Context, t engine.Task) error {
	eng := d.eng.Load()
	if statelang.IsActivity(t.Resource) {
		if eng != nil {
			return eng.ConfirmDispatch(ctx, t.Token)
		}
		return nil
	}
	r, err := RouteTask(t.Resource, t.Input)
	if err != nil {
		// No worker can take it: fail the task as AWS fails a bad
		// parameter, after the transition that scheduled it.
		if eng != nil {
			go func() {
				ferr := eng.SendTaskFailure(context.WithoutCancel(ctx), t.Token, statelang.ErrRuntime, err.Error())
				if ferr != nil && !errors.Is(ferr, engine.ErrTaskClosed) {
					d.cfg.Logger.Error("failing an undeliverable task", "task_token", t.Token, "error", ferr)
				}
			}()
		}
		return nil
	}
	wt := &wire.Task{
		Token: t.Token, Attempt: int(t.Attempt) + 1, Execution: t.ExecutionARN, State: t.StateName,
		Resource: t.Resource, Name: r.Name, Input: r.Input,
		TimeoutSeconds: int(t.TimeoutSeconds), HeartbeatSeconds: int(t.HeartbeatSeconds),
	}
	if t.TimeoutSeconds > 0 && !t.CreatedAt.IsZero() {
		wt.Deadline = t.CreatedAt.Add(time.Duration(t.TimeoutSeconds) * time.Second)
	}
	pctx, cancel := context.WithTimeout(ctx, d.cfg.PublishTimeout)
	defer cancel()
	if _, err := wire.PublishTask(pctx, d.js, wt); err != nil {
		return err // the maintenance loop publishes it again
	}
	if eng != nil {
		if err := eng.ConfirmDispatch(ctx, t.Token); err != nil {
			d.cfg.Logger.Warn("confirm dispatch failed", "task_token", t.Token, "error", err)
		}
	}
	return nil
}

// Cancel implements engine.Canceler.
func (d *Dispatcher) Cancel(_ context.Context, u engine.TaskUpdate) error {
	reason := "task cancelled"
	if u.Status == engine.TaskTimedOut {
		reason = "task timed out"
	}
	return wire.PublishCancel(d.nc, &wire.Cancel{Token: u.Token, Reason: reason})
}

// Run applies results until ctx ends. Call it once per engine process with
// the Engine that uses d; Dispatch confirms publishes only once Run
// started.
func (d *Dispatcher) Run(ctx context.Context, eng *engine.Engine) error {
	d.eng.Store(eng)
	cons, err := wire.EnsureResultConsumer(ctx, d.js)
	if err != nil {
		return fmt.Errorf("natsdispatch: %w", err)
	}
	sem := make(chan struct{}, d.cfg.Workers)
	var wg sync.WaitGroup
	defer wg.Wait()
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			d.handle(ctx, eng, msg)
		}()
	}, jetstream.PullMaxMessages(2*d.cfg.Workers), jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		if ctx.Err() == nil {
			d.cfg.Logger.Debug("result consumer", "error", err)
		}
	}))
	if err != nil {
		return fmt.Errorf("natsdispatch: consume results: %w", err)
	}
	<-ctx.Done()
	cc.Stop()
	return nil
}

// handle applies one result message and acks it after the commit.
func (d *Dispatcher) handle(ctx context.Context, eng *engine.Engine, msg jetstream.Msg) {
	var r wire.Result
	if err := json.Unmarshal(msg.Data(), &r); err != nil || r.Validate() != nil {
		d.cfg.Logger.Warn("malformed result ignored", "subject", msg.Subject())
		_ = msg.Term()
		return
	}
	err := apply(ctx, eng, &r)
	switch {
	case err == nil:
	case errors.Is(err, engine.ErrTaskClosed), errors.Is(err, engine.ErrInvalidToken),
		errors.Is(err, engine.ErrInvalidInput), errors.Is(err, engine.ErrExecutionNotRunning):
		// stale, duplicate, unknown or bad: nothing to apply
	default:
		if ctx.Err() == nil {
			d.cfg.Logger.Warn("applying a result failed; it will be redelivered", "task_token", r.Token, "error", err)
			_ = msg.NakWithDelay(time.Second)
		}
		return
	}
	_ = msg.Ack()
}

func apply(ctx context.Context, eng *engine.Engine, r *wire.Result) error {
	switch {
	case r.Kind == wire.KindHeartbeat:
		return eng.SendTaskHeartbeat(ctx, r.Token)
	case r.Attempt == wire.CallbackAttempt && r.Kind == wire.KindSuccess:
		return eng.SendTaskSuccess(ctx, r.Token, string(r.Output))
	case r.Attempt == wire.CallbackAttempt:
		return eng.SendTaskFailure(ctx, r.Token, r.Error, r.Cause)
	}
	return eng.ApplyWorkerResult(ctx, engine.WorkerResult{Token: r.Token, Attempt: int64(r.Attempt),
		Failed: r.Kind == wire.KindFailure, Output: string(r.Output), Error: r.Error, Cause: r.Cause})
}
