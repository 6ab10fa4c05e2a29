package nats

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/internal/arn"
	"github.com/stepwise-dev/stepwise/statelang"
	"github.com/stepwise-dev/stepwise/workers/wire"
)

// Unserved tasks
//
// A task published for a name no worker serves (a typo in a function
// name, a worker never deployed) would wait in the task stream until its
// state's TimeoutSeconds, which defaults to 99999999 s. With
// Config.UnservedTimeout set, Run watches the task stream instead:
//
//   - every UnservedTimeout/5 (at most CheckInterval) it lists the
//     stream's subjects that hold tasks, and for each asks whether the
//     name is served: its task consumer has a pull request waiting or a
//     task delivered and not yet acked (any worker that follows the wire
//     protocol, announcing or not), or a live worker announcement lists
//     it (wire.AnnouncedNames: a worker too busy to pull still serves its
//     names);
//   - a name found unserved is logged once (WARN, with its resource and
//     how many tasks wait) and counted in UnservedObserver's gauge;
//   - once a name has been unserved, at every look, for UnservedTimeout,
//     each of its tasks that has waited that long and that no worker
//     received is failed through Engine.SendTaskFailure and deleted from
//     the stream: Lambda.ResourceNotFoundException with AWS's cause for a
//     Lambda function (arn:aws:lambda:...:function:... and lambda:invoke's
//     FunctionName), States.TaskFailed naming the resource and the worker
//     name for any other resource.
//
// The state lives in NATS (the stream, the consumers, the announcements),
// so every engine replica finds the same names unserved; each counts the
// wait from its own first look, so a replica that has just started waits
// one whole UnservedTimeout before it fails anything. Two replicas failing
// the same task is harmless: the second gets engine.ErrTaskClosed.
// Activity tasks and the integrations the engine runs itself are never
// published, so they are never failed this way.

// UnservedObserver is implemented by a Config.Observer that also wants to
// know about tasks no worker serves (telemetry.Metrics does).
type UnservedObserver interface {
	// UnservedTasks: n tasks for the worker name wait in the stream and
	// no worker serves the name (n = 0 when it is served again or has no
	// task left).
	UnservedTasks(name string, n int)
	// UnservedFailed: a task for name was failed because no worker served
	// it for Config.UnservedTimeout.
	UnservedFailed(name string)
}

// unservedName is what the watch remembers of a name it found unserved.
type unservedName struct {
	since    time.Time // first look that found it unserved
	resource string    // of one of its tasks, for the log
}

// unservedWatch is the state of one Run's watch; only its goroutine
// uses it.
type unservedWatch struct {
	d     *Dispatcher
	eng   *engine.Engine
	obs   UnservedObserver // nil: none
	kv    jetstream.KeyValue
	names map[string]*unservedName // by subject
	// kvFailing: reading the announcements failed at the last look (and
	// was logged).
	kvFailing bool
}

// unservedInterval is how often the watch looks.
func (d *Dispatcher) unservedInterval() time.Duration {
	return min(max(d.cfg.UnservedTimeout/5, 50*time.Millisecond), d.cfg.CheckInterval)
}

// watchUnserved looks for unserved tasks every unservedInterval until ctx
// ends.
func (d *Dispatcher) watchUnserved(ctx context.Context, eng *engine.Engine) {
	u := &unservedWatch{d: d, eng: eng, names: map[string]*unservedName{}}
	u.obs, _ = d.cfg.Observer.(UnservedObserver)
	tick := time.NewTicker(d.unservedInterval())
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if err := u.look(ctx, time.Now()); err != nil && ctx.Err() == nil {
			d.cfg.Logger.Debug("looking for tasks no worker serves failed", "namespace", d.ns, "error", err)
		}
	}
}

// look is one pass over the task stream's subjects.
func (u *unservedWatch) look(ctx context.Context, now time.Time) error {
	d := u.d
	stream, err := d.js.Stream(ctx, d.ns.TaskStream())
	if err != nil {
		return err
	}
	prefix := d.ns.TaskSubject("")
	info, err := stream.Info(ctx, jetstream.WithSubjectFilter(prefix+">"))
	if err != nil {
		return err
	}
	var announced map[string]bool // read once, when needed
	for subject, n := range info.State.Subjects {
		if n == 0 {
			continue
		}
		name, err := wire.DecodeName(strings.TrimPrefix(subject, prefix))
		if err != nil {
			continue
		}
		var ci *jetstream.ConsumerInfo
		cons, err := d.js.Consumer(ctx, d.ns.TaskStream(), wire.TaskConsumerName(name))
		switch {
		case err == nil:
			ci = cons.CachedInfo()
		case !wire.IsMissing(err):
			return err
		}
		served := ci != nil && (ci.NumWaiting > 0 || ci.NumAckPending > 0)
		if !served {
			if announced == nil {
				announced, err = u.announced(ctx, now)
				if ctx.Err() == nil {
					u.noteAnnounced(err)
				}
				if err != nil {
					// Without the announcements, a busy worker cannot be
					// told from none: fail nothing this time.
					return err
				}
			}
			served = announced[name]
		}
		st := u.names[subject]
		if served {
			if st != nil {
				u.forget(subject, name, st, "a worker serves these tasks now")
			}
			continue
		}
		if st == nil {
			st = &unservedName{since: now}
			if m, err := stream.GetMsg(ctx, 1, jetstream.WithGetMsgSubject(subject)); err == nil {
				var t wire.Task
				if json.Unmarshal(m.Data, &t) == nil {
					st.resource = t.Resource
				}
			}
			u.names[subject] = st
			d.cfg.Logger.Warn("no worker serves these tasks: they wait for one, and fail once none has come for the unserved task timeout",
				"task_name", name, "resource", st.resource, "tasks", n, "namespace", d.ns, "unserved_task_timeout", d.cfg.UnservedTimeout)
		}
		if u.obs != nil {
			u.obs.UnservedTasks(name, int(n))
		}
		if now.Sub(st.since) >= d.cfg.UnservedTimeout {
			u.fail(ctx, stream, subject, name, ci, now)
		}
	}
	for subject, st := range u.names {
		if info.State.Subjects[subject] == 0 {
			name, _ := wire.DecodeName(strings.TrimPrefix(subject, prefix))
			u.forget(subject, name, st, "no task waits for this name any more")
		}
	}
	return nil
}

// forget forgets an unserved name: a worker serves it now, or none of its
// tasks is left.
func (u *unservedWatch) forget(subject, name string, st *unservedName, why string) {
	delete(u.names, subject)
	if u.obs != nil {
		u.obs.UnservedTasks(name, 0)
	}
	u.d.cfg.Logger.Info(why, "task_name", name, "resource", st.resource, "namespace", u.d.ns)
}

// announced returns the names live worker announcements list.
func (u *unservedWatch) announced(ctx context.Context, now time.Time) (map[string]bool, error) {
	if u.kv == nil {
		kv, err := u.d.ns.EnsureWorkerBucket(ctx, u.d.js)
		if err != nil {
			return nil, err
		}
		u.kv = kv
	}
	names, err := wire.AnnouncedNames(ctx, u.kv, now)
	if err != nil {
		u.kv = nil // the bucket may be gone: make it again next time
	}
	return names, err
}

// noteAnnounced logs, once per episode, that the announcements cannot be
// read: no task is failed as unserved meanwhile.
func (u *unservedWatch) noteAnnounced(err error) {
	switch {
	case err != nil && !u.kvFailing:
		u.kvFailing = true
		u.d.cfg.Logger.Warn("reading the worker announcements failed: no task is failed as unserved until it works", "bucket", u.d.ns.WorkerBucket(), "error", err)
	case err == nil && u.kvFailing:
		u.kvFailing = false
		u.d.cfg.Logger.Info("reading the worker announcements works again", "bucket", u.d.ns.WorkerBucket())
	}
}

// fail fails the tasks on subject that waited UnservedTimeout and that no
// worker received (their sequence is past the consumer's last delivery),
// at most RecoverBatch of them, and deletes them from the stream.
func (u *unservedWatch) fail(ctx context.Context, stream jetstream.Stream, subject, name string, ci *jetstream.ConsumerInfo, now time.Time) {
	d := u.d
	var delivered uint64
	if ci != nil {
		delivered = ci.Delivered.Stream
	}
	failed := 0
	resource := ""
	for seq, i := delivered+1, 0; i < d.cfg.RecoverBatch && ctx.Err() == nil; i++ {
		m, err := stream.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(subject))
		if err != nil {
			if !errors.Is(err, jetstream.ErrMsgNotFound) {
				d.cfg.Logger.Debug("reading a task no worker serves failed", "task_name", name, "error", err)
			}
			break
		}
		seq = m.Sequence + 1
		if now.Sub(m.Time) < d.cfg.UnservedTimeout {
			break // the later ones are younger still
		}
		var t wire.Task
		if json.Unmarshal(m.Data, &t) != nil || t.Validate() != nil {
			continue // poison: a worker terminates it
		}
		errName, cause := unservedFailure(&t, d.ns, d.cfg.UnservedTimeout)
		err = u.eng.SendTaskFailure(ctx, t.Token, errName, cause)
		switch {
		case err == nil:
			failed++
			resource = t.Resource
			if u.obs != nil {
				u.obs.UnservedFailed(name)
			}
		case errors.Is(err, engine.ErrTaskClosed), errors.Is(err, engine.ErrInvalidToken),
			errors.Is(err, engine.ErrExecutionNotRunning):
			// answered, timed out, failed by another replica: just drop it
		default:
			d.cfg.Logger.Warn("failing a task no worker serves failed; trying again later", "task", engine.TaskRef(t.Token), "task_name", name, "error", err)
			continue
		}
		if err := stream.DeleteMsg(ctx, m.Sequence); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
			d.cfg.Logger.Debug("deleting a failed unserved task from the stream failed", "task", engine.TaskRef(t.Token), "error", err)
		}
	}
	if failed > 0 {
		d.cfg.Logger.Warn("failed tasks no worker serves", "task_name", name, "resource", resource, "tasks", failed,
			"namespace", d.ns, "unserved_task_timeout", d.cfg.UnservedTimeout)
	}
}

// ErrLambdaNotFound is the error of a Lambda task whose function no worker
// serves: what AWS reports for a function that does not exist.
const ErrLambdaNotFound = "Lambda.ResourceNotFoundException"

// unservedFailure is the error and cause of a task t that no worker
// served for timeout: for a Lambda function AWS's error and cause for a
// function that does not exist, otherwise States.TaskFailed naming the
// resource, the worker name and the namespace.
func unservedFailure(t *wire.Task, ns wire.Namespace, timeout time.Duration) (errName, cause string) {
	if fn, ok := lambdaFunctionARN(t); ok {
		return ErrLambdaNotFound, fmt.Sprintf("Function not found: %s (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: %s; Proxy: null)",
			fn, requestID())
	}
	return statelang.ErrTaskFailed, fmt.Sprintf("No worker serves the resource %s: no worker registered %q in namespace %q for %v",
		t.Resource, t.Name, string(ns), timeout)
}

// lambdaFunctionARN returns the qualified ARN of the Lambda function t
// calls, as Lambda names it in a ResourceNotFoundException ($LATEST when
// unqualified), and whether t calls a Lambda function. For lambda:invoke,
// whose FunctionName the task message carries only as t.Name, the region
// and account are the execution's.
func lambdaFunctionARN(t *wire.Task) (string, bool) {
	r := statelang.ParseResource(t.Resource)
	if r.Kind == statelang.KindLambda {
		if r.Qualifier == "" {
			return r.ARN + ":$LATEST", true
		}
		return r.ARN, true
	}
	if !r.Integrates("lambda", "invoke") {
		return "", false
	}
	scope := arn.Scope{Partition: "aws"}
	if x, err := arn.Parse(t.Execution); err == nil {
		scope = x.Scope()
	}
	return scope.LambdaFunction(t.Name, "$LATEST"), true
}

// requestID is a random UUID, as AWS request ids are.
func requestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
