package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/stepwise-dev/stepwise/statelang"
)

// Redrive (RedriveExecution, as AWS defines it).
//
// An execution that ends FAILED, TIMED_OUT or ABORTED keeps, in its
// terminal commit, the frames it would go on from: the frame of every
// state that was entered and not left (the failed state, and every state
// a stop or timeout interrupted), each with the input it was entered
// with and its variables, and each Parallel or Map state among them with
// the inputs and results of its branches or iterations. The decider
// collects them as the failure unwinds (decider.bury, keepKids) and
// forgets those below a state that retries or catches (forget). They are
// written whole in the execution row's state (State.Frames), so an ended
// execution has no state parts; the maintenance loop drops them once the
// 14-day redrive window has passed (Store.ExpireRedrives).
//
// RedriveExecution is an event of the execution (evRedrive) decided
// and committed like any other, in one Mutation: ExecutionRedriven, then
// every kept leaf frame enters its state again (its retry counters start
// over), and every kept Parallel or Map waits for its kept branches and
// iterations and launches again those that ended without a result
// (Kids.Lost, Kids.Redo); the others keep their results.
//
// A distributed Map that failed or was stopped while its children ran
// keeps its Map Run (mapruns.go, as AWS redrives a Map Run): the run is
// RUNNING again under the same ARN, its redrive count and date are set
// (DescribeMapRun's redriveCount and redriveDate) and MapRunRedriven is
// recorded; the iterations whose child succeeded keep their results, those
// whose child failed, timed out or was aborted run again, each redriving
// its child (same ARN, the child's own redriveCount counts it), and the
// items never started are started. A distributed Map that failed before
// its children ran (its ItemReader) or after (its ResultWriter) is entered
// again whole: a new Map Run.

// RedriveWindow is how long after its stop date an execution may be
// redriven (AWS: 14 days).
const RedriveWindow = 14 * 24 * time.Hour

// Redrive tokens: AWS answers the last 10 client tokens that redrove an
// execution, for 15 minutes after their first use, with that redrive.
const (
	redriveTokens   = 10
	redriveTokenTTL = 15 * time.Minute
)

// Redrive statuses, as on AWS (DescribeExecution's redriveStatus).
const (
	RedriveRedrivable      = "REDRIVABLE"
	RedriveNotRedrivable   = "NOT_REDRIVABLE"
	RedriveRedrivableByRun = "REDRIVABLE_BY_MAP_RUN"
)

// Reasons an execution is not redrivable, in AWS's words
// (redriveStatusReason).
const (
	reasonRunning   = "Execution is RUNNING and cannot be redriven"
	reasonSucceeded = "Execution is SUCCEEDED and cannot be redriven"
	reasonTooOld    = "Execution was started before the launch of RedriveExecution"
	reasonEvents    = "Execution history event limit exceeded"
	reasonExpired   = "Execution redrivable period exceeded"
	reasonMaxTime   = "Execution has exceeded the max execution time"
	reasonDeleting  = "State machine is in DELETING status"
	reasonByRun     = "Execution is part of a Map Run and can only be redriven by redriving its parent execution"
)

// ErrExecutionNotRedrivable: RedriveExecution on an execution that
// cannot be redriven; the error is a *NotRedrivableError with the reason.
var ErrExecutionNotRedrivable = errors.New("execution is not redrivable")

// NotRedrivableError says why an execution cannot be redriven.
type NotRedrivableError struct {
	ARN    string
	Reason string // AWS's redriveStatusReason
}

func (e *NotRedrivableError) Error() string {
	return fmt.Sprintf("execution %s cannot be redriven: %s", e.ARN, e.Reason)
}

// Unwrap makes the error match ErrExecutionNotRedrivable.
func (e *NotRedrivableError) Unwrap() error { return ErrExecutionNotRedrivable }

// Redrive is an execution's redrives, kept in its State.
type Redrive struct {
	Count int64     `json:"count"`
	Time  time.Time `json:"time"`
	// Tokens are the client tokens of the last redrives, oldest first.
	Tokens []RedriveToken `json:"tokens,omitempty"`
}

// RedriveToken is a client token and the redrive it made.
type RedriveToken struct {
	Token string    `json:"token"`
	At    time.Time `json:"at"`
}

func (r *Redrive) count() int64 {
	if r == nil {
		return 0
	}
	return r.Count
}

func (r *Redrive) date() time.Time {
	if r == nil {
		return time.Time{}
	}
	return r.Time
}

// RedriveRow is what a Mutation writes to an execution's redrive columns.
type RedriveRow struct {
	Count int64
	Date  time.Time // zero: never redriven
	// Until is when the frames kept for a redrive expire (zero: none are
	// kept).
	Until time.Time
	// ParentToken, when set, is the execution's new parent token
	// (Execution.ParentToken): a distributed Map's child redriven for its
	// iteration's new task (mapruns.go).
	ParentToken string
}

// RedriveStore drops what ended executions keep for a redrive.
type RedriveStore interface {
	// ExpireRedrives drops the kept frames (State.Frames) of up to limit
	// ended executions whose redrive window ended before now, and clears
	// their RedriveUntil; it returns how many it changed.
	ExpireRedrives(ctx context.Context, now time.Time, limit int) (int, error)
}

// bury keeps a frame this decision ends without success, as it is, for
// a redrive should the execution end unsuccessfully.
func (d *decider) bury(f *frame) {
	if d.lost == nil {
		d.lost = map[int64]*frame{}
	}
	d.lost[f.ID] = f
}

// keepKids keeps the kids of a Parallel or Map state that fails, which
// the state's frame drops.
func (d *decider) keepKids(p *frame, k *frameKids) {
	if d.lostKids == nil {
		d.lostKids = map[int64]*frameKids{}
	}
	d.lostKids[p.ID] = k
}

// forget drops what was kept below frame id: its state retries, catches
// or succeeds, so nothing below it is redriven.
func (d *decider) forget(id int64) {
	delete(d.lostKids, id)
	if len(d.lost) == 0 {
		return
	}
	var drop []int64
	for fid, f := range d.lost {
		for p := f.Parent; ; {
			if p == id {
				drop = append(drop, fid)
				break
			}
			g := d.lost[p]
			if g == nil || p < 0 {
				break
			}
			p = g.Parent
		}
	}
	for _, fid := range drop {
		delete(d.lost, fid)
	}
}

// keep is the frames an unsuccessful end keeps for a redrive: the
// frames still running (a stop, a timeout) and those this decision ended
// without success, from the top level down, ready to be entered again.
func (d *decider) keep(running map[int64]*frame) map[int64]*frame {
	all := maps.Clone(running)
	if all == nil {
		all = map[int64]*frame{}
	}
	for id, f := range d.lost {
		if all[id] == nil {
			all[id] = f
		}
	}
	for id, k := range d.lostKids {
		if f := all[id]; f != nil && f.Kids == nil {
			f.Kids = k
		}
	}
	kept := map[int64]*frame{}
	var in func(f *frame) bool
	in = func(f *frame) bool {
		if f.Parent < 0 {
			return true
		}
		p := all[f.Parent]
		return p != nil && p.Kids != nil && !p.Kids.Distributed && in(p)
	}
	for id, f := range all {
		if in(f) {
			kept[id] = f
		}
	}
	if len(kept) == 0 {
		return nil
	}
	kids := map[int64][]*frame{}
	for _, id := range slices.Sorted(maps.Keys(kept)) {
		f := kept[id]
		if f.Parent >= 0 {
			kids[f.Parent] = append(kids[f.Parent], f)
		}
	}
	for _, f := range kept {
		f.Wait, f.Token, f.TaskRef, f.Resource, f.Started, f.TimerKey = waitNone, "", "", statelang.Resource{}, false, ""
		f.PendingNext, f.PendingEnd, f.PendingOutput, f.PendingAssign = "", false, nil, nil
		f.Attempts, f.Retries = nil, 0
		k := f.Kids
		if k != nil && k.Distributed && (k.Run == "" || k.Inputs.Len() == 0) {
			f.Kids, k = nil, nil // reading its items or writing its results: entered again whole, a new Map Run
		}
		if k == nil {
			f.Fresh = true
			continue
		}
		f.Fresh, f.Wait = false, waitKids
		again := map[int]bool{}
		k.Running = k.Running[:0]
		for _, c := range kids[f.ID] {
			k.Running = append(k.Running, c.ID)
			again[int(c.Index)] = true
		}
		redo := map[int]bool{}
		for _, i := range k.Redo { // a redrive's kids that had not run again when the state failed
			redo[i] = true
		}
		for _, i := range k.Lost {
			if !again[i] && i < k.Next {
				redo[i] = true
			}
		}
		if k.Distributed { // its iterations are not kept: those stopped with it run again too
			for _, c := range all {
				if c.Parent == f.ID && int(c.Index) < k.Next {
					redo[int(c.Index)] = true
				}
			}
		}
		k.Redo = append(k.Redo[:0], slices.Sorted(maps.Keys(redo))...)
		for _, i := range k.Redo {
			if i < len(k.Results) {
				k.Results[i] = jsonValue{}
			}
		}
		k.Lost, k.Abort, k.First, k.Failed = nil, nil, nil, 0
	}
	return kept
}

// redrive applies RedriveExecution: an unsuccessful execution that kept
// its frames goes on from them. A client token of one of the last
// redrives answers with that redrive and changes nothing.
func (d *decider) redrive(ev event) {
	r := d.st.Redrive
	if ev.ClientToken != "" && r != nil {
		for _, t := range r.Tokens {
			if t.Token == ev.ClientToken && d.now.Sub(t.At) < redriveTokenTTL {
				d.out.Redriven = t.At
				return
			}
		}
	}
	switch {
	case d.st.Status == StatusRunning:
		d.out.NotRedrivable = reasonRunning
		return
	case d.st.Status == StatusSucceeded:
		d.out.NotRedrivable = reasonSucceeded
		return
	case d.st.Status == "" || len(d.st.Frames) == 0:
		d.out.NotRedrivable = reasonTooOld // ended before this build kept frames, or expired
		return
	case d.st.LastEventID+1 >= d.lim.MaxEvents:
		d.out.NotRedrivable = reasonEvents
		return
	}
	if r == nil {
		r = &Redrive{}
		d.st.Redrive = r
	}
	r.Count++
	r.Time = d.now
	if ev.ClientToken != "" {
		r.Tokens = append(r.Tokens, RedriveToken{Token: ev.ClientToken, At: d.now})
		if n := len(r.Tokens); n > redriveTokens {
			r.Tokens = append(r.Tokens[:0], r.Tokens[n-redriveTokens:]...)
		}
	}
	d.out.Redriven, d.out.ParentToken = d.now, ev.ParentToken
	d.st.Status, d.st.Cont, d.st.Deadline = StatusRunning, "", time.Time{}
	d.emit(nil, statelang.EventTypeExecutionRedriven, map[string]any{"redriveCount": r.Count})
	if d.top.TimeoutSeconds > 0 { // the machine's timeout counts again from the redrive
		d.st.Deadline = d.now.Add(time.Duration(d.top.TimeoutSeconds) * time.Second)
		d.timer(timerExecutionTimeout, d.st.Deadline)
	}
	var leaves []*frame
	for _, id := range slices.Sorted(maps.Keys(d.st.Frames)) {
		f := d.st.Frames[id]
		d.st.mark(id, dirtyKids)
		if f.Kids != nil {
			if f.Kids.Distributed {
				d.redriveMapRun(f, f.Kids)
			}
			d.dirty = append(d.dirty, id)
		} else {
			leaves = append(leaves, f)
		}
	}
	for _, f := range leaves {
		d.run(f)
		d.drain()
	}
	d.drain()
}

// endState is the execution row's state of an execution that ended: its
// counters, and the frames it keeps for a redrive, written whole.
func endState(st *execState) []byte {
	clear(st.dirty)
	if len(st.Frames) == 0 {
		return encodeHead(st)
	}
	st.inParts, st.shadow = false, nil
	return mustJSON(st)
}

// redriveRow is what mutation m of a decision that ended (end) or redrove
// (redrove, for a new parentToken if set) the execution writes to its
// redrive columns; nil: nothing.
func redriveRow(st *execState, end *decision, redrove bool, parentToken string, now time.Time) *RedriveRow {
	var r *RedriveRow
	switch {
	case end != nil && len(st.Frames) > 0:
		r = &RedriveRow{Count: st.Redrive.count(), Date: st.Redrive.date(), Until: now.Add(RedriveWindow)}
	case redrove:
		r = &RedriveRow{Count: st.Redrive.count(), Date: st.Redrive.date()}
	default:
		return nil
	}
	r.ParentToken = parentToken
	return r
}

// RedriveStatus says whether execution x can be redriven now, and if not
// why, in AWS's words.
func (e *Engine) RedriveStatus(x *Execution) (status, reason string) {
	now := e.cfg.Now()
	switch x.Status {
	case StatusRunning:
		return RedriveNotRedrivable, reasonRunning
	case StatusSucceeded:
		return RedriveNotRedrivable, reasonSucceeded
	}
	if IsExpressARN(x.ARN) {
		// An EXPRESS child of a distributed Map: its Map Run's redrive
		// starts its item again (a new express execution), as AWS does.
		if now.After(x.StopDate.Add(RedriveWindow)) {
			return RedriveNotRedrivable, reasonExpired
		}
		return RedriveRedrivableByRun, ""
	}
	if reason := e.redriveBlocked(x, now); reason != "" {
		return RedriveNotRedrivable, reason // a distributed Map's child too: its parent's redrive leaves it as it ended
	}
	if isMapChild(x) {
		return RedriveRedrivableByRun, "" // a distributed Map's child: its parent's redrive redrives it
	}
	return RedriveRedrivable, ""
}

// redriveBlocked says why ended execution x cannot be redriven now ("":
// it can).
func (e *Engine) redriveBlocked(x *Execution, now time.Time) string {
	switch {
	case !x.StopDate.IsZero() && now.After(x.StopDate.Add(RedriveWindow)):
		return reasonExpired
	case now.After(x.StartDate.Add(MaxExecutionTime)):
		return reasonMaxTime
	case x.RedriveUntil.IsZero():
		return reasonTooOld
	case x.LastEventID+1 >= e.cfg.MaxHistoryEvents:
		return reasonEvents
	}
	return ""
}

// RedriveExecution redrives an unsuccessful execution (see the top of
// this file) and returns the redrive's date. A clientToken of one of the
// execution's last 10 redrives, within 15 minutes, returns that redrive's
// date and changes nothing. ErrNotFound when there is no such execution;
// a *NotRedrivableError when it cannot be redriven.
func (e *Engine) RedriveExecution(ctx context.Context, arn, clientToken string) (time.Time, error) {
	x, err := e.store.GetExecutionByARN(ctx, arn)
	if err != nil {
		return time.Time{}, err
	}
	status, reason, err := e.ExecutionRedriveStatus(ctx, x)
	if err != nil {
		return time.Time{}, err
	}
	switch {
	case status == RedriveRedrivableByRun:
		return time.Time{}, &NotRedrivableError{ARN: arn, Reason: reasonByRun}
	case isMapChild(x) && status != RedriveRedrivable: // only its run's redrive could, and cannot either
		return time.Time{}, &NotRedrivableError{ARN: arn, Reason: reason}
	case reason == reasonExpired || reason == reasonMaxTime || reason == reasonDeleting,
		status != RedriveRedrivable && clientToken == "":
		return time.Time{}, &NotRedrivableError{ARN: arn, Reason: reason}
	}
	// Not redrivable but with a client token: the decider answers a
	// token of a recent redrive, or says why not.
	dec, err := e.apply(ctx, x.ID, event{Kind: evRedrive, ClientToken: clientToken})
	if err != nil {
		return time.Time{}, err
	}
	if dec.Redriven.IsZero() {
		return time.Time{}, &NotRedrivableError{ARN: arn, Reason: dec.NotRedrivable}
	}
	return dec.Redriven, nil
}

// expireRedrives is the maintenance loop's sweep of the frames kept for
// redrives whose window has passed.
func (e *Engine) expireRedrives(ctx context.Context) (int, error) {
	return e.store.ExpireRedrives(ctx, e.cfg.Now(), e.cfg.ClaimBatch)
}

// isRedrive: o is a RedriveExecution, which applies to an ended
// execution.
func isRedrive(o *op) bool { return o.kind == opEvent && o.ev.Kind == evRedrive }
