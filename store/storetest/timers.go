package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
)

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
