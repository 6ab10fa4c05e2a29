package awsjson_test

import (
	"encoding/json"
	"fmt"
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

// needAWSCLI skips t when the AWS CLI v2 is absent, unless
// STEPWISE_REQUIRE_AWSCLI is set.
func needAWSCLI(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(awsCLI); err != nil {
		if os.Getenv("STEPWISE_REQUIRE_AWSCLI") != "" {
			t.Fatalf("%s: %v", awsCLI, err)
		}
		t.Skipf("%s not installed (apt-get install -y awscli)", awsCLI)
	}
}

// TestAWSCLI drives the endpoint with the real AWS CLI: create-state-machine,
// start-execution, describe-execution and get-execution-history, with fake
// credentials. It skips when the CLI is absent, unless
// STEPWISE_REQUIRE_AWSCLI is set.
func TestAWSCLI(t *testing.T) {
	t.Parallel()
	needAWSCLI(t)
	ts, _ := newServer(t)
	env := cliEnv(t, "PATH=/usr/bin:/bin")
	aws := func(args ...string) map[string]any {
		t.Helper()
		m, err := runCLI(awsCLI, env, ts.URL, args...)
		if err != nil {
			t.Fatal(err)
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

// cliEnv is the environment of an AWS CLI run: fake credentials, an empty
// home, no pager, no retries, and extra.
func cliEnv(t *testing.T, extra ...string) []string {
	home := t.TempDir()
	return append([]string{
		"HOME=" + home,
		"AWS_ACCESS_KEY_ID=AKIDSTEPWISE", "AWS_SECRET_ACCESS_KEY=not-a-secret",
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
		"AWS_PAGER=", "AWS_MAX_ATTEMPTS=1",
	}, extra...)
}

// pathEnv is PATH and PYENV_ROOT, for a command found on PATH that may
// be a pyenv shim (which finds its Python under PYENV_ROOT, ~/.pyenv when
// unset, and cliEnv's HOME is not the user's).
func pathEnv() []string {
	env := []string{"PATH=" + os.Getenv("PATH")}
	if root := os.Getenv("PYENV_ROOT"); root != "" {
		env = append(env, "PYENV_ROOT="+root)
	} else if home, err := os.UserHomeDir(); err == nil {
		env = append(env, "PYENV_ROOT="+filepath.Join(home, ".pyenv"))
	}
	return env
}

// runCLI runs `cli stepfunctions args... --endpoint-url endpoint` and
// decodes what it prints.
func runCLI(cli string, env []string, endpoint string, args ...string) (map[string]any, error) {
	args = append([]string{"stepfunctions"}, args...)
	args = append(args, "--endpoint-url", endpoint, "--region", "us-east-1", "--output", "json")
	cmd := exec.Command(cli, args...)
	cmd.Env = env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %v\n%s", cli, strings.Join(args, " "), err, stderr.String())
	}
	m := map[string]any{}
	if len(strings.TrimSpace(string(out))) == 0 { // an empty answer prints nothing
		return m, nil
	}
	if err := json.Unmarshal(out, &m); err != nil {
		return nil, fmt.Errorf("%s %s printed %q: %v", cli, args[1], out, err)
	}
	return m, nil
}

// TestAWSCLITestState calls TestState with the AWS CLI. The CLI sends it
// to the host of --endpoint-url prefixed with "sync-" (as it does
// StartSyncExecution), a name that does not resolve; docs/api.md gives two
// ways around that, and this test takes both: disabling the prefix
// (AWS_DISABLE_HOST_PREFIX_INJECTION, botocore 1.36 and later), and the
// Stepwise endpoint as the HTTP proxy, which answers for any host name.
// Debian's CLI v2 predates TestState: the test uses the first of /usr/bin/aws
// and the `aws` on PATH that knows test-state, and skips when neither does,
// unless STEPWISE_REQUIRE_AWSCLI is set.
func TestAWSCLITestState(t *testing.T) {
	t.Parallel()
	needAWSCLI(t)
	ts := testStateServer(t)
	env := cliEnv(t, pathEnv()...)
	def := `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"Payload.$":"$"},"ResultSelector":{"r.$":"$.Payload"},"End":true}`
	args := []string{"test-state", "--definition", def, "--input", `{"n":1}`, "--inspection-level", "DEBUG", "--mock", `{"result":"{\"Payload\":42}"}`}
	var cli string
	candidates := []string{awsCLI}
	if p, err := exec.LookPath("aws"); err == nil && p != awsCLI {
		candidates = append(candidates, p)
	}
	for _, c := range candidates {
		_, err := runCLI(c, append(env, "AWS_DISABLE_HOST_PREFIX_INJECTION=true"), ts.URL, args...)
		if err != nil && strings.Contains(err.Error(), "Invalid choice") {
			t.Logf("%s knows no test-state", c)
			continue
		}
		cli = c
		break
	}
	if cli == "" {
		if os.Getenv("STEPWISE_REQUIRE_AWSCLI") != "" {
			t.Fatalf("no AWS CLI with test-state among %v", candidates)
		}
		t.Skipf("no AWS CLI with test-state among %v", candidates)
	}
	port := ts.URL[strings.LastIndex(ts.URL, ":"):]
	for _, way := range []struct {
		name     string
		env      []string
		endpoint string
	}{
		{"host prefix disabled", append(env, "AWS_DISABLE_HOST_PREFIX_INJECTION=true"), ts.URL},
		{"endpoint as proxy", append(env, "HTTP_PROXY="+ts.URL, "NO_PROXY=", "no_proxy="), "http://stepwise.invalid" + port},
	} {
		got, err := runCLI(cli, way.env, way.endpoint, args...)
		if err != nil {
			t.Errorf("%s: %v", way.name, err)
			continue
		}
		ins, _ := got["inspectionData"].(map[string]any)
		if got["status"] != "SUCCEEDED" || got["output"] != `{"r":42}` || ins["afterParameters"] != `{"Payload":{"n":1}}` {
			t.Errorf("%s: %s test-state = %v; want SUCCEEDED with output {\"r\":42}", way.name, cli, got)
		}
	}
	if _, err := runCLI(cli, env, ts.URL, args...); err == nil || !strings.Contains(err.Error(), "sync-127.0.0.1") {
		t.Errorf("test-state with the host prefix = %v; want the CLI failing to reach sync-127.0.0.1", err)
	}
}
