// Package storetest is the conformance suite every engine.Store must pass:
// store/postgres and store/sqlite run it from their tests with a function
// that makes a fresh, migrated, empty store.
//
// The suite is black-box: it drives a real engine.Engine on the store
// through lifecycle scenarios (start, describe, list, history pages,
// idempotent start, timers, retries, Parallel and Map, stop, timeouts,
// versions, several engines on one store) and calls the Store methods
// whose contract the engine relies on (version-checked commit, leased
// claims). Most scenarios run on a manual clock with Engine.Tick, so they
// are deterministic and never wait for real time; the concurrent ones use
// the real clock but assert only outcomes, never timings.
//
// It imports engine, statelang, schedule (schedules.go: the schedule
// scenarios, RunSchedules) and internal/conformance, and no store.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/statelang"
)

// NewStore returns a fresh, migrated store with no data, released when the
// test ends. It may skip the test (no database).
type NewStore func(t testing.TB) engine.Store

// Run runs every scenario as a subtest, each on its own store.
func Run(t *testing.T, newStore NewStore) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			sc.fn(t, newStore)
		})
	}
}

var scenarios = []struct {
	name string
	fn   func(t *testing.T, newStore NewStore)
}{
	{"StateMachines", testStateMachines},
	{"Tags", testTags},
	{"StartDescribeList", testStartDescribeList},
	{"IdempotentStart", testIdempotentStart},
	{"HistoryPagination", testHistoryPagination},
	{"TasksRetryCatch", testTasksRetryCatch},
	{"Timers", testTimers},
	{"TimerLease", testTimerLease},
	{"ParallelAndMap", testParallelAndMap},
	{"Stop", testStop},
	{"Timeouts", testTimeouts},
	{"Versions", testVersions},
	{"Redispatch", testRedispatch},
	{"CommitConflict", testCommitConflict},
	{"CommitGroup", testCommitGroup},
	{"GroupedResults", testGroupedResults},
	{"StateParts", testStateParts},
	{"ReopenStarted", testReopenStarted},
	{"ContinuationWithoutPoll", testContinuationWithoutPoll},
	{"ChildExecutions", testChildExecutions},
	{"StrandedChildren", testStrandedChildren},
	{"MapRuns", testMapRuns},
	{"Express", testExpress},
	{"ExpressMachineCache", testExpressMachineCache},
	{"StandardLogging", testStandardLogging},
	{"Redrive", testRedrive},
	{"MapRunRedrive", testMapRunRedrive},
	{"ConcurrentEngines", testConcurrentEngines},
	{"Conformance", testConformance},
}

// Lambda ARNs the scenarios' Task states name.
const (
	fnDouble = "arn:aws:lambda:us-east-1:111111111111:function:double"
	fnFlaky  = "arn:aws:lambda:us-east-1:111111111111:function:flaky"
	fnHang   = "arn:aws:lambda:us-east-1:111111111111:function:hang"
	role     = "arn:aws:iam::111111111111:role/storetest"
)

// clock is a manual clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// queue is a dispatcher that keeps the tasks for the test to answer.
type queue struct {
	mu     sync.Mutex
	tasks  []engine.Task
	counts map[string]int
}

func (q *queue) Dispatch(_ context.Context, t engine.Task) (held bool, err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.tasks = append(q.tasks, t)
	if q.counts == nil {
		q.counts = map[string]int{}
	}
	q.counts[t.Token]++
	return false, nil
}

func (q *queue) take() []engine.Task {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.tasks
	q.tasks = nil
	return out
}

func (q *queue) count(token string) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.counts[token]
}

// harness is one engine on a manual clock over a store.
type harness struct {
	t     testing.TB
	ctx   context.Context
	store engine.Store
	eng   *engine.Engine
	clock *clock
	q     *queue
}

func newHarness(t testing.TB, newStore NewStore, tweak func(*engine.Config)) *harness {
	t.Helper()
	s := newStore(t)
	h := &harness{t: t, ctx: context.Background(), store: s, q: &queue{},
		clock: &clock{now: time.Now().UTC().Truncate(time.Second)}}
	cfg := engine.Config{Store: s, Dispatcher: h.q, Now: h.clock.Now, DispatchTimeout: 30 * time.Second, TimerLease: 30 * time.Second}
	if tweak != nil {
		tweak(&cfg)
	}
	eng, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.eng = eng
	return h
}

func (h *harness) machine(name, def string) engine.StateMachine {
	h.t.Helper()
	sm, err := h.eng.CreateStateMachine(h.ctx, name, def, role)
	if err != nil {
		h.t.Fatalf("CreateStateMachine(%q) = %v", name, err)
	}
	return sm
}

func (h *harness) start(machine, name, input string) *engine.Execution {
	h.t.Helper()
	x, err := h.eng.StartExecution(h.ctx, engine.StartExecutionInput{StateMachine: machine, Name: name, Input: input})
	if err != nil {
		h.t.Fatalf("StartExecution(%q, %q) = %v", machine, name, err)
	}
	return x
}

func (h *harness) describe(arn string) *engine.Execution {
	h.t.Helper()
	x, err := h.eng.DescribeExecution(h.ctx, arn)
	if err != nil {
		h.t.Fatalf("DescribeExecution(%q) = %v", arn, err)
	}
	return x
}

func (h *harness) tick() {
	h.t.Helper()
	if _, err := h.eng.Tick(h.ctx); err != nil {
		h.t.Fatalf("Tick() = %v", err)
	}
}

// answer is how a scenario answers a task: ok false leaves it unanswered.
type answer func(t engine.Task, input any) (out any, fail *statelang.Failure, ok bool)

// drive answers dispatched tasks and, when there are none, moves the clock
// by a second and runs a maintenance pass, until the execution ends.
func (h *harness) drive(arn string, ans answer) *engine.Execution {
	h.t.Helper()
	for range 2000 {
		if x := h.describe(arn); x.Status != engine.StatusRunning {
			return x
		}
		tasks := h.q.take()
		for _, t := range tasks {
			in, err := statelang.ParseJSON([]byte(t.Input))
			if err != nil {
				h.t.Fatalf("task input %q: %v", t.Input, err)
			}
			out, fail, ok := ans(t, in)
			if !ok {
				continue
			}
			h.reply(t, out, fail)
		}
		if len(tasks) == 0 {
			h.clock.Add(time.Second)
			h.tick()
		}
	}
	h.t.Fatalf("execution %s still RUNNING after 2000 steps", arn)
	return nil
}

// reply answers task t with out or fail; a task already answered (a
// re-dispatched one) is not an error.
func (h *harness) reply(t engine.Task, out any, fail *statelang.Failure) {
	h.t.Helper()
	var err error
	if fail != nil {
		err = h.eng.SendTaskFailure(h.ctx, t.Token, fail.Name, fail.Cause)
	} else {
		err = h.eng.SendTaskSuccess(h.ctx, t.Token, statelang.MarshalString(out))
	}
	if err != nil && !errors.Is(err, engine.ErrTaskClosed) {
		h.t.Fatalf("answering task %s: %v", t.Token, err)
	}
}

func (h *harness) history(arn string) []statelang.HistoryEvent {
	h.t.Helper()
	evs, _, err := h.eng.GetExecutionHistory(h.ctx, arn, engine.HistoryInput{MaxResults: 1000})
	if err != nil {
		h.t.Fatalf("GetExecutionHistory(%q) = %v", arn, err)
	}
	return evs
}

// double answers with twice an integer input.
func double(_ engine.Task, in any) (any, *statelang.Failure, bool) {
	n, ok := in.(int64)
	if !ok {
		return nil, &statelang.Failure{Name: "BadInput", Cause: fmt.Sprint(in)}, true
	}
	return n * 2, nil, true
}

// CheckHistory checks that events have ids 1..n, each previous id earlier
// than its own, and exactly one execution-ending event, last, but for a
// redriven execution's: each of its earlier ends is followed at once by
// ExecutionRedriven, and each ExecutionRedriven follows an end.
func CheckHistory(t testing.TB, arn string, evs []statelang.HistoryEvent) {
	t.Helper()
	end := func(typ statelang.EventType) bool {
		switch typ {
		case "ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut":
			return true
		}
		return false
	}
	ends, redrives := 0, 0
	for i, e := range evs {
		if e.ID != int64(i+1) {
			t.Errorf("%s: event %d has id %d; want consecutive ids", arn, i, e.ID)
			return
		}
		if e.PreviousEventID >= e.ID {
			t.Errorf("%s: event %d has previous event id %d", arn, e.ID, e.PreviousEventID)
		}
		switch {
		case end(e.Type):
			ends++
			if i != len(evs)-1 && evs[i+1].Type != "ExecutionRedriven" {
				t.Errorf("%s: %s is event %d of %d, followed by %s", arn, e.Type, e.ID, len(evs), evs[i+1].Type)
			}
		case e.Type == "ExecutionRedriven":
			redrives++
			if i == 0 || !end(evs[i-1].Type) {
				t.Errorf("%s: ExecutionRedriven is event %d, not right after an end", arn, e.ID)
			}
		}
	}
	if ends != redrives+1 {
		t.Errorf("%s: %d execution-ending events and %d ExecutionRedriven; want %d", arn, ends, redrives, redrives+1)
	}
}

func types(evs []statelang.HistoryEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = string(e.Type)
	}
	return out
}

func count(evs []statelang.HistoryEvent, typ statelang.EventType) int {
	n := 0
	for _, e := range evs {
		if e.Type == typ {
			n++
		}
	}
	return n
}

const passMachine = `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"got.$":"$"},"End":true}}}`

func testStateMachines(t *testing.T, newStore NewStore) {
	h := newHarness(t, newStore, nil)
	ctx := h.ctx
	def2 := `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":2,"End":true}}}`
	sm := h.machine("m1", passMachine)
	if sm.Version != 1 || !strings.HasSuffix(sm.ARN, ":stateMachine:m1") {
		t.Errorf("CreateStateMachine(m1) = version %d, ARN %q; want 1 and …:stateMachine:m1", sm.Version, sm.ARN)
	}
	if again := h.machine("m1", passMachine); again.Version != 1 {
		t.Errorf("CreateStateMachine(m1) again = version %d; want the existing version 1", again.Version)
	}
	if _, err := h.eng.CreateStateMachine(ctx, "m1", def2, role); !errors.Is(err, engine.ErrStateMachineExists) {
		t.Errorf("CreateStateMachine(m1, other definition) = %v; want ErrStateMachineExists", err)
	}
	v2, err := h.eng.UpdateStateMachine(ctx, "m1", def2)
	if err != nil || v2.Version != 2 || v2.ARN != sm.ARN {
		t.Fatalf("UpdateStateMachine(m1) = %+v, %v; want version 2", v2, err)
	}
	if got, err := h.eng.DescribeStateMachine(ctx, "m1", 1); err != nil || got.Definition != passMachine || got.RoleARN != role {
		t.Errorf("DescribeStateMachine(m1, 1) = %+v, %v; want the first definition", got, err)
	}
	if got, err := h.eng.DescribeStateMachine(ctx, "m1", 0); err != nil || got.Version != 2 || got.Definition != def2 {
		t.Errorf("DescribeStateMachine(m1, 0) = %+v, %v; want version 2", got, err)
	}
	if _, err := h.eng.DescribeStateMachine(ctx, "nope", 0); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("DescribeStateMachine(nope) = %v; want ErrNotFound", err)
	}
	if _, err := h.eng.UpdateStateMachine(ctx, "nope", def2); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("UpdateStateMachine(nope) = %v; want ErrNotFound", err)
	}
	h.machine("m2", passMachine)
	h.machine("m3", passMachine)
	var names []string
	tok := ""
	for range 5 {
		sms, next, err := h.eng.ListStateMachines(ctx, engine.ListStateMachinesInput{MaxResults: 2, NextToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		for _, sm := range sms {
			names = append(names, fmt.Sprintf("%s@%d", sm.Name, sm.Version))
		}
		if tok = next; tok == "" {
			break
		}
	}
	if got, want := strings.Join(names, " "), "m1@2 m2@1 m3@1"; got != want {
		t.Errorf("ListStateMachines pages = %q; want %q", got, want)
	}
	if err := h.eng.DeleteStateMachine(ctx, "m2"); err != nil {
		t.Fatalf("DeleteStateMachine(m2) = %v", err)
	}
	if err := h.eng.DeleteStateMachine(ctx, "m2"); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("DeleteStateMachine(m2) again = %v; want ErrNotFound", err)
	}
	if _, err := h.eng.DescribeStateMachine(ctx, "m2", 0); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("DescribeStateMachine(deleted m2) = %v; want ErrNotFound", err)
	}
	if _, err := h.eng.UpdateStateMachine(ctx, "m2", def2); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("UpdateStateMachine(deleted m2) = %v; want ErrNotFound", err)
	}
	if _, err := h.eng.StartExecution(ctx, engine.StartExecutionInput{StateMachine: "m2"}); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("StartExecution(deleted m2) = %v; want ErrNotFound", err)
	}
	if old, err := h.store.GetStateMachine(ctx, "m2", 1); err != nil || !old.Deleted {
		t.Errorf("store GetStateMachine(deleted m2, 1) = %+v, %v; want it with Deleted", old, err)
	}
	sms, _, err := h.eng.ListStateMachines(ctx, engine.ListStateMachinesInput{})
	if err != nil || len(sms) != 2 {
		t.Errorf("ListStateMachines after delete = %d machines, %v; want 2", len(sms), err)
	}
	if re := h.machine("m2", def2); re.Version != 2 {
		t.Errorf("CreateStateMachine(m2) after delete = version %d; want 2 (the next version)", re.Version)
	}
}

func testTags(t *testing.T, newStore NewStore) {
	h := newHarness(t, newStore, nil)
	ctx := h.ctx
	sm := h.machine("tagged", passMachine)
	if err := h.eng.TagResource(ctx, sm.ARN, []engine.Tag{{Key: "team", Value: "a"}, {Key: "env", Value: "dev"}}); err != nil {
		t.Fatal(err)
	}
	if err := h.eng.TagResource(ctx, sm.ARN, []engine.Tag{{Key: "team", Value: "b"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := h.eng.ListTagsForResource(ctx, sm.ARN)
	if got := fmt.Sprint(tags); err != nil || got != "[{env dev} {team b}]" {
		t.Errorf("ListTagsForResource = %s, %v; want [{env dev} {team b}]", got, err)
	}
	if err := h.eng.UntagResource(ctx, sm.ARN, []string{"env", "absent"}); err != nil {
		t.Fatal(err)
	}
	var many []engine.Tag
	for i := range engine.MaxTags - 1 {
		many = append(many, engine.Tag{Key: fmt.Sprintf("k%02d", i), Value: "v"})
	}
	if err := h.eng.TagResource(ctx, sm.ARN, many); err != nil {
		t.Fatalf("TagResource(%d more) = %v", len(many), err)
	}
	if err := h.eng.TagResource(ctx, sm.ARN, []engine.Tag{{Key: "straw", Value: "x"}}); !errors.Is(err, engine.ErrTooManyTags) {
		t.Errorf("TagResource(tag %d) = %v; want ErrTooManyTags", engine.MaxTags+1, err)
	}
	if tags, _ := h.eng.ListTagsForResource(ctx, sm.ARN); len(tags) != engine.MaxTags {
		t.Errorf("after a refused TagResource: %d tags; want %d", len(tags), engine.MaxTags)
	}
	if err := h.eng.DeleteStateMachine(ctx, "tagged"); err != nil {
		t.Fatal(err)
	}
	h.machine("tagged", passMachine)
	if tags, err := h.eng.ListTagsForResource(ctx, sm.ARN); err != nil || len(tags) != 0 {
		t.Errorf("tags of a machine created again after delete = %v, %v; want none", tags, err)
	}
}

// prefixFilter is an engine.ExecutionFilter pushing its conditions into
// the store's query.
type prefixFilter struct{ conds []engine.Condition }

func (f prefixFilter) Conditions() []engine.Condition { return f.conds }
func (f prefixFilter) Match(*engine.Execution) bool   { return true }

func testStartDescribeList(t *testing.T, newStore NewStore) {
	h := newHarness(t, newStore, nil)
	ctx := h.ctx
	h.machine("a", passMachine)
	h.machine("b", passMachine)
	h.machine("t", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+fnDouble+`","End":true}}}`)
	t0 := h.clock.Now()
	x1 := h.start("a", "alpha-1", `{"n":1}`)
	h.clock.Add(time.Second)
	x2 := h.start("a", "alpha-2", `{"big":12345678901234567890,"f":1.0}`)
	h.clock.Add(time.Second)
	x3 := h.start("b", "beta-1", `{}`)
	h.clock.Add(time.Second)
	x4 := h.start("t", "task-1", `21`)
	if x1.ID == 0 || x1.ID >= x2.ID || x2.ID >= x3.ID || x3.ID >= x4.ID {
		t.Errorf("execution ids %d %d %d %d; want increasing", x1.ID, x2.ID, x3.ID, x4.ID)
	}
	got := h.describe(x2.ARN)
	if got.Status != engine.StatusSucceeded || got.Output != `{"got":{"big":12345678901234567890,"f":1.0}}` {
		t.Errorf("DescribeExecution(alpha-2) = %s %s; want SUCCEEDED with the exact numbers", got.Status, got.Output)
	}
	if !got.StartDate.Equal(t0.Add(time.Second)) || got.StopDate.IsZero() || got.StateMachine != "a" || got.Name != "alpha-2" ||
		got.Input != `{"big":12345678901234567890,"f":1.0}` || got.StateMachineVersion != 1 {
		t.Errorf("DescribeExecution(alpha-2) = %+v", got)
	}
	if r := h.describe(x4.ARN); r.Status != engine.StatusRunning || !r.StopDate.IsZero() || r.Output != "" {
		t.Errorf("DescribeExecution(task-1) = %s stop %v output %q; want RUNNING, no stop date, no output", r.Status, r.StopDate, r.Output)
	}
	if _, err := h.eng.DescribeExecution(ctx, x1.ARN+"x"); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("DescribeExecution(unknown) = %v; want ErrNotFound", err)
	}
	list := func(in engine.ListExecutionsInput) string {
		t.Helper()
		xs, _, err := h.eng.ListExecutions(ctx, in)
		if err != nil {
			t.Fatalf("ListExecutions(%+v) = %v", in, err)
		}
		var names []string
		for _, x := range xs {
			names = append(names, x.Name)
			if x.State != nil {
				t.Errorf("ListExecutions loaded the State of %s", x.Name)
			}
		}
		return strings.Join(names, " ")
	}
	for _, c := range []struct {
		in   engine.ListExecutionsInput
		want string
	}{
		{engine.ListExecutionsInput{}, "task-1 beta-1 alpha-2 alpha-1"},
		{engine.ListExecutionsInput{StateMachine: "a"}, "alpha-2 alpha-1"},
		{engine.ListExecutionsInput{Status: engine.StatusRunning}, "task-1"},
		{engine.ListExecutionsInput{StateMachine: "a", Status: engine.StatusRunning}, ""},
		{engine.ListExecutionsInput{Filter: prefixFilter{[]engine.Condition{{Field: engine.FieldName, Op: engine.OpPrefix, Value: "alpha"}}}}, "alpha-2 alpha-1"},
		{engine.ListExecutionsInput{Filter: prefixFilter{[]engine.Condition{{Field: engine.FieldName, Op: engine.OpIn, Value: []string{"beta-1", "alpha-1", "zz"}}}}}, "beta-1 alpha-1"},
		{engine.ListExecutionsInput{Filter: prefixFilter{[]engine.Condition{{Field: engine.FieldName, Op: engine.OpIn, Value: []string{}}}}}, ""},
		{engine.ListExecutionsInput{Filter: prefixFilter{[]engine.Condition{{Field: engine.FieldStatus, Op: engine.OpNe, Value: engine.StatusSucceeded}}}}, "task-1"},
		{engine.ListExecutionsInput{Filter: prefixFilter{[]engine.Condition{{Field: engine.FieldStartTime, Op: engine.OpGe, Value: t0.Add(time.Second)}}}}, "task-1 beta-1 alpha-2"},
		{engine.ListExecutionsInput{Filter: prefixFilter{[]engine.Condition{{Field: engine.FieldStartTime, Op: engine.OpLt, Value: t0.Add(time.Second)}}}}, "alpha-1"},
		{engine.ListExecutionsInput{Filter: prefixFilter{[]engine.Condition{{Field: engine.FieldStopTime, Op: engine.OpGt, Value: t0.Add(-time.Hour)}}}}, "beta-1 alpha-2 alpha-1"},
		{engine.ListExecutionsInput{Filter: prefixFilter{[]engine.Condition{{Field: engine.FieldStateMachine, Op: engine.OpEq, Value: "b"}}}}, "beta-1"},
	} {
		if got := list(c.in); got != c.want {
			t.Errorf("ListExecutions(%+v) = %q; want %q", c.in, got, c.want)
		}
	}
	if _, err := h.store.ListExecutions(ctx, engine.ListFilter{Limit: 10, Conditions: []engine.Condition{{Field: "input", Op: engine.OpEq, Value: "x"}}}); !errors.Is(err, engine.ErrInvalidInput) {
		t.Errorf("store ListExecutions(condition on input) = %v; want ErrInvalidInput", err)
	}
	// Pages of 3 then 1.
	xs, next, err := h.eng.ListExecutions(ctx, engine.ListExecutionsInput{MaxResults: 3})
	if err != nil || len(xs) != 3 || next == "" {
		t.Fatalf("ListExecutions(MaxResults 3) = %d, %q, %v; want 3 and a next token", len(xs), next, err)
	}
	xs, next, err = h.eng.ListExecutions(ctx, engine.ListExecutionsInput{MaxResults: 3, NextToken: next})
	if err != nil || len(xs) != 1 || next != "" || xs[0].Name != "alpha-1" {
		t.Errorf("ListExecutions(page 2) = %d, %q, %v; want alpha-1 and no token", len(xs), next, err)
	}
}

func testIdempotentStart(t *testing.T, newStore NewStore) {
	h := newHarness(t, newStore, nil)
	ctx := h.ctx
	h.machine("m", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+fnDouble+`","End":true}}}`)
	x := h.start("m", "once", `5`)
	again := h.start("m", "once", `5`)
	if again.ARN != x.ARN || again.ID != x.ID {
		t.Errorf("StartExecution(same name, same input) = %s; want the existing %s", again.ARN, x.ARN)
	}
	if _, err := h.eng.StartExecution(ctx, engine.StartExecutionInput{StateMachine: "m", Name: "once", Input: `6`}); !errors.Is(err, engine.ErrExecutionAlreadyExists) {
		t.Errorf("StartExecution(same name, other input) = %v; want ErrExecutionAlreadyExists", err)
	}
	if xs, _, _ := h.eng.ListExecutions(ctx, engine.ListExecutionsInput{}); len(xs) != 1 {
		t.Errorf("ListExecutions = %d executions; want 1", len(xs))
	}
	tasks := h.q.take()
	if len(tasks) != 1 {
		t.Fatalf("%d tasks dispatched; want 1 (a repeated start schedules nothing)", len(tasks))
	}
	// Once it has ended, its name is taken for good (AWS).
	if err := h.eng.SendTaskSuccess(ctx, tasks[0].Token, `10`); err != nil {
		t.Fatal(err)
	}
	if _, err := h.eng.StartExecution(ctx, engine.StartExecutionInput{StateMachine: "m", Name: "once", Input: `5`}); !errors.Is(err, engine.ErrExecutionAlreadyExists) {
		t.Errorf("StartExecution(name of an ended execution, same input) = %v; want ErrExecutionAlreadyExists", err)
	}
	// Names are per machine.
	h.machine("other", passMachine)
	if y := h.start("other", "once", `5`); y.ARN == x.ARN {
		t.Errorf("the same name on another machine returned %s", y.ARN)
	}
}

func testHistoryPagination(t *testing.T, newStore NewStore) {
	h := newHarness(t, newStore, nil)
	ctx := h.ctx
	var sb strings.Builder
	sb.WriteString(`{"StartAt":"S0","States":{`)
	const n = 15
	for i := range n {
		if i > 0 {
			sb.WriteString(",")
		}
		if i == n-1 {
			fmt.Fprintf(&sb, `"S%d":{"Type":"Pass","End":true}`, i)
		} else {
			fmt.Fprintf(&sb, `"S%d":{"Type":"Pass","Next":"S%d"}`, i, i+1)
		}
	}
	sb.WriteString("}}")
	h.machine("long", sb.String())
	x := h.start("long", "l", `{"k":[1,2.5,"three",null,true]}`)
	all := h.history(x.ARN)
	if len(all) != 2+2*n {
		t.Fatalf("history has %d events; want %d", len(all), 2+2*n)
	}
	CheckHistory(t, x.ARN, all)
	if all[0].Type != "ExecutionStarted" || all[len(all)-1].Type != "ExecutionSucceeded" {
		t.Errorf("history = %v", types(all))
	}
	if in, _ := all[0].Details["input"].(string); in != `{"k":[1,2.5,"three",null,true]}` {
		t.Errorf("ExecutionStarted input = %q", in)
	}
	for _, reverse := range []bool{false, true} {
		var got []statelang.HistoryEvent
		tok := ""
		pages := 0
		for {
			evs, next, err := h.eng.GetExecutionHistory(ctx, x.ARN, engine.HistoryInput{MaxResults: 7, NextToken: tok, ReverseOrder: reverse})
			if err != nil {
				t.Fatal(err)
			}
			pages++
			got = append(got, evs...)
			if tok = next; tok == "" || pages > 10 {
				break
			}
		}
		if reverse {
			for i, j := 0, len(got)-1; i < j; i, j = i+1, j-1 {
				got[i], got[j] = got[j], got[i]
			}
		}
		if pages != 5 || len(got) != len(all) {
			t.Errorf("history (reverse %v) in %d pages of 7: %d events; want 5 pages, %d events", reverse, pages, len(got), len(all))
			continue
		}
		for i := range got {
			if got[i].ID != all[i].ID || got[i].Type != all[i].Type || !got[i].Timestamp.Equal(all[i].Timestamp) {
				t.Errorf("history (reverse %v) event %d = %d %s; want %d %s", reverse, i, got[i].ID, got[i].Type, all[i].ID, all[i].Type)
			}
		}
	}
}

func testTasksRetryCatch(t *testing.T, newStore NewStore) {
	h := newHarness(t, newStore, nil)
	ctx := h.ctx
	h.machine("retry", `{"StartAt":"T","States":{
	  "T":{"Type":"Task","Resource":"`+fnFlaky+`","Retry":[{"ErrorEquals":["Flaky"],"IntervalSeconds":2,"MaxAttempts":3,"BackoffRate":2}],
	       "Catch":[{"ErrorEquals":["Fatal"],"ResultPath":"$.err","Next":"Caught"}],"ResultPath":"$.r","Next":"D"},
	  "D":{"Type":"Task","Resource":"`+fnDouble+`","InputPath":"$.r","End":true},
	  "Caught":{"Type":"Pass","End":true}}}`)
	attempts := map[string]int{}
	var tokens []string
	flaky := func(failWith string, times int) answer {
		return func(tk engine.Task, in any) (any, *statelang.Failure, bool) {
			if tk.Resource == fnDouble {
				return double(tk, in)
			}
			tokens = append(tokens, tk.Token)
			m := in.(map[string]any)
			key := m["id"].(string)
			attempts[key]++
			if tk.Attempt != int64(attempts[key]-1) {
				t.Errorf("task attempt = %d; want %d", tk.Attempt, attempts[key]-1)
			}
			if attempts[key] <= times {
				return nil, &statelang.Failure{Name: failWith, Cause: "try again"}, true
			}
			return m["n"], nil, true
		}
	}
	x := h.start("retry", "ok", `{"id":"ok","n":21}`)
	if got := h.drive(x.ARN, flaky("Flaky", 2)); got.Status != engine.StatusSucceeded || got.Output != "42" {
		t.Errorf("retried execution = %s %s %s; want SUCCEEDED 42", got.Status, got.Output, got.Cause)
	}
	evs := h.history(x.ARN)
	CheckHistory(t, x.ARN, evs)
	if n := count(evs, "LambdaFunctionFailed"); n != 2 {
		t.Errorf("%d LambdaFunctionFailed events; want 2: %v", n, types(evs))
	}
	for i, tok := range tokens {
		_, status, err := h.store.GetTask(ctx, tok)
		want := engine.TaskFailed
		if i == len(tokens)-1 {
			want = engine.TaskSucceeded
		}
		if err != nil || status != want {
			t.Errorf("GetTask(attempt %d) = %s, %v; want %s", i, status, err, want)
		}
	}
	if err := h.eng.SendTaskSuccess(ctx, tokens[0], `1`); !errors.Is(err, engine.ErrTaskClosed) {
		t.Errorf("SendTaskSuccess(a failed attempt's token) = %v; want ErrTaskClosed", err)
	}
	if got := h.describe(x.ARN); got.Output != "42" {
		t.Errorf("a late result changed the output to %s", got.Output)
	}
	y := h.start("retry", "caught", `{"id":"caught","n":1}`)
	if got := h.drive(y.ARN, flaky("Fatal", 1)); got.Status != engine.StatusSucceeded ||
		got.Output != `{"err":{"Cause":"try again","Error":"Fatal"},"id":"caught","n":1}` {
		t.Errorf("caught execution = %s %s; want SUCCEEDED with $.err", got.Status, got.Output)
	}
	z := h.start("retry", "exhausted", `{"id":"exhausted","n":1}`)
	if got := h.drive(z.ARN, flaky("Flaky", 100)); got.Status != engine.StatusFailed || got.Error != "Flaky" || got.Cause != "try again" {
		t.Errorf("exhausted execution = %s %s %s; want FAILED Flaky", got.Status, got.Error, got.Cause)
	}
	if attempts["exhausted"] != 4 {
		t.Errorf("%d attempts; want 4 (1 + MaxAttempts 3)", attempts["exhausted"])
	}
}

func testTimers(t *testing.T, newStore NewStore) {
	h := newHarness(t, newStore, nil)
	h.machine("wait", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":30,"Next":"T"},
	  "T":{"Type":"Task","Resource":"`+fnDouble+`","End":true}}}`)
	x := h.start("wait", "w", `4`)
	h.clock.Add(29 * time.Second)
	h.tick()
	if got := h.describe(x.ARN); got.Status != engine.StatusRunning || len(h.q.take()) != 0 {
		t.Fatalf("before the Wait ends: %s; want RUNNING with no task", got.Status)
	}
	got := h.drive(x.ARN, double)
	if got.Status != engine.StatusSucceeded || got.Output != "8" {
		t.Errorf("execution = %s %s; want SUCCEEDED 8", got.Status, got.Output)
	}
	if got.StopDate.Sub(got.StartDate) < 30*time.Second {
		t.Errorf("the execution ended %v after it started; want at least the Wait's 30s of clock", got.StopDate.Sub(got.StartDate))
	}
	evs := h.history(x.ARN)
	CheckHistory(t, x.ARN, evs)
	if n := count(evs, "WaitStateExited"); n != 1 {
		t.Errorf("%d WaitStateExited; want 1", n)
	}
}

func testTimerLease(t *testing.T, newStore NewStore) {
	h := newHarness(t, newStore, nil)
	ctx := h.ctx
	h.machine("wait", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":10,"End":true}}}`)
	x := h.start("wait", "w", `{}`)
	now := h.clock.Now()
	if ts, err := h.store.ClaimDueTimers(ctx, now, time.Minute, 10); err != nil || len(ts) != 0 {
		t.Fatalf("ClaimDueTimers(before due) = %v, %v; want none", ts, err)
	}
	due := now.Add(10 * time.Second)
	ts, err := h.store.ClaimDueTimers(ctx, due, time.Minute, 10)
	if err != nil || len(ts) != 1 || ts[0].ExecutionID != x.ID {
		t.Fatalf("ClaimDueTimers(due) = %v, %v; want the Wait's timer", ts, err)
	}
	if again, err := h.store.ClaimDueTimers(ctx, due, time.Minute, 10); err != nil || len(again) != 0 {
		t.Errorf("ClaimDueTimers(while leased) = %v, %v; want none", again, err)
	}
	if again, err := h.store.ClaimDueTimers(ctx, due.Add(time.Minute), time.Minute, 10); err != nil || len(again) != 1 {
		t.Errorf("ClaimDueTimers(after the lease) = %v, %v; want it again", again, err)
	}
	// Many due timers, claimed in batches, each once per lease.
	for i := range 7 {
		h.start("wait", fmt.Sprintf("w%d", i), `{}`)
	}
	seen := map[int64]int{}
	for range 5 {
		b, err := h.store.ClaimDueTimers(ctx, due.Add(2*time.Minute), time.Minute, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 3 {
			t.Errorf("ClaimDueTimers(limit 3) = %d timers", len(b))
		}
		for _, tm := range b {
			seen[tm.ExecutionID]++
		}
	}
	if len(seen) != 8 {
		t.Errorf("claimed the timers of %d executions; want 8", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("execution %d's timer claimed %d times within one lease", id, n)
		}
	}
	h.clock.Add(5 * time.Minute)
	h.tick()
	if got := h.describe(x.ARN); got.Status != engine.StatusSucceeded {
		t.Errorf("after the lease: %s; want SUCCEEDED", got.Status)
	}
}

func testParallelAndMap(t *testing.T, newStore NewStore) {
	h := newHarness(t, newStore, nil)
	h.machine("fan", `{"StartAt":"Fan","States":{
	  "Fan":{"Type":"Parallel","Next":"Shape","Branches":[
	    {"StartAt":"A","States":{"A":{"Type":"Task","Resource":"`+fnDouble+`","InputPath":"$.x","End":true}}},
	    {"StartAt":"Each","States":{"Each":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":2,"End":true,
	      "ItemProcessor":{"StartAt":"D","States":{"D":{"Type":"Task","Resource":"`+fnDouble+`","End":true}}}}}}]},
	  "Shape":{"Type":"Pass","Parameters":{"x2.$":"$[0]","items2.$":"$[1]"},"End":true}}}`)
	x := h.start("fan", "f", `{"x":5,"items":[1,2,3,4,5]}`)
	got := h.drive(x.ARN, double)
	if got.Status != engine.StatusSucceeded || got.Output != `{"items2":[2,4,6,8,10],"x2":10}` {
		t.Errorf("execution = %s %s; want SUCCEEDED {\"items2\":[2,4,6,8,10],\"x2\":10}", got.Status, got.Output)
	}
	evs := h.history(x.ARN)
	CheckHistory(t, x.ARN, evs)
	for typ, want := range map[statelang.EventType]int{"ParallelStateExited": 1, "MapStateSucceeded": 1, "MapIterationSucceeded": 5, "LambdaFunctionSucceeded": 6} {
		if n := count(evs, typ); n != want {
			t.Errorf("%d %s events; want %d: %v", n, typ, want, types(evs))
		}
	}
	// A failing Map iteration fails the whole Map and cancels the others.
	y := h.start("fan", "g", `{"x":5,"items":[1,"two",3]}`)
	got = h.drive(y.ARN, double)
	if got.Status != engine.StatusFailed || got.Error != "BadInput" {
		t.Errorf("execution with a bad item = %s %s; want FAILED BadInput", got.Status, got.Error)
	}
	CheckHistory(t, y.ARN, h.history(y.ARN))
}

func testStop(t *testing.T, newStore NewStore) {
	h := newHarness(t, newStore, nil)
	ctx := h.ctx
	h.machine("m", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+fnHang+`","End":true}}}`)
	x := h.start("m", "s", `{}`)
	tasks := h.q.take()
	if len(tasks) != 1 {
		t.Fatalf("%d tasks; want 1", len(tasks))
	}
	got, err := h.eng.StopExecution(ctx, x.ARN, "Manual", "stopped by the test")
	if err != nil || got.Status != engine.StatusAborted || got.StopDate.IsZero() {
		t.Fatalf("StopExecution = %+v, %v; want ABORTED", got, err)
	}
	if got.Error != "Manual" || got.Cause != "stopped by the test" {
		t.Errorf("stopped execution error %q cause %q", got.Error, got.Cause)
	}
	if _, status, err := h.store.GetTask(ctx, tasks[0].Token); err != nil || status != engine.TaskCancelled {
		t.Errorf("GetTask(open task of a stopped execution) = %s, %v; want CANCELLED", status, err)
	}
	if err := h.eng.SendTaskSuccess(ctx, tasks[0].Token, `{}`); !errors.Is(err, engine.ErrTaskClosed) {
		t.Errorf("SendTaskSuccess(after stop) = %v; want ErrTaskClosed", err)
	}
	if _, err := h.eng.StopExecution(ctx, x.ARN, "", ""); !errors.Is(err, engine.ErrExecutionNotRunning) {
		t.Errorf("StopExecution(again) = %v; want ErrExecutionNotRunning", err)
	}
	evs := h.history(x.ARN)
	CheckHistory(t, x.ARN, evs)
	if evs[len(evs)-1].Type != "ExecutionAborted" {
		t.Errorf("last event %s; want ExecutionAborted", evs[len(evs)-1].Type)
	}
	// Nothing is left to fire or dispatch.
	h.clock.Add(time.Hour)
	h.tick()
	if n := len(h.q.take()); n != 0 {
		t.Errorf("%d tasks dispatched after the stop", n)
	}
	if evs2 := h.history(x.ARN); len(evs2) != len(evs) {
		t.Errorf("history grew from %d to %d events after the stop", len(evs), len(evs2))
	}
}

func testTimeouts(t *testing.T, newStore NewStore) {
	h := newHarness(t, newStore, nil)
	ctx := h.ctx
	ignore := func(engine.Task, any) (any, *statelang.Failure, bool) { return nil, nil, false }
	h.machine("tt", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+fnHang+`","TimeoutSeconds":5,"End":true}}}`)
	x := h.start("tt", "a", `{}`)
	if got := h.drive(x.ARN, ignore); got.Status != engine.StatusFailed || got.Error != statelang.ErrTimeout {
		t.Errorf("task timeout: %s %s; want FAILED States.Timeout", got.Status, got.Error)
	}
	h.machine("hb", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+fnHang+`","TimeoutSeconds":100,"HeartbeatSeconds":4,"End":true}}}`)
	y := h.start("hb", "b", `{}`)
	tasks := h.q.take()
	// Heartbeats keep it alive past several heartbeat periods.
	for range 4 {
		h.clock.Add(3 * time.Second)
		if err := h.eng.SendTaskHeartbeat(ctx, tasks[0].Token); err != nil {
			t.Fatalf("SendTaskHeartbeat = %v", err)
		}
		h.tick()
	}
	if got := h.describe(y.ARN); got.Status != engine.StatusRunning {
		t.Fatalf("with heartbeats: %s %s; want RUNNING", got.Status, got.Error)
	}
	if _, status, _ := h.store.GetTask(ctx, tasks[0].Token); status != engine.TaskStarted {
		t.Errorf("task after a heartbeat: %s; want STARTED", status)
	}
	if got := h.drive(y.ARN, ignore); got.Status != engine.StatusFailed || got.Error != statelang.ErrHeartbeatTimeout {
		t.Errorf("heartbeat timeout: %s %s; want FAILED States.HeartbeatTimeout", got.Status, got.Error)
	}
	if _, status, _ := h.store.GetTask(ctx, tasks[0].Token); status != engine.TaskTimedOut {
		t.Errorf("task after its heartbeat timeout: %s; want TIMED_OUT", status)
	}
	if err := h.eng.SendTaskHeartbeat(ctx, tasks[0].Token); !errors.Is(err, engine.ErrTaskClosed) {
		t.Errorf("SendTaskHeartbeat(timed out) = %v; want ErrTaskClosed", err)
	}
	h.machine("et", `{"TimeoutSeconds":20,"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+fnHang+`","End":true}}}`)
	z := h.start("et", "c", `{}`)
	if got := h.drive(z.ARN, ignore); got.Status != engine.StatusTimedOut {
		t.Errorf("execution timeout: %s; want TIMED_OUT", got.Status)
	}
	CheckHistory(t, z.ARN, h.history(z.ARN))
}

func testVersions(t *testing.T, newStore NewStore) {
	h := newHarness(t, newStore, nil)
	ctx := h.ctx
	v := func(n int) string {
		return fmt.Sprintf(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"%s","ResultPath":null,"Next":"V"},"V":{"Type":"Pass","Result":"v%d","End":true}}}`, fnDouble, n)
	}
	h.machine("m", v(1))
	x1 := h.start("m", "one", `1`)
	if _, err := h.eng.UpdateStateMachine(ctx, "m", v(2)); err != nil {
		t.Fatal(err)
	}
	x2 := h.start("m", "two", `1`)
	x3, err := h.eng.StartExecution(ctx, engine.StartExecutionInput{StateMachine: "m", Version: 1, Name: "pinned", Input: `1`})
	if err != nil {
		t.Fatal(err)
	}
	for arn, want := range map[string]string{x1.ARN: `"v1"`, x2.ARN: `"v2"`, x3.ARN: `"v1"`} {
		got := h.drive(arn, double)
		if got.Status != engine.StatusSucceeded || got.Output != want {
			t.Errorf("%s = %s %s; want %s", arn, got.Status, got.Output, want)
		}
	}
	if sm, err := h.eng.DescribeStateMachineForExecution(ctx, x1.ARN); err != nil || sm.Version != 1 {
		t.Errorf("DescribeStateMachineForExecution(one) = version %d, %v; want 1", sm.Version, err)
	}
	if _, err := h.eng.StartExecution(ctx, engine.StartExecutionInput{StateMachine: "m", Version: 9}); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("StartExecution(version 9) = %v; want ErrNotFound", err)
	}
}

func testRedispatch(t *testing.T, newStore NewStore) {
	h := newHarness(t, newStore, func(c *engine.Config) { c.DispatchTimeout = 5 * time.Second })
	ctx := h.ctx
	h.machine("m", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+fnDouble+`","End":true}}}`)
	x := h.start("m", "r", `3`)
	tk := h.q.take()[0]
	h.clock.Add(4 * time.Second)
	h.tick()
	if n := h.q.count(tk.Token); n != 1 {
		t.Errorf("before the dispatch deadline: dispatched %d times; want 1", n)
	}
	h.clock.Add(2 * time.Second)
	h.tick()
	if n := h.q.count(tk.Token); n != 2 {
		t.Errorf("after the dispatch deadline: dispatched %d times; want 2", n)
	}
	h.tick()
	if n := h.q.count(tk.Token); n != 2 {
		t.Errorf("within the new lease: dispatched %d times; want 2", n)
	}
	// A heartbeat (the worker has it) stops re-dispatching.
	if err := h.eng.SendTaskHeartbeat(ctx, tk.Token); err != nil {
		t.Fatal(err)
	}
	h.clock.Add(time.Minute)
	h.tick()
	if n := h.q.count(tk.Token); n != 2 {
		t.Errorf("after a heartbeat: dispatched %d times; want 2", n)
	}
	if err := h.eng.SendTaskSuccess(ctx, tk.Token, `6`); err != nil {
		t.Fatal(err)
	}
	if err := h.eng.SendTaskSuccess(ctx, tk.Token, `6`); !errors.Is(err, engine.ErrTaskClosed) {
		t.Errorf("SendTaskSuccess(twice) = %v; want ErrTaskClosed", err)
	}
	if got := h.describe(x.ARN); got.Status != engine.StatusSucceeded || got.Output != "6" {
		t.Errorf("execution = %s %s; want SUCCEEDED 6", got.Status, got.Output)
	}
	if err := h.eng.SendTaskSuccess(ctx, "1-1-00000000000000000000000000000000", `1`); !errors.Is(err, engine.ErrInvalidToken) && !errors.Is(err, engine.ErrTaskClosed) {
		t.Errorf("SendTaskSuccess(forged token) = %v; want ErrInvalidToken", err)
	}
}

func testCommitConflict(t *testing.T, newStore NewStore) {
	h := newHarness(t, newStore, nil)
	ctx := h.ctx
	h.machine("m", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+fnDouble+`","End":true}}}`)
	x := h.start("m", "c", `7`)
	tk := h.q.take()[0]
	cur, err := h.store.GetExecution(ctx, x.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cur.Version != 1 {
		t.Errorf("version after the first transition = %d; want 1", cur.Version)
	}
	same := func() *engine.Mutation {
		return &engine.Mutation{ExecutionID: cur.ID, Version: cur.Version, Status: cur.Status, LastEventID: cur.LastEventID, State: cur.State}
	}
	if err := h.store.Commit(ctx, same()); err != nil {
		t.Fatalf("Commit(at the current version) = %v", err)
	}
	// A stale writer's whole mutation is refused: no event, no task, no timer.
	stale := same()
	stale.Events = []statelang.HistoryEvent{{ID: cur.LastEventID + 1, PreviousEventID: cur.LastEventID, Type: "PassStateEntered", Timestamp: h.clock.Now()}}
	stale.NewTasks = []engine.Task{{Token: "stale-token", ExecutionID: cur.ID, StateName: "T", Resource: fnDouble, Input: "1", CreatedAt: h.clock.Now(), DispatchAfter: h.clock.Now()}}
	stale.NewTimers = []engine.Timer{{ExecutionID: cur.ID, Key: "stale", FireAt: h.clock.Now()}}
	if err := h.store.Commit(ctx, stale); !errors.Is(err, engine.ErrConflict) {
		t.Fatalf("Commit(at a stale version) = %v; want ErrConflict", err)
	}
	if _, _, err := h.store.GetTask(ctx, "stale-token"); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("GetTask(task of a refused commit) = %v; want ErrNotFound", err)
	}
	if ts, _ := h.store.ClaimDueTimers(ctx, h.clock.Now(), time.Second, 10); len(ts) != 0 {
		t.Errorf("timers of a refused commit: %v", ts)
	}
	if now, _ := h.store.GetExecution(ctx, x.ID); now.Version != 2 || now.LastEventID != cur.LastEventID {
		t.Errorf("after a refused commit: version %d, last event %d; want 2, %d", now.Version, now.LastEventID, cur.LastEventID)
	}
	if err := h.eng.SendTaskSuccess(ctx, tk.Token, `14`); err != nil {
		t.Fatal(err)
	}
	if got := h.describe(x.ARN); got.Status != engine.StatusSucceeded || got.Output != "14" || got.Version != 3 {
		t.Errorf("execution = %s %s version %d; want SUCCEEDED 14 version 3", got.Status, got.Output, got.Version)
	}
	CheckHistory(t, x.ARN, h.history(x.ARN))
	if _, err := h.store.GetExecution(ctx, x.ID+1000); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("GetExecution(unknown) = %v; want ErrNotFound", err)
	}
}

// asyncDispatcher answers tasks in goroutines through one of several
// engines, as workers would through any replica.
type asyncDispatcher struct {
	engines func() []*engine.Engine
	hung    chan string // tokens of fnHang tasks, left unanswered
	mu      sync.Mutex
	n       int
}

func (d *asyncDispatcher) Dispatch(_ context.Context, t engine.Task) (held bool, err error) {
	d.mu.Lock()
	d.n++
	engs := d.engines()
	eng := engs[d.n%len(engs)]
	d.mu.Unlock()
	if t.Resource == fnHang {
		select {
		case d.hung <- t.Token:
		default:
		}
		return false, nil
	}
	go func() {
		in, _ := statelang.ParseJSON([]byte(t.Input))
		out, fail, _ := double(t, in)
		if fail != nil {
			_ = eng.SendTaskFailure(context.Background(), t.Token, fail.Name, fail.Cause)
			return
		}
		_ = eng.SendTaskSuccess(context.Background(), t.Token, statelang.MarshalString(out))
	}()
	return false, nil
}

func testConcurrentEngines(t *testing.T, newStore NewStore) {
	s := newStore(t)
	var engines []*engine.Engine
	d := &asyncDispatcher{engines: func() []*engine.Engine { return engines }, hung: make(chan string, 16)}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	for range 3 {
		eng, err := engine.New(engine.Config{Store: s, Dispatcher: d, PollInterval: 10 * time.Millisecond, DispatchTimeout: 2 * time.Second, TimerLease: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		engines = append(engines, eng)
	}
	for _, eng := range engines {
		wg.Add(1)
		go func() { defer wg.Done(); _ = eng.Run(ctx) }()
	}
	def := `{"StartAt":"Fan","States":{
	  "Fan":{"Type":"Parallel","Next":"Wait","Branches":[
	    {"StartAt":"A","States":{"A":{"Type":"Task","Resource":"` + fnDouble + `","InputPath":"$.x","End":true}}},
	    {"StartAt":"Each","States":{"Each":{"Type":"Map","ItemsPath":"$.items","End":true,
	      "ItemProcessor":{"StartAt":"D","States":{"D":{"Type":"Task","Resource":"` + fnDouble + `","End":true}}}}}}]},
	  "Wait":{"Type":"Wait","Seconds":0,"Next":"Shape"},
	  "Shape":{"Type":"Pass","Parameters":{"x2.$":"$[0]","items2.$":"$[1]"},"End":true}}}`
	if _, err := engines[0].CreateStateMachine(ctx, "conc", def, role); err != nil {
		t.Fatal(err)
	}
	const n = 24
	arns := make([]string, n)
	var startWG sync.WaitGroup
	for i := range n {
		startWG.Add(1)
		go func() {
			defer startWG.Done()
			x, err := engines[i%3].StartExecution(ctx, engine.StartExecutionInput{StateMachine: "conc", Name: fmt.Sprintf("c%02d", i),
				Input: fmt.Sprintf(`{"x":%d,"items":[%d,%d,%d]}`, i, i, i+1, i+2)})
			if err != nil {
				t.Errorf("StartExecution(c%02d) = %v", i, err)
				return
			}
			arns[i] = x.ARN
		}()
	}
	startWG.Wait()
	deadline := time.Now().Add(2 * time.Minute)
	for i, arn := range arns {
		if arn == "" {
			continue
		}
		var x *engine.Execution
		for {
			var err error
			if x, err = engines[i%3].DescribeExecution(ctx, arn); err != nil {
				t.Fatal(err)
			}
			if x.Status != engine.StatusRunning || time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		want := fmt.Sprintf(`{"items2":[%d,%d,%d],"x2":%d}`, 2*i, 2*(i+1), 2*(i+2), 2*i)
		if x.Status != engine.StatusSucceeded || x.Output != want {
			t.Errorf("%s = %s %s %s %s; want SUCCEEDED %s", arn, x.Status, x.Error, x.Cause, x.Output, want)
			continue
		}
		evs, _, err := engines[0].GetExecutionHistory(ctx, arn, engine.HistoryInput{})
		if err != nil {
			t.Fatal(err)
		}
		CheckHistory(t, arn, evs)
		if got := count(evs, "LambdaFunctionSucceeded"); got != 4 {
			t.Errorf("%s: %d LambdaFunctionSucceeded; want 4", arn, got)
		}
	}
	// The same result from every engine at once is applied exactly once.
	if _, err := engines[0].CreateStateMachine(ctx, "race", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+fnHang+`","End":true}}}`, role); err != nil {
		t.Fatal(err)
	}
	x, err := engines[0].StartExecution(ctx, engine.StartExecutionInput{StateMachine: "race", Name: "r", Input: `{}`})
	if err != nil {
		t.Fatal(err)
	}
	var tok string
	select {
	case tok = <-d.hung:
	case <-time.After(time.Minute):
		t.Fatal("the race task was not dispatched")
	}
	var race sync.WaitGroup
	results := make([]error, 6)
	for i := range results {
		race.Add(1)
		go func() { defer race.Done(); results[i] = engines[i%3].SendTaskSuccess(ctx, tok, fmt.Sprint(i)) }()
	}
	race.Wait()
	applied := 0
	for _, err := range results {
		if err == nil {
			applied++
		} else if !errors.Is(err, engine.ErrTaskClosed) {
			t.Errorf("SendTaskSuccess(racing) = %v", err)
		}
	}
	if applied != 1 {
		t.Errorf("%d of 6 racing SendTaskSuccess applied; want 1", applied)
	}
	evs, _, _ := engines[0].GetExecutionHistory(ctx, x.ARN, engine.HistoryInput{})
	CheckHistory(t, x.ARN, evs)
}
