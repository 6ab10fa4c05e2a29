package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/internal/testserver"
)

var stamp = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`)

// TestCLISchedules creates, lists, describes (once it fired), disables,
// enables and deletes a schedule with `stepwise schedule …`.
func TestCLISchedules(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{Schedules: true})
	addr := "--addr=" + srv.GRPCAddr
	def := file(t, "p.json", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)
	mustRun(t, "machine", "create", "ticked", def, addr)
	target := "arn:aws:states:us-east-1:111111111111:stateMachine:ticked"

	out := mustRun(t, "schedule", "create", "every-second", "rate(1 second)", target, "--input", `{"at":"<aws.scheduler.scheduled-time>"}`, addr)
	if !strings.Contains(out, ":schedule/default/every-second ENABLED") {
		t.Errorf("schedule create = %q", out)
	}
	code, _, errOut := stepwise(t, "schedule", "create", "bad", "rate(x)", target, addr)
	if code != 1 || !strings.Contains(errOut, "ScheduleExpression") {
		t.Errorf("schedule create rate(x): exit %d, %q; want 1 naming ScheduleExpression", code, errOut)
	}
	code, _, errOut = stepwise(t, "schedule", "create", "every-second", "rate(1 second)", target, addr)
	if code != 1 || !strings.Contains(errOut, "already exists") {
		t.Errorf("schedule create (taken): exit %d, %q", code, errOut)
	}
	mustRun(t, "schedule", "create", "noon", "cron(0 12 * * ? *)", target, "--timezone", "Europe/Paris", "--disabled", "--group", "default", addr)
	out = mustRun(t, "schedule", "list", addr)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "every-second  ENABLED") || !strings.Contains(lines[2], "noon") || !strings.Contains(lines[2], "DISABLED") {
		t.Errorf("schedule list =\n%s", out)
	}

	// Once it fired: the next 5 ticks and the execution of the latest.
	for {
		out = mustRun(t, "schedule", "describe", "every-second", addr)
		if strings.Contains(out, ":execution:ticked:") {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	top, recent, _ := strings.Cut(out, "\n\n")
	if n := len(stamp.FindAllString(top, -1)); !strings.Contains(top, "next ticks") || n != 5 ||
		!strings.Contains(top, "expression  rate(1 second)") || !strings.Contains(recent, "SCHEDULED") {
		t.Errorf("schedule describe =\n%s; want its expression, 5 next ticks, then the fired ticks", out)
	}
	out = mustRun(t, "schedule", "describe", "noon", addr)
	if !strings.Contains(out, "time zone   Europe/Paris") || strings.Contains(out, "next ticks") {
		t.Errorf("schedule describe noon (disabled) =\n%s; want its zone and no next ticks", out)
	}
	if out = mustRun(t, "schedule", "enable", "noon", addr); !strings.HasSuffix(strings.TrimSpace(out), "ENABLED") {
		t.Errorf("schedule enable = %q", out)
	}
	if out = mustRun(t, "schedule", "describe", "noon", addr); !strings.Contains(out, "next ticks") || strings.Count(out, ":00:00.000Z") != 5 {
		t.Errorf("schedule describe noon (enabled) =\n%s; want next ticks", out)
	}
	if out = mustRun(t, "schedule", "disable", "every-second", addr); !strings.HasSuffix(strings.TrimSpace(out), "DISABLED") {
		t.Errorf("schedule disable = %q", out)
	}
	mustRun(t, "schedule", "delete", "every-second", addr)
	code, _, errOut = stepwise(t, "schedule", "describe", "every-second", addr)
	if code != 1 || !strings.Contains(errOut, "does not exist") {
		t.Errorf("schedule describe after delete: exit %d, %q", code, errOut)
	}
	if code, _, _ = stepwise(t, "schedule", "frobnicate", addr); code != 2 {
		t.Errorf("schedule frobnicate: exit %d; want 2", code)
	}
}
