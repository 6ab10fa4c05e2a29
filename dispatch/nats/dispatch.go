// Package nats (dispatch/nats) is the engine's NATS JetStream transport: an
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
//     task landed earlier) it reports the task held, and the engine
//     confirms the dispatch, so the maintenance loop never publishes that
//     task again. A task no worker can take (RouteTask fails) is an
//     engine.UndeliverableError, which the engine fails. A publish that
//     fails is left to the maintenance loop, which retries it after
//     engine.Config.DispatchTimeout (under the same message id, so a
//     publish that did land is not stored twice). From then on a worker
//     that dies is covered by JetStream's redelivery (AckWait, MaxDeliver)
//     and by the state's TimeoutSeconds and HeartbeatSeconds, which the
//     engine enforces from Postgres; ASL Retry owns retries.
//   - Activity tasks are not published: they are served from the engine's
//     store by Engine.GetActivityTask (see engine's activities). Dispatch
//     reports them held, so that the maintenance loop leaves them alone.
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
//   - With Config.UnservedTimeout, Run fails the tasks whose name no
//     worker has served for that long (a typo in a function name, a worker
//     not deployed) instead of letting them wait for their state's
//     TimeoutSeconds: see unserved.go.
//   - Cancel (engine.Canceler) publishes wire.Cancel for a task the engine
//     closed without a result (StopExecution, a timeout, a cancelled
//     branch), so its worker's handler context ends. Run hears the cancels
//     too: a replica stops the express child it runs for a cancelled task
//     (a distributed Map's parent stopped through another replica).
//
// It imports engine, statelang and workers/wire; the engine never imports
// it (or NATS).
//
// The package is named after its folder; a file that also imports nats.go
// names it natsdispatch:
//
//	natsdispatch "github.com/stepwise-dev/stepwise/dispatch/nats"
package nats

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
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
	// Namespace is the installation's namespace on NATS (see
	// wire.Namespace): its streams and subjects carry it, and its workers
	// must be given the same. Every engine replica of one database uses
	// the same namespace, and installations sharing a NATS use different
	// ones (NamespaceFor derives one from the database's identity).
	// Defaults to wire.DefaultNamespace ("default").
	Namespace string
	// Store is the engine's store. Recovery uses it to make the tasks
	// that were published into a lost stream due again (see Recovery in
	// the package documentation). Defaults to none: tasks lost with a
	// JetStream store are then recovered only by their states'
	// TimeoutSeconds, and the loss is logged as an error.
	Store TaskClaimer
	// CheckInterval is how often Run checks that the streams and the
	// result consumer still exist (a missing one is also noticed at once
	// by a failed publish or by the consumer). Defaults to 5s.
	CheckInterval time.Duration
	// RecoverBatch is how many tasks one recovery statement makes due
	// again. Defaults to 1000.
	RecoverBatch int
	// PublishTimeout bounds one task publish. Defaults to 5s.
	PublishTimeout time.Duration
	// Workers bounds how many results are applied concurrently. Defaults
	// to 64.
	Workers int
	// UnservedTimeout is how long a published task may wait while no
	// worker serves its name (no pull waiting, no task held, no live
	// worker announcement) before the dispatcher fails it:
	// Lambda.ResourceNotFoundException for a Lambda function,
	// States.TaskFailed otherwise (see "Unserved tasks" in unserved.go).
	// Defaults to 0: such a task waits for a worker until its state's
	// TimeoutSeconds. `stepwise server` sets 60 s, `stepwise dev` 10 s.
	UnservedTimeout time.Duration
	// Observer, when set, is told of every result message received more
	// than once (telemetry.Metrics implements it). Defaults to none.
	Observer Observer
	// Tracer, when set, gives each task message the trace context of its
	// attempt's span and is handed the trace context of each result
	// (telemetry.Tracer implements it). Defaults to none: no headers.
	Tracer Tracer
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// Tracer carries W3C trace context between the engine's spans and the
// NATS messages.
type Tracer interface {
	// TaskTrace is the trace context of a task attempt's span ("": none).
	TaskTrace(token string) (parent, state string)
	// ResultTrace receives the traceparent of a result for token.
	ResultTrace(token, parent string)
}

// Observer is told what the dispatcher sees.
type Observer interface {
	// Redelivered: a message of stream ("results") came again.
	Redelivered(stream string)
}

func (c *Config) setDefaults() {
	if c.Namespace == "" {
		c.Namespace = string(wire.DefaultNamespace)
	}
	if c.CheckInterval <= 0 {
		c.CheckInterval = 5 * time.Second
	}
	if c.RecoverBatch <= 0 {
		c.RecoverBatch = 1000
	}
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
	ns  wire.Namespace
	nc  *nats.Conn
	js  jetstream.JetStream
	// check asks Run to check the streams and consumer now.
	check chan struct{}
}

// TaskClaimer is the part of engine.Store that recovery uses; every
// engine.Store implements it.
type TaskClaimer interface {
	ClaimUndispatched(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]engine.Task, error)
	ReopenStarted(ctx context.Context, before time.Time) (int64, error)
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
		return nil, errors.New("dispatch/nats: no NATS connection")
	}
	ns, err := wire.ParseNamespace(cfg.Namespace)
	if err != nil {
		return nil, fmt.Errorf("dispatch/nats: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("dispatch/nats: %w", err)
	}
	if err := ns.EnsureStreams(ctx, js); err != nil {
		return nil, fmt.Errorf("dispatch/nats: %w", err)
	}
	return &Dispatcher{cfg: cfg, ns: ns, nc: nc, js: js, check: make(chan struct{}, 1)}, nil
}

// Namespace is the namespace d publishes and consumes in.
func (d *Dispatcher) Namespace() wire.Namespace { return d.ns }

// poke asks Run to check the streams and consumer now.
func (d *Dispatcher) poke() {
	select {
	case d.check <- struct{}{}:
	default:
	}
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
func RouteTask(resource statelang.Resource, input string) (Route, error) {
	if resource.Integrates("lambda", "invoke") {
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
	name, err := wire.NameFromResource(resource.ARN)
	if err != nil {
		return Route{}, err
	}
	return Route{Name: name, Input: json.RawMessage(input)}, nil
}

// Dispatch implements engine.Dispatcher: it publishes the task and reports
// it held once JetStream has stored it.
func (d *Dispatcher) Dispatch(ctx context.Context, t engine.Task) (held bool, err error) {
	res := statelang.ParseResource(t.Resource)
	if res.Kind == statelang.KindActivity {
		return true, nil // the engine's store holds it: workers take it with GetActivityTask
	}
	r, err := RouteTask(res, t.Input)
	if err != nil {
		return false, &engine.UndeliverableError{Err: err} // no worker can take it
	}
	wt := &wire.Task{
		Token: t.Token, Attempt: int(t.Attempt) + 1, Execution: t.ExecutionARN, State: t.StateName,
		Resource: t.Resource, Name: r.Name, Input: r.Input,
		TimeoutSeconds: int(t.TimeoutSeconds), HeartbeatSeconds: int(t.HeartbeatSeconds),
	}
	if d.cfg.Tracer != nil {
		wt.Trace.Parent, wt.Trace.State = d.cfg.Tracer.TaskTrace(t.Token)
	}
	if t.TimeoutSeconds > 0 && !t.CreatedAt.IsZero() {
		wt.Deadline = t.CreatedAt.Add(time.Duration(t.TimeoutSeconds) * time.Second)
	}
	pctx, cancel := context.WithTimeout(ctx, d.cfg.PublishTimeout)
	defer cancel()
	_, err = d.ns.PublishTask(pctx, d.js, wt)
	if wire.IsMissing(err) {
		// NATS lost the stream: make it again, publish again, and let
		// Run recover what the lost stream held.
		d.poke()
		if eerr := d.ns.EnsureStreams(pctx, d.js); eerr == nil {
			_, err = d.ns.PublishTask(pctx, d.js, wt)
		}
	}
	if err != nil {
		return false, err // the maintenance loop publishes it again
	}
	return true, nil
}

// Cancel implements engine.Canceler.
func (d *Dispatcher) Cancel(_ context.Context, u engine.TaskUpdate) error {
	reason := "task cancelled"
	if u.Status == engine.TaskTimedOut {
		reason = "task timed out"
	}
	return d.ns.PublishCancel(d.nc, &wire.Cancel{Token: u.Token, Reason: reason})
}

// Run applies results until ctx ends. Call it once per engine process with
// the Engine that uses d. Run also watches the streams and the result consumer: it
// creates again what NATS lost and recovers the tasks a lost stream held
// (see Recovery in the package documentation).
func (d *Dispatcher) Run(ctx context.Context, eng *engine.Engine) error {
	var (
		wg       sync.WaitGroup // result handlers and the recovery pass
		cc       jetstream.ConsumeContext
		created  time.Time // of the streams, as last seen
		recovery = make(chan time.Time, 1)
	)
	defer wg.Wait()
	defer func() {
		if cc != nil {
			cc.Stop()
		}
	}()
	sem := make(chan struct{}, d.cfg.Workers)
	// Results of this engine's express executions that reached another
	// replica (see handle).
	sub, err := d.nc.Subscribe(d.expressSubject(eng.ExpressInstance()), func(m *nats.Msg) {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			d.handOn(ctx, eng, m)
		}()
	})
	if err != nil {
		return fmt.Errorf("dispatch/nats: subscribe to the express results: %w", err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	// Cancels of closed tasks, which every replica hears: the express
	// child that this replica runs for a task that a parent stopped in
	// another replica is stopped.
	cancels, err := d.nc.Subscribe(d.ns.CancelSubjects(), func(m *nats.Msg) {
		tok, err := d.ns.TokenFromCancelSubject(m.Subject)
		if err != nil {
			return
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			eng.StopExpressChild(ctx, tok)
		}()
	})
	if err != nil {
		return fmt.Errorf("dispatch/nats: subscribe to the cancels: %w", err)
	}
	defer func() { _ = cancels.Unsubscribe() }()
	// Results that workers send straight to a replica (request/reply):
	// applied like those of the stream, answered once committed; with
	// every handler busy the worker is told at once to use the stream.
	direct, err := d.nc.QueueSubscribe(d.ns.DirectResultSubject(), wire.DirectResultQueue, func(m *nats.Msg) {
		select {
		case sem <- struct{}{}:
		default:
			_ = m.Respond(wire.DirectReply(false, "busy"))
			return
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			d.handleDirect(ctx, eng, m)
		}()
	})
	if err != nil {
		return fmt.Errorf("dispatch/nats: subscribe to direct results: %w", err)
	}
	defer func() { _ = direct.Unsubscribe() }()
	consume := func(cons jetstream.Consumer) (jetstream.ConsumeContext, error) {
		return cons.Consume(func(msg jetstream.Msg) {
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				d.handle(ctx, eng, msg)
			}()
		}, jetstream.PullMaxMessages(2*d.cfg.Workers), jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			if ctx.Err() != nil {
				return
			}
			d.cfg.Logger.Debug("result consumer", "error", err)
			if wire.IsMissing(err) || errors.Is(err, jetstream.ErrNoHeartbeat) {
				d.poke()
			}
		}))
	}
	// ensure makes the streams and the consumer exist, (re)starts
	// consuming when the consumer is new, and hands a recovery pass the
	// streams' creation time when it changed.
	ensure := func() error {
		fresh := cc == nil
		if _, err := d.js.Consumer(ctx, d.ns.ResultStream(), wire.ResultConsumer); err != nil {
			if !wire.IsMissing(err) {
				return err
			}
			fresh = true
		}
		t, err := d.streamsCreated(ctx)
		if wire.IsMissing(err) {
			if err := d.ns.EnsureStreams(ctx, d.js); err != nil {
				return err
			}
			t, err = d.streamsCreated(ctx)
		}
		if err != nil {
			return err
		}
		if fresh {
			cons, err := d.ns.EnsureResultConsumer(ctx, d.js)
			if err != nil {
				return err
			}
			if cc != nil {
				cc.Stop()
				d.cfg.Logger.Warn("recreated the result consumer: NATS had lost it", "namespace", d.ns)
			}
			if cc, err = consume(cons); err != nil {
				cc = nil
				return err
			}
		}
		if !t.Equal(created) {
			if !created.IsZero() {
				d.cfg.Logger.Error("NATS lost the Stepwise streams; recreated them and publishing their tasks again", "namespace", d.ns)
			}
			created = t
			select {
			case <-recovery: // a newer time replaces one not yet taken
			default:
			}
			recovery <- t
		}
		return nil
	}
	// One recovery pass at a time, the latest creation time winning.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case t := <-recovery:
				d.recoverTasks(ctx, t)
			}
		}
	}()

	if err := ensure(); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("dispatch/nats: %w", err)
	}
	if d.cfg.UnservedTimeout > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.watchUnserved(ctx, eng)
		}()
	}
	tick := time.NewTicker(d.cfg.CheckInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-d.check:
		}
		if err := ensure(); err != nil && ctx.Err() == nil {
			d.cfg.Logger.Warn("checking the NATS streams failed", "namespace", d.ns, "error", err)
		}
	}
}

// streamsCreated returns when the later of the two streams was created.
func (d *Dispatcher) streamsCreated(ctx context.Context) (time.Time, error) {
	var last time.Time
	for _, name := range []string{d.ns.TaskStream(), d.ns.ResultStream()} {
		s, err := d.js.Stream(ctx, name)
		if err != nil {
			return time.Time{}, err
		}
		if c := s.CachedInfo().Created; c.After(last) {
			last = c
		}
	}
	return last, nil
}

// confirmedHold is how far the engine moves the dispatch deadline of a
// task whose publish was confirmed: a task confirmed at c is due again at
// c + confirmedHold.
const confirmedHold = engine.ConfirmedDispatchHold

// recoverTasks makes due again, for the engine's maintenance loop to
// publish, every SCHEDULED task whose publish was confirmed before the
// streams were created at created: it went into a stream that no longer
// exists. Confirmed at c, such a task's dispatch deadline is c +
// confirmedHold <= created + confirmedHold, so one claim with that "now"
// finds them (and the unconfirmed ones, which are due soon anyway) and,
// with a negative lease, moves their deadline to the present. Claims go
// on in batches until one comes back short; tasks made due and not yet
// published again come back first, so a long backlog waits for the
// maintenance loop to publish them.
func (d *Dispatcher) recoverTasks(ctx context.Context, created time.Time) {
	if d.cfg.Store == nil {
		d.cfg.Logger.Error("tasks published into a lost NATS stream are not published again: the dispatcher has no Config.Store; they end by their timeouts", "namespace", d.ns)
		return
	}
	cutoff := created.Add(confirmedHold)
	// A callback task a worker took: the callback it sent may have been in
	// the lost result stream.
	if n, err := d.cfg.Store.ReopenStarted(ctx, created); err != nil {
		d.cfg.Logger.Error("reopening the callback tasks workers took before the NATS store was lost failed; they end by their timeouts", "namespace", d.ns, "error", err)
	} else if n > 0 {
		d.cfg.Logger.Info("callback tasks workers had taken are dispatched again", "namespace", d.ns, "tasks", n)
	}
	total := 0
	for ctx.Err() == nil {
		tasks, err := d.cfg.Store.ClaimUndispatched(ctx, cutoff, time.Until(cutoff)*-1, d.cfg.RecoverBatch)
		if err != nil {
			if ctx.Err() == nil {
				d.cfg.Logger.Error("recovering tasks of a lost NATS stream failed; retrying", "namespace", d.ns, "error", err)
			}
		} else {
			total += len(tasks)
			if len(tasks) < d.cfg.RecoverBatch {
				if total > 0 {
					d.cfg.Logger.Info("tasks due for publishing again", "namespace", d.ns, "tasks", total)
				}
				return
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(d.cfg.CheckInterval):
		}
	}
}

// expressSubject is the core NATS subject on which the replica whose
// ExpressInstance is owner takes the results of its express executions
// that reached another replica: "stepwise.<ns>.express.<owner>".
func (d *Dispatcher) expressSubject(owner int64) string {
	return "stepwise." + string(d.ns) + ".express." + strconv.FormatInt(owner, 10)
}

// handOn applies a result another replica handed on (expressSubject).
func (d *Dispatcher) handOn(ctx context.Context, eng *engine.Engine, m *nats.Msg) {
	var r wire.Result
	if err := json.Unmarshal(m.Data, &r); err != nil || r.Validate() != nil {
		return
	}
	if err := apply(ctx, eng, &r); err != nil && !errors.Is(err, engine.ErrTaskClosed) {
		d.cfg.Logger.Debug("a handed-on express result was not applied", "task", engine.TaskRef(r.Token), "error", err)
	}
}

// handle applies one result message and acks it after the commit.
func (d *Dispatcher) handle(ctx context.Context, eng *engine.Engine, msg jetstream.Msg) {
	if d.cfg.Observer != nil {
		if md, err := msg.Metadata(); err == nil && md.NumDelivered > 1 {
			d.cfg.Observer.Redelivered("results")
		}
	}
	var r wire.Result
	if err := json.Unmarshal(msg.Data(), &r); err != nil || r.Validate() != nil {
		d.cfg.Logger.Warn("malformed result ignored", "subject", msg.Subject())
		_ = msg.Term()
		return
	}
	if d.settle(ctx, eng, &r, msg.Headers(), msg.Data()) {
		_ = msg.Ack()
	} else {
		_ = msg.NakWithDelay(time.Second)
	}
}

// handleDirect applies a result a worker sent straight to this replica
// (wire.SendResultDirect) and answers whether it is settled; when it is
// not, the worker publishes it on the result stream.
func (d *Dispatcher) handleDirect(ctx context.Context, eng *engine.Engine, m *nats.Msg) {
	var r wire.Result
	if err := json.Unmarshal(m.Data, &r); err != nil || r.Validate() != nil || r.Kind == wire.KindHeartbeat {
		_ = m.Respond(wire.DirectReply(false, "not a success or failure"))
		return
	}
	settled := d.settle(ctx, eng, &r, m.Header, m.Data)
	_ = m.Respond(wire.DirectReply(settled, "try the result stream"))
}

// settle applies r (data is its message) and reports whether it is done
// with: applied, nothing to apply (stale, duplicate, unknown or bad), or
// handed to the replica that runs its express execution. false: it should
// be tried again later.
func (d *Dispatcher) settle(ctx context.Context, eng *engine.Engine, r *wire.Result, h nats.Header, data []byte) bool {
	if d.cfg.Tracer != nil {
		if tc := wire.TraceOf(h); tc.Parent != "" {
			d.cfg.Tracer.ResultTrace(r.Token, tc.Parent)
		}
	}
	err := apply(ctx, eng, r)
	switch {
	case err == nil:
	case errors.Is(err, engine.ErrTaskClosed), errors.Is(err, engine.ErrInvalidToken),
		errors.Is(err, engine.ErrInvalidInput), errors.Is(err, engine.ErrExecutionNotRunning):
		// stale, duplicate, unknown or bad: nothing to apply
	case errors.Is(err, engine.ErrElsewhere):
		// Another replica's express execution: handed to that replica on
		// its own core NATS subject (lost with it if it is gone, as its
		// execution is).
		if owner, ok := engine.ExpressOwner(r.Token); ok {
			if perr := d.nc.Publish(d.expressSubject(owner), data); perr != nil {
				return false
			}
		}
	default:
		if ctx.Err() == nil {
			d.cfg.Logger.Warn("applying a result failed; it will be tried again", "task", engine.TaskRef(r.Token), "error", err)
		}
		return false
	}
	return true
}

func apply(ctx context.Context, eng *engine.Engine, r *wire.Result) error {
	unstorable(r)
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

// unstorable turns a worker failure whose error name or cause holds a
// NUL into States.Runtime (statelang.Storable), instead of a commit that
// fails on every redelivery. An output may hold escaped NULs in its
// strings: it is kept as it came.
func unstorable(r *wire.Result) {
	if r.Kind != wire.KindSuccess {
		r.Error, r.Cause = statelang.Storable(r.Error, r.Cause, "the worker's")
	}
}

// NamespaceFor derives an installation's namespace from the identity of
// its database, so that installations on different databases never share
// one by default: kind (such as "pg" or "sqlite"), '-', and the first 12
// hex digits of the SHA-256 of identity (for PostgreSQL its system
// identifier and schema, for SQLite the file's absolute path). kind must
// be short and made of [a-z0-9].
func NamespaceFor(kind, identity string) wire.Namespace {
	sum := sha256.Sum256([]byte(identity))
	return wire.Namespace(kind + "-" + hex.EncodeToString(sum[:6]))
}
