package main

import (
	"log/slog"
	"slices"
	"testing"
	"time"
)

// TestGroupStages: drain waits for one stage's components only, and
// returns those still running at its deadline.
func TestGroupStages(t *testing.T) {
	g := newGroup(slog.New(slog.DiscardHandler))
	apis, core := make(chan struct{}), make(chan struct{})
	g.start(stageAPIs, "http", func() error { <-apis; return nil })
	g.start(stageCore, "engine", func() error { <-core; return nil })
	close(apis)
	if left := g.drain(stageAPIs, time.Now().Add(10*time.Second)); left != nil {
		t.Fatalf("drain(apis) = %q; want nil", left)
	}
	if left := g.left(stageCore); !slices.Equal(left, []string{"engine"}) {
		t.Fatalf("after the APIs' drain, core's running = %q; want [engine]", left)
	}
	if left := g.drain(stageCore, time.Now().Add(20*time.Millisecond)); !slices.Equal(left, []string{"engine"}) {
		t.Errorf("drain(core) before the engine ends = %q; want [engine]", left)
	}
	close(core)
	if left := g.drain(stageCore, time.Now().Add(10*time.Second)); left != nil {
		t.Errorf("drain(core) = %q; want nil", left)
	}
}
