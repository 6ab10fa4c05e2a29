package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/stepwise-dev/stepwise/statelang"
)

// Group commit.
//
// Every change to an existing execution (a task's result, a callback, a
// timer, a stop) and every piece of task bookkeeping (a heartbeat, a
// delivery, a dispatch confirmation) is an op handed to the engine's
// committer. The committer writes the ops of many executions in one store
// transaction (Store.CommitGroup): it locks and loads every execution
// concerned in one query, decides each one's ops in arrival order on one
// decoded state, and writes one merged mutation per execution.
//
// Groups form by themselves, the way Postgres' own group commit does: a
// lone op is committed at once; ops that arrive while commits are in
// flight wait and go together into the next one. At most
// Config.GroupCommitters groups are in flight at once, and an execution is
// in at most one of them, so in this process ops of one execution never
// race; other processes wait on the row locks.
//
// Dispatch confirmations are held back: most tasks are answered within a
// few milliseconds, and the commit that closes a task makes its
// confirmation moot. A confirmation is written only if its task is still
// open Config.ConfirmDelay after it arrived (well before DispatchTimeout,
// after which an unconfirmed task is dispatched again), so a short task's
// row is written twice (insert, close), not three times.

type opKind uint8

const (
	opEvent     opKind = iota // apply ev to execution id
	opResult                  // a worker's result (res) for a task of execution id
	opStarted                 // a worker took task token
	opHeartbeat               // a worker heartbeat on task token
	opConfirm                 // the transport stored task token
	opStart                   // start a new execution (start)
	opEnded                   // write the row of an ended express child (ended)
)

// startReq is what an opStart inserts and decides.
type startReq struct {
	x       *Execution // the new row, without its ID
	m       *statelang.Machine
	roleARN string
	input   any
}

// errNameTaken: an opStart's name is taken; op.got is the execution that
// holds it.
var errNameTaken = errors.New("execution name taken")

type op struct {
	kind  opKind
	id    int64
	ev    event
	res   *WorkerResult
	token string
	at    time.Time     // opConfirm: the task's new dispatch deadline
	done  chan struct{} // closed when the op's group committed or failed; nil: nobody waits

	start *startReq  // opStart
	ended *Execution // opEnded

	// Results.
	got       *Execution // opStart: the new execution, or the one holding its name
	dec       *decision
	err       error
	delivered bool // opResult: the result only marked a callback task started
}

// needsExecution: the op is decided against its execution's state.
func (o *op) needsExecution() bool { return o.kind == opEvent || o.kind == opResult }

type committer struct {
	e *Engine

	mu      sync.Mutex
	ops     []*op          // waiting, in arrival order
	busy    map[int64]bool // executions in a group in flight
	running int            // groups in flight (goroutines in loop)

	// Held dispatch confirmations: confirms holds the tokens of tasks not
	// closed since, confirmQ every held token in arrival order (tokens
	// dropped from confirms are skipped when they come out), confirmAt the
	// timer that writes the due ones.
	confirms  map[string]time.Time
	confirmQ  []heldConfirm
	confirmAt *time.Timer
}

type heldConfirm struct {
	token string
	at    time.Time // when the transport stored the task, on the engine's clock
	held  time.Time // when the confirmation arrived, on the wall clock (the hold is real time)
	until time.Time // the task's dispatch deadline it writes
}

// do hands o to the committer and waits for its group.
func (c *committer) do(ctx context.Context, o *op) error {
	o.done = make(chan struct{})
	c.add(o)
	select {
	case <-o.done:
		return o.err
	case <-ctx.Done():
		return ctx.Err() // the op may still commit: its effects are recovered from the store
	}
}

func (c *committer) add(o *op) {
	c.mu.Lock()
	c.ops = append(c.ops, o)
	c.startLocked()
	c.mu.Unlock()
}

// startLocked starts a committer goroutine when one may run and has work.
func (c *committer) startLocked() {
	if c.running >= c.e.cfg.GroupCommitters {
		return
	}
	runnable := false
	for _, o := range c.ops {
		if !(o.needsExecution() && c.busy[o.id]) {
			runnable = true
			break
		}
	}
	if !runnable {
		return
	}
	c.running++
	go c.loop()
}

// confirm holds the dispatch confirmation of task token (see the top of
// this file).
func (c *committer) confirm(token string) { c.confirmUntil(token, time.Time{}) }

// confirmUntil holds the confirmation of task token that moves its
// dispatch deadline to until (zero: ConfirmedDispatchHold from now).
func (c *committer) confirmUntil(token string, until time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.confirms == nil {
		c.confirms = map[string]time.Time{}
	}
	// A confirmation of a task published again replaces the earlier one:
	// the deadline it writes counts from when the transport stored the
	// task, which the recovery of a lost NATS store compares with the time
	// the store was recreated.
	now := c.e.cfg.Now()
	if until.IsZero() {
		until = now.Add(ConfirmedDispatchHold)
	}
	c.confirms[token] = now
	c.confirmQ = append(c.confirmQ, heldConfirm{token, now, time.Now(), until})
	c.armConfirmsLocked()
}

// armConfirmsLocked sets the timer for the oldest held confirmation.
func (c *committer) armConfirmsLocked() {
	if c.confirmAt != nil || len(c.confirmQ) == 0 {
		return
	}
	// A little later than due, so that one pass writes a batch.
	wait := time.Until(c.confirmQ[0].held.Add(c.e.cfg.ConfirmDelay)) + c.e.cfg.ConfirmDelay/16
	c.confirmAt = time.AfterFunc(max(wait, 0), c.writeDueConfirms)
}

// writeDueConfirms turns the confirmations held for ConfirmDelay whose
// tasks are still open into ops.
func (c *committer) writeDueConfirms() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.confirmAt = nil
	due := time.Now().Add(-c.e.cfg.ConfirmDelay)
	n := 0
	for _, h := range c.confirmQ {
		if h.held.After(due) {
			break
		}
		n++
		if at, ok := c.confirms[h.token]; ok && at.Equal(h.at) {
			delete(c.confirms, h.token)
			c.ops = append(c.ops, &op{kind: opConfirm, token: h.token, at: h.until})
		}
	}
	c.confirmQ = append(c.confirmQ[:0], c.confirmQ[n:]...)
	c.armConfirmsLocked()
	c.startLocked()
}

// flushConfirms writes every held confirmation now and waits for them
// (at most until ctx ends): the engine is stopping, and tasks whose
// confirmation is lost are dispatched again by the next engine.
func (c *committer) flushConfirms(ctx context.Context) {
	c.mu.Lock()
	var ops []*op
	for _, h := range c.confirmQ {
		if at, ok := c.confirms[h.token]; ok && at.Equal(h.at) {
			ops = append(ops, &op{kind: opConfirm, token: h.token, at: h.until, done: make(chan struct{})})
		}
	}
	clear(c.confirms)
	c.confirmQ = c.confirmQ[:0]
	if c.confirmAt != nil {
		c.confirmAt.Stop()
		c.confirmAt = nil
	}
	c.ops = append(c.ops, ops...)
	c.startLocked()
	c.mu.Unlock()
	for _, o := range ops {
		select {
		case <-o.done:
		case <-ctx.Done():
			return
		}
	}
}

// dropConfirms forgets the held confirmations of tasks a commit closed.
func (c *committer) dropConfirms(closed map[string]bool) {
	if len(closed) == 0 {
		return
	}
	c.mu.Lock()
	for tok := range closed {
		delete(c.confirms, tok)
	}
	c.mu.Unlock()
}

// takeLocked takes the next group: every waiting op whose execution is
// not in flight, in arrival order, so that an execution's ops stay in
// order and all go in one group (a group may pass MaxGroup to keep an
// execution's ops together).
func (c *committer) takeLocked() []*op {
	var group, rest []*op
	taken := map[int64]bool{}    // executions with ops in this group
	deferred := map[int64]bool{} // executions with ops left for a later group
	for _, o := range c.ops {
		switch {
		case o.needsExecution() && (c.busy[o.id] || deferred[o.id]):
			rest = append(rest, o)
		case len(group) >= c.e.cfg.MaxGroup && !(o.needsExecution() && taken[o.id]):
			rest = append(rest, o)
			if o.needsExecution() {
				deferred[o.id] = true
			}
		default:
			group = append(group, o)
			if o.needsExecution() {
				taken[o.id] = true
			}
		}
	}
	for id := range taken {
		c.busy[id] = true
	}
	c.ops = rest
	return group
}

func (c *committer) loop() {
	for {
		c.mu.Lock()
		group := c.takeLocked()
		if len(group) == 0 {
			c.running--
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()

		c.commit(group)

		c.mu.Lock()
		for _, o := range group {
			if o.needsExecution() {
				delete(c.busy, o.id)
			}
		}
		c.mu.Unlock()
		for _, o := range group {
			if o.done != nil {
				close(o.done)
			}
		}
	}
}

// groupTimeout bounds one group commit's store work.
const groupTimeout = time.Minute

// commit decides and writes one group. A conflict (a writer that does not
// lock got there first) decides the whole group again.
func (c *committer) commit(group []*op) {
	e := c.e
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	var ids []int64
	byExec := map[int64][]*op{}
	var starts []*op              // one per name
	follows := map[*op]*op{}      // a start of a name another start of the group takes
	leader := map[[2]string]*op{} // (state machine, name) → its start
	for _, o := range group {
		switch {
		case o.needsExecution():
			if byExec[o.id] == nil {
				ids = append(ids, o.id)
			}
			byExec[o.id] = append(byExec[o.id], o)
		case o.kind == opStart:
			k := [2]string{o.start.x.StateMachine, o.start.x.Name}
			if l := leader[k]; l != nil {
				follows[o] = l
				continue
			}
			leader[k] = o
			starts = append(starts, o)
		}
	}
	var keep []cachedState
	var closed map[string]bool // tasks the group closes
	for attempt := 0; ; attempt++ {
		keep = keep[:0]
		now := e.cfg.Now()
		w := &GroupWrite{Now: now}
		var children []*Execution // child executions this group ends
		var logged []loggedEvents // events to log once committed (logs.go)
		grp := &Group{IDs: ids, Cached: e.states.versions(ids)}
		for _, o := range starts {
			x := *o.start.x
			grp.Starts = append(grp.Starts, &x)
		}
		res, err := e.store.CommitGroup(ctx, grp, func(xs map[int64]*Execution) (*GroupWrite, error) {
			w.Mutations = w.Mutations[:0]
			children, logged = children[:0], logged[:0]
			for i, o := range starts {
				m, err := e.decideStart(o, grp.Starts[i], grp.Taken[i], now, func(c cachedState) { keep = append(keep, c) })
				if err != nil {
					return nil, err
				}
				if m != nil {
					w.Mutations = append(w.Mutations, m)
					logged = e.toLog(logged, grp.Starts[i], m)
				}
			}
			for _, o := range group {
				if o.kind == opStart {
					continue // decided above
				}
				o.dec, o.err, o.delivered = nil, nil, false
				switch o.kind {
				case opConfirm:
					w.Confirmed = append(w.Confirmed, Confirmation{o.token, o.at})
				case opStarted:
					w.Started = append(w.Started, o.token)
				case opHeartbeat:
					w.Heartbeats = append(w.Heartbeats, o.token)
				case opEnded:
					w.Ended = append(w.Ended, o.ended)
				}
			}
			closed = map[string]bool{}
			for _, id := range ids {
				if m := e.decideOps(ctx, xs[id], grp.Cached, byExec[id], now, w, func(c cachedState) { keep = append(keep, c) }); m != nil {
					w.Mutations = append(w.Mutations, m)
					logged = e.toLog(logged, xs[id], m)
					if x := xs[id]; m.Terminal && x.ParentToken != "" {
						children = append(children, endedChild(x, m))
					}
					for _, u := range m.CloseTasks {
						closed[u.Token] = true
					}
				}
			}
			// A task this group closes needs no confirmation.
			w.Confirmed = slices.DeleteFunc(w.Confirmed, func(c Confirmation) bool { return closed[c.Token] })
			return w, nil
		})
		if errors.Is(err, ErrConflict) && attempt < 10 {
			continue
		}
		for o, l := range follows {
			o.got, o.err = l.got, errNameTaken
			if l.err != nil && !errors.Is(l.err, errNameTaken) {
				o.err = l.err
			}
		}
		for _, o := range group {
			switch {
			case err != nil:
				o.dec, o.got, o.err = nil, nil, err
			case o.kind == opStarted || o.kind == opHeartbeat || o.delivered:
				tok := o.token
				if o.delivered {
					tok = o.res.Token
				}
				if !res.Open[tok] {
					o.err = ErrNotFound
				}
			}
		}
		if err != nil && ctx.Err() == nil {
			e.cfg.Logger.Warn("group commit failed", "ops", len(group), "error", err)
		}
		if err == nil {
			e.logCommitted(ctx, logged)
			c.dropConfirms(closed)
			for _, k := range keep {
				e.states.put(k)
			}
			for _, c := range children {
				// Not on this goroutine: answering the parent is another group.
				go e.notifyParent(context.WithoutCancel(ctx), c)
			}
			for _, m := range w.Mutations {
				for _, t := range m.NewTimers {
					if !t.FireAt.After(now) {
						// Due already (a continuation of a decision's work
						// budget): fired now, not at the next poll. A poll
						// that claims it meanwhile fires it too, and the
						// decider ignores the second as stale.
						go e.fireTimer(context.WithoutCancel(ctx), t)
					}
				}
			}
		}
		return
	}
}

// decideOps decides one execution's ops of a group, in order, on one
// decoded state, and returns their merged mutation (nil: nothing changed).
// Each op gets its Decision or error.
//
// The decoded state comes from e.states when it holds the row's version;
// keep receives the state to cache once the group commits.
func (e *Engine) decideOps(ctx context.Context, x *Execution, cached map[int64]int64, ops []*op, now time.Time, w *GroupWrite, keep func(cachedState)) *Mutation {
	fail := func(err error) *Mutation {
		for _, o := range ops {
			o.dec, o.err = nil, err
		}
		return nil
	}
	if x == nil {
		return fail(ErrNotFound)
	}
	if x.Status != StatusRunning && !slices.ContainsFunc(ops, isRedrive) {
		return fail(ErrExecutionNotRunning)
	}
	m, sm, err := e.machine(ctx, x.StateMachine, x.StateMachineVersion)
	if err != nil {
		return fail(err)
	}
	st, input := e.states.take(x.ID, x.Version)
	if v, ok := cached[x.ID]; st == nil && ok && v == x.Version {
		// The store did not load the parts of a state said to be cached.
		return fail(fmt.Errorf("execution %d: state of version %d left the cache", x.ID, v))
	}
	if st == nil {
		if st, err = decodeState(x.State, x.Parts); err != nil {
			return fail(err)
		}
		if input, err = statelang.ParseJSON([]byte(x.Input)); err != nil {
			return fail(fmt.Errorf("stored input of execution %d: %w", x.ID, err))
		}
	}
	ex := e.exec(x, input, sm.RoleARN)
	acc := newMerge(x)
	for _, o := range ops {
		if st.Status != StatusRunning && !isRedrive(o) {
			o.err = ErrExecutionNotRunning
			continue
		}
		ev := o.ev
		if o.kind == opResult {
			f := openTask(st, o.res.Token)
			if f == nil {
				o.err = ErrTaskClosed
				continue
			}
			if !o.res.Failed && f.Resource.WaitsForCallback() {
				// Delivered: the callback is the task's result.
				o.delivered = true
				w.Started = append(w.Started, o.res.Token)
				continue
			}
			if ev, err = workerEvent(o.res); err != nil {
				o.err = err
				continue
			}
		}
		d, err := decideEvent(m, ex, st, ev, now, &e.env, e.limits())
		if err != nil {
			return fail(err) // the state may be half changed: write none of it
		}
		if ev.Kind == evTimer {
			d.DeleteTimers = append(d.DeleteTimers, ev.TimerKey)
		}
		o.dec = d
		acc.add(d, now.Add(e.cfg.DispatchTimeout))
	}
	if !acc.changed {
		keep(cachedState{id: x.ID, version: x.Version, st: st, input: input})
		return nil
	}
	keep(cachedState{id: x.ID, version: x.Version + 1, st: st, input: input})
	return acc.mutation(st, now)
}

// decideStart decides the first event of a new execution x (inserted
// with its ID), or reports the execution that holds its name (taken).
func (e *Engine) decideStart(o *op, x, taken *Execution, now time.Time, keep func(cachedState)) (*Mutation, error) {
	o.dec, o.got, o.err = nil, nil, nil
	if taken != nil {
		o.got, o.err = taken, errNameTaken
		return nil, nil
	}
	now = x.StartDate // the start's events carry the execution's start date
	st := &execState{}
	d, err := decideEvent(o.start.m, e.exec(x, o.start.input, o.start.roleARN), st, event{Kind: evStart}, now, &e.env, e.limits())
	if err != nil {
		return nil, err // the row is inserted: write none of the group
	}
	g := newMerge(x)
	g.add(d, now.Add(e.cfg.DispatchTimeout))
	m := g.mutation(st, now)
	got := *x
	got.Version, got.Status, got.LastEventID, got.State = 1, m.Status, m.LastEventID, m.State
	got.Output, got.Error, got.Cause, got.StopDate = m.Output, m.Error, m.Cause, m.StopDate
	o.got, o.dec = &got, d
	keep(cachedState{id: x.ID, version: 1, st: st, input: o.start.input})
	return m, nil
}

// openTask is the frame waiting on task token, or nil.
func openTask(st *execState, token string) *frame {
	if st.tasks == nil {
		st.tasks = map[string]int64{}
		for _, f := range st.Frames {
			if f.Wait == waitTask {
				st.tasks[f.Token] = f.ID
			}
		}
	}
	id, ok := st.tasks[token]
	if !ok {
		return nil
	}
	if f := st.Frames[id]; f != nil && f.Token == token && f.Wait == waitTask {
		return f
	}
	delete(st.tasks, token)
	return nil
}

// workerEvent is the event a worker's result makes.
func workerEvent(r *WorkerResult) (event, error) {
	if r.Failed {
		ev := event{Kind: evTaskFailed, Token: r.Token, Error: r.Error, Cause: r.Cause}
		if r.Error == statelang.ErrDataLimitExceeded {
			ev.Cause = "" // the decider words it as AWS does, naming the resource
		}
		return ev, nil
	}
	return successEvent(r.Token, r.Output)
}

// successEvent is the event of a task's success with output (JSON text).
// An output above 256 KiB fails the task with States.DataLimitExceeded, as
// on AWS.
func successEvent(token, output string) (event, error) {
	if len(output) > statelang.MaxPayloadBytes {
		return event{Kind: evTaskFailed, Token: token, Error: statelang.ErrDataLimitExceeded}, nil
	}
	v, err := statelang.ParseJSON([]byte(output))
	if err != nil {
		return event{}, fmt.Errorf("%w: output is not valid JSON: %v", ErrInvalidInput, err)
	}
	return event{Kind: evTaskSucceeded, Token: token, Output: v, OutputSize: len(output)}, nil
}

// merge folds the decisions of one execution's ops into one mutation.
type merge struct {
	m       *Mutation
	timers  []string              // timer keys in first-touch order
	at      map[string]*time.Time // key → new fire time; nil: deleted
	end     *decision             // the decision that ended the execution
	changed bool
	redrove bool // a decision redrove the execution
	// parentToken is the execution's new parent token (Decision.ParentToken).
	parentToken string
}

func newMerge(x *Execution) *merge {
	return &merge{m: &Mutation{ExecutionID: x.ID, Version: x.Version}, at: map[string]*time.Time{}}
}

func (g *merge) touch(key string, at *time.Time) {
	if _, ok := g.at[key]; !ok {
		g.timers = append(g.timers, key)
	}
	g.at[key] = at
}

// add merges d. Within one decision timers are deleted before new ones
// are set (a timer may be replaced under its key).
func (g *merge) add(d *decision, dispatchAfter time.Time) {
	g.changed = g.changed || d.Changed || len(d.DeleteTimers) > 0
	g.m.Events = append(g.m.Events, d.Events...)
	for i := range d.NewTasks {
		d.NewTasks[i].DispatchAfter = dispatchAfter
	}
	g.m.NewTasks = append(g.m.NewTasks, d.NewTasks...)
	g.m.CloseTasks = append(g.m.CloseTasks, d.CloseTasks...)
	g.m.MapRuns = mergeMapRuns(g.m.MapRuns, d.MapRuns)
	for _, k := range d.DeleteTimers {
		g.touch(k, nil)
	}
	for _, t := range d.NewTimers {
		at := t.FireAt
		g.touch(t.Key, &at)
	}
	if !d.Redriven.IsZero() && d.Changed {
		g.redrove, g.end = true, nil // ended before, running again
		if d.ParentToken != "" {
			g.parentToken = d.ParentToken
		}
	}
	if d.Terminal {
		g.end = d
	}
}

// mergeMapRuns adds rows to rs; a row replaces the earlier one of its
// Map Run but keeps its start date (as the store does).
func mergeMapRuns(rs, rows []MapRun) []MapRun {
next:
	for _, r := range rows {
		for i := range rs {
			if rs[i].ARN == r.ARN {
				r.StartDate = rs[i].StartDate
				rs[i] = r
				continue next
			}
		}
		rs = append(rs, r)
	}
	return rs
}

func (g *merge) mutation(st *execState, now time.Time) *Mutation {
	m := g.m
	m.Status, m.LastEventID = st.Status, st.LastEventID
	if g.end == nil {
		m.State, m.Parts, m.DropFrames, m.DropParts = st.write()
	} else { // the store drops every part; frames kept for a redrive are written whole
		m.State = endState(st)
	}
	m.Redrive = redriveRow(st, g.end, g.redrove, g.parentToken, now)
	for _, k := range g.timers {
		if at := g.at[k]; at != nil {
			m.NewTimers = append(m.NewTimers, Timer{ExecutionID: m.ExecutionID, Key: k, FireAt: *at})
		} else {
			m.DeleteTimers = append(m.DeleteTimers, k)
		}
	}
	if d := g.end; d != nil {
		m.Terminal, m.StopDate = true, now
		if d.Status == StatusSucceeded {
			m.Output = statelang.MarshalString(d.Output)
		}
		if d.Failure != nil {
			m.Error, m.Cause = d.Failure.Name, d.Failure.Cause
		}
	}
	return m
}

// stateCache keeps the decoded state of running executions by the row
// version it belongs to, so the next group that loads the same version
// skips decoding it. Only the committer uses an entry (it takes it out
// while deciding), and a version that moved on (another process
// committed) is a miss.
type stateCache struct {
	mu  sync.Mutex
	m   map[int64]cachedState
	max int
}

type cachedState struct {
	id, version int64
	st          *execState
	input       any // the execution's parsed input
}

// versions returns the cached versions of the executions ids.
func (c *stateCache) versions(ids []int64) map[int64]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	vs := map[int64]int64{}
	for _, id := range ids {
		if cs, ok := c.m[id]; ok {
			vs[id] = cs.version
		}
	}
	return vs
}

// take removes and returns the state of execution id at version, or nil.
func (c *stateCache) take(id, version int64) (*execState, any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cs, ok := c.m[id]
	if !ok {
		return nil, nil
	}
	delete(c.m, id)
	if cs.version != version {
		return nil, nil
	}
	return cs.st, cs.input
}

// put keeps a running execution's state; when full it drops arbitrary
// entries (map order).
func (c *stateCache) put(cs cachedState) {
	if cs.st == nil || cs.st.Status != StatusRunning || c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[int64]cachedState{}
	}
	for id := range c.m {
		if len(c.m) < c.max {
			break
		}
		delete(c.m, id)
	}
	c.m[cs.id] = cs
}
