package awsjson_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// awsCLI is Debian's AWS CLI v2 (apt-get install awscli). It is named by
// path: a pyenv `aws` shim earlier on PATH may shadow it.
const awsCLI = "/usr/bin/aws"

// TestAWSCLI drives the endpoint with the real AWS CLI: create-state-machine,
// start-execution, describe-execution and get-execution-history, with fake
// credentials. It skips when the CLI is absent, unless
// STEPWISE_REQUIRE_AWSCLI is set.
func TestAWSCLI(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(awsCLI); err != nil {
		if os.Getenv("STEPWISE_REQUIRE_AWSCLI") != "" {
			t.Fatalf("%s: %v", awsCLI, err)
		}
		t.Skipf("%s not installed (apt-get install -y awscli)", awsCLI)
	}
	ts, _ := newServer(t)
	home := t.TempDir()
	env := []string{
		"PATH=/usr/bin:/bin", "HOME=" + home,
		"AWS_ACCESS_KEY_ID=AKIDSTEPWISE", "AWS_SECRET_ACCESS_KEY=not-a-secret",
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
		"AWS_PAGER=", "AWS_MAX_ATTEMPTS=1",
	}
	aws := func(args ...string) map[string]any {
		t.Helper()
		args = append([]string{"stepfunctions"}, args...)
		args = append(args, "--endpoint-url", ts.URL, "--region", "us-east-1", "--output", "json")
		cmd := exec.Command(awsCLI, args...)
		cmd.Env = env
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		var m map[string]any
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatalf("aws %s printed %q: %v", args[1], out, err)
		}
		return m
	}

	sm := aws("create-state-machine", "--name", "cli", "--definition", passDefinition, "--role-arn", role)
	arn, _ := sm["stateMachineArn"].(string)
	if arn != "arn:aws:states:us-east-1:111111111111:stateMachine:cli" {
		t.Fatalf("create-state-machine = %v", sm)
	}
	if _, ok := sm["creationDate"].(string); !ok { // the CLI prints dates as ISO 8601
		t.Errorf("creationDate = %#v; want a date", sm["creationDate"])
	}
	x := aws("start-execution", "--state-machine-arn", arn, "--name", "one", "--input", `{"k":"v"}`)
	xarn, _ := x["executionArn"].(string)
	if xarn != "arn:aws:states:us-east-1:111111111111:execution:cli:one" {
		t.Fatalf("start-execution = %v", x)
	}
	var d map[string]any
	for deadline := time.Now().Add(20 * time.Second); ; {
		d = aws("describe-execution", "--execution-arn", xarn)
		if d["status"] != "RUNNING" || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if d["status"] != "SUCCEEDED" || d["output"] != `{"k":"v","r":{"greeting":"hello"}}` {
		t.Errorf("describe-execution = %v", d)
	}
	h := aws("get-execution-history", "--execution-arn", xarn)
	evs, _ := h["events"].([]any)
	var types []string
	for _, e := range evs {
		types = append(types, e.(map[string]any)["type"].(string))
	}
	if got, want := strings.Join(types, ","), "ExecutionStarted,PassStateEntered,PassStateExited,ExecutionSucceeded"; got != want {
		t.Errorf("get-execution-history types = %s; want %s", got, want)
	}
}
