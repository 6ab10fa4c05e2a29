package engine

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/statelang"
)

// ErrInvalidToken: the task token was never issued by this engine (it does
// not parse, or it is forged). AWS answers InvalidToken; a token that was
// issued but whose task is no longer open is ErrTaskClosed (TaskTimedOut).
var ErrInvalidToken = errors.New("invalid task token")

// Task tokens.
//
// A token is "<execution id>-<task seq>-<mac>": the execution it belongs
// to, the number of the task within the execution (every schedule of a
// Task state, so every ASL attempt, gets a new one) and the first 128 bits
// of HMAC-SHA256("<id>-<seq>") keyed with a per-execution secret of 244
// random bits kept in the execution's State. A token therefore cannot be
// guessed or derived from another, and the decider, which finds the open
// task by the whole token, rejects forged ones. The secret is drawn from
// Config.UUID (crypto/rand by default) when the execution's first token is
// made and stored with the state, so a replay makes the same tokens.

func newSecret(env *statelang.Env) string {
	return strings.ReplaceAll(env.UUID()+env.UUID(), "-", "")
}

func taskToken(id, seq int64, secret string) string {
	tok := signedToken(strconv.FormatInt(id, 10)+"-"+strconv.FormatInt(seq, 10), secret)
	if id < 0 {
		return "x" + tok[1:] // an express run's (express.go): "x<n>-<seq>-<mac>"
	}
	return tok
}

// signedToken is the token of ref ("<execution id>-<task seq>"): ref and
// its MAC under the execution's secret.
func signedToken(ref, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ref))
	return ref + "-" + hex.EncodeToString(m.Sum(nil)[:16])
}

// TaskRef is what logs may show of a task token: "<execution id>-<task
// seq>", without the MAC that makes the token a credential.
func TaskRef(token string) string {
	if i := strings.LastIndexByte(token, '-'); i > 0 {
		if _, ok := ExecutionIDOfToken(strings.TrimPrefix(token, "x")); ok {
			return token[:i]
		}
	}
	return "(not a task token)"
}

// ExecutionIDOfToken returns the execution id a task token names, and
// false when the token is not of the engine's format (AWS: InvalidToken).
// A well-formed token may still be forged; the engine answers
// ErrInvalidToken for it.
func ExecutionIDOfToken(token string) (int64, bool) {
	parts := strings.Split(token, "-")
	if len(parts) != 3 || len(parts[2]) != 32 {
		return 0, false
	}
	if _, err := hex.DecodeString(parts[2]); err != nil {
		return 0, false
	}
	id, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil || id <= 0 {
		return 0, false
	}
	if seq, err := strconv.ParseInt(parts[1], 10, 64); err != nil || seq <= 0 {
		return 0, false
	}
	return id, true
}

// SendTaskSuccess reports a task's result (AWS SendTaskSuccess): for a
// .waitForTaskToken task the callback, for an activity the worker's answer.
// A token for a task that is no longer open (answered, timed out,
// cancelled) changes nothing and returns ErrTaskClosed; a token never
// issued returns ErrInvalidToken. An output above 256 KiB fails the task
// with States.DataLimitExceeded, as on AWS.
func (e *Engine) SendTaskSuccess(ctx context.Context, token, output string) error {
	ev, err := successEvent(token, output)
	if err != nil {
		return err
	}
	return e.taskEvent(ctx, token, ev)
}

// SendTaskFailure reports a task's failure with an ASL error name and cause.
func (e *Engine) SendTaskFailure(ctx context.Context, token, errName, cause string) error {
	return e.taskEvent(ctx, token, event{Kind: evTaskFailed, Token: token, Error: errName, Cause: cause})
}

func (e *Engine) taskEvent(ctx context.Context, token string, ev event) error {
	if r, ok, err := e.expressRunOf(token); ok {
		if err != nil {
			return err
		}
		return e.expressTaskEvent(ctx, r, ev)
	}
	id, ok := ExecutionIDOfToken(token)
	if !ok {
		return ErrInvalidToken
	}
	d, err := e.apply(ctx, id, ev)
	if errors.Is(err, ErrExecutionNotRunning) || errors.Is(err, ErrNotFound) || (err == nil && !d.Changed) {
		return e.closedOrInvalid(ctx, token)
	}
	return err
}

// closedOrInvalid tells a token whose task was answered, timed out or
// cancelled (ErrTaskClosed) from one never issued (ErrInvalidToken).
func (e *Engine) closedOrInvalid(ctx context.Context, token string) error {
	if _, _, err := e.store.GetTask(ctx, token); errors.Is(err, ErrNotFound) {
		return ErrInvalidToken
	}
	return ErrTaskClosed
}

// SendTaskHeartbeat records that a worker is still on a task: it moves the
// heartbeat deadline (now + HeartbeatSeconds) and stops re-dispatching.
func (e *Engine) SendTaskHeartbeat(ctx context.Context, token string) error {
	if r, ok, err := e.expressRunOf(token); ok {
		if err != nil {
			return err
		}
		if r == nil {
			return ErrTaskClosed
		}
		return r.heartbeat(token)
	}
	if _, ok := ExecutionIDOfToken(token); !ok {
		return ErrInvalidToken
	}
	err := e.group.do(ctx, &op{kind: opHeartbeat, token: token})
	if errors.Is(err, ErrNotFound) {
		return e.closedOrInvalid(ctx, token)
	}
	return err
}

// WorkerResult is what the worker that ran one attempt of a task reports
// (not a task token callback; those are SendTaskSuccess/Failure).
type WorkerResult struct {
	Token string
	// Attempt counts from 1 (the task's Attempt + 1); a result for another
	// attempt than the task's is stale.
	Attempt int64
	// Failed: the worker failed the task with Error and Cause; otherwise it
	// succeeded with Output (JSON text).
	Failed       bool
	Output       string
	Error, Cause string
}

// ApplyWorkerResult applies the result of the worker that ran a task, as a
// transport such as the NATS dispatcher receives it. For a task that waits
// for a callback (.waitForTaskToken) the worker's success only means the
// request was delivered: it marks the task started and leaves it open for
// the callback; its failure fails the task. For every other task the
// result is the task's outcome. Stale, duplicate or unknown results return
// ErrTaskClosed or ErrInvalidToken and change nothing.
func (e *Engine) ApplyWorkerResult(ctx context.Context, r WorkerResult) error {
	if x, ok, err := e.expressRunOf(r.Token); ok {
		if err != nil {
			return err
		}
		ev, err := workerEvent(&r)
		if err != nil {
			return err
		}
		return e.expressTaskEvent(ctx, x, ev)
	}
	id, ok := ExecutionIDOfToken(r.Token)
	if !ok {
		return ErrInvalidToken
	}
	o := &op{kind: opResult, id: id, res: &r}
	err := e.group.do(ctx, o)
	switch {
	case errors.Is(err, ErrExecutionNotRunning), errors.Is(err, ErrNotFound):
		return ErrTaskClosed
	case err != nil:
		return err
	case o.dec != nil && !o.dec.Changed:
		return ErrTaskClosed
	}
	e.afterCommit(ctx, o.dec)
	return nil
}

// TaskDelivered records that a transport handed a task to a worker that
// acknowledged it: the task is STARTED and is not dispatched again. Unlike
// SendTaskHeartbeat it does not move the heartbeat deadline.
func (e *Engine) TaskDelivered(ctx context.Context, token string) error {
	if r, ok, err := e.expressRunOf(token); ok {
		if err != nil {
			return err
		}
		return r.open(token) // its TaskStarted event comes with the result
	}
	err := e.group.do(ctx, &op{kind: opStarted, token: token})
	if errors.Is(err, ErrNotFound) {
		return e.closedOrInvalid(ctx, token)
	}
	return err
}

// ConfirmDispatch records that a transport stored a task durably (for
// NATS: JetStream acknowledged the publish), so the maintenance loop does
// not dispatch it again; from then on the transport's redelivery, and the
// state's TimeoutSeconds and HeartbeatSeconds, cover a lost worker. It
// does not wait: the confirmation is held, and written only if the task
// is still open after Config.ConfirmDelay (see group.go). A confirmation
// lost with the process leaves the task to be dispatched again after
// Config.DispatchTimeout, under the same message id.
func (e *Engine) ConfirmDispatch(_ context.Context, token string) error {
	if _, ok := expressIDOfToken(token); ok {
		return nil // nothing durable to confirm
	}
	e.group.confirm(token)
	return nil
}

// ConfirmedDispatchHold is how far a confirmed task's dispatch deadline
// moves: in effect never (a century). A transport that lost its stored
// tasks finds the ones confirmed before time c as those whose deadline is
// before c + ConfirmedDispatchHold.
const ConfirmedDispatchHold = 100 * 365 * 24 * time.Hour

// TaskStore is the part of Store that keeps activities and the tasks
// workers take or a lost transport sends again.
type TaskStore interface {
	// ClaimActivityTask takes the oldest SCHEDULED task of resource: it
	// marks it STARTED, moves its heartbeat timer to now+HeartbeatSeconds
	// and returns it; ErrNotFound when there is none.
	ClaimActivityTask(ctx context.Context, resource string, now time.Time) (Task, error)

	// CreateActivity stores an activity, or returns the one of that name
	// with ErrConflict.
	CreateActivity(ctx context.Context, a Activity) (Activity, error)
	// GetActivity returns an activity by ARN; ErrNotFound.
	GetActivity(ctx context.Context, arn string) (Activity, error)
	// DeleteActivity deletes an activity by ARN (no error when absent).
	DeleteActivity(ctx context.Context, arn string) error
	// ListActivities returns up to limit activities with names after
	// afterName, by name.
	ListActivities(ctx context.Context, afterName string, limit int) ([]Activity, error)

	// ReopenStarted makes the STARTED tasks of .waitForTaskToken
	// resources created before before SCHEDULED again, due at before, and
	// returns how many: after the transport lost its messages (a NATS store
	// wiped), a callback that had been sent may be lost with them, and the
	// task is dispatched again so that its worker sends it again.
	ReopenStarted(ctx context.Context, before time.Time) (int64, error)
}

// Canceler is implemented by a Dispatcher that can stop a task a worker
// is running. The engine calls Cancel after committing a transition that
// closed an open task without a result (StopExecution, a timeout, a
// cancelled branch); delivery is best effort.
type Canceler interface {
	Cancel(ctx context.Context, t TaskUpdate) error
}

// cancelTasks tells the dispatcher about tasks closed without a result,
// and stops the children of .sync child-execution tasks among them. It
// returns once the express children it stopped have their outcome
// recorded (a distributed Map's: their rows written), so that a failed Map
// Run's ResultWriter, dispatched after, reads them ABORTED.
func (e *Engine) cancelTasks(ctx context.Context, closed []TaskUpdate) {
	c, _ := e.cfg.Dispatcher.(Canceler)
	var stopped []*expressRun
	defer func() {
		for _, r := range stopped {
			select {
			case <-r.recorded:
			case <-ctx.Done():
				return
			}
		}
	}()
	for _, u := range closed {
		if u.Status != TaskCancelled && u.Status != TaskTimedOut {
			continue
		}
		if childModeOf(u.Resource).sync {
			if r := e.express.child(u.Token); r != nil {
				// An express child in this process.
				r.stop(ctx)
				stopped = append(stopped, r)
				continue
			}
			if e.stopChild(ctx, u.Token) || c == nil {
				continue
			}
			// No standard child runs for it: its child may be an express
			// execution in another replica, which the dispatcher's cancel
			// reaches (StopExpressChild).
		}
		if c == nil {
			continue
		}
		if err := c.Cancel(ctx, u); err != nil {
			e.cfg.Logger.Warn("cancel failed", "task", TaskRef(u.Token), "error", err)
		}
	}
}
