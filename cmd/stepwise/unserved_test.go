package main

import (
	"flag"
	"io"
	"testing"
	"time"
)

// TestUnservedFlag: --unserved-task-timeout defaults to 60s in the server
// and 10s in dev, STEPWISE_UNSERVED_TASK_TIMEOUT sets it, the flag wins.
func TestUnservedFlag(t *testing.T) {
	parse := func(args ...string) (server, dev time.Duration) {
		t.Helper()
		fs := flag.NewFlagSet("server", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		s := serverFlags(fs)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		fs = flag.NewFlagSet("dev", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		d := devFlags(fs)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		return s.Unserved, d.Unserved
	}
	if s, d := parse(); s != time.Minute || d != 10*time.Second {
		t.Errorf("defaults = %v, %v; want 1m0s (server), 10s (dev)", s, d)
	}
	t.Setenv("STEPWISE_UNSERVED_TASK_TIMEOUT", "0")
	if s, d := parse(); s != 0 || d != 0 {
		t.Errorf("STEPWISE_UNSERVED_TASK_TIMEOUT=0: %v, %v; want 0, 0", s, d)
	}
	if s, d := parse("--unserved-task-timeout", "2m"); s != 2*time.Minute || d != 2*time.Minute {
		t.Errorf("--unserved-task-timeout 2m = %v, %v; want 2m0s", s, d)
	}
}
