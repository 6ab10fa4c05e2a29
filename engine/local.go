package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/stepwise-dev/stepwise/internal/arn"
	"github.com/stepwise-dev/stepwise/statelang"
)

// Local runs.
//
// RunLocal runs a whole execution in memory on a fake clock, with a
// function standing in for the workers: `stepwise run`, the language's
// tests and the conformance corpus use it. It drives the same decider as
// a durable or an express execution (decideEvent), so a machine does in memory
// exactly what it does on the engine: the same events in the same order,
// the same errors. Nothing is stored and nothing sleeps: tasks are
// answered one at a time in the order they were scheduled, and when none
// is open the clock jumps to the next timer (a Wait, a retry's backoff,
// the execution's timeout). A distributed Map's children run as local
// executions of their ItemProcessor. The tasks of the resources that
// LocalOptions.Services serve are answered by them, as the engine's
// services answer them: with the object storage services, a distributed
// Map's ItemReader and ResultWriter run too (the ResultWriter reads the
// run's children from LocalMapRuns); without, they fail, for want of an
// object store.

// LocalTask answers a task of a local run: t is the task as a worker gets
// it and input its parsed input. It returns the task's result or its
// failure. For arn:aws:states:::lambda:invoke it returns what the function
// returns; the decider wraps it as AWS does.
type LocalTask func(t Task, input any) (any, *statelang.Failure)

// LocalOptions configure RunLocal. Zero values give a usable default for
// each.
type LocalOptions struct {
	// Task answers Task states. Defaults to failing every task with
	// States.TaskFailed.
	Task LocalTask
	// Start is the execution's start time on the fake clock. Defaults to
	// 2026-01-01T00:00:00Z.
	Start time.Time
	// Env supplies randomness and UUIDs. Defaults to a deterministic
	// sequence.
	Env statelang.Env
	// ExecutionName defaults to "execution", StateMachineName to
	// "machine".
	ExecutionName, StateMachineName string
	// Region and Account build the ARNs; they default to us-east-1 and
	// 111111111111.
	Region, Account string
	RoleArn         string
	// MaxEvents caps the history (AWS: 25,000). Defaults to 25,000.
	MaxEvents int
	// Services answer the tasks of the resources they serve instead of
	// Task, as Config.Services do on the engine (see runService): the S3
	// tasks, a distributed Map's ItemReader and ResultWriter. A service
	// with a BindLocal(*LocalMapRuns) method (the ResultWriter's) is
	// bound to the run's Map Runs when the run starts, so a run needs
	// services of its own. Defaults to none: an ItemReader or a
	// ResultWriter fails.
	Services []Service
}

// LocalResult is the outcome of RunLocal.
type LocalResult struct {
	Status  string
	Output  any                // when SUCCEEDED
	Failure *statelang.Failure // unless SUCCEEDED
	Events  []statelang.HistoryEvent
	// Stop is the fake clock's time when the execution ended.
	Stop time.Time
}

// localStart is the default start of a local run's fake clock.
var localStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// RunLocal runs m on input in memory (see Local runs).
func RunLocal(m *statelang.Machine, input any, opts LocalOptions) *LocalResult {
	return RunLocalContext(context.Background(), m, input, opts)
}

// RunLocalContext is RunLocal with the context of the services' calls.
func RunLocalContext(ctx context.Context, m *statelang.Machine, input any, opts LocalOptions) *LocalResult {
	if opts.Start.IsZero() {
		opts.Start = localStart
	}
	opts.ExecutionName = cmp.Or(opts.ExecutionName, "execution")
	opts.StateMachineName = cmp.Or(opts.StateMachineName, "machine")
	opts.Region = cmp.Or(opts.Region, "us-east-1")
	opts.Account = cmp.Or(opts.Account, "111111111111")
	if opts.Task == nil {
		opts.Task = func(t Task, _ any) (any, *statelang.Failure) {
			return nil, &statelang.Failure{Name: statelang.ErrTaskFailed, Cause: "no task function for " + t.Resource}
		}
	}
	if opts.Env.Random == nil || opts.Env.UUID == nil {
		var seq uint64
		if opts.Env.Random == nil {
			opts.Env.Random = func() float64 {
				seq = seq*6364136223846793005 + 1442695040888963407
				return float64(seq>>11) / float64(1<<53)
			}
		}
		if opts.Env.UUID == nil {
			opts.Env.UUID = func() string {
				seq++
				return fmt.Sprintf("00000000-0000-4000-8000-%012x", seq)
			}
		}
	}
	runs := &LocalMapRuns{runs: map[string]*localMapRun{}}
	for _, svc := range opts.Services {
		if b, ok := svc.(interface{ BindLocal(*LocalMapRuns) }); ok {
			b.BindLocal(runs) // a service that reads Map Runs (the ResultWriter)
		}
	}
	return newLocalRun(m, m, input, opts, runs).run(ctx)
}

// localRun is one running local execution.
type localRun struct {
	top   *statelang.Machine // the machine whose distributed Maps' processors children run
	m     *statelang.Machine
	opts  LocalOptions
	x     execFacts
	st    *execState
	now   time.Time
	tasks []Task              // open tasks in the order they were scheduled
	open  map[string]bool     // by token
	timer map[string]localDue // pending timers by key
	n     int64               // timers set so far: orders those due at once
	res   LocalResult
	runs  *LocalMapRuns // the children of the distributed Maps of the whole run
}

type localDue struct {
	at  time.Time
	seq int64
}

func newLocalRun(top, m *statelang.Machine, input any, opts LocalOptions, runs *LocalMapRuns) *localRun {
	arns := arn.In(opts.Region, opts.Account)
	return &localRun{top: top, m: m, opts: opts, st: &execState{}, now: opts.Start, runs: runs,
		open: map[string]bool{}, timer: map[string]localDue{},
		x: execFacts{ID: 1, ARN: arns.Execution(opts.StateMachineName, opts.ExecutionName),
			Name: opts.ExecutionName, Input: input, StartTime: opts.Start, StateMachineName: opts.StateMachineName,
			StateMachineARN: arns.StateMachine(opts.StateMachineName), RoleARN: opts.RoleArn, Region: opts.Region}}
}

// run decides the start, then answers the tasks and fires the timers
// until the execution ends.
func (r *localRun) run(ctx context.Context) *LocalResult {
	r.decide(event{Kind: evStart})
	for r.res.Status == "" {
		if len(r.tasks) > 0 {
			t := r.tasks[0]
			r.tasks = r.tasks[1:]
			if r.open[t.Token] {
				r.decide(r.answer(ctx, &t))
			}
			continue
		}
		key, ok := r.nextTimer()
		if !ok {
			// The decider left nothing to wait for: cannot happen for a
			// machine that parsed; fail rather than hang.
			r.fail(fmt.Errorf("the execution has no open task and no timer"))
			break
		}
		if at := r.timer[key].at; at.After(r.now) {
			r.now = at
		}
		delete(r.timer, key)
		r.decide(event{Kind: evTimer, TimerKey: key})
	}
	r.res.Stop = r.now
	return &r.res
}

// decide applies ev and takes in the decision's effects.
func (r *localRun) decide(ev event) {
	d, err := decideEvent(r.m, r.x, r.st, ev, r.now, &r.opts.Env, decisionLimits{MaxEvents: int64(r.opts.MaxEvents)})
	if err != nil {
		r.fail(err)
		return
	}
	if r.res.Events == nil {
		r.res.Events = d.Events // the first decision's events: no copy
	} else {
		r.res.Events = append(r.res.Events, d.Events...)
	}
	for _, k := range d.DeleteTimers {
		delete(r.timer, k)
	}
	for _, t := range d.NewTimers {
		r.n++
		r.timer[t.Key] = localDue{at: t.FireAt, seq: r.n}
	}
	for _, u := range d.CloseTasks {
		delete(r.open, u.Token)
	}
	for _, t := range d.NewTasks {
		r.open[t.Token] = true
		r.tasks = append(r.tasks, t)
	}
	if d.Terminal {
		r.res.Status, r.res.Output, r.res.Failure = d.Status, d.Output, d.Failure
	}
}

// nextTimer is the key of the timer due first (of those due at once, the
// one set first).
func (r *localRun) nextTimer() (string, bool) {
	keys := make([]string, 0, len(r.timer))
	for k := range r.timer {
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return "", false
	}
	return slices.MinFunc(keys, func(a, b string) int {
		da, db := r.timer[a], r.timer[b]
		if c := da.at.Compare(db.at); c != 0 {
			return c
		}
		return cmp.Compare(da.seq, db.seq)
	}), true
}

// answer is the event that answers task t.
func (r *localRun) answer(ctx context.Context, t *Task) event {
	failed := func(name, cause string) event {
		return event{Kind: evTaskFailed, Token: t.Token, Error: name, Cause: cause}
	}
	if res := statelang.ParseResource(t.Resource); !childModeOf(res).child {
		for _, svc := range r.opts.Services {
			if svc.Serves(res) {
				return serviceEvent(ctx, svc, t)
			}
		}
	}
	switch t.Resource {
	case ItemReaderResource:
		return failed(statelang.ErrItemReaderFailed, noObjectStore)
	case ResultWriterResource:
		return failed(statelang.ErrResultWriterFailed, noObjectStore)
	}
	input, err := statelang.ParseJSON([]byte(t.Input))
	if err != nil {
		return failed(statelang.ErrRuntime, "the task's input is not JSON: "+err.Error())
	}
	if t.Resource == childResource {
		if ev, ok := r.mapChild(ctx, t, input); ok {
			return ev
		}
	}
	out, fl := r.opts.Task(*t, input)
	if fl != nil {
		return failed(fl.Name, fl.Cause)
	}
	return event{Kind: evTaskSucceeded, Token: t.Token, Output: out, OutputSize: len(statelang.MarshalJSON(out))}
}

// serviceEvent calls svc on t and is the event that answers t, as the
// engine answers a service's task (runService): an ItemReader's items
// are not bound by the payload limit; a *TaskFailure fails t with its
// name and cause, another error with States.TaskFailed. An answer the
// engine would refuse (an output that is not JSON) fails t with
// States.TaskFailed, where the engine would call the service again.
func serviceEvent(ctx context.Context, svc Service, t *Task) event {
	out, err := svc.Invoke(ctx, *t)
	var f *TaskFailure
	switch {
	case err == nil && t.Resource == ItemReaderResource:
		var v any
		if v, err = itemsOf(out); err == nil {
			return event{Kind: evTaskSucceeded, Token: t.Token, Output: v, OutputSize: len(out)}
		}
	case err == nil:
		var ev event
		if ev, err = successEvent(t.Token, out); err == nil {
			return ev
		}
	case errors.As(err, &f):
		return event{Kind: evTaskFailed, Token: t.Token, Error: f.Name, Cause: f.Cause}
	}
	return event{Kind: evTaskFailed, Token: t.Token, Error: statelang.ErrTaskFailed, Cause: err.Error()}
}

// noObjectStore is the cause of a local run's ItemReader or ResultWriter
// failure when no service serves it.
const noObjectStore = "An ItemReader or a ResultWriter needs an object store, which this local run has none of: " +
	"give it one (stepwise run --objects DIR) or run the state machine on the engine"

// mapChild runs the child execution of a distributed Map's iteration t
// (ok is false when t is another states:startExecution task) and returns
// the event that answers t with the child's description, as the engine's
// does.
func (r *localRun) mapChild(ctx context.Context, t *Task, input any) (event, bool) {
	params, _ := input.(map[string]any)
	machineARN, _ := params["StateMachineArn"].(string)
	m, err := arn.ParseStateMachine(machineARN)
	if err != nil {
		return event{}, false
	}
	_, label, ok := splitMapMachine(m.Name) // m.Qualifier: the version
	if !ok {
		return event{}, false
	}
	s := mapStateOf(r.top, label)
	if s == nil {
		return event{}, false
	}
	p := s.Processor
	text, _ := params["Input"].(string)
	in, err := statelang.ParseJSON([]byte(text))
	if err != nil {
		in = text
	}
	opts := r.opts
	name, _ := params["Name"].(string) // the iteration's in its Map Run, as the engine names it
	opts.Start, opts.StateMachineName, opts.ExecutionName = r.now, r.opts.StateMachineName+"/"+label, cmp.Or(name, childName(t.Token))
	child := newLocalRun(r.top, p, in, opts, r.runs)
	res := child.run(ctx)
	x := &Execution{ARN: child.x.ARN, Name: child.x.Name, StateMachine: opts.StateMachineName, StateMachineARN: child.x.StateMachineARN,
		Status: res.Status, StartDate: r.now, StopDate: res.Stop, Input: statelang.MarshalString(in)}
	if res.Status == StatusSucceeded {
		x.Output = statelang.MarshalString(res.Output)
	} else if res.Failure != nil {
		x.Error, x.Cause = res.Failure.Name, res.Failure.Cause
	}
	if f := openTask(r.st, t.Token); f != nil && f.Child {
		if k := r.st.Frames[f.Parent]; k != nil && k.Kids != nil && k.Kids.Run != "" {
			r.runs.add(k.Kids.Run, r.x.ARN, f.Index, x)
		}
	}
	desc := childDescription(x, true)
	if res.Status == StatusSucceeded {
		return event{Kind: evTaskSucceeded, Token: t.Token, Output: desc}, true
	}
	return event{Kind: evTaskFailed, Token: t.Token, Error: statelang.ErrTaskFailed, Cause: statelang.MarshalString(desc)}, true
}

// fail ends the run when the decider cannot go on: the execution fails
// with States.Runtime and err as its cause.
func (r *localRun) fail(err error) {
	fl := &statelang.Failure{Name: statelang.ErrRuntime, Cause: err.Error()}
	r.st.LastEventID++
	r.res.Events = append(r.res.Events, statelang.HistoryEvent{ID: r.st.LastEventID, PreviousEventID: r.st.LastEventID - 1,
		Timestamp: r.now, Type: statelang.EventTypeExecutionFailed, Details: failureDetails(fl)})
	r.res.Status, r.res.Failure = StatusFailed, fl
}
