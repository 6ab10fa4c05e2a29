package statelang

import (
	"fmt"
	"strings"
	"time"
)

// TaskFunc stands in for a task resource in Run: it gets the resolved task
// call and the context, and returns the task's result or its failure. For
// arn:aws:states:::lambda:invoke it returns what the function returns; Run
// wraps it as AWS does (LambdaInvokeResult).
type TaskFunc func(call *TaskCall, c *Context) (any, *Failure)

// RunOptions configure Run. Zero values give a usable default for each.
type RunOptions struct {
	// Task runs Task states. Defaults to failing every task with
	// States.TaskFailed.
	Task TaskFunc
	// Start is the execution's start time on the fake clock. Defaults to
	// 2026-01-01T00:00:00Z.
	Start time.Time
	// Env supplies randomness and UUIDs. Defaults to a deterministic
	// sequence.
	Env Env
	// ExecutionName defaults to "execution".
	ExecutionName string
	// StateMachineName defaults to "machine".
	StateMachineName string
	// Region and Account build the ARNs in the context object. They default
	// to us-east-1 and 111111111111.
	Region, Account string
	RoleArn         string
	// MaxEvents caps the history (AWS: 25,000). Defaults to 25,000.
	MaxEvents int
}

// Execution statuses.
const (
	StatusRunning   = "RUNNING"
	StatusSucceeded = "SUCCEEDED"
	StatusFailed    = "FAILED"
	StatusTimedOut  = "TIMED_OUT"
	StatusAborted   = "ABORTED"
)

// RunResult is the outcome of Run.
type RunResult struct {
	Status  string
	Output  any      // when SUCCEEDED
	Failure *Failure // when FAILED
	Events  []HistoryEvent
}

// Run runs a whole machine in memory on a fake clock, with opts.Task
// standing in for task resources, and records the history events AWS
// records. Waits and retry delays move the fake clock; nothing sleeps.
// Parallel branches and Map iterations run one after another.
func Run(m *Machine, input any, opts RunOptions) *RunResult {
	r := newRunner(m, opts)
	res := &RunResult{}
	r.emit("ExecutionStarted", map[string]any{
		"input":        MarshalString(input),
		"inputDetails": map[string]any{"truncated": false},
		"roleArn":      r.base.RoleArn,
	})
	out, f := r.machine(m, input, r.base, false)
	switch {
	case f == nil:
		res.Status, res.Output = StatusSucceeded, out
		r.emit("ExecutionSucceeded", map[string]any{"output": MarshalString(out), "outputDetails": map[string]any{"truncated": false}})
	case f == errTimedOut:
		// AWS records neither error nor cause for an execution that ran
		// out of its TimeoutSeconds.
		res.Status = StatusTimedOut
		r.emit("ExecutionTimedOut", map[string]any{})
	default:
		res.Status, res.Failure = StatusFailed, f
		r.emit("ExecutionFailed", failureDetails(f))
	}
	res.Events = r.events
	return res
}

// errTimedOut marks the execution's TimeoutSeconds running out.
var errTimedOut = &Failure{Name: ErrTimeout}

type runner struct {
	opts     RunOptions
	env      *Env
	now      time.Time
	deadline time.Time
	base     Context
	events   []HistoryEvent
	seq      uint64
}

func newRunner(m *Machine, opts RunOptions) *runner {
	if opts.Start.IsZero() {
		opts.Start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if opts.ExecutionName == "" {
		opts.ExecutionName = "execution"
	}
	if opts.StateMachineName == "" {
		opts.StateMachineName = "machine"
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Account == "" {
		opts.Account = "111111111111"
	}
	if opts.MaxEvents == 0 {
		opts.MaxEvents = 25000
	}
	if opts.Task == nil {
		opts.Task = func(call *TaskCall, c *Context) (any, *Failure) {
			return nil, &Failure{Name: ErrTaskFailed, Cause: "no task function for " + call.Resource}
		}
	}
	r := &runner{opts: opts, now: opts.Start}
	env := opts.Env
	if env.Random == nil {
		env.Random = func() float64 {
			r.seq = r.seq*6364136223846793005 + 1442695040888963407
			return float64(r.seq>>11) / float64(1<<53)
		}
	}
	if env.UUID == nil {
		env.UUID = func() string {
			r.seq++
			return fmt.Sprintf("00000000-0000-4000-8000-%012x", r.seq)
		}
	}
	r.env = &env
	if m.TimeoutSeconds > 0 {
		r.deadline = opts.Start.Add(time.Duration(m.TimeoutSeconds) * time.Second)
	}
	prefix := "arn:aws:states:" + opts.Region + ":" + opts.Account
	r.base = Context{
		ExecutionID:        prefix + ":execution:" + opts.StateMachineName + ":" + opts.ExecutionName,
		ExecutionName:      opts.ExecutionName,
		ExecutionStartTime: opts.Start,
		RoleArn:            opts.RoleArn,
		StateMachineID:     prefix + ":stateMachine:" + opts.StateMachineName,
		StateMachineName:   opts.StateMachineName,
	}
	return r
}

func (r *runner) emit(typ string, details map[string]any) int64 {
	id := int64(len(r.events) + 1)
	r.events = append(r.events, HistoryEvent{ID: id, PreviousEventID: id - 1, Timestamp: r.now, Type: typ, Details: details})
	return id
}

func failureDetails(f *Failure) map[string]any {
	d := map[string]any{"error": f.Name}
	if f.Cause != "" {
		d["cause"] = f.Cause
	}
	return d
}

// advance moves the fake clock and reports whether the execution's
// deadline passed.
func (r *runner) advance(to time.Time) bool {
	if to.After(r.now) {
		r.now = to
	}
	return !r.deadline.IsZero() && !r.now.Before(r.deadline)
}

// machine runs m (the top level, a branch or an iteration) from its
// StartAt state to its end.
func (r *runner) machine(m *Machine, input any, base Context, quiet bool) (any, *Failure) {
	if r.base.ExecutionInput == nil && !quiet && base.ExecutionInput == nil {
		r.base.ExecutionInput = input
		base.ExecutionInput = input
	}
	st := m.Start()
	for {
		if len(r.events) >= r.opts.MaxEvents {
			return nil, &Failure{Name: ErrRuntime, Cause: fmt.Sprintf("The execution reached the maximum number of history events (%d).", r.opts.MaxEvents)}
		}
		next, out, f := r.state(st, input, &base, quiet)
		if f != nil {
			return nil, f
		}
		if next == nil {
			return out, nil
		}
		st, input = next, out
	}
}

// state runs one state; it returns the next state (nil at the end), the
// output, or the failure. What the state assigns is applied to base.Vars,
// the scope of the machine running it, when the state is left.
func (r *runner) state(st *State, input any, base *Context, quiet bool) (*State, any, *Failure) {
	ev := func(typ string, d map[string]any) int64 {
		if quiet {
			return 0
		}
		return r.emit(typ, d)
	}
	entered := ev(EnteredEventType(st.Type), map[string]any{"name": st.Name, "input": MarshalString(input), "inputDetails": map[string]any{"truncated": false}})
	c := *base
	c.StateName, c.StateEnteredTime, c.EnteredEventID = st.Name, r.now, entered
	c.Retryable = st.Type == TypeTask || st.Type == TypeParallel || st.Type == TypeMap
	attempts := make([]int64, len(st.Retry))
	if st.WaitsForCallback() {
		c.TaskToken = r.env.UUID()
	}
	exit := func(out any) {
		ev(ExitedEventType(st.Type), map[string]any{"name": st.Name, "output": MarshalString(out), "outputDetails": map[string]any{"truncated": false}})
	}
	goOn := func(step Step) (*State, any, *Failure) {
		base.Vars = base.Vars.With(step.Assign)
		exit(step.Output)
		if step.Kind == StepSucceed || step.End {
			return nil, step.Output, nil
		}
		return r.lookup(st, step.Next), step.Output, nil
	}
	for {
		step := st.Enter(input, &c, r.env)
		var failure *Failure
		childFailed := false // a branch or iteration failed the Parallel or Map
		switch step.Kind {
		case StepNext, StepSucceed:
			return goOn(step)
		case StepFail:
			failure = step.Failure
		case StepWait:
			if r.advance(step.WaitUntil) {
				return nil, nil, errTimedOut
			}
			return goOn(step)
		case StepTask:
			var result any
			result, failure = r.task(st, step.Task, &c, ev)
			if failure == nil {
				done := st.Complete(input, result, &c, r.env)
				if done.Kind != StepFail {
					return goOn(done)
				}
				failure = done.Failure
			}
		case StepParallel:
			var results []any
			results, failure = r.parallel(st, step, c, ev)
			childFailed = failure != nil
			if failure == nil {
				done := st.Complete(input, results, &c, r.env)
				if done.Kind != StepFail {
					return goOn(done)
				}
				failure = done.Failure
			}
		case StepMap:
			var results []any
			if step.Failure != nil {
				// A distributed Map starts before it checks its tolerance.
				ev("MapStateStarted", map[string]any{"length": int64(0)})
				failure = step.Failure
				break
			}
			if step.Read != nil || st.Writer != nil {
				// The in-memory runner has no object store to read from.
				ev("MapStateStarted", map[string]any{"length": int64(0)})
				failure = &Failure{Name: ErrItemReaderFailed, Cause: "An ItemReader or a ResultWriter needs an object store, which the in-memory runner has none of: run the state machine on the engine"}
				if step.Read == nil {
					failure.Name = ErrResultWriterFailed
				}
				break
			}
			results, failure = r.mapItems(st, step, c, ev)
			childFailed = failure != nil
			if failure == nil {
				ev("MapStateSucceeded", nil)
				done := st.Complete(input, results, &c, r.env)
				if done.Kind != StepFail {
					return goOn(done)
				}
				failure = done.Failure
			}
		}
		if failure == errTimedOut {
			return nil, nil, failure
		}
		if failure.Name == ErrQueryEvaluationError && !childFailed {
			// AWS records the failed evaluation; a Parallel or Map state
			// then fails as if a child had.
			ev("EvaluationFailed", EvaluationFailedDetails(st.Name, failure))
			childFailed = st.Type == TypeParallel || st.Type == TypeMap
		}
		rec := st.RecoverWith(input, failure, attempts, r.env.Random(), &c, r.env)
		if rec.Kind != RecoverRetry && childFailed {
			ev(string(st.Type)+"StateFailed", failureDetails(failure))
		}
		switch rec.Kind {
		case RecoverRetry:
			attempts[rec.Retrier]++
			c.RetryCount++
			if r.advance(r.now.Add(rec.Delay)) {
				return nil, nil, errTimedOut
			}
			continue
		case RecoverCatch:
			base.Vars = base.Vars.With(rec.Assign)
			exit(rec.Output)
			return r.lookup(st, rec.Next), rec.Output, nil
		default:
			return nil, nil, rec.Failure
		}
	}
}

func (r *runner) lookup(from *State, name string) *State {
	// Parse checked that Next targets name states of the same machine.
	return from.owner.States[name]
}

func (r *runner) task(st *State, call *TaskCall, c *Context, ev func(string, map[string]any) int64) (any, *Failure) {
	fam := ResourceFamily(call.Resource)
	ev(fam.Scheduled(call.Resource, r.opts.Region, call.Input, call.TimeoutSeconds, call.HeartbeatSeconds))
	ev(fam.Started(call.Resource, ""))
	result, f := r.opts.Task(call, c)
	if f == nil && IsLambdaInvoke(call.Resource) {
		// The function's payload, wrapped as the optimized integration
		// returns it.
		result = LambdaInvokeResult(result, len(MarshalJSON(result)), r.env.UUID(), r.now)
	}
	if f != nil {
		ev(fam.Failed(call.Resource, f))
		return nil, f
	}
	ev(fam.Succeeded(call.Resource, result))
	return result, nil
}

// SplitResource splits a Task resource ARN into the resourceType and
// resource that AWS records in task history events:
// arn:aws:states:::lambda:invoke → ("lambda", "invoke");
// arn:aws:lambda:us-east-1:1:function:f → ("lambda", "f").
func SplitResource(arn string) (resourceType, resource string) {
	parts := strings.SplitN(arn, ":", 7)
	if len(parts) >= 7 && parts[2] == "states" && parts[3] == "" {
		return parts[5], parts[6]
	}
	if len(parts) >= 6 {
		return parts[2], parts[len(parts)-1]
	}
	return "", arn
}

func (r *runner) parallel(st *State, step Step, c Context, ev func(string, map[string]any) int64) ([]any, *Failure) {
	ev("ParallelStateStarted", nil)
	results := make([]any, len(st.Branches))
	for i, b := range st.Branches {
		out, f := r.machine(b, step.Inputs[i], r.childBase(c), false)
		if f != nil {
			return nil, f
		}
		results[i] = out
	}
	return results, nil
}

// childBase is the context a branch or iteration runs with: the
// execution's facts, none of the parent state's.
//
// Its variables are a new scope inside the state's.
func (r *runner) childBase(c Context) Context {
	b := r.base
	b.ExecutionInput = c.ExecutionInput
	b.Vars = c.Vars.Child()
	return b
}

func (r *runner) mapItems(st *State, step Step, c Context, ev func(string, map[string]any) int64) ([]any, *Failure) {
	ev("MapStateStarted", map[string]any{"length": int64(len(step.Inputs))})
	distributed := st.ProcessorMode == "DISTRIBUTED"
	if distributed {
		ev("MapRunStarted", map[string]any{"mapRunArn": c.StateMachineID + "/" + st.Name})
	}
	results := make([]any, len(step.Inputs))
	failed := 0
	var first *Failure
	for i, in := range step.Inputs {
		name := st.Name
		if !distributed {
			ev("MapIterationStarted", map[string]any{"name": name, "index": int64(i)})
		}
		cb := r.childBase(c)
		if distributed {
			// A distributed Map's iterations cannot read outer variables.
			cb.Vars = &Vars{}
		}
		out, f := r.machine(st.Processor, in, cb, distributed)
		if f == errTimedOut {
			return nil, f
		}
		if f != nil {
			failed++
			if first == nil {
				first = f
			}
			if !distributed {
				ev("MapIterationFailed", map[string]any{"name": name, "index": int64(i)})
			}
			if !step.Tolerates(failed, len(step.Inputs)) {
				return nil, r.mapFailure(step, first, distributed, ev)
			}
			results[i] = nil
			continue
		}
		if !distributed {
			ev("MapIterationSucceeded", map[string]any{"name": name, "index": int64(i)})
		}
		results[i] = out
	}
	if distributed {
		ev("MapRunSucceeded", nil)
	}
	return results, nil
}

func (r *runner) mapFailure(step Step, first *Failure, distributed bool, ev func(string, map[string]any) int64) *Failure {
	f := first
	if step.ToleratedFailureCount >= 0 || step.ToleratedFailurePercentage >= 0 || distributed {
		f = &Failure{Name: ErrExceedToleratedFailureThresh, Cause: "The specified tolerated failure threshold was exceeded"}
	}
	if distributed {
		ev("MapRunFailed", failureDetails(f))
	}
	return f
}
