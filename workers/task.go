package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/trace"

	"github.com/stepwise-dev/stepwise/workers/wire"
)

// run handles one task message: decode, run the handler under the task's
// deadline with keep-alives, publish the result, then ack. It owns one
// concurrency slot and releases it when it returns.
func (w *Worker) run(ctx context.Context, name string, msg jetstream.Msg) {
	defer func() {
		<-w.slots
		w.tasks.Done()
	}()
	log := w.log.With("task_name", name)

	var t wire.Task
	if err := json.Unmarshal(msg.Data(), &t); err != nil {
		log.Error("dropping malformed task message", "err", err)
		_ = msg.Term()
		return
	}
	if err := t.Validate(); err != nil {
		log.Error("dropping invalid task message", "err", err)
		_ = msg.Term()
		return
	}
	delivery := 1
	if md, err := msg.Metadata(); err == nil {
		delivery = int(md.NumDelivered)
	}
	log = log.With("execution", t.Execution, "state", t.State, "attempt", t.Attempt, "delivery", delivery)
	if !t.Deadline.IsZero() && !time.Now().Before(t.Deadline) {
		// The engine has timed it out already.
		log.Warn("dropping task past its deadline", "deadline", t.Deadline)
		_ = msg.Ack()
		return
	}
	h := w.handler(name)

	tctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if !t.Deadline.IsZero() {
		var cancelDeadline context.CancelFunc
		tctx, cancelDeadline = context.WithDeadlineCause(tctx, t.Deadline, ErrTaskTimedOut)
		defer cancelDeadline()
	}
	tctx = context.WithValue(tctx, taskInfoKey{}, TaskInfo{
		Token: t.Token, Attempt: t.Attempt, Execution: t.Execution, State: t.State,
		Resource: t.Resource, Name: name, TimeoutSeconds: t.TimeoutSeconds,
		HeartbeatSeconds: t.HeartbeatSeconds, Deadline: t.Deadline, Delivery: delivery,
	})
	tk := &task{wire: t, msg: msg, cancel: cancel}
	done, busy := w.claim(tk)
	switch {
	case done != nil:
		// Finished here already: send the same result again (the
		// engine may have lost it with NATS's store) instead of running
		// the handler twice.
		log.Info("task already done by this worker: sending its result again")
		if w.publish(ctx, done, &t, log) {
			_ = msg.Ack()
		}
		return
	case busy:
		// Running here now: that run sends the result.
		log.Info("task already running in this worker: dropping the copy")
		_ = msg.Ack()
		return
	}
	defer w.untrack(tk)
	var span trace.Span
	if tc := wire.TraceOf(msg.Headers()); tc.Parent != "" {
		tctx, span = w.startSpan(tctx, tc, name, &t, delivery)
	}

	// Keep the message ours and the engine informed until we ack.
	keepCtx, stopKeep := context.WithCancel(ctx)
	keepDone := make(chan struct{})
	go w.keepAlive(keepCtx, &t, msg, log, keepDone)
	defer func() {
		stopKeep()
		<-keepDone
	}()

	log.Debug("task started")
	start := time.Now()
	out, err := call(tctx, h, t.Input, log)

	res := &wire.Result{Token: t.Token, Attempt: t.Attempt, Worker: w.cfg.ID}
	sent := res // the result the span reports; nil when none is sent
	defer func() { endSpan(span, sent) }()
	switch {
	case err == nil:
		res.Kind = wire.KindSuccess
		res.Output = out
		if len(out) == 0 {
			res.Output = json.RawMessage("null")
		} else if !json.Valid(out) {
			res.Kind = wire.KindFailure
			res.Output = nil
			res.Error, res.Cause = ErrorNameMarshal, "handler returned invalid JSON"
		}
	case tctx.Err() != nil:
		cause := context.Cause(tctx)
		sent = nil
		if errors.Is(cause, ErrTaskTimedOut) || errors.Is(cause, ErrTaskCanceled) {
			// The engine decides timeouts and cancels; no failure to send.
			log.Info("task ended without result", "cause", cause.Error(), "err", err)
			_ = msg.Ack()
			return
		}
		// The worker is stopping: another worker takes the task now.
		log.Info("task handed back to the queue", "cause", cause.Error())
		_ = msg.Nak()
		return
	default:
		res.Kind = wire.KindFailure
		res.Error, res.Cause = failure(err)
	}
	w.remember(res)
	endSpan(span, res) // before publishing: the result carries the span
	span = nil

	if !w.publish(ctx, res, &t, log) {
		return // not acked: JetStream redelivers it
	}
	if err := msg.Ack(); err != nil {
		log.Warn("ack task failed; it may run again", "err", err)
	}
	if res.Kind == wire.KindSuccess {
		log.Debug("task succeeded", "duration", time.Since(start))
	} else {
		log.Info("task failed", "duration", time.Since(start), "error_name", res.Error, "cause", res.Cause)
	}
}

func (w *Worker) handler(name string) Handler {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.handlers[name]
}

// call runs h, turning a panic into an ErrorNamePanic failure.
func call(ctx context.Context, h Handler, input json.RawMessage, log *slog.Logger) (out json.RawMessage, err error) {
	defer func() {
		if v := recover(); v != nil {
			log.Error("handler panicked", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			out, err = nil, &Error{Name: ErrorNamePanic, Cause: fmt.Sprint(v)}
		}
	}()
	return h(ctx, input)
}

// keepAlive tells JetStream the message is in progress every AckWait/3,
// and, when the task has HeartbeatSeconds, sends the engine a heartbeat
// every HeartbeatSeconds/3, until ctx ends. It closes done when it returns.
func (w *Worker) keepAlive(ctx context.Context, t *wire.Task, msg jetstream.Msg, log *slog.Logger, done chan<- struct{}) {
	defer close(done)
	progress := time.NewTicker(w.cfg.AckWait / 3)
	defer progress.Stop()
	var beat <-chan time.Time
	if t.HeartbeatSeconds > 0 {
		tk := time.NewTicker(time.Duration(t.HeartbeatSeconds) * time.Second / 3)
		defer tk.Stop()
		beat = tk.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-progress.C:
			if err := msg.InProgress(); err != nil {
				log.Debug("extend task ack deadline failed", "err", err)
			}
		case <-beat:
			pctx, cancel := context.WithTimeout(ctx, w.cfg.PublishTimeout)
			_, err := w.ns.PublishResult(pctx, w.js, &wire.Result{
				Token: t.Token, Attempt: t.Attempt, Kind: wire.KindHeartbeat, Worker: w.cfg.ID,
			})
			cancel()
			if err != nil && ctx.Err() == nil {
				log.Warn("send heartbeat failed", "err", err)
			}
		}
	}
}

// publish hands res to an engine replica directly (SendResultDirect) or,
// when none takes it, publishes it until JetStream acks it. It gives up,
// returning false, when the connection is closed, ctx ends or the task's
// deadline passes (the engine has timed the task out). An output too
// large for the connection is replaced by an ErrorNameDataLimit failure.
func (w *Worker) publish(ctx context.Context, res *wire.Result, t *wire.Task, log *slog.Logger) bool {
	dctx, cancel := context.WithTimeout(ctx, w.cfg.PublishTimeout)
	direct := w.ns.SendResultDirect(dctx, w.nc, res)
	cancel()
	if direct {
		return true
	}
	b := newBackoff()
	for {
		pctx, cancel := context.WithTimeout(ctx, w.cfg.PublishTimeout)
		_, err := w.ns.PublishResult(pctx, w.js, res)
		cancel()
		if err == nil {
			return true
		}
		if wire.IsMissing(err) {
			// NATS lost its store: make the streams again so that the
			// result has somewhere to go.
			ectx, cancel := context.WithTimeout(ctx, w.cfg.PublishTimeout)
			if eerr := w.ns.EnsureStreams(ectx, w.js); eerr == nil {
				log.Warn("recreated the streams: NATS had lost them")
			}
			cancel()
		}
		if errors.Is(err, nats.ErrMaxPayload) && res.Kind == wire.KindSuccess {
			log.Warn("task output too large to send; reporting a failure", "bytes", len(res.Output))
			*res = wire.Result{
				Token: res.Token, Attempt: res.Attempt, Kind: wire.KindFailure, Worker: res.Worker,
				Error: ErrorNameDataLimit,
				Cause: fmt.Sprintf("The state/task returned a result with a size exceeding the maximum number of bytes service limit (%d bytes).", w.nc.MaxPayload()),
			}
			continue
		}
		switch {
		case w.nc.IsClosed():
			log.Error("result not sent: NATS connection closed", "err", err)
			return false
		case ctx.Err() != nil:
			log.Error("result not sent: worker stopped", "err", err)
			return false
		case !t.Deadline.IsZero() && time.Now().After(t.Deadline):
			log.Error("result not sent before the task deadline", "err", err)
			return false
		}
		log.Warn("send result failed; retrying", "err", err)
		select {
		case <-time.After(b.next()):
		case <-ctx.Done():
		}
	}
}
