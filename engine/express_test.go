package engine

import (
	"sync"
	"testing"
)

// TestExpressHubOneChildPerTask: dispatches of one parent's task that
// start its express child at the same instant start one child; the others
// find it. Once it is removed, the task's next dispatch starts a new one.
func TestExpressHubOneChildPerTask(t *testing.T) {
	h := newExpressHub()
	const n = 16
	runs := make([]*expressRun, n)
	got := make([]*expressRun, n)
	var wg sync.WaitGroup
	for i := range n {
		runs[i] = &expressRun{result: Execution{ParentToken: "task-1"}}
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = h.add(runs[i])
		}()
	}
	wg.Wait()
	var held *expressRun
	for i, r := range got {
		if r == nil {
			if held != nil {
				t.Fatalf("two children held for one task (runs %d and another)", i)
			}
			held = runs[i]
		}
	}
	if held == nil {
		t.Fatal("no child held for the task")
	}
	for i, r := range got {
		if r != nil && r != held {
			t.Errorf("dispatch %d found run %d; want the held one %d", i, r.x.ID, held.x.ID)
		}
	}
	if h.child("task-1") != held || len(h.runs) != 1 {
		t.Errorf("hub holds %d runs; want the one child", len(h.runs))
	}
	// Runs without a parent's task are all held.
	for range 3 {
		if r := h.add(&expressRun{}); r != nil {
			t.Fatal("a run without a parent's task was refused")
		}
	}
	h.remove(held)
	if h.child("task-1") != nil {
		t.Fatal("the ended child is still found")
	}
	again := &expressRun{result: Execution{ParentToken: "task-1"}}
	if h.add(again) != nil || h.child("task-1") != again {
		t.Error("the task's next dispatch did not start a new child")
	}
}
