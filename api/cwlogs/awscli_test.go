package cwlogs_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/api/cwlogs"
)

// TestAWSCLI drives the endpoint with the real AWS CLI (`aws logs`):
// create-log-group, describe-log-groups, create-log-stream,
// put-log-events, get-log-events, filter-log-events and an error, with
// fake credentials. It uses Debian's CLI at /usr/bin/aws, else an `aws` on
// PATH, and skips without one unless STEPWISE_REQUIRE_AWSCLI=1.
func TestAWSCLI(t *testing.T) {
	t.Parallel()
	cli := "/usr/bin/aws"
	if _, err := os.Stat(cli); err != nil {
		cli, _ = exec.LookPath("aws")
	}
	if cli == "" {
		if os.Getenv("STEPWISE_REQUIRE_AWSCLI") == "1" {
			t.Fatal("STEPWISE_REQUIRE_AWSCLI=1 but no AWS CLI: neither /usr/bin/aws nor aws on PATH")
		}
		t.Skip("no AWS CLI installed (apt-get install -y awscli)")
	}
	_, url := newServer(t, cwlogs.Config{})
	home := t.TempDir()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home,
		"AWS_ACCESS_KEY_ID=AKIDSTEPWISE", "AWS_SECRET_ACCESS_KEY=not-a-secret", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
		"AWS_PAGER=", "AWS_MAX_ATTEMPTS=1", "AWS_EC2_METADATA_DISABLED=true"}
	if root := os.Getenv("PYENV_ROOT"); root != "" {
		env = append(env, "PYENV_ROOT="+root)
	}
	run := func(args ...string) (string, string, error) {
		cmd := exec.Command(cli, append([]string{"logs", "--endpoint-url", url, "--output", "json"}, args...)...)
		cmd.Env = env
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		return out.String(), errb.String(), err
	}
	aws := func(out any, args ...string) {
		t.Helper()
		stdout, stderr, err := run(args...)
		if err != nil {
			t.Fatalf("aws logs %s: %v\n%s", strings.Join(args, " "), err, stderr)
		}
		if out != nil {
			if err := json.Unmarshal([]byte(stdout), out); err != nil {
				t.Fatalf("aws logs %s printed %q: %v", args[0], stdout, err)
			}
		}
	}
	const g = "/aws/vendedlogs/states/cli"
	aws(nil, "create-log-group", "--log-group-name", g)
	if _, stderr, err := run("create-log-group", "--log-group-name", g); err == nil || !strings.Contains(stderr, "ResourceAlreadyExistsException") {
		t.Errorf("create-log-group again: %v %s; want ResourceAlreadyExistsException", err, stderr)
	}
	var groups groupsResp
	aws(&groups, "describe-log-groups", "--log-group-name-prefix", "/aws/vendedlogs/")
	if len(groups.LogGroups) != 1 || groups.LogGroups[0].LogGroupName != g {
		t.Errorf("describe-log-groups = %+v; want %s", groups, g)
	}
	aws(nil, "create-log-stream", "--log-group-name", g, "--log-stream-name", "s")
	events := fmt.Sprintf(`[{"timestamp":%d,"message":"{\"type\":\"ExecutionStarted\"}"},{"timestamp":%d,"message":"{\"type\":\"ExecutionSucceeded\"}"}]`, nowMS, nowMS+1)
	var put struct{ NextSequenceToken string }
	aws(&put, "put-log-events", "--log-group-name", g, "--log-stream-name", "s", "--log-events", events)
	if put.NextSequenceToken == "" {
		t.Errorf("put-log-events = %+v; want a sequence token", put)
	}
	var got getResp
	aws(&got, "get-log-events", "--log-group-name", g, "--log-stream-name", "s", "--start-from-head")
	if m := messages(got); len(m) != 2 || m[0] != `{"type":"ExecutionStarted"}` || got.Events[1].Timestamp != nowMS+1 || got.NextForwardToken != "f/2" {
		t.Errorf("get-log-events = %+v", got)
	}
	var filtered filterResp
	aws(&filtered, "filter-log-events", "--log-group-name", g, "--filter-pattern", `{ $.type = "ExecutionSucceeded" }`)
	if len(filtered.Events) != 1 || filtered.Events[0].LogStreamName != "s" || filtered.Events[0].Timestamp != nowMS+1 {
		t.Errorf("filter-log-events = %+v", filtered)
	}
	if _, stderr, err := run("get-log-events", "--log-group-name", g, "--log-stream-name", "nope"); err == nil || !strings.Contains(stderr, "The specified log stream does not exist.") {
		t.Errorf("get-log-events of a missing stream: %v %s; want ResourceNotFoundException", err, stderr)
	}
}
