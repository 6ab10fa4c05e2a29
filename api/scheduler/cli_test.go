package scheduler_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// awsCLI finds the AWS CLI: Debian's v2 at /usr/bin/aws, else an `aws`
// on PATH (v1 speaks the scheduler API as well).
func awsCLI() string {
	if _, err := os.Stat("/usr/bin/aws"); err == nil {
		return "/usr/bin/aws"
	}
	p, _ := exec.LookPath("aws")
	return p
}

// TestAWSCLIScheduler drives the endpoint with the real AWS CLI: `aws
// scheduler` create-schedule-group, create-schedule, get-schedule,
// list-schedules, update-schedule, delete-schedule and
// list-schedule-groups, with fake credentials. It skips when no CLI is
// installed, unless STEPWISE_REQUIRE_AWSCLI is set.
func TestAWSCLIScheduler(t *testing.T) {
	t.Parallel()
	cli := awsCLI()
	if cli == "" {
		if os.Getenv("STEPWISE_REQUIRE_AWSCLI") != "" {
			t.Fatal("no AWS CLI: neither /usr/bin/aws nor aws on PATH")
		}
		t.Skip("no AWS CLI installed (apt-get install -y awscli)")
	}
	f := newFixture(t)
	home := t.TempDir()
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home,
		"AWS_ACCESS_KEY_ID=AKIDSTEPWISE", "AWS_SECRET_ACCESS_KEY=not-a-secret",
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
		"AWS_PAGER=", "AWS_MAX_ATTEMPTS=1",
	}
	if root := os.Getenv("PYENV_ROOT"); root != "" {
		env = append(env, "PYENV_ROOT="+root)
	}
	aws := func(args ...string) map[string]any {
		t.Helper()
		args = append([]string{"scheduler"}, args...)
		args = append(args, "--endpoint-url", f.url, "--region", "us-east-1", "--output", "json")
		cmd := exec.Command(cli, args...)
		cmd.Env = env
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		m := map[string]any{}
		if len(strings.TrimSpace(string(out))) > 0 {
			if err := json.Unmarshal(out, &m); err != nil {
				t.Fatalf("aws %s printed %q: %v", args[1], out, err)
			}
		}
		return m
	}
	target := `{"Arn":"` + machineARN + `","RoleArn":"arn:aws:iam::111111111111:role/r","Input":"{\"k\":1}"}`

	if g := aws("create-schedule-group", "--name", "ops"); g["ScheduleGroupArn"] != "arn:aws:scheduler:us-east-1:111111111111:schedule-group/ops" {
		t.Fatalf("create-schedule-group = %v", g)
	}
	c := aws("create-schedule", "--name", "nightly", "--group-name", "ops", "--schedule-expression", "cron(0 2 * * ? *)",
		"--schedule-expression-timezone", "America/New_York", "--flexible-time-window", `{"Mode":"FLEXIBLE","MaximumWindowInMinutes":10}`,
		"--target", target, "--start-date", "2026-03-02T00:00:00Z")
	if c["ScheduleArn"] != "arn:aws:scheduler:us-east-1:111111111111:schedule/ops/nightly" {
		t.Fatalf("create-schedule = %v", c)
	}
	g := aws("get-schedule", "--name", "nightly", "--group-name", "ops")
	win, _ := g["FlexibleTimeWindow"].(map[string]any)
	if g["ScheduleExpression"] != "cron(0 2 * * ? *)" || g["ScheduleExpressionTimezone"] != "America/New_York" ||
		win["MaximumWindowInMinutes"] != float64(10) || g["State"] != "ENABLED" {
		t.Fatalf("get-schedule = %v", g)
	}
	// v2 prints dates in ISO 8601 (in the local zone), v1 as received.
	if sd, _ := g["StartDate"].(string); !strings.HasPrefix(sd, "2026-03-0") && g["StartDate"] != float64(1772409600) {
		t.Errorf("get-schedule StartDate = %#v; want 2026-03-02T00:00:00Z", g["StartDate"])
	}
	l := aws("list-schedules", "--group-name", "ops")
	if ss, _ := l["Schedules"].([]any); len(ss) != 1 || ss[0].(map[string]any)["Name"] != "nightly" {
		t.Fatalf("list-schedules = %v", l)
	}
	aws("update-schedule", "--name", "nightly", "--group-name", "ops", "--schedule-expression", "rate(5 minutes)",
		"--flexible-time-window", `{"Mode":"OFF"}`, "--target", target, "--state", "DISABLED")
	if g := aws("get-schedule", "--name", "nightly", "--group-name", "ops"); g["ScheduleExpression"] != "rate(5 minutes)" || g["State"] != "DISABLED" {
		t.Fatalf("get-schedule after update-schedule = %v", g)
	}
	aws("delete-schedule", "--name", "nightly", "--group-name", "ops")
	if l := aws("list-schedules"); len(l["Schedules"].([]any)) != 0 {
		t.Fatalf("list-schedules after delete-schedule = %v", l)
	}
	if gs := aws("list-schedule-groups"); len(gs["ScheduleGroups"].([]any)) != 2 {
		t.Fatalf("list-schedule-groups = %v", gs)
	}
	// An error comes back as the CLI reports AWS's.
	cmd := exec.Command(cli, "scheduler", "get-schedule", "--name", "nightly", "--group-name", "ops", "--endpoint-url", f.url, "--region", "us-east-1")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "ResourceNotFoundException") {
		t.Fatalf("get-schedule of a deleted schedule: %v\n%s; want ResourceNotFoundException", err, out)
	}
}
