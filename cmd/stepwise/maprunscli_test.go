package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/internal/testserver"
)

// onlyRunARN returns the ARN of the one Map Run `maprun list` printed.
func onlyRunARN(t *testing.T, out string) string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		return ""
	}
	f := strings.Fields(lines[1])
	return f[len(f)-1]
}

func TestCLIMapRuns(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	addr := "--addr=" + srv.GRPCAddr

	mustRun(t, "machine", "create", "dmap", file(t, "dmap.json", testserver.MapRunASL), addr)
	arn := strings.TrimSpace(mustRun(t, "start", "dmap", `[{"n":1},{"n":2,"fail":true},{"n":3}]`, "--name", "x", addr))
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if out := mustRun(t, "describe", arn, addr); !strings.Contains(out, "RUNNING") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("execution %s still running", arn)
		}
	}
	out := mustRun(t, "maprun", "list", arn, addr)
	run := onlyRunARN(t, out)
	if !strings.Contains(out, "SUCCEEDED") || !strings.Contains(run, ":mapRun:dmap/Items:") {
		t.Fatalf("maprun list = %q; want one SUCCEEDED run", out)
	}
	out = mustRun(t, "maprun", "describe", run, addr)
	for _, want := range []string{"status:              SUCCEEDED", "label Items", "tolerated failures:  0%, 1",
		"executions:          3 total: 0 pending, 0 running, 2 succeeded, 1 failed, 0 timed out, 0 aborted"} {
		if !strings.Contains(out, want) {
			t.Errorf("maprun describe = %q; want %q", out, want)
		}
	}
	out = mustRun(t, "maprun", "executions", run, "--status", "failed", addr)
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 || !strings.Contains(lines[1], "FAILED") {
		t.Fatalf("maprun executions --status failed = %q; want one FAILED child", out)
	}
	child := strings.Fields(strings.Split(strings.TrimSpace(out), "\n")[1])
	out = mustRun(t, "describe", child[len(child)-1], addr)
	if !strings.Contains(out, "parent:") || !strings.Contains(out, arn) || !strings.Contains(out, run) {
		t.Errorf("describe child = %q; want its parent %s and map run %s", out, arn, run)
	}
	if out := mustRun(t, "maprun", "executions", run, addr); strings.Count(out, "\n") != 4 {
		t.Errorf("maprun executions = %q; want 3 children", out)
	}

	// Errors.
	if code, _, errOut := stepwise(t, "maprun", "update", run, addr); code != 2 || !strings.Contains(errOut, "--max-concurrency") {
		t.Errorf("maprun update (no flag): exit %d, %q; want 2", code, errOut)
	}
	if code, _, errOut := stepwise(t, "maprun", "update", run, "--tolerated-failure-percentage", "101", addr); code != 1 ||
		!strings.Contains(errOut, "tolerated_failure_percentage must be from 0 to 100") {
		t.Errorf("maprun update 101%%: exit %d, %q", code, errOut)
	}
	if code, _, errOut := stepwise(t, "maprun", "update", run, "--max-concurrency", "3", addr); code != 1 || !strings.Contains(errOut, "is not running") {
		t.Errorf("maprun update (ended): exit %d, %q", code, errOut)
	}
	gone := strings.Replace(run, ":mapRun:dmap/", ":mapRun:gone/", 1)
	if code, _, errOut := stepwise(t, "maprun", "describe", gone, addr); code != 1 || !strings.Contains(errOut, "does not exist") {
		t.Errorf("maprun describe (unknown): exit %d, %q", code, errOut)
	}
	if code, _, errOut := stepwise(t, "maprun", "executions", run, "--status", "LOST", addr); code != 2 {
		t.Errorf("maprun executions --status LOST: exit %d, %q; want 2", code, errOut)
	}

	// A running run, updated.
	slow := file(t, "slow.json", testserver.SlowMapRunASL)
	mustRun(t, "machine", "create", "slow", slow, addr)
	arn = strings.TrimSpace(mustRun(t, "start", "slow", `[1,2,3]`, addr))
	for deadline := time.Now().Add(30 * time.Second); run == "" || !strings.Contains(run, ":mapRun:slow/"); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no Map Run for %s", arn)
		}
		run = onlyRunARN(t, mustRun(t, "maprun", "list", arn, addr))
	}
	out = mustRun(t, "maprun", "update", run, "--max-concurrency", "2", "--tolerated-failure-count", "1", addr)
	if !strings.Contains(out, "max concurrency:     2") || !strings.Contains(out, "tolerated failures:  0%, 1") {
		t.Errorf("maprun update = %q", out)
	}
	mustRun(t, "stop", arn, addr)
}
