package engine

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/stepwise-dev/stepwise/internal/arn"
	"github.com/stepwise-dev/stepwise/statelang"
)

// Config configures an Engine. Zero values take the documented defaults.
type Config struct {
	// Store persists everything. Required.
	Store Store
	// Dispatcher receives tasks after their commit. Defaults to none: tasks
	// stay SCHEDULED until some dispatcher's engine re-dispatches them.
	Dispatcher Dispatcher
	// Region and Account build ARNs. Default to "us-east-1" and
	// "111111111111".
	Region, Account string
	// MaxHistoryEvents is the history limit per execution. Defaults to
	// 25,000 (AWS).
	MaxHistoryEvents int64
	// PollInterval is how often the maintenance loop looks for due timers
	// and undelivered tasks. Defaults to 1s.
	PollInterval time.Duration
	// TimerLease is how long a claimed timer is hidden from other engines
	// while it is applied; an engine that dies with claimed timers has them
	// taken over after it. Defaults to 4s (a dead replica's timers are
	// taken over within 5 s of its death). A timer applied twice (a slow
	// engine outlived its lease) changes nothing the second time.
	TimerLease time.Duration
	// DispatchTimeout is how long a SCHEDULED task may stay unconfirmed
	// (the transport did not report it stored, no heartbeat, no result)
	// before it is dispatched again, by any engine. Defaults to 5s: an
	// engine that dies between a commit and its publishes has its tasks
	// sent within about that long. A re-publish carries the same message
	// id, and results are idempotent per token.
	DispatchTimeout time.Duration
	// ClaimBatch is how many timers or tasks one maintenance pass claims.
	// Defaults to 256.
	ClaimBatch int
	// Workers bounds how many claimed timers are applied concurrently.
	// Defaults to 16.
	Workers int
	// GroupCommitters bounds how many group commits are in flight at once
	// (see group.go). Defaults to 1: on two cores one group in flight at a time commits more steps per second than two or four.
	GroupCommitters int
	// MaxGroup bounds the ops of one group commit. Defaults to 512.
	MaxGroup int
	// StateCache bounds how many running executions' decoded states the
	// engine keeps between their events. Defaults to 10,000.
	StateCache int
	// ConfirmDelay is how long a dispatch confirmation is held before it
	// is written, if its task is still open then (see group.go). Defaults
	// to half of DispatchTimeout, and is at most that.
	ConfirmDelay time.Duration
	// Now is the clock. Defaults to time.Now.
	Now func() time.Time
	// Random returns numbers in [0, 1) for States.MathRandom and jitter.
	// Defaults to math/rand/v2.
	Random func() float64
	// UUID returns random UUIDs. Defaults to crypto/rand version 4 UUIDs.
	UUID func() string
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Services run the tasks of the resources they serve inside the
	// engine, instead of a worker (see services.go).
	Services []Service
	// ServiceConcurrency bounds the service calls in flight. Defaults to
	// 64.
	ServiceConcurrency int
	// Logs receives the log events of executions whose machine has a
	// Logging (express executions: their only record). Defaults to none:
	// nothing is logged.
	Logs LogSink
	// ExpressTimeout is the longest an express execution runs before it
	// times out. Defaults to ExpressMaxDuration, AWS's five minutes; it
	// also bounds how long an EXPRESS child of a distributed Map that was
	// lost with its process waits before it is started again (tests set
	// it short).
	ExpressTimeout time.Duration
	// ExpressChildLease is how long the parent's task of a distributed
	// Map's EXPRESS child stays confirmed, beyond DispatchTimeout, without
	// word from the process that runs the child, which renews it every
	// third of that while the child runs. A child lost with its process is
	// started again a lease and a DispatchTimeout after the last renewal.
	// Defaults to 30 s; at least DispatchTimeout, at most ExpressTimeout.
	ExpressChildLease time.Duration
}

func (c *Config) setDefaults() {
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.Account == "" {
		c.Account = "111111111111"
	}
	if c.MaxHistoryEvents <= 0 {
		c.MaxHistoryEvents = 25000
	}
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
	}
	if c.TimerLease <= 0 {
		c.TimerLease = 4 * time.Second
	}
	if c.DispatchTimeout <= 0 {
		c.DispatchTimeout = 5 * time.Second
	}
	if c.ClaimBatch <= 0 {
		c.ClaimBatch = 256
	}
	if c.Workers <= 0 {
		c.Workers = 16
	}
	if c.GroupCommitters <= 0 {
		c.GroupCommitters = 1
	}
	if c.MaxGroup <= 0 {
		c.MaxGroup = 512
	}
	if c.StateCache == 0 {
		c.StateCache = 10000
	}
	if c.ExpressTimeout <= 0 {
		c.ExpressTimeout = ExpressMaxDuration
	}
	if c.ExpressChildLease <= 0 {
		c.ExpressChildLease = 30 * time.Second
	}
	c.ExpressChildLease = max(min(c.ExpressChildLease, c.ExpressTimeout), c.DispatchTimeout)
	if c.ConfirmDelay <= 0 || c.ConfirmDelay > c.DispatchTimeout/2 {
		c.ConfirmDelay = c.DispatchTimeout / 2
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Random == nil {
		c.Random = mrand.Float64
	}
	if c.UUID == nil {
		c.UUID = NewUUID
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.ServiceConcurrency <= 0 {
		c.ServiceConcurrency = 64
	}
}

// NewUUID returns a random version 4 UUID.
func NewUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Engine runs executions durably on a Store. It is safe for concurrent use;
// several Engines may share one store.
type Engine struct {
	cfg   Config
	store Store
	env   statelang.Env
	arns  arn.Scope // the region and account of the ARNs the engine makes

	mu       sync.RWMutex
	machines map[string]*statelang.Machine

	group  committer  // every change to an existing execution (group.go)
	states stateCache // decoded states of running executions (group.go)
	// timers bounds the claimed timers being applied (Config.Workers),
	// across the maintenance passes of Run.
	timers chan struct{}

	acts activityHub // GetActivityTask pollers (activities.go)

	services services // built-in services (services.go)

	express expressHub       // running express executions (express.go)
	logging recent[*Logging] // machines' Logging, for standard executions (logs.go)
	// running: Run is running (an engine that is not is a client of the
	// store, and starts no express child: see errNotRunning).
	running atomic.Bool
}

// New returns an Engine.
func New(cfg Config) (*Engine, error) {
	cfg.setDefaults()
	if cfg.Store == nil {
		return nil, errors.New("engine: Config.Store is required")
	}
	e := &Engine{cfg: cfg, store: cfg.Store, env: statelang.Env{Random: cfg.Random, UUID: cfg.UUID}, arns: arn.In(cfg.Region, cfg.Account),
		machines: map[string]*statelang.Machine{}, timers: make(chan struct{}, cfg.Workers)}
	e.group = committer{e: e, busy: map[int64]bool{}}
	e.express = newExpressHub()
	e.states.max = cfg.StateCache
	e.services = services{list: cfg.Services, sem: make(chan struct{}, cfg.ServiceConcurrency), inFlight: map[string]bool{}}
	for _, svc := range cfg.Services {
		if b, ok := svc.(interface{ BindEngine(*Engine) }); ok {
			b.BindEngine(e) // a service that reads from the engine (the ResultWriter)
		}
	}
	return e, nil
}

func (e *Engine) stateMachineARN(name string) string { return e.arns.StateMachine(name) }

// CreateStateMachine validates a definition and stores it as version 1 of a
// new machine. Creating the same name with the same definition again returns
// the existing machine; a different definition is ErrStateMachineExists.
func (e *Engine) CreateStateMachine(ctx context.Context, name, definition, roleARN string) (StateMachine, error) {
	return e.CreateStateMachineWith(ctx, StateMachine{Name: name, Definition: definition, RoleARN: roleARN})
}

// CreateStateMachineWith is CreateStateMachine for a machine given whole:
// its Name, Definition, RoleARN, Type ("": STANDARD) and Logging (nil, or
// a Level of LogOff: none). An existing machine of that name is returned
// when its definition and type are the same.
func (e *Engine) CreateStateMachineWith(ctx context.Context, in StateMachine) (StateMachine, error) {
	if err := validName(in.Name); err != nil {
		return StateMachine{}, err
	}
	if _, err := statelang.Parse([]byte(in.Definition)); err != nil {
		return StateMachine{}, fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	in.Type = MachineType(in.Type)
	if in.Logging != nil && in.Logging.Level == LogOff {
		in.Logging = nil
	}
	sm := StateMachine{Name: in.Name, ARN: e.stateMachineARN(in.Name), Version: 1, Definition: in.Definition, RoleARN: in.RoleARN,
		CreatedAt: e.cfg.Now(), Type: in.Type, Logging: in.Logging}
	sm, err := e.store.CreateStateMachine(ctx, sm)
	if errors.Is(err, ErrConflict) {
		old, gerr := e.store.GetStateMachine(ctx, in.Name, 0)
		// AWS ignores a different role ARN here
		if gerr == nil && !old.Deleted && old.Definition == in.Definition && MachineType(old.Type) == in.Type {
			return old, nil
		}
		return StateMachine{}, ErrStateMachineExists
	}
	return sm, err
}

// UpdateStateMachine stores a new immutable version of a machine's
// definition. Running executions keep their version.
func (e *Engine) UpdateStateMachine(ctx context.Context, name, definition string) (StateMachine, error) {
	if _, err := statelang.Parse([]byte(definition)); err != nil {
		return StateMachine{}, fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	return e.store.AddStateMachineVersion(ctx, name, definition, e.cfg.Now())
}

// DescribeStateMachine returns a version of a machine (0: the latest);
// ErrNotFound when it does not exist or was deleted.
func (e *Engine) DescribeStateMachine(ctx context.Context, name string, version int) (StateMachine, error) {
	sm, err := e.store.GetStateMachine(ctx, name, version)
	if err == nil && sm.Deleted {
		return StateMachine{}, ErrNotFound
	}
	return sm, err
}

func (e *Engine) machine(ctx context.Context, name string, version int) (*statelang.Machine, StateMachine, error) {
	if parent, label, ok := splitMapMachine(name); ok {
		return e.mapMachine(ctx, parent, label, version)
	}
	key := name + "\x00" + strconv.Itoa(version)
	e.mu.RLock()
	m := e.machines[key]
	e.mu.RUnlock()
	if m != nil && version > 0 {
		return m, StateMachine{Name: name, Version: version, ARN: e.stateMachineARN(name)}, nil
	}
	sm, err := e.store.GetStateMachine(ctx, name, version)
	if err != nil {
		return nil, sm, err
	}
	if version == 0 && sm.Deleted {
		return nil, sm, ErrNotFound // new executions need a live machine
	}
	key = name + "\x00" + strconv.Itoa(sm.Version)
	e.mu.RLock()
	m = e.machines[key]
	e.mu.RUnlock()
	if m == nil {
		if m, err = statelang.Parse([]byte(sm.Definition)); err != nil {
			return nil, sm, fmt.Errorf("stored definition of %s version %d: %w", name, sm.Version, err)
		}
		e.mu.Lock()
		for k := range e.machines { // bounded: drop arbitrary entries (map order)
			if len(e.machines) < maxCachedMachines {
				break
			}
			delete(e.machines, k)
		}
		e.machines[key] = m
		e.mu.Unlock()
	}
	return m, sm, nil
}

// maxCachedMachines bounds the parsed machines an Engine keeps.
const maxCachedMachines = 1024

func validName(name string) error { return ValidName(name) }

// ValidName checks a state machine, execution or activity name against
// AWS's rules: 1 to 80 characters, and no white space, brackets,
// wildcards, special characters (" # % \ ^ | ~ ` $ & , ; : /) or control
// characters. The error wraps ErrInvalidInput.
func ValidName(name string) error {
	if name == "" || utf8.RuneCountInString(name) > 80 {
		return fmt.Errorf("%w: name must be 1 to 80 characters", ErrInvalidInput)
	}
	for _, r := range name {
		if unicode.IsSpace(r) || r <= 0x1f || (r >= 0x7f && r <= 0x9f) || strings.ContainsRune("<>{}[]?*\"#%\\^|~`$&,;:/", r) {
			return fmt.Errorf("%w: invalid name %q: names may not contain white space, brackets, wildcards, special or control characters", ErrInvalidInput, name)
		}
	}
	return nil
}

// StartExecutionInput are the arguments of StartExecution.
type StartExecutionInput struct {
	StateMachine string
	Version      int    // 0: the latest
	Name         string // "": a random UUID
	Input        string // JSON text; "" means {}
	// Parent, when set, makes the execution a child that answers the
	// parent's task when it ends (see children.go).
	Parent *Parent
	// StateMachineARN is the ARN the execution is started through when it
	// names a version or an alias (see StartTarget); "" for the machine's.
	StateMachineARN string
	// Sync: StartSyncExecution. StartExecution returns once the execution
	// ended, with its outcome; the machine must be EXPRESS (ErrNotExpress).
	Sync bool
}

// StartExecution starts an execution. A name is unique per state machine:
// the same name with the same input returns the existing execution while
// it runs; a different input, or an execution that has ended, is
// ErrExecutionAlreadyExists (as on AWS), returned with the existing
// execution.
func (e *Engine) StartExecution(ctx context.Context, in StartExecutionInput) (*Execution, error) {
	if in.Name == "" {
		in.Name = e.cfg.UUID()
	}
	if err := validName(in.Name); err != nil {
		return nil, err
	}
	if in.Input == "" {
		in.Input = "{}"
	}
	if len(in.Input) > statelang.MaxPayloadBytes {
		return nil, ErrPayloadTooLarge
	}
	input, err := statelang.ParseJSON([]byte(in.Input))
	if err != nil {
		return nil, fmt.Errorf("%w: input is not valid JSON: %v", ErrInvalidInput, err)
	}
	m, sm, cached := e.express.machine(in, e.cfg.Now())
	if !cached {
		if m, sm, err = e.machine(ctx, in.StateMachine, in.Version); err != nil {
			return nil, err
		}
	}
	// machine() may answer from its cache: is the machine still there? A
	// distributed Map's iterations run their parent's version even if the
	// machine is deleted meanwhile, as the parent itself runs on.
	if in.Version > 0 && !(in.Parent != nil && strings.Contains(in.StateMachine, "/")) {
		base, _, _ := strings.Cut(in.StateMachine, "/") // a distributed Map's children: its machine
		latest, err := e.store.GetStateMachine(ctx, base, 0)
		if err != nil {
			return nil, err
		}
		if latest.Deleted {
			return nil, ErrNotFound
		}
		sm.Type, sm.Logging = latest.Type, latest.Logging // the machine's, for all its versions
	}
	if !cached && sm.Type == TypeExpress {
		e.express.remember(in, m, sm, e.cfg.Now())
	}
	now := e.cfg.Now()
	if sm.Type == TypeExpress || in.Sync {
		if sm.Type != TypeExpress {
			return nil, ErrNotExpress
		}
		x := &Execution{ARN: e.expressARN(sm.Name, in.Name), Name: in.Name, StateMachine: sm.Name,
			StateMachineVersion: sm.Version, StateMachineARN: in.StateMachineARN, Status: StatusRunning, Input: in.Input, StartDate: now}
		if x.StateMachineARN == "" {
			x.StateMachineARN = e.stateMachineARN(sm.Name)
		}
		if in.Parent != nil {
			if !e.running.Load() {
				return nil, errNotRunning
			}
			x.ParentID, x.ParentToken = in.Parent.ExecutionID, in.Parent.Token // answered when it ends (notifyParent)
		}
		r, started := e.startExpress(ctx, x, m, sm, input, in.Sync)
		if in.Sync {
			return r.wait(ctx)
		}
		if !started {
			return r.facts(), nil // this task's child, started by an earlier dispatch, still runs
		}
		return x, nil
	}
	x := &Execution{
		ARN:  e.arns.Execution(sm.Name, in.Name),
		Name: in.Name, StateMachine: sm.Name, StateMachineVersion: sm.Version, StateMachineARN: in.StateMachineARN,
		Status: StatusRunning, Input: in.Input, StartDate: now, State: encodeHead(&execState{}),
	}
	if x.StateMachineARN == "" {
		x.StateMachineARN = e.stateMachineARN(sm.Name)
	}
	if p := in.Parent; p != nil {
		x.ParentID, x.ParentToken = p.ExecutionID, p.Token
	}
	o := &op{kind: opStart, start: &startReq{x: x, m: m, roleARN: sm.RoleARN, input: input}}
	err = e.group.do(ctx, o)
	if errors.Is(err, errNameTaken) {
		if o.got.Input == in.Input && o.got.Status == StatusRunning {
			return o.got, nil
		}
		return o.got, ErrExecutionAlreadyExists
	}
	if err != nil {
		return nil, err
	}
	e.dispatch(ctx, o.dec.NewTasks)
	return o.got, nil
}

func (e *Engine) limits() decisionLimits { return decisionLimits{MaxEvents: e.cfg.MaxHistoryEvents} }

func (e *Engine) exec(x *Execution, input any, roleARN string) execFacts {
	return execFacts{ID: x.ID, ARN: x.ARN, Name: x.Name, Input: input, StartTime: x.StartDate,
		StateMachineARN: x.StateMachineARN, StateMachineName: x.StateMachine, StateMachineVersion: x.StateMachineVersion,
		RoleARN: roleARN, Region: e.cfg.Region}
}

// apply applies one event to an execution through the group committer,
// then dispatches the new tasks.
func (e *Engine) apply(ctx context.Context, id int64, ev event) (*decision, error) {
	o := &op{kind: opEvent, id: id, ev: ev}
	if err := e.group.do(ctx, o); err != nil {
		return nil, err
	}
	e.afterCommit(ctx, o.dec)
	return o.dec, nil
}

// afterCommit hands a committed decision's effects to the dispatcher.
func (e *Engine) afterCommit(ctx context.Context, d *decision) {
	if d == nil {
		return
	}
	// A failed Map Run's results are written once the children stopped
	// with it are (cancelTasks stops them), so that they are written
	// ABORTED rather than still running.
	now, later := d.NewTasks, []Task(nil)
	if len(d.CloseTasks) > 0 && slices.ContainsFunc(now, isWriterTask) {
		now, later = nil, nil
		for _, t := range d.NewTasks {
			if isWriterTask(t) {
				later = append(later, t)
			} else {
				now = append(now, t)
			}
		}
	}
	e.dispatch(ctx, now)
	e.cancelTasks(ctx, d.CloseTasks)
	e.dispatch(ctx, later)
}

func isWriterTask(t Task) bool { return t.Resource == ResultWriterResource }

func (e *Engine) dispatch(ctx context.Context, tasks []Task) { e.dispatchTasks(ctx, tasks, nil) }

// dispatchTasks hands tasks to the engine itself (child executions), to
// services and to the Dispatcher. failed, when set, gets each task whose
// publish failed; otherwise the maintenance loop dispatches it again.
func (e *Engine) dispatchTasks(ctx context.Context, tasks []Task, failed func(Task)) {
	var children []childTask
	var published []Task
	for _, t := range tasks {
		r := statelang.ParseResource(t.Resource)
		if r.Kind == statelang.KindActivity {
			e.acts.wake(t.Resource)
		}
		if mode := childModeOf(r); mode.child {
			children = append(children, childTask{t, mode}) // the engine is the worker of child executions
		} else if svc := e.services.of(r); svc != nil {
			e.runService(ctx, svc, t)
		} else {
			published = append(published, t)
		}
	}
	e.startChildren(ctx, children)
	if e.cfg.Dispatcher == nil {
		return
	}
	for _, t := range published {
		held, err := e.cfg.Dispatcher.Dispatch(ctx, t)
		var bad *UndeliverableError
		switch {
		case errors.As(err, &bad):
			// After the transition that scheduled it, as AWS fails a bad
			// parameter; not in the caller's commit path.
			go func() {
				ferr := e.SendTaskFailure(context.WithoutCancel(ctx), t.Token, statelang.ErrRuntime, bad.Error())
				if ferr != nil && !errors.Is(ferr, ErrTaskClosed) {
					e.cfg.Logger.Error("failing an undeliverable task", "task", TaskRef(t.Token), "error", ferr)
				}
			}()
		case err != nil:
			e.cfg.Logger.Warn("dispatch failed", "task", TaskRef(t.Token), "error", err)
			if failed != nil {
				failed(t)
			}
		case held:
			if err := e.ConfirmDispatch(ctx, t.Token); err != nil {
				e.cfg.Logger.Warn("confirm dispatch failed", "task", TaskRef(t.Token), "error", err)
			}
		}
	}
}

// DescribeExecution returns an execution by ARN.
func (e *Engine) DescribeExecution(ctx context.Context, arn string) (*Execution, error) {
	if IsExpressARN(arn) {
		return nil, ErrExpressARN
	}
	return e.store.GetExecutionByARN(ctx, arn)
}

// ListExecutionsInput are the arguments of ListExecutions.
type ListExecutionsInput struct {
	StateMachine string // "" for every machine
	Status       string // "" for all
	// MapRun, instead of StateMachine, lists the child executions of a
	// Map Run (ARN); ErrNotFound when there is no such run.
	MapRun     string
	MaxResults int // default and maximum 1000
	NextToken  string
	// Filter, when set, narrows the list further (see engine/filter). A
	// filtered page may hold fewer than MaxResults executions and still
	// have a next token: one call reads a bounded number of candidates.
	Filter ExecutionFilter
}

// ListExecutions lists executions (of one machine, or of all), newest
// first, a page at a time; the returned token is "" on the last page.
func (e *Engine) ListExecutions(ctx context.Context, in ListExecutionsInput) ([]*Execution, string, error) {
	limit, before, err := executionPage(in.MaxResults, in.NextToken)
	if err != nil {
		return nil, "", err
	}
	base := ListFilter{StateMachine: in.StateMachine, Status: in.Status, BeforeID: before}
	if in.MapRun != "" {
		r, err := e.store.GetMapRun(ctx, in.MapRun)
		if err != nil {
			return nil, "", err
		}
		base = mapRunFilter(r, in.Status)
		base.BeforeID = before
	}
	if in.Filter != nil {
		return e.listFiltered(ctx, base, in.Filter, limit)
	}
	return e.listPage(ctx, base, limit)
}

// listPage lists up to limit executions f selects, newest first, and the
// token of the next page ("" on the last).
func (e *Engine) listPage(ctx context.Context, f ListFilter, limit int) ([]*Execution, string, error) {
	f.Limit = limit + 1
	xs, err := e.store.ListExecutions(ctx, f)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(xs) > limit {
		xs = xs[:limit]
		next = strconv.FormatInt(xs[limit-1].ID, 10)
	}
	return xs, next, nil
}

// executionPage reads the size and token of a page of executions listed
// newest first: at most 1000 (0 or more: 1000), and the ID the page starts
// below (0: from the newest).
func executionPage(maxResults int, token string) (limit int, before int64, err error) {
	limit = maxResults
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	if token != "" {
		n, err := strconv.ParseInt(token, 10, 64)
		if err != nil || n <= 0 {
			return 0, 0, fmt.Errorf("%w: invalid next token", ErrInvalidInput)
		}
		before = n
	}
	return limit, before, nil
}

// HistoryInput are the arguments of GetExecutionHistory.
type HistoryInput struct {
	MaxResults   int // default and maximum 1000
	NextToken    string
	ReverseOrder bool
}

// GetExecutionHistory returns a page of an execution's history events.
func (e *Engine) GetExecutionHistory(ctx context.Context, arn string, in HistoryInput) ([]statelang.HistoryEvent, string, error) {
	if IsExpressARN(arn) {
		return nil, "", ErrExpressARN
	}
	x, err := e.store.GetExecutionByARN(ctx, arn)
	if err != nil {
		return nil, "", err
	}
	limit := in.MaxResults
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	f := HistoryFilter{Reverse: in.ReverseOrder, Limit: limit + 1}
	if in.NextToken != "" {
		n, err := strconv.ParseInt(in.NextToken, 10, 64)
		if err != nil || n < 0 {
			return nil, "", fmt.Errorf("%w: invalid next token", ErrInvalidInput)
		}
		if in.ReverseOrder {
			f.BeforeID = n
		} else {
			f.AfterID = n
		}
	}
	evs, err := e.store.History(ctx, x.ID, f)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(evs) > limit {
		evs = evs[:limit]
		next = strconv.FormatInt(evs[limit-1].ID, 10)
	}
	return evs, next, nil
}

// StopExecution aborts a running execution: status ABORTED, an
// ExecutionAborted event, open tasks cancelled; their late results are
// ignored.
func (e *Engine) StopExecution(ctx context.Context, arn, errName, cause string) (*Execution, error) {
	if IsExpressARN(arn) {
		return nil, ErrExpressARN
	}
	x, err := e.store.GetExecutionByARN(ctx, arn)
	if err != nil {
		return nil, err
	}
	if _, err := e.apply(ctx, x.ID, event{Kind: evStop, Error: errName, Cause: cause}); err != nil {
		return nil, err
	}
	return e.store.GetExecution(ctx, x.ID)
}

// Run runs the maintenance loops until ctx ends: it applies due timers,
// repairs child executions an engine that stopped left behind
// (repairChildren) and re-dispatches tasks whose dispatch deadline passed.
// Run it in every engine process; several may share a store.
func (e *Engine) Run(ctx context.Context) error {
	e.running.Store(true)
	defer e.running.Store(false)
	t := time.NewTicker(e.cfg.PollInterval)
	defer t.Stop()
	for {
		for {
			n, err := e.tick(ctx, false)
			if err != nil && ctx.Err() == nil {
				e.cfg.Logger.Error("maintenance pass failed", "error", err)
			}
			if n < e.cfg.ClaimBatch || ctx.Err() != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			flush, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			e.group.flushConfirms(flush)
			cancel()
			return nil
		case <-t.C:
		}
	}
}

// fireTimer applies a due timer to its execution.
func (e *Engine) fireTimer(ctx context.Context, t Timer) {
	_, err := e.apply(ctx, t.ExecutionID, event{Kind: evTimer, TimerKey: t.Key})
	if err != nil && !errors.Is(err, ErrExecutionNotRunning) && ctx.Err() == nil {
		e.cfg.Logger.Error("timer failed", "execution_id", t.ExecutionID, "timer", t.Key, "error", err)
	}
}

// Tick runs one maintenance pass and returns how many timers and tasks it
// handled, once the timers it claimed are applied.
func (e *Engine) Tick(ctx context.Context) (int, error) { return e.tick(ctx, true) }

// tick is Tick; Run's passes do not wait for their timers (a slow
// decision does not hold the next pass), only for room among the
// Config.Workers timers in flight.
func (e *Engine) tick(ctx context.Context, wait bool) (int, error) {
	now := e.cfg.Now()
	timers, err := e.store.ClaimDueTimers(ctx, now, e.cfg.TimerLease, e.cfg.ClaimBatch)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	for _, t := range timers {
		select {
		case e.timers <- struct{}{}:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
		wg.Add(1)
		go func() {
			defer func() { <-e.timers; wg.Done() }()
			e.fireTimer(ctx, t)
		}()
	}
	if wait {
		wg.Wait()
	}
	n := len(timers)
	repaired, err := e.repairChildren(ctx)
	if err != nil {
		return n, err
	}
	n = max(n, repaired)
	expired, err := e.expireRedrives(ctx)
	if err != nil {
		return n, err
	}
	n = max(n, expired)
	if e.cfg.Dispatcher != nil {
		tasks, err := e.store.ClaimUndispatched(ctx, now, e.cfg.DispatchTimeout, e.cfg.ClaimBatch)
		if err != nil {
			return n, err
		}
		e.dispatch(ctx, tasks)
		n = max(n, len(tasks))
	}
	return n, nil
}
