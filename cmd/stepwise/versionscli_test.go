package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/internal/testserver"
)

// TestCLIVersionsAliases: `stepwise version …` and `stepwise alias …`
// against a real server, and `start <machine>:<alias>`.
func TestCLIVersionsAliases(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	addr := "--addr=" + srv.GRPCAddr
	def1 := `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":1,"End":true}}}`
	def2 := `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":2,"End":true}}}`

	mustRun(t, "machine", "create", "cv", file(t, "v1.json", def1), addr)
	if out := mustRun(t, "version", "publish", "cv", "--description", "first", addr); !strings.Contains(out, ":stateMachine:cv:1 version 1 (revision 1)") {
		t.Errorf("version publish = %q", out)
	}
	mustRun(t, "machine", "update", "cv", file(t, "v2.json", def2), addr)
	mustRun(t, "version", "publish", "cv", addr)
	if out := mustRun(t, "machine", "describe", "cv:1", addr); !strings.Contains(out, `"Result":1`) {
		t.Errorf("machine describe cv:1 = %q; want version 1's definition", out)
	}
	out := mustRun(t, "version", "list", "cv", addr)
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 3 || !strings.HasPrefix(lines[1], "2 ") || !strings.Contains(lines[2], "first") {
		t.Errorf("version list = %q; want versions 2 and 1", out)
	}

	out = mustRun(t, "alias", "create", "cv", "live", "2=80", "1=20", "--description", "canary", addr)
	for _, want := range []string{":stateMachine:cv:live", "routing:      2=80% 1=20%", "canary"} {
		if !strings.Contains(out, want) {
			t.Errorf("alias create = %q; want %q", out, want)
		}
	}
	if code, _, errOut := stepwise(t, "alias", "create", "cv", "bad", "2=80", "1=30", addr); code != exitError || !strings.Contains(errOut, "sum to 100") {
		t.Errorf("alias create with weights of 110 = %d %q; want the server's refusal", code, errOut)
	}
	if code, _, errOut := stepwise(t, "alias", "create", "cv", "bad", "x=80", addr); code != exitUsage {
		t.Errorf("alias create with version x = %d %q; want a usage error", code, errOut)
	}
	if out := mustRun(t, "alias", "update", "cv", "live", "1", addr); !strings.Contains(out, "routing:      1=100%") || !strings.Contains(out, "canary") {
		t.Errorf("alias update = %q; want all on 1, the description kept", out)
	}
	if out := mustRun(t, "alias", "update", "cv", "live", "--description", "", addr); strings.Contains(out, "canary") {
		t.Errorf("alias update --description '' = %q; want it cleared", out)
	}
	if out := mustRun(t, "alias", "describe", "cv", "live", "--json", addr); !regexp.MustCompile(`"weight":\s*100`).MatchString(out) {
		t.Errorf("alias describe --json = %q", out)
	}
	if out := mustRun(t, "alias", "list", "cv", addr); !strings.Contains(out, "live") || !strings.Contains(out, "1=100%") {
		t.Errorf("alias list = %q", out)
	}
	if out := mustRun(t, "start", "cv:live", "--wait", addr); strings.TrimSpace(out) != "1" {
		t.Errorf("start cv:live --wait = %q; want version 1's output, 1", out)
	}
	if code, _, errOut := stepwise(t, "version", "delete", "cv", "1", addr); code != exitError || !strings.Contains(errOut, "aliases live") {
		t.Errorf("version delete of a routed version = %d %q", code, errOut)
	}
	mustRun(t, "alias", "delete", "cv", "live", addr)
	mustRun(t, "version", "delete", "cv", "1", addr)
	if out := mustRun(t, "version", "list", "cv", addr); strings.Count(out, "\n") != 2 {
		t.Errorf("version list after a deletion = %q; want version 2 alone", out)
	}
}
