package engine

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/statelang"
)

// eventKind is the kind of event the decider applies.
type eventKind int

// The events an execution reacts to.
const (
	evStart         eventKind = iota // the execution starts
	evTaskSucceeded                  // a task returned Output
	evTaskFailed                     // a task failed with Error/Cause
	evTimer                          // the timer TimerKey fired
	evStop                           // StopExecution with Error/Cause
	evTaskStarted                    // a worker took the task (activities)
	evUpdateMapRun                   // UpdateMapRun: MapRun changes the running Map Run Run
	evRedrive                        // RedriveExecution with ClientToken (redrive.go)
	evTaskSubmitted                  // a .sync or callback task's job started with Output (children.go)
)

// event is one event for decideEvent.
type event struct {
	Kind     eventKind
	Token    string // task events
	Output   any    // evTaskSucceeded, evTaskSubmitted
	Error    string // evTaskFailed, evStop
	Cause    string
	TimerKey string // evTimer
	// OutputSize is the length of the output's JSON text as the worker
	// sent it (evTaskSucceeded); lambda:invoke reports it as
	// Content-Length.
	OutputSize int
	// Worker names the worker that took the task (evTaskStarted).
	Worker string
	// Run and MapRun are a Map Run's ARN and its new settings
	// (evUpdateMapRun).
	Run    string
	MapRun *MapRunUpdate
	// ClientToken is RedriveExecution's idempotency token (evRedrive).
	ClientToken string
	// ParentToken is the new task token of the parent's iteration that an
	// evRedrive of a distributed Map's child answers (mapruns.go).
	ParentToken string
}

// Timer keys that are not per frame.
const timerExecutionTimeout = "timeout"

// execFacts holds the facts about an execution the decider needs for the context
// object ($$) and for task tokens.
type execFacts struct {
	ID               int64
	ARN              string
	Name             string
	Input            any
	StartTime        time.Time
	StateMachineARN  string
	StateMachineName string
	// StateMachineVersion is the version the execution runs (0: unknown).
	StateMachineVersion int
	RoleARN             string
	Region              string
	// Sync marks an express execution started by StartSyncExecution: its
	// context object has no Execution.RedriveCount, as on AWS.
	Sync bool
}

// whole is statelang.NotTruncated: the inputDetails or outputDetails of
// every event (none is truncated).
var whole = statelang.NotTruncated

// decisionLimits bound a decision.
//
// MaxStates, MaxBytes and MaxTime are the decision's work budget: the
// states it may run, the bytes of the inputs, outputs and task inputs
// those states record, and the time it may take. Once one is spent, the
// decision runs no further state: every frame that would go on pauses
// (waitCont) and one continuation timer, due at once, resumes them in a
// later decision and commit. So a loop of Pass and Choice states over a
// large value commits in bounded slices, a decision's memory and time are
// bounded whatever the machine does, and the group commit and the timers
// it shares with other executions are never held for long. Every
// decision runs at least one state, so a paused execution always moves
// on. A budget decides only where a decision stops, never what it
// computes.
type decisionLimits struct {
	// MaxEvents is the history limit (AWS: 25,000).
	MaxEvents int64
	// MaxStates is how many states one decision may run. Defaults to
	// 1,000.
	MaxStates int
	// MaxBytes is how many bytes of state inputs, state outputs and task
	// inputs (their JSON text) one decision may record. Defaults to
	// 8 MiB.
	MaxBytes int
	// MaxTime is how long one decision may run states, checked between
	// states. Defaults to 500 ms.
	MaxTime time.Duration
	// Elapsed is the time the decision has taken so far. Defaults to the
	// process's monotonic clock since decideEvent was called (the only real
	// clock the decider reads; it places checkpoints, nothing else).
	Elapsed func() time.Duration
}

// Defaults of Limits.
const (
	defaultMaxStates = 1000
	defaultMaxBytes  = 8 << 20
	defaultMaxTime   = 500 * time.Millisecond
	// stateExprTime is what the JSONata expressions of one state may
	// take together (statelang.Env.ExprTime), so a decision takes at most
	// about MaxTime plus this.
	stateExprTime = 2 * time.Second
)

// withDefaults applies the defaults of the zero fields.
func (l decisionLimits) withDefaults() decisionLimits {
	if l.MaxEvents <= 0 {
		l.MaxEvents = 25000
	}
	if l.MaxStates <= 0 {
		l.MaxStates = defaultMaxStates
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = defaultMaxBytes
	}
	if l.MaxTime <= 0 {
		l.MaxTime = defaultMaxTime
	}
	if l.Elapsed == nil {
		t0 := time.Now()
		l.Elapsed = func() time.Duration { return time.Since(t0) }
	}
	return l
}

// decision is what decideEvent returns: the new state, the events to append and
// the effects to commit with them.
type decision struct {
	State        *execState
	Events       []statelang.HistoryEvent
	NewTasks     []Task
	CloseTasks   []TaskUpdate
	NewTimers    []Timer
	DeleteTimers []string
	// MapRuns are the Map Run rows to upsert (mapruns.go).
	MapRuns []MapRun
	// Changed is false when the event was stale (a late task result, an
	// old timer) and changed nothing.
	Changed bool
	// Terminal: the execution ended with Status and Output or Failure.
	Terminal bool
	Status   string
	Output   any
	Failure  *statelang.Failure
	// Redriven is the redrive date an evRedrive answers (zero: the
	// execution is not redrivable, for the reason NotRedrivable).
	Redriven      time.Time
	NotRedrivable string
	// ParentToken is the execution's new parent token, set by the
	// redrive of a distributed Map's child (Event.ParentToken).
	ParentToken string
}

// decideEvent applies one event to an execution's state. It is pure: the clock
// is now and randomness comes from env. st is modified in place and returned
// in the Decision.
func decideEvent(m *statelang.Machine, x execFacts, st *execState, ev event, now time.Time, env *statelang.Env, lim decisionLimits) (*decision, error) {
	lim = lim.withDefaults()
	if st.Frames == nil {
		st.Frames = map[int64]*frame{}
	}
	d := &decider{top: m, x: x, st: st, now: now, lim: lim, out: &decision{State: st, Status: st.Status}}
	de := *env // env is shared with other decisions: set ExprTime on a copy
	de.ExprTime = func() time.Duration { return stateExprTime - (d.lim.Elapsed() - d.stateAt) }
	d.env = &de
	switch {
	case ev.Kind == evStart:
		if st.Status != "" {
			return d.out, nil
		}
		d.start()
	case ev.Kind == evRedrive:
		d.redrive(ev)
	default:
		if st.Status != StatusRunning {
			return d.out, nil
		}
		d.apply(ev)
	}
	if d.err != nil {
		return nil, d.err
	}
	d.out.Changed = len(d.out.Events) > 0 || len(d.out.NewTimers) > 0 || len(d.out.CloseTasks) > 0 || d.out.Terminal ||
		len(d.out.MapRuns) > 0
	d.out.Status = st.Status
	return d.out, nil
}

type decider struct {
	top   *statelang.Machine
	x     execFacts
	st    *execState
	now   time.Time
	env   *statelang.Env
	lim   decisionLimits
	out   *decision
	dirty []int64
	ended bool
	err   error
	// states and bytes are the work budget spent so far (see Limits).
	states, bytes int
	// stateAt is when the current state began (Limits.Elapsed).
	stateAt time.Duration
	// c is the context ctx returns.
	c statelang.Context
	// lost and lostKids are the frames this decision ended without
	// success and the kids of the Parallel or Map states it failed, which
	// an unsuccessful end keeps for a redrive (redrive.go).
	lost     map[int64]*frame
	lostKids map[int64]*frameKids
}

// spent reports whether the decision's work budget is used up. It is
// never spent before the decision's first state.
func (d *decider) spent() bool {
	if d.states == 0 {
		return false
	}
	return d.states >= d.lim.MaxStates || d.bytes >= d.lim.MaxBytes || d.lim.Elapsed() >= d.lim.MaxTime
}

// record returns the JSON text of v, charged to the work budget.
func (d *decider) record(v any) string {
	s := statelang.MarshalString(v)
	d.bytes += len(s)
	return s
}

// pause parks a frame that would run on until the execution's
// continuation timer fires, setting that timer (due now) if it is not set.
func (d *decider) pause(f *frame) {
	f.Wait = waitCont
	d.cont()
}

// cont sets the execution's continuation timer (due now) unless it is set.
func (d *decider) cont() {
	if d.st.Cont == "" {
		d.st.Cont = fmt.Sprintf("c:%d", d.seq())
		d.timer(d.st.Cont, d.now)
	}
}

// resume runs on the frames paused by an earlier decision's budget, in
// the order they were made, then launches the branches or iterations a
// budget held back (settle).
func (d *decider) resume(key string) {
	if key != d.st.Cont {
		return // stale
	}
	d.st.Cont = ""
	var paused, held []*frame
	for _, f := range d.st.Frames {
		switch {
		case f.Wait == waitCont:
			paused = append(paused, f)
		case f.Wait == waitKids && f.Kids != nil && (f.Kids.Next < f.Kids.Inputs.Len() || len(f.Kids.Redo) > 0):
			held = append(held, f)
		}
	}
	sort.Slice(paused, func(i, j int) bool { return paused[i].ID < paused[j].ID })
	for _, f := range paused {
		if d.st.Frames[f.ID] != f || f.Wait != waitCont {
			continue // cancelled meanwhile
		}
		f.Wait = waitNone
		d.st.mark(f.ID, dirtyFrame)
		d.run(f)
		d.drain()
	}
	sort.Slice(held, func(i, j int) bool { return held[i].ID < held[j].ID })
	for _, f := range held {
		d.dirty = append(d.dirty, f.ID)
		d.drain()
	}
}

func (d *decider) emit(f *frame, typ statelang.EventType, det map[string]any) int64 {
	if f != nil && f.Quiet {
		return 0
	}
	d.st.LastEventID++
	id := d.st.LastEventID
	d.out.Events = append(d.out.Events, statelang.HistoryEvent{ID: id, PreviousEventID: id - 1, Timestamp: d.now, Type: typ, Details: det})
	return id
}

func (d *decider) seq() int64 {
	d.st.NextTask++
	return d.st.NextTask
}

func (d *decider) timer(key string, at time.Time) {
	d.out.NewTimers = append(d.out.NewTimers, Timer{ExecutionID: d.x.ID, Key: key, FireAt: at})
}

func (d *decider) start() {
	d.st.Status = StatusRunning
	d.emit(nil, statelang.EventTypeExecutionStarted, map[string]any{
		"input":        statelang.MarshalString(d.x.Input),
		"inputDetails": whole,
		"roleArn":      d.x.RoleARN,
	})
	if d.top.TimeoutSeconds > 0 {
		d.st.Deadline = d.x.StartTime.Add(time.Duration(d.top.TimeoutSeconds) * time.Second)
		d.timer(timerExecutionTimeout, d.st.Deadline)
	}
	root := d.newFrame(-1, 0, nil, false, d.top, d.x.Input)
	d.run(root)
	d.drain()
}

func (d *decider) apply(ev event) {
	switch ev.Kind {
	case evStop:
		d.end(StatusAborted, nil, &statelang.Failure{Name: ev.Error, Cause: ev.Cause})
	case evTimer:
		d.timerFired(ev.TimerKey)
	case evUpdateMapRun:
		d.updateMapRun(ev.Run, ev.MapRun)
	case evTaskStarted:
		f := d.frameByToken(ev.Token)
		if f == nil || f.Started {
			return
		}
		d.started(f, ev.Worker)
	case evTaskSubmitted:
		if f := d.frameByToken(ev.Token); f != nil && !f.Child {
			d.submitted(f, ev.Output)
		}
	case evTaskSucceeded, evTaskFailed:
		f := d.frameByToken(ev.Token)
		if f == nil {
			return // stale: answered, timed out, cancelled or unknown
		}
		if f.Child {
			d.childEnded(f, ev)
			return
		}
		if out := childSubmission(f.Resource, ev, d.env.UUID, d.now); out != nil {
			d.submitted(f, out) // the child ended before its start was reported
		}
		if f.Resource == itemReaderResource {
			d.itemsRead(f, ev)
			return
		}
		if f.Resource == resultWriterResource {
			d.resultsWritten(f, ev)
			return
		}
		s := d.stateOf(f)
		if s == nil {
			return
		}
		res := f.Resource
		if !f.Started {
			d.started(f, "") // an activity answered without GetActivityTask (a NATS worker)
		}
		if ev.Kind == evTaskSucceeded {
			out := ev.Output
			if res.IsLambdaInvoke() {
				out = statelang.LambdaInvokeResult(out, ev.OutputSize, d.env.UUID(), d.now)
			}
			d.closeTask(f, TaskSucceeded)
			d.emitTask(f)(res.Succeeded(out))
			d.handle(f, s, s.Complete(f.Input.V, out, d.ctx(f, s), d.env))
		} else {
			d.closeTask(f, TaskFailed)
			fl := &statelang.Failure{Name: ev.Error, Cause: ev.Cause}
			if fl.Name == statelang.ErrDataLimitExceeded && fl.Cause == "" {
				fl.Cause = res.DataLimitCause()
			}
			d.emitTask(f)(res.Failed(fl))
			d.recover(f, s, fl)
		}
		d.run(f)
		d.drain()
	}
}

// emitTask returns emit for f, for the TaskFamily event builders.
func (d *decider) emitTask(f *frame) func(statelang.EventType, map[string]any) {
	return func(typ statelang.EventType, det map[string]any) { d.emit(f, typ, det) }
}

// started records the task's Started event once.
func (d *decider) started(f *frame, worker string) {
	f.Started = true
	d.emitTask(f)(f.Resource.Started(worker))
}

// submitted records the TaskSubmitted event of f's .sync or callback task
// once, with output, what starting its job returned.
func (d *decider) submitted(f *frame, output any) {
	if f.Submitted {
		return
	}
	if !f.Started {
		d.started(f, "")
	}
	f.Submitted = true
	d.st.mark(f.ID, dirtyFrame)
	d.emitTask(f)(f.Resource.Submitted(output))
}

func (d *decider) timerFired(key string) {
	if key == timerExecutionTimeout {
		// AWS describes an execution that ran out of its TimeoutSeconds
		// with neither error nor cause; only its ExecutionTimedOut event
		// names States.Timeout (see end).
		d.end(StatusTimedOut, nil, nil)
		return
	}
	if tok, ok := strings.CutPrefix(key, "tt:"); ok {
		d.taskTimedOut(tok, statelang.ErrTimeout)
		return
	}
	if tok, ok := strings.CutPrefix(key, "hb:"); ok {
		d.taskTimedOut(tok, statelang.ErrHeartbeatTimeout)
		return
	}
	if strings.HasPrefix(key, "c:") {
		d.resume(key)
		return
	}
	for _, f := range d.framesOfTimer(key) {
		if f.TimerKey != key || (f.Wait != waitTimer && f.Wait != waitRetry) {
			continue
		}
		s := d.stateOf(f)
		if s == nil {
			return
		}
		d.st.mark(f.ID, dirtyFrame)
		w := f.Wait
		f.Wait, f.TimerKey = waitNone, ""
		if w == waitTimer {
			out := f.PendingOutput
			f.PendingOutput = nil
			var v any
			if out != nil {
				v = out.V
			}
			if a := f.PendingAssign; a != nil {
				f.PendingAssign = nil
				vals, _ := a.V.(map[string]any)
				d.assign(f, vals)
			}
			d.goOn(f, s, v, f.PendingNext, f.PendingEnd)
		}
		d.run(f)
		d.drain()
		return
	}
}

// framesOfTimer is the frame a Wait or retry timer key names
// ("w:<frame>:<seq>", "r:<frame>:<seq>"), or every frame for a key of
// another form.
func (d *decider) framesOfTimer(key string) map[int64]*frame {
	var id int64
	var seq int64
	var kind byte
	if _, err := fmt.Sscanf(key, "%c:%d:%d", &kind, &id, &seq); err == nil && (kind == 'w' || kind == 'r') {
		if f := d.st.Frames[id]; f != nil {
			return map[int64]*frame{id: f}
		}
		return nil
	}
	return d.st.Frames
}

func (d *decider) taskTimedOut(token, name string) {
	f := d.frameByToken(token)
	if f == nil {
		return
	}
	s := d.stateOf(f)
	if s == nil {
		return
	}
	res := f.Resource
	d.closeTask(f, TaskTimedOut)
	fl := &statelang.Failure{Name: name}
	d.emitTask(f)(res.TimedOut(fl))
	d.recover(f, s, fl)
	d.run(f)
	d.drain()
}

func (d *decider) frameByToken(token string) *frame {
	if token == "" {
		return nil
	}
	f := openTask(d.st, token)
	if f != nil {
		d.st.mark(f.ID, dirtyFrame)
	}
	return f
}

func (d *decider) closeTask(f *frame, status string) {
	d.out.CloseTasks = append(d.out.CloseTasks, TaskUpdate{Token: f.Token, Status: status, Resource: f.Resource})
	d.out.DeleteTimers = append(d.out.DeleteTimers, "tt:"+f.Token, "hb:"+f.Token)
	delete(d.st.tasks, f.Token)
	f.Wait, f.Token, f.TaskRef = waitNone, "", ""
}

func (d *decider) machineOf(f *frame) *statelang.Machine {
	m, err := machineAt(d.top, f.Loc)
	if err != nil && d.err == nil {
		d.err = fmt.Errorf("execution state does not match its machine: %w", err)
	}
	return m
}

func (d *decider) stateOf(f *frame) *statelang.State {
	m := d.machineOf(f)
	if m == nil {
		return nil
	}
	s := m.States[f.State]
	if s == nil && d.err == nil {
		d.err = fmt.Errorf("execution state names unknown state %q", f.State)
	}
	return s
}

func (d *decider) newFrame(parent, index int64, loc []frameLoc, quiet bool, m *statelang.Machine, input any) *frame {
	f := &frame{ID: d.st.NextFrame, Parent: parent, Index: index, Loc: loc, Quiet: quiet,
		State: m.StartAt, Input: jsonValue{input}, Fresh: true}
	d.st.NextFrame++
	d.st.Frames[f.ID] = f
	d.st.mark(f.ID, dirtyFrame|dirtyInput)
	return f
}

// ctx is the context of frame f in state s. It is the decider's one
// Context, rewritten whole by each call: every caller hands it to one
// statelang call, which does not keep it.
func (d *decider) ctx(f *frame, s *statelang.State) *statelang.Context {
	d.c = statelang.Context{
		ExecutionID:        d.x.ARN,
		ExecutionName:      d.x.Name,
		ExecutionInput:     d.x.Input,
		ExecutionStartTime: d.x.StartTime,
		RoleArn:            d.x.RoleARN,
		NoRedriveCount:     d.x.Sync,
		StateMachineID:     d.x.StateMachineARN,
		StateMachineName:   d.x.StateMachineName,
		StateName:          s.Name,
		StateEnteredTime:   f.EnteredAt,
		RetryCount:         f.Retries,
		RedriveCount:       d.st.Redrive.count(),
		RedriveTime:        d.st.Redrive.date(),
		EnteredEventID:     f.Entered,
		Retryable:          s.Type == statelang.TypeTask || s.Type == statelang.TypeParallel || s.Type == statelang.TypeMap,
		Vars:               d.varsOf(f),
	}
	return &d.c
}

// varsOf is the chain of variable scopes a frame's states read: its own,
// then its ancestors' (a distributed Map iteration sees none of them).
func (d *decider) varsOf(f *frame) *statelang.Vars {
	v := &statelang.Vars{}
	if f.Vars != nil {
		v.Values, _ = f.Vars.V.(map[string]any)
	}
	if p := d.st.Frames[f.Parent]; f.Parent >= 0 && p != nil && (p.Kids == nil || !p.Kids.Distributed) {
		v.Parent = d.varsOf(p)
	}
	return v
}

// assign applies what a state assigns to its frame's scope, when the state
// is left.
func (d *decider) assign(f *frame, vals map[string]any) {
	if len(vals) == 0 {
		return
	}
	scope := map[string]any{}
	if f.Vars != nil {
		if m, ok := f.Vars.V.(map[string]any); ok {
			for k, v := range m {
				scope[k] = v
			}
		}
	}
	for k, v := range vals {
		scope[k] = v
	}
	f.Vars = &jsonValue{scope}
	d.st.mark(f.ID, dirtyVars)
}

// run moves a frame forward until it waits, ends, or is cancelled.
func (d *decider) run(f *frame) {
	d.st.mark(f.ID, dirtyFrame)
	for !d.ended && d.err == nil {
		if d.st.Frames[f.ID] != f || f.Wait != waitNone {
			return
		}
		if d.spent() {
			d.pause(f)
			return
		}
		d.states++
		d.stateAt = d.lim.Elapsed()
		s := d.stateOf(f)
		if s == nil {
			return
		}
		if f.Fresh {
			if d.st.LastEventID >= d.lim.MaxEvents {
				d.finish(f, nil, &statelang.Failure{Name: statelang.ErrRuntime, Cause: fmt.Sprintf(
					"The execution reached the maximum number of history events (%d).", d.lim.MaxEvents)})
				return
			}
			f.Entered = d.emit(f, statelang.EnteredEventType(s.Type), map[string]any{
				"name": s.Name, "input": d.record(f.Input.V), "inputDetails": whole})
			f.EnteredAt, f.Attempts, f.Retries, f.Fresh = d.now, nil, 0, false
		}
		c := d.ctx(f, s)
		if s.WaitsForCallback() {
			c.TaskToken = d.tokenAt(d.st.NextTask + 1)
		}
		d.handle(f, s, s.Enter(f.Input.V, c, d.env))
	}
}

// tokenAt is the task token of the execution's seq-th task (see
// taskToken).
func (d *decider) tokenAt(seq int64) string {
	if d.st.Secret == "" {
		d.st.Secret = newSecret(d.env)
	}
	return taskToken(d.x.ID, seq, d.st.Secret)
}

func (d *decider) handle(f *frame, s *statelang.State, step statelang.Step) {
	switch step.Kind {
	case statelang.StepNext:
		d.assign(f, step.Assign)
		d.goOn(f, s, step.Output, step.Next, false)
	case statelang.StepSucceed:
		d.assign(f, step.Assign)
		d.goOn(f, s, step.Output, "", true)
	case statelang.StepWait:
		if !step.WaitUntil.After(d.now) {
			d.assign(f, step.Assign)
			d.goOn(f, s, step.Output, step.Next, step.End)
			return
		}
		if !d.st.Deadline.IsZero() && !step.WaitUntil.Before(d.st.Deadline) {
			f.Wait = waitEnd // the execution times out first
			return
		}
		key := fmt.Sprintf("w:%d:%d", f.ID, d.seq())
		f.Wait, f.TimerKey = waitTimer, key
		f.PendingNext, f.PendingEnd, f.PendingOutput = step.Next, step.End, &jsonValue{step.Output}
		if len(step.Assign) > 0 {
			f.PendingAssign = &jsonValue{step.Assign}
		}
		d.timer(key, step.WaitUntil)
	case statelang.StepTask:
		d.schedule(f, s, step.Task)
	case statelang.StepParallel, statelang.StepMap:
		if step.Kind == statelang.StepMap && step.Failure != nil {
			// A distributed Map starts before it checks its tolerance.
			d.emit(f, statelang.EventTypeMapStateStarted, map[string]any{"length": int64(0)})
			d.recover(f, s, step.Failure)
			return
		}
		if step.Read != nil {
			d.readItems(f, s, step)
			return
		}
		k := &frameKids{Map: step.Kind == statelang.StepMap, TolCount: -1, TolPct: -1}
		n := len(step.Inputs)
		k.Inputs, k.Results = valueInputs(step.Inputs), make([]jsonValue, n)
		if k.Map {
			k.Distributed = s.ProcessorMode == "DISTRIBUTED"
			k.MaxConcurrency, k.TolCount, k.TolPct = step.MaxConcurrency, step.ToleratedFailureCount, step.ToleratedFailurePercentage
			d.emit(f, statelang.EventTypeMapStateStarted, map[string]any{"length": int64(n)})
			if k.Distributed {
				d.startMapRun(f, s, k)
			}
		} else {
			d.emit(f, statelang.EventTypeParallelStateStarted, nil)
		}
		f.Kids, f.Wait = k, waitKids
		d.st.mark(f.ID, dirtyKids)
		d.settle(f, s)
	case statelang.StepFail:
		step.Failure = storable(step.Failure, "the state's")
		if step.Failure.Name == statelang.ErrQueryEvaluationError {
			// AWS records the failed evaluation; a Parallel or Map state
			// then fails as if a child had.
			d.emit(f, statelang.EventTypeEvaluationFailed, statelang.EvaluationFailedDetails(s.Name, step.Failure))
			d.recoverKids(f, s, step.Failure, s.Type == statelang.TypeParallel || s.Type == statelang.TypeMap)
			return
		}
		d.recover(f, s, step.Failure)
	}
}

func (d *decider) goOn(f *frame, s *statelang.State, out any, next string, end bool) {
	d.emit(f, statelang.ExitedEventType(s.Type), map[string]any{
		"name": s.Name, "output": d.record(out), "outputDetails": whole})
	if end {
		d.finish(f, out, nil)
		return
	}
	f.State, f.Input, f.Fresh, f.Wait = next, jsonValue{out}, true, waitNone
	d.st.mark(f.ID, dirtyInput)
}

func (d *decider) recover(f *frame, s *statelang.State, fl *statelang.Failure) {
	d.recoverKids(f, s, fl, false)
}

// recoverKids is recover for a state that may have failed because a branch
// or iteration did (kidFailed): then, unless it retries, the state records
// its ParallelStateFailed/MapStateFailed event first.
func (d *decider) recoverKids(f *frame, s *statelang.State, fl *statelang.Failure, kidFailed bool) {
	rec := s.RecoverWith(f.Input.V, fl, f.Attempts, d.env.Random(), d.ctx(f, s), d.env)
	if kidFailed && rec.Kind != statelang.RecoverRetry {
		d.emit(f, statelang.FailedEventType(s.Type), failureDetails(fl))
	}
	if rec.Kind == statelang.RecoverRetry || rec.Kind == statelang.RecoverCatch {
		d.forget(f.ID) // the state goes on: what failed below it is not redriven
	}
	switch rec.Kind {
	case statelang.RecoverRetry:
		for len(f.Attempts) < len(s.Retry) {
			f.Attempts = append(f.Attempts, 0)
		}
		f.Attempts[rec.Retrier]++
		f.Retries++
		if rec.Delay <= 0 {
			return // run re-enters the state
		}
		until := d.now.Add(rec.Delay)
		if !d.st.Deadline.IsZero() && !until.Before(d.st.Deadline) {
			f.Wait = waitEnd
			return
		}
		key := fmt.Sprintf("r:%d:%d", f.ID, d.seq())
		f.Wait, f.TimerKey = waitRetry, key
		d.timer(key, until)
	case statelang.RecoverCatch:
		d.assign(f, rec.Assign)
		d.goOn(f, s, rec.Output, rec.Next, false)
	default:
		d.finish(f, nil, rec.Failure)
	}
}

func (d *decider) schedule(f *frame, s *statelang.State, call *statelang.TaskCall) {
	token := d.tokenAt(d.seq())
	d.emitTask(f)(call.Resource.Scheduled(d.x.Region, call.Input, call.TimeoutSeconds, call.HeartbeatSeconds))
	f.Started = call.Resource.Family().StartedOnSchedule()
	f.Submitted = false // a retry's job is started again
	if f.Started {
		d.emitTask(f)(call.Resource.Started(""))
	}
	d.out.NewTasks = append(d.out.NewTasks, Task{
		Token: token, ExecutionID: d.x.ID, ExecutionARN: d.x.ARN, StateName: s.Name, Attempt: f.Retries,
		Resource: call.Resource.ARN, Input: d.record(call.Input),
		TimeoutSeconds: call.TimeoutSeconds, HeartbeatSeconds: call.HeartbeatSeconds, CreatedAt: d.now,
	})
	if call.TimeoutSeconds > 0 {
		d.timer("tt:"+token, d.now.Add(time.Duration(call.TimeoutSeconds)*time.Second))
	}
	if call.HeartbeatSeconds > 0 {
		d.timer("hb:"+token, d.now.Add(time.Duration(call.HeartbeatSeconds)*time.Second))
	}
	f.Wait, f.Token, f.Resource = waitTask, token, call.Resource
	if d.x.ID > 0 { // stored as its ref (frame.TaskRef)
		f.TaskRef = token[:strings.LastIndexByte(token, '-')]
	}
	if d.st.tasks != nil {
		d.st.tasks[token] = f.ID
	}
}

// settle launches branches/iterations while allowed, fails the state when
// a kid failed beyond tolerance, and completes it when all kids are done.
func (d *decider) settle(p *frame, s *statelang.State) {
	k := p.Kids
	if k == nil || p.Wait != waitKids {
		return
	}
	redo := len(k.Redo)
	for k.Abort == nil && (len(k.Redo) > 0 || k.Next < k.Inputs.Len()) && (k.MaxConcurrency <= 0 || int64(len(k.Running)) < k.MaxConcurrency) {
		if d.ended || d.err != nil {
			return
		}
		if d.spent() {
			// The rest are launched by a later decision (resume), so
			// that a kid's frame is written once, when it first runs.
			d.cont()
			break
		}
		d.st.mark(p.ID, dirtyFrame) // Next or Redo moves
		i := k.Next
		if len(k.Redo) > 0 { // a redrive's unsuccessful kids first
			i, k.Redo = k.Redo[0], k.Redo[1:]
		} else {
			k.Next++
		}
		d.launch(p, s, k, i)
	}
	if d.ended || d.err != nil {
		return
	}
	if k.Distributed && len(k.Redo) != redo && k.Abort == nil {
		d.mapRunRow(p, k, MapRunRunning) // fewer children wait to be redriven
	}
	d.showRunning(p, s, k)
	if k.Abort != nil {
		if k.Distributed && s.Writer != nil && s.Writer.Resource != "" {
			// As on AWS, a failed Map Run's results are exported too; the
			// Map fails once they are (resultsWritten). The children
			// stopped with it did not succeed: a redrive runs them again.
			// (A WriterConfig alone makes a result, which a failed Map
			// has none of.)
			for _, id := range k.Running {
				if c := d.st.Frames[id]; c != nil {
					k.Lost = append(k.Lost, int(c.Index))
				}
				d.cancelFrame(id)
			}
			k.Running = nil
			d.showRunning(p, s, k)
			d.writeResults(p, s, k)
			return
		}
		for _, id := range k.Running {
			d.cancelFrame(id)
		}
		fl := k.Abort.failure()
		d.keepKids(p, k)
		d.endMapRun(p, k, MapRunFailed, fl)
		p.Kids, p.Wait = nil, waitNone
		d.st.mark(p.ID, dirtyKids)
		d.recoverKids(p, s, fl, true)
		return
	}
	if len(k.Running) > 0 || k.Next < k.Inputs.Len() || len(k.Redo) > 0 {
		return
	}
	d.forget(p.ID)
	if k.Map && s.Writer != nil {
		d.writeResults(p, s, k)
		return
	}
	d.endMapRun(p, k, MapRunSucceeded, nil)
	if k.Map {
		d.emit(p, statelang.EventTypeMapStateSucceeded, nil)
	}
	results := make([]any, max(k.Inputs.Len(), len(k.Results))) // a kid that failed within tolerance has null
	for i, r := range k.Results {
		results[i] = r.V
	}
	p.Kids, p.Wait = nil, waitNone
	d.st.mark(p.ID, dirtyKids)
	d.handle(p, s, s.Complete(p.Input.V, results, d.ctx(p, s), d.env))
}

func (d *decider) launch(p *frame, s *statelang.State, k *frameKids, i int) {
	loc := append(append([]frameLoc(nil), p.Loc...), frameLoc{State: s.Name, Branch: i})
	m := (*statelang.Machine)(nil)
	if k.Map {
		loc[len(loc)-1].Branch = -1
		m = s.Processor
		if !k.Distributed {
			d.emit(p, statelang.EventTypeMapIterationStarted, map[string]any{"name": s.Name, "index": int64(i)})
		}
	} else {
		m = s.Branches[i]
	}
	in := k.Inputs.at(i)
	c := d.newFrame(p.ID, int64(i), loc, p.Quiet || k.Distributed, m, in)
	k.Running = append(k.Running, c.ID)
	if k.Distributed {
		d.launchChild(c, s, k.Run)
		return
	}
	d.run(c)
}

// finish ends a frame with an output or a failure.
func (d *decider) finish(f *frame, out any, fl *statelang.Failure) {
	if fl != nil {
		d.bury(f)
	}
	delete(d.st.Frames, f.ID)
	d.st.mark(f.ID, dirtyFrame)
	if f.Parent < 0 {
		if fl == nil {
			d.end(StatusSucceeded, out, nil)
		} else {
			d.end(StatusFailed, nil, fl)
		}
		return
	}
	p := d.st.Frames[f.Parent]
	if p == nil || p.Kids == nil {
		return
	}
	k := p.Kids
	// Running is not in the frame's part (rebuilt on load): the part
	// changes only when a kid fails.
	for i, id := range k.Running {
		if id == f.ID {
			k.Running = append(k.Running[:i], k.Running[i+1:]...)
			break
		}
	}
	ps := d.stateOf(p)
	if ps == nil {
		return
	}
	it := map[string]any{"name": ps.Name, "index": f.Index}
	switch {
	case fl == nil:
		if k.Map && !k.Distributed {
			d.emit(p, statelang.EventTypeMapIterationSucceeded, it)
		}
		if !k.Distributed || ps.Writer == nil { // a ResultWriter reads them from the children
			k.result(int(f.Index), out)
			d.st.mark(p.ID, dirtyResults)
		}
	case k.Map:
		if !k.Distributed {
			d.emit(p, statelang.EventTypeMapIterationFailed, it)
		}
		d.st.mark(p.ID, dirtyFrame)
		k.Lost = append(k.Lost, int(f.Index))
		k.Failed++
		if k.First == nil {
			k.First = toFail(fl)
		}
		tol := statelang.Step{ToleratedFailureCount: k.TolCount, ToleratedFailurePercentage: k.TolPct}
		if !tol.Tolerates(k.Failed, k.Inputs.Len()) && k.Abort == nil {
			a := k.First
			if k.TolCount >= 0 || k.TolPct >= 0 || k.Distributed {
				a = &frameFail{Name: statelang.ErrExceedToleratedFailureThresh, Cause: "The specified tolerated failure threshold was exceeded"}
			}
			k.Abort = a
		}
	default:
		d.st.mark(p.ID, dirtyFrame)
		k.Lost = append(k.Lost, int(f.Index))
		if k.Abort == nil {
			k.Abort = toFail(fl)
		}
	}
	d.dirty = append(d.dirty, p.ID)
}

// cancelFrame removes a frame and its descendants and cancels their tasks
// and timers.
func (d *decider) cancelFrame(id int64) {
	f := d.st.Frames[id]
	if f == nil {
		return
	}
	d.bury(f)
	delete(d.st.Frames, id)
	d.st.mark(id, dirtyFrame)
	d.endMapRun(f, f.Kids, MapRunAborted, nil)
	switch f.Wait {
	case waitTask:
		d.closeTask(f, TaskCancelled)
	case waitTimer, waitRetry:
		d.out.DeleteTimers = append(d.out.DeleteTimers, f.TimerKey)
	case waitKids:
		for _, k := range f.Kids.Running {
			d.cancelFrame(k)
		}
	}
}

// drain settles the parents whose kids ended, and runs them on.
func (d *decider) drain() {
	for len(d.dirty) > 0 && !d.ended && d.err == nil {
		id := d.dirty[0]
		d.dirty = d.dirty[1:]
		p := d.st.Frames[id]
		if p == nil || p.Wait != waitKids {
			continue
		}
		s := d.stateOf(p)
		if s == nil {
			return
		}
		d.settle(p, s)
		if p.Wait == waitNone { // it left the state: run on (run marks it)
			d.run(p)
		}
	}
}

func (d *decider) end(status string, out any, fl *statelang.Failure) {
	if fl != nil {
		fl = storable(fl, "the execution's")
	}
	d.ended = true
	d.st.Status = status
	frames := d.st.Frames
	ids := slices.Sorted(maps.Keys(frames)) // in order: a MapRunAborted event each
	for _, id := range ids {
		f := frames[id]
		if f.Wait == waitTask && f.Token != "" { // cancelled with the execution
			d.out.CloseTasks = append(d.out.CloseTasks, TaskUpdate{Token: f.Token, Status: TaskCancelled, Resource: f.Resource})
		}
		d.endMapRun(f, f.Kids, MapRunAborted, nil) // its children are stopped with their tasks
	}
	d.st.Frames = nil
	if status != StatusSucceeded {
		d.st.Frames = d.keep(frames)
	}
	d.out.Terminal, d.out.Output, d.out.Failure = true, out, fl
	switch status {
	case StatusSucceeded:
		d.emit(nil, statelang.EventTypeExecutionSucceeded, map[string]any{"output": statelang.MarshalString(out), "outputDetails": whole})
	case StatusFailed:
		d.emit(nil, statelang.EventTypeExecutionFailed, failureDetails(fl))
	case StatusTimedOut:
		if fl == nil {
			fl = &statelang.Failure{Name: statelang.ErrTimeout}
		}
		d.emit(nil, statelang.EventTypeExecutionTimedOut, failureDetails(fl))
	case StatusAborted:
		d.emit(nil, statelang.EventTypeExecutionAborted, failureDetails(fl))
	}
}

// storable is fl, or States.Runtime when fl's name or cause holds a NUL,
// which neither the history (JSON in PostgreSQL) nor the execution row can
// keep (statelang.Storable): a Fail state's ErrorPath or CausePath may
// select one from the input.
func storable(fl *statelang.Failure, whose string) *statelang.Failure {
	name, cause := statelang.Storable(fl.Name, fl.Cause, whose)
	if name == fl.Name && cause == fl.Cause {
		return fl
	}
	return &statelang.Failure{Name: name, Cause: cause}
}

func failureDetails(f *statelang.Failure) map[string]any {
	d := map[string]any{}
	if f.Name != "" {
		d["error"] = f.Name
	}
	if f.Cause != "" {
		d["cause"] = f.Cause
	}
	return d
}
