package storetest

import (
	"context"
	"testing"

	"github.com/stepwise-dev/stepwise/engine"
)

// Backlog is the optional store method behind the telemetry gauges
// stepwise_tasks_open and stepwise_executions_running (telemetry.Backlog;
// declared again here, as storetest imports no telemetry).
type Backlog interface {
	Backlog(ctx context.Context) (openTasks, runningExecutions int64, err error)
}

// RunBacklog checks a store's Backlog: open tasks are the SCHEDULED and
// STARTED ones, running executions the RUNNING ones; answered, cancelled
// and ended ones leave the counts. The store newStore returns must
// implement Backlog.
func RunBacklog(t *testing.T, newStore NewStore) {
	t.Parallel()
	h := newHarness(t, newStore, nil)
	b, ok := h.store.(Backlog)
	if !ok {
		t.Fatalf("%T has no Backlog method", h.store)
	}
	want := func(tasks, running int64) {
		t.Helper()
		gotTasks, gotRunning, err := b.Backlog(h.ctx)
		if err != nil || gotTasks != tasks || gotRunning != running {
			t.Errorf("Backlog() = %d, %d, %v; want %d, %d", gotTasks, gotRunning, err, tasks, running)
		}
	}
	want(0, 0)
	h.machine("one", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+fnHang+`","End":true}}}`)
	h.machine("two", `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[`+
		`{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"`+fnHang+`","End":true}}},`+
		`{"StartAt":"B","States":{"B":{"Type":"Task","Resource":"`+fnHang+`","End":true}}}]}}}`)
	h.machine("pass", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)

	a := h.start("one", "a", `{}`)
	b1 := h.start("one", "b", `{}`)
	h.start("two", "c", `{}`)
	if x := h.start("pass", "d", `{}`); x.Status != engine.StatusSucceeded {
		t.Fatalf("pass execution %s; want SUCCEEDED at once", x.Status)
	}
	tasks := map[string]engine.Task{}
	for _, tk := range h.q.take() {
		tasks[tk.ExecutionARN] = tk
	}
	want(4, 3)

	// A heartbeat makes a task STARTED: still open.
	if err := h.eng.SendTaskHeartbeat(h.ctx, tasks[a.ARN].Token); err != nil {
		t.Fatalf("SendTaskHeartbeat = %v", err)
	}
	if _, status, err := h.store.GetTask(h.ctx, tasks[a.ARN].Token); err != nil || status != engine.TaskStarted {
		t.Errorf("GetTask(after a heartbeat) = %s, %v; want %s", status, err, engine.TaskStarted)
	}
	want(4, 3)

	// An answered task and its ended execution leave the counts.
	if err := h.eng.SendTaskSuccess(h.ctx, tasks[b1.ARN].Token, `{}`); err != nil {
		t.Fatalf("SendTaskSuccess = %v", err)
	}
	if x := h.describe(b1.ARN); x.Status != engine.StatusSucceeded {
		t.Fatalf("execution b %s; want SUCCEEDED", x.Status)
	}
	want(3, 2)

	// A stop cancels the open (STARTED) task.
	if _, err := h.eng.StopExecution(h.ctx, a.ARN, "Manual", ""); err != nil {
		t.Fatalf("StopExecution = %v", err)
	}
	want(2, 1)
}
