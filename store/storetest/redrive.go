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

// testRedrive: an execution whose wide inline Map (written in parts while
// it runs) fails in one iteration beside a Parallel branch that succeeded
// ends FAILED keeping what a redrive needs; a new engine (nothing cached)
// redrives it once per client token, reruns only the failed iteration, and
// it succeeds with every earlier result (answered in order, iterations
// 0-6 succeed, 7 fails and 8-99 are aborted with it); the redrive columns read back;
// the maintenance loop expires another failed execution's window.
func testRedrive(t *testing.T, newStore NewStore) {
	h := newHarness(t, newStore, nil)
	h.machine("m", `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
		{"StartAt":"D","States":{"D":{"Type":"Task","Resource":"`+fnDouble+`","InputPath":"$.n","End":true}}},
		{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","End":true,
			"ItemProcessor":{"StartAt":"F","States":{"F":{"Type":"Task","Resource":"`+fnFlaky+`","End":true}}}}}}]}}}`)
	var items []string
	for i := range 100 {
		items = append(items, fmt.Sprint(i))
	}
	x := h.start("m", "r", `{"n":21,"items":[`+strings.Join(items, ",")+`]}`)
	failing := true
	asked := map[string]int{}
	ans := func(tk engine.Task, in any) (any, *statelang.Failure, bool) {
		asked[tk.Resource]++
		if tk.Resource == fnDouble {
			return double(tk, in)
		}
		if in == int64(7) && failing {
			return nil, &statelang.Failure{Name: "Flaky", Cause: "seven"}, true
		}
		return in, nil, true
	}
	got := h.drive(x.ARN, ans)
	if got.Status != engine.StatusFailed || got.Error != "Flaky" {
		t.Fatalf("first run: %s %s; want FAILED Flaky", got.Status, got.Error)
	}
	if want := got.StopDate.Add(engine.RedriveWindow); !got.RedriveUntil.Equal(want) || got.RedriveCount != 0 {
		t.Errorf("failed execution: RedriveUntil %v, RedriveCount %d; want %v, 0", got.RedriveUntil, got.RedriveCount, want)
	}
	if s, r := h.eng.RedriveStatus(got); s != engine.RedriveRedrivable || r != "" {
		t.Errorf("RedriveStatus = %s %q; want REDRIVABLE", s, r)
	}
	before := len(h.history(x.ARN))

	// A new engine: the state is read from the store, not a cache.
	eng, err := engine.New(engine.Config{Store: h.store, Dispatcher: h.q, Now: h.clock.Now, DispatchTimeout: 30 * time.Second, TimerLease: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	h.eng = eng
	h.clock.Add(time.Minute)
	failing = false
	clear(asked)
	date, err := h.eng.RedriveExecution(h.ctx, x.ARN, "token-1")
	if err != nil || !date.Equal(h.clock.Now()) {
		t.Fatalf("RedriveExecution = %v, %v; want %v", date, err, h.clock.Now())
	}
	h.clock.Add(time.Second)
	if again, err := h.eng.RedriveExecution(h.ctx, x.ARN, "token-1"); err != nil || !again.Equal(date) {
		t.Errorf("RedriveExecution with the same token = %v, %v; want %v", again, err, date)
	}
	run := h.describe(x.ARN)
	if run.Status != engine.StatusRunning || run.RedriveCount != 1 || !run.RedriveDate.Equal(date) || !run.RedriveUntil.IsZero() {
		t.Errorf("redriven: %s count %d date %v until %v; want RUNNING 1 %v none", run.Status, run.RedriveCount, run.RedriveDate, run.RedriveUntil, date)
	}
	got = h.drive(x.ARN, ans)
	if got.Status != engine.StatusSucceeded {
		t.Fatalf("after the redrive: %s %s %s; want SUCCEEDED", got.Status, got.Error, got.Cause)
	}
	if want := `[42,[` + strings.Join(items, ",") + `]]`; got.Output != want {
		t.Errorf("output = %s; want %s", got.Output, want)
	}
	// Iterations 0-6 succeeded, 7 failed and 8-99 were aborted with it.
	if asked[fnDouble] != 0 || asked[fnFlaky] != 93 {
		t.Errorf("tasks after the redrive = %v; want only those of the 93 unsuccessful iterations", asked)
	}
	evs := h.history(x.ARN)
	for i, e := range evs {
		if e.ID != int64(i+1) {
			t.Fatalf("history event %d has id %d", i, e.ID)
		}
	}
	if count(evs, "ExecutionRedriven") != 1 || evs[before].Type != "ExecutionRedriven" || evs[len(evs)-1].Type != "ExecutionSucceeded" {
		t.Errorf("history after the redrive = %v; want ExecutionRedriven after event %d, ExecutionSucceeded last", types(evs[before-1:]), before)
	}
	xs, _, err := h.eng.ListExecutions(h.ctx, engine.ListExecutionsInput{StateMachine: "m"})
	if err != nil || len(xs) != 1 || xs[0].RedriveCount != 1 || !xs[0].RedriveDate.Equal(date) {
		t.Errorf("ListExecutions = %+v, %v; want the execution with RedriveCount 1 and its date", xs, err)
	}
	var nr *engine.NotRedrivableError
	if _, err := h.eng.RedriveExecution(h.ctx, x.ARN, ""); !errors.As(err, &nr) || nr.Reason != "Execution is SUCCEEDED and cannot be redriven" {
		t.Errorf("RedriveExecution of a SUCCEEDED execution = %v; want not redrivable, SUCCEEDED", err)
	}

	// Another failure, left for the redrive window to pass.
	failing = true
	y := h.start("m", "late", `{"n":1,"items":[7]}`)
	if got := h.drive(y.ARN, ans); got.Status != engine.StatusFailed {
		t.Fatalf("second execution: %s; want FAILED", got.Status)
	}
	h.clock.Add(engine.RedriveWindow + time.Second)
	h.tick()
	late := h.describe(y.ARN)
	if !late.RedriveUntil.IsZero() || strings.Contains(string(late.State), `"frames"`) {
		t.Errorf("after the window: RedriveUntil %v, state %s; want none kept", late.RedriveUntil, late.State)
	}
	if _, err := h.eng.RedriveExecution(h.ctx, y.ARN, ""); !errors.As(err, &nr) || nr.Reason != "Execution redrivable period exceeded" {
		t.Errorf("RedriveExecution after the window = %v; want not redrivable, period exceeded", err)
	}
}
