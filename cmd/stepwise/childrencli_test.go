package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/internal/testserver"
)

// TestCLIChildren: `stepwise children` lists the executions a parent
// started (two nested, two of a distributed Map), newest first, the Map's
// with their Map Run; --kind picks; errors name what is wrong.
func TestCLIChildren(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	addr := "--addr=" + srv.GRPCAddr

	mustRun(t, "machine", "create", "kid", file(t, "kid.json", testserver.KidASL), addr)
	kidARN := "arn:aws:states:us-east-1:111111111111:stateMachine:kid"
	mustRun(t, "machine", "create", "nested", file(t, "nested.json", testserver.NestedASL(kidARN)), addr)
	arn := strings.TrimSpace(mustRun(t, "start", "nested", `{"items":[1,2]}`, "--name", "p1", addr))
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if out := mustRun(t, "describe", arn, addr); strings.Contains(out, "SUCCEEDED") {
			break
		} else if !strings.Contains(out, "RUNNING") || time.Now().After(deadline) {
			t.Fatalf("describe %s = %q; want SUCCEEDED", arn, out)
		}
	}
	run := onlyRunARN(t, mustRun(t, "maprun", "list", arn, addr))

	out := mustRun(t, "children", arn, addr)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "NAME") || !strings.Contains(lines[0], "MAP RUN") {
		t.Fatalf("children = %q; want a header and 4 children", out)
	}
	for i, line := range lines[1:] {
		f := strings.Fields(line)
		if len(f) != 7 || f[1] != "SUCCEEDED" {
			t.Errorf("children line %d = %q; want 7 columns, SUCCEEDED", i+1, line)
			continue
		}
		nested := i >= 2 // newest first: the Map's two children, then fired, then synced
		if wantRun := map[bool]string{true: "-", false: run}[nested]; f[5] != wantRun {
			t.Errorf("children line %d map run = %q; want %q", i+1, f[5], wantRun)
		}
		if nested && (f[2] != "kid" || f[0] != map[int]string{2: "p1-fired", 3: "p1-synced"}[i]) {
			t.Errorf("children line %d = %q; want p1-fired then p1-synced of kid", i+1, line)
		}
	}
	out = mustRun(t, "children", arn, "--kind", "nested", addr)
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 3 || !strings.HasPrefix(lines[1], "p1-fired ") || !strings.HasPrefix(lines[2], "p1-synced ") {
		t.Errorf("children --kind nested = %q; want p1-fired, p1-synced", out)
	}
	out = mustRun(t, "children", arn, "--kind", "map-run", "--json", addr)
	if strings.Count(out, `"mapRunArn"`) != 2 || strings.Contains(out, "p1-") {
		t.Errorf("children --kind map-run --json = %q; want the Map's two children with their Map Run", out)
	}
	code, out, errOut := stepwise(t, "children", arn, "--limit", "1", addr)
	if code != 0 || strings.Count(strings.TrimSpace(out), "\n") != 1 || !strings.Contains(errOut, "more: --page-token ") {
		t.Errorf("children --limit 1: exit %d, %q, %q; want one child and the next page's token", code, out, errOut)
	}

	// Errors.
	gone := strings.Replace(arn, ":p1", ":gone", 1)
	if code, _, errOut := stepwise(t, "children", gone, addr); code != 1 || !strings.Contains(errOut, `execution "`+gone+`" does not exist`) {
		t.Errorf("children (unknown): exit %d, %q; want 1 naming the execution", code, errOut)
	}
	if code, _, errOut := stepwise(t, "children", "nope", addr); code != 1 || !strings.Contains(errOut, `malformed ARN "nope"`) {
		t.Errorf("children (malformed): exit %d, %q; want 1, malformed ARN", code, errOut)
	}
	if code, _, errOut := stepwise(t, "children", arn, "--kind", "some", addr); code != 2 || !strings.Contains(errOut, "unknown kind") {
		t.Errorf("children --kind some: exit %d, %q; want 2", code, errOut)
	}
	if code, _, _ := stepwise(t, "children", addr); code != 2 {
		t.Errorf("children (no ARN): exit %d; want 2", code)
	}
}
