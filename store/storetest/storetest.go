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
	{"ChildList", testChildList},
	{"EndedChildren", testEndedChildren},
	{"StrandedChildren", testStrandedChildren},
	{"MapRuns", testMapRuns},
	{"Express", testExpress},
	{"ExpressMachineCache", testExpressMachineCache},
	{"StandardLogging", testStandardLogging},
	{"Redrive", testRedrive},
	{"MapRunRedrive", testMapRunRedrive},
	{"MapRunPendingRedrive", testMapRunPendingRedrive},
	{"MapRunRunning", testMapRunRunning},
	{"MapRunFailuresNotRedrivable", testMapRunFailuresNotRedrivable},
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
