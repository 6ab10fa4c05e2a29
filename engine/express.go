package engine

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stepwise-dev/stepwise/internal/arn"
	"github.com/stepwise-dev/stepwise/statelang"
)

// Express executions.
//
// An execution of an EXPRESS machine runs on the same decider as a
// standard one, but in memory, in the process that started it: no row, no
// history, no timer rows. Its state, its timers (time.AfterFunc) and its
// open tasks live in an expressRun until it ends; its history events go to
// the machine's log group (Logging, through Config.Logs) as AWS writes them
// to CloudWatch Logs, and nowhere else. That is AWS's contract for Express
// workflows: at-least-once, nothing to describe or redrive afterwards, at
// most five minutes. A process that stops loses its running express
// executions (AWS: an Express execution may also be lost or run again).
//
// Tasks go to workers as a standard execution's do (Config.Dispatcher,
// services), under tokens of their own form ("x<n>-<seq>-<mac>", see
// taskToken), so a worker's result, a heartbeat or a callback finds the
// run without a store. A publish that fails is retried after
// DispatchTimeout while the task is open.

// ExpressMaxDuration is the longest an express execution runs: it then
// times out (States.Timeout), as on AWS.
const ExpressMaxDuration = 5 * time.Minute

// ErrExpressARN: the operation does not take an express execution's ARN
// (DescribeExecution, StopExecution, GetExecutionHistory), as on AWS.
var ErrExpressARN = errors.New("not valid for an express execution")

// ErrNotExpress: StartSyncExecution of a machine that is not EXPRESS (AWS:
// StateMachineTypeNotSupported).
var ErrNotExpress = errors.New("the state machine is not EXPRESS")

// ErrElsewhere: a task token names an express execution of another
// process (engine replica). A transport hands the result to that process
// (ExpressOwner; NATS: on the owner's own subject).
var ErrElsewhere = errors.New("the express execution runs in another process")

// ExpressObserver is what the Store of Config.Store may also implement
// to be told what express executions do, since they write nothing to it
// (package telemetry's Observe wrapper implements it for the metrics of
// express executions). After each decision of an express run that changed
// it, ExpressDecided gets the run's execution x (ARN, StateMachine,
// StartDate; Status and StopDate once it ended) and m, what the decision
// did in the shape of the Mutation a standard execution's step commits:
// Version 0 for its start, Events, NewTasks, CloseTasks, and, when it
// ended, Terminal with Status and StopDate; now is the decision's time.
// It is called with the run's lock held: it must return quickly and
// must not call the Engine.
type ExpressObserver interface {
	ExpressDecided(x *Execution, m *Mutation, now time.Time)
}

// expressHub holds the running express executions of this Engine. A
// run's id is negative: -(instance<<31 | n), n counting up from 1, so a
// token names the process it belongs to (instance: 31 random bits drawn
// when the Engine is made).
type expressHub struct {
	instance int64
	mu       sync.Mutex
	runs     map[int64]*expressRun
	children map[string]*expressRun // the runs started for a standard parent's task, by its token
	n        int64
	machines recent[expressMachine] // by StartExecutionInput.StateMachine and Version
}

// expressMachine is an EXPRESS machine as a start read it.
type expressMachine struct {
	m  *statelang.Machine
	sm StateMachine
}

// machine returns the EXPRESS machine a start read for in less than
// recentTTL before now, if any: an express start then reads no row.
func (h *expressHub) machine(in StartExecutionInput, now time.Time) (*statelang.Machine, StateMachine, bool) {
	if in.Parent != nil {
		return nil, StateMachine{}, false
	}
	r, ok := h.machines.get(in.StateMachine+"\x00"+strconv.Itoa(in.Version), now)
	return r.m, r.sm, ok
}

// remember keeps what a start read of an EXPRESS machine.
func (h *expressHub) remember(in StartExecutionInput, m *statelang.Machine, sm StateMachine, now time.Time) {
	if in.Parent == nil {
		h.machines.put(in.StateMachine+"\x00"+strconv.Itoa(in.Version), expressMachine{m: m, sm: sm}, now)
	}
}

func newExpressHub() expressHub {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return expressHub{instance: int64(binary.BigEndian.Uint32(b[:])>>1) | 1}
}

// add gives r its id and holds it, unless r is a child of a standard
// parent's task (its ParentToken) for which a child already runs: add then
// returns that one and holds nothing. The check and the hold are one step,
// so two dispatches of one task at the same instant start one child.
func (h *expressHub) add(r *expressRun) (running *expressRun) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.runs == nil {
		h.runs, h.children = map[int64]*expressRun{}, map[string]*expressRun{}
	}
	tok := r.result.ParentToken
	if old := h.children[tok]; tok != "" && old != nil {
		return old
	}
	h.n = h.n%(1<<31-1) + 1
	r.x.ID = -(h.instance<<31 | h.n)
	h.runs[r.x.ID] = r
	if tok != "" {
		h.children[tok] = r
	}
	return nil
}

// child returns the running express execution started for the task of
// token, or nil.
func (h *expressHub) child(token string) *expressRun {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.children[token]
}

// mine reports whether run id was made by this hub's process.
func (h *expressHub) mine(id int64) bool { return (-id)>>31 == h.instance }

// ExpressInstance names this Engine's process in its express task tokens
// (see ExpressOwner).
func (e *Engine) ExpressInstance() int64 { return e.express.instance }

// ExpressOwner returns the ExpressInstance of the engine that runs the
// express execution of token; ok is false for another kind of token. A
// transport that gets ErrElsewhere for a token hands its result to that
// engine.
func ExpressOwner(token string) (instance int64, ok bool) {
	id, ok := expressIDOfToken(token)
	if !ok {
		return 0, false
	}
	return (-id) >> 31, true
}

func (h *expressHub) get(id int64) *expressRun {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.runs[id]
}

func (h *expressHub) remove(r *expressRun) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.runs, r.x.ID)
	if tok := r.result.ParentToken; tok != "" && h.children[tok] == r {
		delete(h.children, tok)
	}
}

// Running returns how many express executions run in this process.
func (e *Engine) RunningExpress() int {
	e.express.mu.Lock()
	defer e.express.mu.Unlock()
	return len(e.express.runs)
}

// expressRun is one running express execution. mu guards everything
// below it; it is held while the decider runs and while the decision's
// timers and log events are recorded, never while tasks are dispatched.
type expressRun struct {
	e       *Engine
	m       *statelang.Machine
	logging *Logging
	stream  string // the log stream of its events

	mu     sync.Mutex
	x      execFacts
	st     *execState
	timers map[string]*time.Timer
	tasks  map[string]Task // open tasks by token
	ended  bool
	result Execution // once ended
	done   chan struct{}
	// recorded is closed once the ended run's outcome is recorded: for a
	// child of a standard parent, its row written (a distributed Map's)
	// and the parent's task answered (expressChildEnded).
	recorded chan struct{}
	obs      ExpressObserver // the Store's, or nil
	steps    int64           // decisions told to obs
	lease    *time.Timer     // renews the parent's task's confirmation (leaseExpressChild)
}

// startExpress starts x (an express execution's facts: ARN, name, input
// text, machine) and runs its first decision; sync marks a
// StartSyncExecution's. The returned run's done channel closes when it
// ends. For a child of a standard parent's task (x.ParentToken) whose
// child still runs, it starts nothing and returns that child, started
// false.
func (e *Engine) startExpress(ctx context.Context, x *Execution, m *statelang.Machine, sm StateMachine, input any, sync bool) (r *expressRun, started bool) {
	r = &expressRun{e: e, m: m, logging: sm.Logging, st: &execState{}, timers: map[string]*time.Timer{},
		tasks: map[string]Task{}, done: make(chan struct{}), recorded: make(chan struct{}), result: *x}
	r.x = e.exec(x, input, sm.RoleARN)
	r.x.Sync = sync
	r.obs, _ = e.store.(ExpressObserver)
	if running := e.express.add(r); running != nil {
		return running, false
	}
	r.stream = logStream(x.StartDate, x.ARN, x.StateMachine)
	r.mu.Lock()
	after := r.decide(ctx, event{Kind: evStart})
	if !r.ended {
		deadline := x.StartDate.Add(e.cfg.ExpressTimeout)
		if r.st.Deadline.IsZero() || deadline.Before(r.st.Deadline) {
			r.st.Deadline = deadline
			r.setTimer(timerExecutionTimeout, deadline.Sub(e.cfg.Now()))
		}
	}
	r.mu.Unlock()
	after(ctx)
	return r, true
}

// decide applies ev with r.mu held and returns what to do once it is
// released: dispatch the new tasks, cancel the closed ones.
func (r *expressRun) decide(ctx context.Context, ev event) func(context.Context) {
	now := r.e.cfg.Now()
	d, err := decideEvent(r.m, r.x, r.st, ev, now, &r.e.env, r.e.limits())
	if err != nil {
		r.fail(ctx, now, err)
		return func(context.Context) {}
	}
	if len(d.MapRuns) > 0 {
		r.log(ctx, d.Events)
		if r.obs != nil {
			r.observe(now, &Mutation{Events: d.Events})
		}
		r.fail(ctx, now, errors.New("a Distributed Map cannot run in an EXPRESS execution: run it in a STANDARD machine"))
		return func(context.Context) {}
	}
	for _, k := range d.DeleteTimers {
		if t := r.timers[k]; t != nil {
			t.Stop()
			delete(r.timers, k)
		}
	}
	for _, t := range d.NewTimers {
		r.setTimer(t.Key, t.FireAt.Sub(now))
	}
	for _, u := range d.CloseTasks {
		delete(r.tasks, u.Token)
	}
	for _, t := range d.NewTasks {
		r.tasks[t.Token] = t
	}
	r.log(ctx, d.Events)
	if d.Terminal {
		r.end(now, d.Status, d.Output, d.Failure)
	}
	if r.obs != nil && d.Changed {
		r.observe(now, &Mutation{Events: d.Events, NewTasks: d.NewTasks, CloseTasks: d.CloseTasks,
			Terminal: d.Terminal, Status: d.Status, StopDate: r.result.StopDate})
	}
	tasks, closed := d.NewTasks, d.CloseTasks
	return func(ctx context.Context) {
		r.e.dispatchExpress(ctx, r, tasks)
		r.e.cancelTasks(ctx, closed)
	}
}

// setTimer (re)arms the timer key to fire after wait. A timer that fires
// after it was replaced or stopped changes nothing.
func (r *expressRun) setTimer(key string, wait time.Duration) {
	if old := r.timers[key]; old != nil {
		old.Stop()
	}
	var t *time.Timer
	t = time.AfterFunc(max(wait, 0), func() {
		r.mu.Lock()
		if r.ended || r.timers[key] != t {
			r.mu.Unlock()
			return
		}
		delete(r.timers, key)
		after := r.decide(context.Background(), event{Kind: evTimer, TimerKey: key})
		r.mu.Unlock()
		after(context.Background())
	})
	r.timers[key] = t
}

// apply applies a task event (a result, a callback) to the run.
func (r *expressRun) apply(ctx context.Context, ev event) error {
	r.mu.Lock()
	if r.ended {
		r.mu.Unlock()
		return ErrTaskClosed
	}
	if _, open := r.tasks[ev.Token]; !open {
		r.mu.Unlock()
		return ErrTaskClosed
	}
	after := r.decide(ctx, ev)
	r.mu.Unlock()
	after(ctx)
	return nil
}

// open reports whether token's task is open (ErrTaskClosed if not); r may
// be nil.
func (r *expressRun) open(token string) error {
	if r == nil {
		return ErrTaskClosed
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, open := r.tasks[token]; r.ended || !open {
		return ErrTaskClosed
	}
	return nil
}

// heartbeat moves the heartbeat deadline of an open task.
func (r *expressRun) heartbeat(token string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, open := r.tasks[token]
	if r.ended || !open {
		return ErrTaskClosed
	}
	if t.HeartbeatSeconds > 0 {
		r.setTimer("hb:"+token, time.Duration(t.HeartbeatSeconds)*time.Second)
	}
	return nil
}

// fail ends the run when the decider cannot go on (a broken state, a
// Distributed Map): the execution fails with States.Runtime and err as
// its cause.
func (r *expressRun) fail(ctx context.Context, now time.Time, err error) {
	r.e.cfg.Logger.Warn("express execution failed", "execution_arn", r.x.ARN, "error", err)
	fl := &statelang.Failure{Name: statelang.ErrRuntime, Cause: err.Error()}
	r.st.LastEventID++
	evs := []statelang.HistoryEvent{{ID: r.st.LastEventID, PreviousEventID: r.st.LastEventID - 1, Timestamp: now,
		Type: statelang.EventTypeExecutionFailed, Details: failureDetails(fl)}}
	r.log(ctx, evs)
	r.end(now, StatusFailed, nil, fl)
	if r.obs != nil {
		r.observe(now, &Mutation{Events: evs, Terminal: true, Status: StatusFailed, StopDate: now})
	}
}

// observe tells r.obs (not nil) what a decision of r did (see
// ExpressObserver), with r.mu held.
func (r *expressRun) observe(now time.Time, m *Mutation) {
	m.ExecutionID, m.Version = r.x.ID, r.steps
	r.steps++
	r.obs.ExpressDecided(&r.result, m, now)
}

// end records the outcome, stops the timers and releases the waiters.
func (r *expressRun) end(now time.Time, status string, out any, fl *statelang.Failure) {
	r.ended = true
	for _, t := range r.timers {
		t.Stop()
	}
	if r.lease != nil {
		r.lease.Stop()
	}
	r.timers, r.tasks = nil, nil
	res := &r.result
	res.Status, res.StopDate = status, now
	if status == StatusSucceeded {
		res.Output = statelang.MarshalString(out)
	}
	if fl != nil {
		res.Error, res.Cause = fl.Name, fl.Cause
	}
	r.e.express.remove(r)
	close(r.done)
	if res.ParentToken == "" {
		close(r.recorded)
		return
	}
	c := *res
	go func() {
		r.e.expressChildEnded(context.Background(), &c) // a standard parent's states:startExecution task
		close(r.recorded)
	}()
}

// leaseExpressChild confirms the parent's task of token, a distributed
// Map's iteration whose express child runs in this process, for
// Config.ExpressChildLease and DispatchTimeout, and renews that every
// third of it while the child runs and the engine runs. The maintenance
// loop of any replica dispatches the task again (starts the child again)
// only once that passed without renewal: the child was lost with its
// process. A second dispatch that found the child running changes
// nothing. (A confirmation is held ConfirmDelay, at most half a
// DispatchTimeout, before it is written, and a later one of the same task
// replaces it; the lease is at least a DispatchTimeout, so a renewal comes
// after the one before it was written.)
func (e *Engine) leaseExpressChild(token string) {
	hold := e.cfg.ExpressChildLease + e.cfg.DispatchTimeout
	r := e.express.child(token)
	if r == nil {
		e.group.confirmUntil(token, e.cfg.Now().Add(hold)) // it ended already; its result closes the task
		return
	}
	var renewLocked func()
	renewLocked = func() {
		if r.ended || !e.running.Load() {
			return
		}
		e.group.confirmUntil(token, e.cfg.Now().Add(hold))
		r.lease = time.AfterFunc(hold/3, func() {
			r.mu.Lock()
			defer r.mu.Unlock()
			renewLocked()
		})
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lease == nil {
		renewLocked()
	}
}

// facts returns the run's execution as it started (Status RUNNING) or
// ended.
func (r *expressRun) facts() *Execution {
	r.mu.Lock()
	defer r.mu.Unlock()
	x := r.result
	if !r.ended {
		x.Status = StatusRunning
	}
	return &x
}

// stop stops the run (ABORTED), as StopExecution stops a standard one: its
// parent no longer waits for it. A run that ended changes nothing.
func (r *expressRun) stop(ctx context.Context) {
	r.mu.Lock()
	if r.ended {
		r.mu.Unlock()
		return
	}
	after := r.decide(ctx, event{Kind: evStop})
	r.mu.Unlock()
	after(ctx)
}

// wait returns the run's outcome once it ended, or ctx's error.
func (r *expressRun) wait(ctx context.Context) (*Execution, error) {
	select {
	case <-r.done:
		res := r.result
		return &res, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// dispatchExpress hands an express run's new tasks to their workers. A
// publish that fails is retried after DispatchTimeout while the task is
// open (an express run has no maintenance loop).
func (e *Engine) dispatchExpress(ctx context.Context, r *expressRun, tasks []Task) {
	if len(tasks) == 0 {
		return
	}
	e.dispatchTasks(ctx, tasks, func(t Task) {
		time.AfterFunc(e.cfg.DispatchTimeout, func() {
			if r.open(t.Token) == nil {
				e.dispatchExpress(context.Background(), r, []Task{t})
			}
		})
	})
}

// expressIDOfToken returns the run id an express task token names
// ("x<n>-<seq>-<mac>", for run -n).
func expressIDOfToken(token string) (int64, bool) {
	rest, ok := strings.CutPrefix(token, "x")
	if !ok {
		return 0, false
	}
	if _, ok := ExecutionIDOfToken(rest); !ok {
		return 0, false
	}
	n, _ := strconv.ParseInt(rest[:strings.IndexByte(rest, '-')], 10, 64)
	return -n, true
}

// expressRunOf returns the running express execution a token names: ok
// is false for a token of another form; r is nil when the run is over, and
// err is ErrElsewhere when it is another process's.
func (e *Engine) expressRunOf(token string) (r *expressRun, ok bool, err error) {
	id, ok := expressIDOfToken(token)
	if !ok {
		return nil, false, nil
	}
	if !e.express.mine(id) {
		return nil, true, ErrElsewhere
	}
	return e.express.get(id), true, nil
}

// expressTaskEvent applies a task event to the express run of its token.
func (e *Engine) expressTaskEvent(ctx context.Context, r *expressRun, ev event) error {
	if r == nil {
		return ErrTaskClosed
	}
	return r.apply(ctx, ev)
}

// IsExpressARN reports whether arn is an express execution's
// ("arn:aws:states:<region>:<account>:express:...").
func IsExpressARN(s string) bool {
	a, err := arn.ParseStates(s)
	return err == nil && a.Type == arn.TypeExpress
}

// expressARN is the ARN of an express execution named name of machine:
// "arn:aws:states:<region>:<account>:express:<machine>:<name>:<uuid>".
func (e *Engine) expressARN(machine, name string) string {
	return e.arns.ExpressExecution(machine, name, e.cfg.UUID())
}

// log delivers the events its machine's Logging level keeps.
func (r *expressRun) log(ctx context.Context, evs []statelang.HistoryEvent) {
	if r.logging == nil || r.e.cfg.Logs == nil || len(evs) == 0 {
		return
	}
	redrive := "0"
	if r.x.Sync {
		redrive = ""
	}
	r.e.deliverLogs(ctx, r.logging, r.x.ARN, r.stream, redrive, evs)
}
