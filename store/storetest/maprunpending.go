package storetest

import (
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/statelang"
)

// mapRunPendingMachine runs one item at a time and fails once more than
// two children failed.
const mapRunPendingMachine = `{"StartAt":"M","States":{"M":{"Type":"Map","Label":"Items","MaxConcurrency":1,"ToleratedFailureCount":2,
	"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"P","States":{
		"P":{"Type":"Pass","Next":"T"},
		"T":{"Type":"Task","Resource":"` + fnDouble + `","End":true}}},
	"End":true}}}`

// failedMapRun starts an execution of a machine named machine
// (mapRunPendingMachine) on items 1 to 4 and drives it to its end,
// failing the tasks of items 1, 2 and 3 (the Map Run fails on the third,
// item 4 never starts); after the first failure it moves the clock by an
// hour. It returns the execution and its Map Run's ARN.
func (h *harness) failedMapRun(machine string) (*engine.Execution, string) {
	h.t.Helper()
	h.machine(machine, mapRunPendingMachine)
	x := h.start(machine, "p", "[1,2,3,4]")
	run := h.onlyRun(x.ARN)
	failures := 0
	got := h.drive(x.ARN, func(tk engine.Task, in any) (any, *statelang.Failure, bool) {
		if n, _ := in.(int64); n <= 3 {
			if failures++; failures == 2 {
				h.clock.Add(time.Hour)
			}
			return nil, &statelang.Failure{Name: "Boom", Cause: "fails"}, true
		}
		return double(tk, in)
	})
	if got.Status != engine.StatusFailed || got.Error != statelang.ErrExceedToleratedFailureThresh {
		h.t.Fatalf("first run of %s: %s %s; want FAILED %s", x.ARN, got.Status, got.Error, statelang.ErrExceedToleratedFailureThresh)
	}
	h.wantCounts("after the first run", run, engine.MapRunCounts{Pending: 1, Failed: 3, Total: 4})
	return x, run
}

// wantCounts checks Map Run run's counts.
func (h *harness) wantCounts(when, run string, want engine.MapRunCounts) {
	h.t.Helper()
	if got := h.mapRun(run).Counts(); got != want {
		h.t.Errorf("Map Run counts %s = %+v; want %+v", when, got, want)
	}
}

// finishItem answers the task of item n (the others wait) until the run
// has succeeded children and running children.
func (h *harness) finishItem(run string, n int64, succeeded, running int64) {
	h.t.Helper()
	h.pump(func() bool {
		c := h.mapRun(run).Children
		return c[engine.StatusSucceeded] == succeeded && c[engine.StatusRunning] == running
	}, func(_ engine.Task, in any) bool { return in == n })
}

// testMapRunPendingRedrive: a Map Run redriven with MaxConcurrency 1 and
// three failed children counts as pendingRedrive the failed children it
// has not run again yet: 2 while the first runs, then 1, then 0, and 0
// once it has ended. A stop of the parent while two wait leaves none
// pending (the run is ABORTED); its next redrive waits for all three
// again, the two it never ran included.
func testMapRunPendingRedrive(t *testing.T, newStore NewStore) {
	h := newHarness(t, newStore, nil)
	x, run := h.failedMapRun("pending")

	h.clock.Add(time.Minute)
	if _, err := h.eng.RedriveExecution(h.ctx, x.ARN, ""); err != nil {
		t.Fatalf("RedriveExecution(%s) = %v", x.ARN, err)
	}
	// Item 1's child is redriven first; those of 2 and 3 wait.
	h.pump(func() bool { return h.mapRun(run).Children[engine.StatusRunning] == 1 }, func(engine.Task, any) bool { return false })
	h.wantCounts("after the redrive", run, engine.MapRunCounts{Pending: 1, Running: 1, Failed: 2, Total: 4, PendingRedrive: 2})

	// Stopped with two waiting: none is pending once the run is ABORTED.
	if _, err := h.eng.StopExecution(h.ctx, x.ARN, "", ""); err != nil {
		t.Fatal(err)
	}
	h.pump(func() bool { return h.mapRun(run).Children[engine.StatusRunning] == 0 }, func(engine.Task, any) bool { return false })
	if r := h.mapRun(run); r.Status != engine.MapRunAborted {
		t.Fatalf("Map Run after the stop = %s; want ABORTED", r.Status)
	}
	h.wantCounts("after the stop", run, engine.MapRunCounts{Pending: 1, Failed: 2, Aborted: 1, Total: 4})

	h.clock.Add(time.Minute)
	if _, err := h.eng.RedriveExecution(h.ctx, x.ARN, ""); err != nil {
		t.Fatalf("second RedriveExecution(%s) = %v", x.ARN, err)
	}
	h.pump(func() bool { return h.mapRun(run).Children[engine.StatusRunning] == 1 }, func(engine.Task, any) bool { return false })
	h.wantCounts("after the second redrive", run, engine.MapRunCounts{Pending: 1, Running: 1, Failed: 2, Total: 4, PendingRedrive: 2})
	h.finishItem(run, 1, 1, 1)
	h.wantCounts("once item 1 succeeded", run, engine.MapRunCounts{Pending: 1, Running: 1, Succeeded: 1, Failed: 1, Total: 4, PendingRedrive: 1})
	h.finishItem(run, 2, 2, 1)
	h.wantCounts("once item 2 succeeded", run, engine.MapRunCounts{Pending: 1, Running: 1, Succeeded: 2, Total: 4})
	h.finishItem(run, 3, 3, 1) // item 4 starts
	h.wantCounts("once item 3 succeeded", run, engine.MapRunCounts{Running: 1, Succeeded: 3, Total: 4})
	if got := h.drive(x.ARN, double); got.Status != engine.StatusSucceeded || got.Output != "[2,4,6,8]" {
		t.Fatalf("after the second redrive: %s %s %s; want SUCCEEDED [2,4,6,8]", got.Status, got.Output, got.Error)
	}
	if r := h.mapRun(run); r.Status != engine.MapRunSucceeded || r.RedriveCount != 2 {
		t.Errorf("Map Run at the end = %s, redriveCount %d; want SUCCEEDED, 2", r.Status, r.RedriveCount)
	}
	h.wantCounts("at the end", run, engine.MapRunCounts{Succeeded: 4, Total: 4})
}

// testMapRunFailuresNotRedrivable: a failed child whose own redrive window
// has passed (its parent's has not) counts in failuresNotRedrivable and
// is NOT_REDRIVABLE; the parent's redrive leaves it FAILED (its failure
// tolerated now) and redrives the other two.
func testMapRunFailuresNotRedrivable(t *testing.T, newStore NewStore) {
	h := newHarness(t, newStore, nil)
	x, run := h.failedMapRun("expired")
	var first *engine.Execution // item 1's child, failed an hour before the parent
	kids, _, err := h.eng.ListExecutions(h.ctx, engine.ListExecutionsInput{MapRun: run})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range kids {
		if c.Input == "1" {
			first = c
		}
	}
	if first == nil {
		t.Fatalf("children of %s = %d; want the child of item 1", run, len(kids))
	}

	h.clock.Add(first.StopDate.Add(engine.RedriveWindow + time.Minute).Sub(h.clock.Now()))
	h.wantCounts("once item 1's redrive window passed", run, engine.MapRunCounts{Pending: 1, Failed: 3, Total: 4, FailuresNotRedrivable: 1})
	if status, reason := h.eng.RedriveStatus(h.describe(first.ARN)); status != engine.RedriveNotRedrivable ||
		reason != "Execution redrivable period exceeded" {
		t.Errorf("RedriveStatus(item 1's child) = %s %q; want NOT_REDRIVABLE, its redrive period exceeded", status, reason)
	}
	if _, err := h.eng.RedriveExecution(h.ctx, x.ARN, ""); err != nil {
		t.Fatalf("RedriveExecution(%s) = %v", x.ARN, err)
	}
	// Item 1's child keeps its failure; item 2's runs, item 3's waits.
	h.pump(func() bool { return h.mapRun(run).Children[engine.StatusRunning] == 1 }, func(engine.Task, any) bool { return false })
	h.wantCounts("after the redrive", run, engine.MapRunCounts{Pending: 1, Running: 1, Failed: 2, Total: 4, PendingRedrive: 1, FailuresNotRedrivable: 1})
	h.finishItem(run, 2, 1, 1)
	h.wantCounts("once item 2 succeeded", run, engine.MapRunCounts{Pending: 1, Running: 1, Succeeded: 1, Failed: 1, Total: 4, FailuresNotRedrivable: 1})
	if got := h.drive(x.ARN, double); got.Status != engine.StatusSucceeded {
		t.Fatalf("after the redrive: %s %s; want SUCCEEDED (one failure tolerated)", got.Status, got.Error)
	}
	h.wantCounts("at the end", run, engine.MapRunCounts{Succeeded: 3, Failed: 1, Total: 4, FailuresNotRedrivable: 1})
	if c := h.describe(first.ARN); c.Status != engine.StatusFailed || c.RedriveCount != 0 {
		t.Errorf("item 1's child at the end: %s, redriven %d times; want FAILED, never redriven", c.Status, c.RedriveCount)
	}
}
