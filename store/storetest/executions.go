package storetest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/statelang"
)

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
