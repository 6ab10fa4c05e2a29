package storetest

import (
	"testing"

	"github.com/stepwise-dev/stepwise/engine"
)

// testMapRunRunning: a Map Run of EXPRESS children, which have no row
// while they run, keeps how many run in its row (engine.MapRun.Running),
// which the store gives back as written (GetMapRun, ListMapRuns) and
// DescribeMapRun counts as running: 2 of 3 with MaxConcurrency 2, 3 once
// UpdateMapRun allows them, 0 once the parent is stopped.
func testMapRunRunning(t *testing.T, newStore NewStore) {
	h := newHarness(t, newStore, nil)
	h.machine("xr", `{"StartAt":"M","States":{"M":{"Type":"Map","Label":"Items","MaxConcurrency":2,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"W",
			"States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}},
		"End":true}}}`)
	x := h.start("xr", "r", `[1,2,3]`)
	run := h.onlyRun(x.ARN)
	row := func(when string, status string, running int64) {
		t.Helper()
		r, err := h.store.GetMapRun(h.ctx, run)
		if err != nil || r.Status != status || r.Running != running {
			t.Errorf("GetMapRun %s = %s running %d, %v; want %s running %d", when, r.Status, r.Running, err, status, running)
		}
		rs, err := h.store.ListMapRuns(h.ctx, x.ID, 0, 10)
		if err != nil || len(rs) != 1 || rs[0].Running != running {
			t.Errorf("ListMapRuns %s = %+v, %v; want one run, running %d", when, rs, err, running)
		}
	}
	row("while they run", engine.MapRunRunning, 2)
	h.wantCounts("while they run", run, engine.MapRunCounts{Pending: 1, Running: 2, Total: 3})

	three := int64(3)
	if err := h.eng.UpdateMapRun(h.ctx, run, engine.MapRunUpdate{MaxConcurrency: &three}); err != nil {
		t.Fatalf("UpdateMapRun(MaxConcurrency 3) = %v", err)
	}
	row("after UpdateMapRun", engine.MapRunRunning, 3)
	h.wantCounts("after UpdateMapRun", run, engine.MapRunCounts{Running: 3, Total: 3})

	if _, err := h.eng.StopExecution(h.ctx, x.ARN, "", ""); err != nil {
		t.Fatal(err)
	}
	row("after the parent's stop", engine.MapRunAborted, 0)
	if r := h.mapRun(run); r.Status != engine.MapRunAborted || r.Children[engine.StatusRunning] != 0 {
		t.Errorf("DescribeMapRun after the parent's stop = %s %v; want ABORTED, none running", r.Status, r.Children)
	}
}
