package engine

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/stepwise-dev/stepwise/internal/arn"
	"github.com/stepwise-dev/stepwise/statelang"
)

// Child executions.
//
// An execution may run for a task of another execution: its row names
// the parent execution and the parent's task token (Execution.ParentID,
// ParentToken), it has its own history, and the parent waits on it as on
// any task. A Task state on arn:aws:states:::states:startExecution starts
// one: the engine itself is that task's worker.
//
//   - Dispatching the task starts the child, named by the task's Name or
//     by a name derived from the task token, so that starting it again
//     (the task re-dispatched after a crash) finds the same child instead
//     of making a second one.
//   - startExecution answers the task at once with the child's ARN and
//     start date; .waitForTaskToken leaves it to the callback; .sync and
//     .sync:2 answer it when the child ends, with the child's description
//     (Input and Output as JSON text for .sync, as JSON for .sync:2) or,
//     when the child did not succeed, with States.TaskFailed and the
//     description as the cause, as AWS does.
//   - A .sync task closed without a result (the parent stopped, failed or
//     timed out, or a sibling branch failed) stops its child, as AWS
//     aborts the children of a stopped parent. The stop follows the
//     commit that closed the task. An engine that stops in between leaves
//     the child running for a parent that no longer waits for it; the
//     maintenance loop finds such children (Store.StrandedChildren) and
//     stops them the same way.
//   - The answer is sent right after the group commit that ended the
//     child. An engine that stops in between leaves the child ended and
//     the parent's task open; the maintenance loop finds such children
//     (Store.EndedChildren) and answers again. Task results are idempotent
//     per token, so the parent sees each child's result exactly once.

// Parent names the task a child execution runs for.
type Parent struct {
	ExecutionID int64
	Token       string
}

// childMode is how a task resource uses a child execution.
type childMode struct {
	child    bool // the resource starts a child execution
	sync     bool // the task's result is the child's outcome
	v2       bool // .sync:2: Input and Output as JSON, not JSON text
	callback bool // .waitForTaskToken
}

func childModeOf(r statelang.Resource) childMode {
	if !r.Integrates("states", "startExecution") {
		return childMode{}
	}
	switch r.Pattern {
	case statelang.RequestResponse:
		return childMode{child: true}
	case statelang.Sync:
		return childMode{child: true, sync: true}
	case statelang.Sync2:
		return childMode{child: true, sync: true, v2: true}
	case statelang.Callback:
		return childMode{child: true, callback: true}
	}
	return childMode{}
}

// errNotRunning: an engine that does not Run (a client of the store, such
// as a test's, which may have no workers and may exit at any time) does
// not start an express child, which would run in its memory; the
// maintenance loop of an engine that runs does.
var errNotRunning = errors.New("the engine does not run: it starts no express child")

// childName is the name of the child started for a task without a Name:
// a UUID derived from the task token.
func childName(token string) string {
	h := sha256.Sum256([]byte("child:" + token))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// childStarts bounds how many child executions one dispatch starts at
// once.
const childStarts = 64

// startChildren starts the child executions of tasks (a distributed Map
// launches up to MaxConcurrency of them in one decision) concurrently, at
// most childStarts at once, so that their starts share group commits
// instead of waiting for one commit each; it returns when every start is
// done.
func (e *Engine) startChildren(ctx context.Context, tasks []childTask) {
	if len(tasks) <= 1 {
		for _, t := range tasks {
			e.startChild(ctx, t.Task, t.mode)
		}
		return
	}
	sem := make(chan struct{}, childStarts)
	var wg sync.WaitGroup
	for _, t := range tasks {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			e.startChild(ctx, t.Task, t.mode)
		})
	}
	wg.Wait()
}

// childTask is a task that starts a child execution, and how.
type childTask struct {
	Task
	mode childMode
}

// startChild starts the child execution of task t (the engine is that
// task's worker) and, unless the child answers later (mode), answers t.
func (e *Engine) startChild(ctx context.Context, t Task, mode childMode) {
	fail := func(name, cause string) {
		if err := e.SendTaskFailure(ctx, t.Token, name, cause); err != nil && !errors.Is(err, ErrTaskClosed) {
			e.cfg.Logger.Warn("failing a child execution task", "execution_id", t.ExecutionID, "error", err)
		}
	}
	v, err := statelang.ParseJSON([]byte(t.Input))
	params, _ := v.(map[string]any)
	if err != nil || params == nil {
		fail("States.Runtime", "The parameters of states:startExecution must be a JSON object")
		return
	}
	machineARN, _ := params["StateMachineArn"].(string)
	machine, version, ok := e.machineOfARN(machineARN)
	if !ok {
		fail("StepFunctions.StateMachineDoesNotExistException", fmt.Sprintf("State Machine Does Not Exist: '%s'", machineARN))
		return
	}
	name, _ := params["Name"].(string)
	if name == "" {
		name = childName(t.Token)
	}
	input := "{}"
	switch in := params["Input"].(type) {
	case nil:
	case string:
		input = in
	default:
		input = statelang.MarshalString(in)
	}
	parent := &Parent{ExecutionID: t.ExecutionID, Token: t.Token}
	if t.ExecutionID < 0 {
		parent = nil // an express parent (it can only start, not wait: no .sync in Express)
	}
	x, err := e.StartExecution(ctx, StartExecutionInput{StateMachine: machine, Version: version, Name: name, Input: input,
		Parent: parent})
	if errors.Is(err, ErrExecutionAlreadyExists) && x != nil && x.ParentToken == t.Token {
		err = nil // this task's own child, started before (and maybe ended since)
	}
	if (err == nil || errors.Is(err, ErrExecutionAlreadyExists)) && parent != nil && x != nil && x.ParentToken != t.Token &&
		x.ParentID == t.ExecutionID && isMapChild(x) {
		e.redriveChild(ctx, x, t) // the child of an iteration a Map Run's redrive runs again (mapruns.go)
		return
	}
	switch {
	case errors.Is(err, errNotRunning):
		return // left SCHEDULED: an engine that runs starts it
	case errors.Is(err, ErrNotFound):
		fail("StepFunctions.StateMachineDoesNotExistException", fmt.Sprintf("State Machine Does Not Exist: '%s'", machineARN))
		return
	case errors.Is(err, ErrExecutionAlreadyExists):
		fail("StepFunctions.ExecutionAlreadyExistsException", "Execution Already Exists: '"+name+"'")
		return
	case errors.Is(err, ErrInvalidInput), errors.Is(err, ErrPayloadTooLarge):
		fail("StepFunctions.InvalidExecutionInputException", err.Error())
		return
	case err != nil:
		// Left SCHEDULED: the maintenance loop dispatches it again.
		e.cfg.Logger.Warn("starting a child execution", "execution_id", t.ExecutionID, "error", err)
		return
	case parent != nil && x.ParentToken != t.Token:
		fail("StepFunctions.ExecutionAlreadyExistsException", "Execution Already Exists: '"+name+"'")
		return
	}
	if IsExpressARN(x.ARN) && isMapChild(x) {
		// Held while the child runs here: not dispatched again (started
		// again) unless it was lost with its process. (A nested express
		// child's task is confirmed for good: its callback, or the
		// parent's TimeoutSeconds, may come later.)
		e.leaseExpressChild(t.Token)
	} else {
		_ = e.ConfirmDispatch(ctx, t.Token)
	}
	switch {
	case !mode.sync && !mode.callback:
		started := statelang.StartExecutionResult(x.ARN, x.StartDate, NewUUID(), e.cfg.Now())
		if err := e.SendTaskSuccess(ctx, t.Token, statelang.MarshalString(started)); err != nil && !errors.Is(err, ErrTaskClosed) {
			e.cfg.Logger.Warn("answering a startExecution task", "execution_id", t.ExecutionID, "error", err)
		}
	case mode.sync && x.Status != StatusRunning:
		e.notifyParent(ctx, x) // it ended already (at its start, or before a re-dispatch)
	case parent != nil && !isMapChild(x):
		// The parent records TaskSubmitted with what StartExecution
		// returned, as AWS does once the request of a .sync or
		// .waitForTaskToken integration succeeded. A .sync child that
		// ends first reports it with its result (childSubmission); a
		// callback that comes first leaves the task without it. A
		// distributed Map's iterations record no task events.
		started := statelang.StartExecutionResult(x.ARN, x.StartDate, NewUUID(), e.cfg.Now())
		if _, err := e.apply(ctx, t.ExecutionID, event{Kind: evTaskSubmitted, Token: t.Token, Output: started}); err != nil &&
			!errors.Is(err, ErrExecutionNotRunning) {
			e.cfg.Logger.Warn("recording a child execution's start", "execution_id", t.ExecutionID, "error", err)
		}
	}
}

// childSubmission is the TaskSubmitted output of a .sync states:
// startExecution task (resource r) that ev, its result, reports: the
// ended child's description (the output, or the cause of
// States.TaskFailed) names the child, whose ARN and start date make
// StartExecutionResult. nil when ev is not such a result (the task failed
// before a child started, or r is not a .sync startExecution).
func childSubmission(r statelang.Resource, ev event, uuid func() string, now time.Time) map[string]any {
	if !childModeOf(r).sync {
		return nil
	}
	desc, _ := ev.Output.(map[string]any)
	if ev.Kind == evTaskFailed {
		if ev.Error != statelang.ErrTaskFailed {
			return nil
		}
		v, _ := statelang.ParseJSON([]byte(ev.Cause))
		desc, _ = v.(map[string]any)
	}
	arn, _ := desc["ExecutionArn"].(string)
	start, ok := desc["StartDate"].(int64)
	if arn == "" || !ok {
		return nil
	}
	return statelang.StartExecutionResult(arn, time.UnixMilli(start), uuid(), now)
}

// stopChild stops the child execution of a .sync task its parent closed
// without a result (the parent stopped, timed out, or left the state), as
// AWS does, and reports whether a standard child ran for it.
func (e *Engine) stopChild(ctx context.Context, token string) (found bool) {
	t, _, err := e.store.GetTask(ctx, token)
	if err != nil {
		e.cfg.Logger.Warn("reading a stopped child's task", "task", TaskRef(token), "error", err)
		return false
	}
	v, _ := statelang.ParseJSON([]byte(t.Input))
	params, _ := v.(map[string]any)
	machineARN, _ := params["StateMachineArn"].(string)
	machine, _, ok := e.machineOfARN(machineARN)
	if !ok {
		return false // no child was started
	}
	name, _ := params["Name"].(string)
	if name == "" {
		name = childName(token)
	}
	x, err := e.store.GetExecutionByARN(ctx, e.arns.Execution(machine, name))
	if err != nil || x.ParentToken != token || x.Status != StatusRunning {
		return false
	}
	e.abortChild(ctx, x)
	return true
}

// StopExpressChild stops the express child execution that this process
// runs for the parent's task of token, if any, and reports whether it did.
// A dispatcher calls it with the cancels of closed tasks that another
// replica published (Canceler): a parent stopped there stops its express
// children here. The child is written ABORTED; its parent refuses its
// outcome.
func (e *Engine) StopExpressChild(ctx context.Context, token string) bool {
	r := e.express.child(token)
	if r == nil {
		return false
	}
	r.stop(ctx)
	return true
}

// abortChild stops child execution x, whose parent no longer waits for
// it. A child that ended meanwhile changes nothing.
func (e *Engine) abortChild(ctx context.Context, x *Execution) {
	if _, err := e.apply(ctx, x.ID, event{Kind: evStop}); err != nil && !errors.Is(err, ErrExecutionNotRunning) {
		e.cfg.Logger.Warn("stopping a child execution", "execution_arn", x.ARN, "error", err)
	}
}

// machineOfARN splits a state machine ARN (optionally with a version
// number) of this engine's region and account.
func (e *Engine) machineOfARN(s string) (name string, version int, ok bool) {
	m, err := arn.ParseStateMachine(s)
	if err != nil || m.Scope != e.arns {
		return "", 0, false
	}
	name = m.Name
	if m.Qualifier != "" {
		if version, ok = m.Version(); !ok {
			return "", 0, false
		}
	}
	return name, version, true
}

// notifyParent answers the parent's task of a child that ended (for .sync
// and .sync:2 tasks). A task already answered changes nothing.
func (e *Engine) notifyParent(ctx context.Context, c *Execution) {
	if c.ParentToken == "" || c.Status == StatusRunning {
		return
	}
	resource := childTaskResource // a distributed Map's iteration: no need to read the task
	if _, _, ok := splitMapMachine(c.StateMachine); !ok {
		t, _, err := e.store.GetTask(ctx, c.ParentToken)
		if err != nil {
			e.cfg.Logger.Warn("reading a child's parent task", "execution_arn", c.ARN, "error", err)
			return // the maintenance loop tries again
		}
		resource = statelang.ParseResource(t.Resource)
	}
	mode := childModeOf(resource)
	var err error
	if !mode.sync {
		return
	}
	desc := statelang.MarshalString(childDescription(c, mode.v2))
	if c.Status == StatusSucceeded {
		err = e.SendTaskSuccess(ctx, c.ParentToken, desc)
	} else {
		err = e.SendTaskFailure(ctx, c.ParentToken, statelang.ErrTaskFailed, desc)
	}
	if err != nil && !errors.Is(err, ErrTaskClosed) && !errors.Is(err, ErrInvalidToken) {
		e.cfg.Logger.Warn("answering a child's parent task", "execution_arn", c.ARN, "error", err)
	}
}

// expressChildEnded answers the parent's task of express child c, which
// ended. A distributed Map's child first gets its row (GroupWrite.Ended),
// which its Map Run's counts, ListExecutions and ResultWriter read as they
// read a standard child's; if that write fails, the task stays open and is
// dispatched again once its hold passes (startChild): the item runs again,
// as AWS may run an Express execution more than once.
func (e *Engine) expressChildEnded(ctx context.Context, c *Execution) {
	if isMapChild(c) {
		if err := e.group.do(ctx, &op{kind: opEnded, ended: c}); err != nil {
			e.cfg.Logger.Warn("recording an express child's outcome", "execution_arn", c.ARN, "error", err)
			return
		}
	}
	e.notifyParent(ctx, c)
}

// childDescription is what a .sync task of ended child c returns (as its
// output or, unless it succeeded, as the cause of States.TaskFailed): the
// child's DescribeExecution, with Input and Output as JSON (v2, .sync:2)
// or as JSON text.
func childDescription(c *Execution, v2 bool) map[string]any {
	desc := map[string]any{
		"ExecutionArn": c.ARN, "Name": c.Name, "StateMachineArn": c.StateMachineARN, "Status": c.Status,
		"StartDate": c.StartDate.UnixMilli(), "StopDate": c.StopDate.UnixMilli(),
		"Input": jsonOrText(c.Input, v2), "InputDetails": map[string]any{"Included": true},
	}
	if c.Status == StatusSucceeded {
		desc["Output"] = jsonOrText(c.Output, v2)
		desc["OutputDetails"] = map[string]any{"Included": true}
		if !v2 {
			// DescribeExecution's redrive fields, which AWS's .sync output
			// has carried since redrive came (recorded 2024-12 and
			// 2025-10). The only recordings of a .sync:2 output and of a
			// failed child's description (2023) have none; they stay so.
			desc["RedriveCount"] = c.RedriveCount
			desc["RedriveStatus"] = RedriveNotRedrivable
			desc["RedriveStatusReason"] = reasonSucceeded
		}
		return desc
	}
	if c.Error != "" {
		desc["Error"] = c.Error
	}
	if c.Cause != "" {
		desc["Cause"] = c.Cause
	}
	return desc
}

// jsonOrText is JSON text as a value (asJSON) or as itself.
func jsonOrText(text string, asJSON bool) any {
	if !asJSON {
		return text
	}
	v, err := statelang.ParseJSON([]byte(text))
	if err != nil {
		return text
	}
	return v
}

// endedChild is what a group commit that ended a child execution passes
// to notifyParent.
func endedChild(x *Execution, m *Mutation) *Execution {
	c := *x
	c.State = nil
	c.Status, c.Output, c.Error, c.Cause, c.StopDate = m.Status, m.Output, m.Error, m.Cause, m.StopDate
	if m.Redrive != nil && m.Redrive.ParentToken != "" {
		c.ParentToken = m.Redrive.ParentToken // redriven for a new task of its parent, and ended
	}
	return &c
}

// repairChildren is the maintenance loop's sweep for what an engine that
// stopped between two commits left undone: ended children whose parent's
// task is still open answer it again (Store.EndedChildren, notifyParent),
// and running children whose parent's .sync task was closed without a
// result are stopped (Store.StrandedChildren, abortChild). It returns the
// larger of the two counts (each at most ClaimBatch).
func (e *Engine) repairChildren(ctx context.Context) (int, error) {
	n := 0
	for _, r := range []struct {
		find func(ctx context.Context, limit int) ([]*Execution, error)
		fix  func(ctx context.Context, c *Execution)
	}{{e.store.EndedChildren, e.notifyParent}, {e.store.StrandedChildren, e.abortChild}} {
		cs, err := r.find(ctx, e.cfg.ClaimBatch)
		if err != nil {
			return n, err
		}
		for _, c := range cs {
			r.fix(ctx, c)
		}
		n = max(n, len(cs))
	}
	return n, nil
}

// StartedByKey is the field of an execution's input that names the
// execution that started it: AWS's console associates a nested workflow
// with its parent by it, passed as
// "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id" in the
// Input of the task that starts it. Step Functions adds it to no input; it
// reaches the child as the parent's definition writes it.
const StartedByKey = "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"

// startedBy returns the execution ARN that input (JSON text) names under
// StartedByKey at its top level, "" when there is none.
func startedBy(input string) string {
	if !strings.Contains(input, StartedByKey) {
		return ""
	}
	v, _ := statelang.ParseJSON([]byte(input))
	m, _ := v.(map[string]any)
	s, _ := m[StartedByKey].(string)
	if _, err := arn.ParseExecution(s); err != nil {
		return ""
	}
	return s
}
