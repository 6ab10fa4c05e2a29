package awsjson_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/stepwise-dev/stepwise/internal/testserver"
)

// cliOperations are AWS's 37 Step Functions operations and the AWS CLI
// command that calls each. TestAWSCLIEveryOperation fails unless it is the
// service model's list of operations and every command ran.
var cliOperations = []struct{ op, command string }{
	{"CreateActivity", "create-activity"},
	{"CreateStateMachine", "create-state-machine"},
	{"CreateStateMachineAlias", "create-state-machine-alias"},
	{"DeleteActivity", "delete-activity"},
	{"DeleteStateMachine", "delete-state-machine"},
	{"DeleteStateMachineAlias", "delete-state-machine-alias"},
	{"DeleteStateMachineVersion", "delete-state-machine-version"},
	{"DescribeActivity", "describe-activity"},
	{"DescribeExecution", "describe-execution"},
	{"DescribeMapRun", "describe-map-run"},
	{"DescribeStateMachine", "describe-state-machine"},
	{"DescribeStateMachineAlias", "describe-state-machine-alias"},
	{"DescribeStateMachineForExecution", "describe-state-machine-for-execution"},
	{"GetActivityTask", "get-activity-task"},
	{"GetExecutionHistory", "get-execution-history"},
	{"ListActivities", "list-activities"},
	{"ListExecutions", "list-executions"},
	{"ListMapRuns", "list-map-runs"},
	{"ListStateMachineAliases", "list-state-machine-aliases"},
	{"ListStateMachineVersions", "list-state-machine-versions"},
	{"ListStateMachines", "list-state-machines"},
	{"ListTagsForResource", "list-tags-for-resource"},
	{"PublishStateMachineVersion", "publish-state-machine-version"},
	{"RedriveExecution", "redrive-execution"},
	{"SendTaskFailure", "send-task-failure"},
	{"SendTaskHeartbeat", "send-task-heartbeat"},
	{"SendTaskSuccess", "send-task-success"},
	{"StartExecution", "start-execution"},
	{"StartSyncExecution", "start-sync-execution"},
	{"StopExecution", "stop-execution"},
	{"TagResource", "tag-resource"},
	{"TestState", "test-state"},
	{"UntagResource", "untag-resource"},
	{"UpdateMapRun", "update-map-run"},
	{"UpdateStateMachine", "update-state-machine"},
	{"UpdateStateMachineAlias", "update-state-machine-alias"},
	{"ValidateStateMachineDefinition", "validate-state-machine-definition"},
}

// serviceModel returns the Step Functions service model of the botocore
// that python3 has (as botocore ships it, gzipped or not), which the test
// gives the CLI the way `aws configure add-model` does: Debian's AWS CLI v2
// (2.9.19) predates 11 of the 37 operations. It skips t when there is no
// such botocore.
func serviceModel(t *testing.T) []byte {
	t.Helper()
	out, err := exec.Command("python3", "-c", "import botocore, os; print(os.path.dirname(botocore.__file__))").Output()
	if err != nil {
		t.Skipf("no botocore for python3, whose Step Functions model the AWS CLI needs for every operation: %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "data", "stepfunctions", "2016-11-23")
	if b, err := os.ReadFile(filepath.Join(dir, "service-2.json")); err == nil {
		return b
	}
	f, err := os.Open(filepath.Join(dir, "service-2.json.gz"))
	if err != nil {
		t.Skipf("botocore has no Step Functions model: %v", err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(gz)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// cliRunner runs AWS CLI commands against one server and records which
// ran. StartSyncExecution and TestState, which the CLI sends to the
// endpoint's host prefixed with "sync-", go through the server as an HTTP
// proxy (docs/api.md): this CLI predates AWS_DISABLE_HOST_PREFIX_INJECTION.
type cliRunner struct {
	env, proxyEnv     []string
	endpoint, proxied string

	mu    sync.Mutex
	calls int
	ran   map[string]string // command → its first command line answered as expected
}

// aws runs `aws stepfunctions args...` and returns what it printed. With
// code "" it must succeed; otherwise it must fail with that AWS error code.
func (r *cliRunner) aws(t *testing.T, code string, args ...string) map[string]any {
	t.Helper()
	env, endpoint := r.env, r.endpoint
	if args[0] == "start-sync-execution" || args[0] == "test-state" {
		env, endpoint = r.proxyEnv, r.proxied
	}
	out, err := runCLI(awsCLI, env, endpoint, args...)
	r.mu.Lock()
	r.calls++
	r.mu.Unlock()
	switch {
	case code == "" && err != nil:
		t.Fatal(err)
	case code != "" && err == nil:
		t.Fatalf("aws stepfunctions %s = %v; want the error %s", strings.Join(args, " "), out, code)
	case code != "" && !strings.Contains(err.Error(), "An error occurred ("+code+")"):
		t.Fatalf("%v\nwant the error %s", err, code)
	}
	line := strings.Join(args, " ")
	if code != "" {
		line += " → " + code
	}
	r.mu.Lock()
	if _, ok := r.ran[args[0]]; !ok {
		r.ran[args[0]] = line
	}
	r.mu.Unlock()
	return out
}

// TestAWSCLIEveryOperation calls every one of AWS's 37 Step Functions
// operations with the real AWS CLI v2 (given the current service model),
// in five flows run side by side: versions and aliases with tags; an
// activity's task answered, its history and the activities paged through;
// a .waitForTaskToken task failed, redriven and answered, its executions
// paged through; a distributed Map's run updated and stopped; an EXPRESS
// machine run synchronously, TestState, validation. Each flow checks
// answers field by field and AWS's errors by their code. The test fails
// unless every operation answered as expected at least once (run it with
// -v for the command that did). It skips when the CLI is absent, unless
// STEPWISE_REQUIRE_AWSCLI is set.
func TestAWSCLIEveryOperation(t *testing.T) {
	t.Parallel()
	needAWSCLI(t)
	raw := serviceModel(t)
	var model struct{ Operations map[string]any }
	if err := json.Unmarshal(raw, &model); err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, o := range cliOperations {
		ops = append(ops, o.op)
		if o.command != kebab(o.op) {
			t.Errorf("cliOperations: %s is `aws stepfunctions %s`, not %s", o.op, kebab(o.op), o.command)
		}
	}
	var modelOps []string
	for op := range model.Operations {
		modelOps = append(modelOps, op)
	}
	slices.Sort(modelOps)
	if !slices.Equal(ops, modelOps) {
		t.Fatalf("cliOperations = %v;\nthe service model has %v", ops, modelOps)
	}

	ts, _ := newServer(t)
	env := cliEnv(t, "PATH=/usr/bin:/bin")
	dir := filepath.Join(strings.TrimPrefix(env[0], "HOME="), ".aws", "models", "stepfunctions", "2016-11-23")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "service-2.json"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	port := ts.URL[strings.LastIndex(ts.URL, ":"):]
	r := &cliRunner{
		env: env, endpoint: ts.URL,
		proxyEnv: append(slices.Clip(env), "HTTP_PROXY="+ts.URL, "NO_PROXY=", "no_proxy="), proxied: "http://stepwise.invalid" + port,
		ran: map[string]string{},
	}
	// The SDK only waits, so that the CLI calls stay few.
	c := sdkClient(ts.URL)
	wait := func(t *testing.T) func(string) { return func(arn string) { waitDone(t, c, aws.String(arn)) } }
	flows := map[string]func(t *testing.T){
		"versions": func(t *testing.T) { cliVersions(t, r) },
		"activity": func(t *testing.T) { cliActivity(t, r, wait(t)) },
		"redrive": func(t *testing.T) {
			cliRedrive(t, r, func(x string, n int) string { return nthTaskToken(t, c, x, n) }, wait(t))
		},
		"map run": func(t *testing.T) {
			cliMapRun(t, r, func(x string) string { return *waitMapRun(t, c, aws.String(x)) })
		},
		"express": func(t *testing.T) { cliExpress(t, r) },
	}
	// The flows run side by side, whatever -parallel says: t.Run from
	// goroutines, not parallel subtests.
	began := time.Now()
	var wg sync.WaitGroup
	for name, flow := range flows {
		wg.Add(1)
		go func() { defer wg.Done(); t.Run(name, flow) }()
	}
	wg.Wait()
	for _, o := range cliOperations {
		line := r.ran[o.command]
		if line == "" {
			t.Errorf("%s: `aws stepfunctions %s` did not answer as expected", o.op, o.command)
			continue
		}
		if r := []rune(line); len(r) > 120 {
			line = string(r[:117]) + "..."
		}
		t.Logf("%-32s aws stepfunctions %s", o.op, line)
	}
	t.Logf("%d of %d operations in %d AWS CLI calls, %v", len(r.ran), len(cliOperations), r.calls, time.Since(began).Round(time.Second))
}

// TestBoto3EveryOperation runs testdata/boto3_every_operation.py: all 37
// operations through boto3 (client-side paging with its paginators, the
// host prefix off with inject_host_prefix=False), with the `python3` on
// PATH. It skips when that Python has no boto3.
func TestBoto3EveryOperation(t *testing.T) {
	t.Parallel()
	if err := exec.Command("python3", "-c", "import boto3").Run(); err != nil {
		t.Skipf("python3 -c 'import boto3': %v", err)
	}
	ts, _ := newServer(t)
	cmd := exec.Command("python3", "testdata/boto3_every_operation.py", ts.URL)
	cmd.Env = cliEnv(t, pathEnv()...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("boto3_every_operation.py: %v\n%s", err, out)
	}
	t.Logf("boto3: %s", bytes.TrimSpace(out))
}

// kebab is the CLI's name of an operation: DescribeMapRun → describe-map-run.
func kebab(op string) string {
	var b strings.Builder
	for i, c := range op {
		if unicode.IsUpper(c) && i > 0 {
			b.WriteByte('-')
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}

// cliVersions: a machine created with tags and published, updated,
// published again; its versions paged; an alias created, described,
// reweighted, listed, run through, deleted; a version deleted (refused
// while an alias routes to it); tags; the machine listed and deleted.
func cliVersions(t *testing.T, r *cliRunner) {
	sm := r.aws(t, "", "create-state-machine", "--name", "cli-flow", "--definition", pass("one"), "--role-arn", role,
		"--publish", "--version-description", "first", "--tags", "key=team,value=core")
	arn := machineARN + "cli-flow"
	v1, v2 := arn+":1", arn+":2"
	if sm["stateMachineArn"] != arn || sm["stateMachineVersionArn"] != v1 {
		t.Fatalf("create-state-machine --publish = %v; want %s and version %s", sm, arn, v1)
	}
	up := r.aws(t, "", "update-state-machine", "--state-machine-arn", arn, "--definition", pass("two"))
	if up["revisionId"] == nil || up["stateMachineVersionArn"] != nil {
		t.Errorf("update-state-machine (no publish) = %v; want a revisionId and no version", up)
	}
	pub := r.aws(t, "", "publish-state-machine-version", "--state-machine-arn", arn, "--description", "second", "--revision-id", up["revisionId"].(string))
	if pub["stateMachineVersionArn"] != v2 || pub["creationDate"] == nil {
		t.Errorf("publish-state-machine-version = %v; want %s", pub, v2)
	}
	d := r.aws(t, "", "describe-state-machine", "--state-machine-arn", v1)
	if d["definition"] != pass("one") || d["description"] != "first" || d["stateMachineArn"] != v1 || d["status"] != "ACTIVE" {
		t.Errorf("describe-state-machine(version 1) = %v", d)
	}

	page := r.aws(t, "", "list-state-machine-versions", "--state-machine-arn", arn, "--max-results", "1")
	next, _ := page["nextToken"].(string)
	if got := listed(page, "stateMachineVersions", "stateMachineVersionArn"); !slices.Equal(got, []string{v2}) || next == "" {
		t.Fatalf("list-state-machine-versions --max-results 1 = %v; want %s and a nextToken", page, v2)
	}
	page = r.aws(t, "", "list-state-machine-versions", "--state-machine-arn", arn, "--max-results", "1", "--next-token", next)
	if got := listed(page, "stateMachineVersions", "stateMachineVersionArn"); !slices.Equal(got, []string{v1}) || page["nextToken"] != nil {
		t.Errorf("list-state-machine-versions (second page) = %v; want %s alone", page, v1)
	}

	alias := r.aws(t, "", "create-state-machine-alias", "--name", "live", "--description", "traffic",
		"--routing-configuration", "stateMachineVersionArn="+v1+",weight=100")
	aliasARN := arn + ":live"
	if alias["stateMachineAliasArn"] != aliasARN || alias["creationDate"] == nil {
		t.Fatalf("create-state-machine-alias = %v; want %s", alias, aliasARN)
	}
	r.aws(t, "", "update-state-machine-alias", "--state-machine-alias-arn", aliasARN,
		"--routing-configuration", "stateMachineVersionArn="+v1+",weight=30", "stateMachineVersionArn="+v2+",weight=70")
	da := r.aws(t, "", "describe-state-machine-alias", "--state-machine-alias-arn", aliasARN)
	routes, _ := da["routingConfiguration"].([]any)
	if da["name"] != "live" || da["description"] != "traffic" || len(routes) != 2 || da["updateDate"] == nil ||
		routes[0].(map[string]any)["weight"] != 30.0 || routes[1].(map[string]any)["stateMachineVersionArn"] != v2 {
		t.Errorf("describe-state-machine-alias = %v; want v1 at 30, v2 at 70", da)
	}
	if la := r.aws(t, "", "list-state-machine-aliases", "--state-machine-arn", arn); !slices.Equal(listed(la, "stateMachineAliases", "stateMachineAliasArn"), []string{aliasARN}) {
		t.Errorf("list-state-machine-aliases = %v; want %s", la, aliasARN)
	}
	x := r.aws(t, "", "start-execution", "--state-machine-arn", aliasARN, "--name", "via-alias")
	dx := r.aws(t, "", "describe-execution", "--execution-arn", x["executionArn"].(string))
	if dx["stateMachineAliasArn"] != aliasARN || (dx["stateMachineVersionArn"] != v1 && dx["stateMachineVersionArn"] != v2) {
		t.Errorf("describe-execution (started through the alias) = %v; want its alias and one of its versions", dx)
	}
	r.aws(t, "ConflictException", "delete-state-machine-version", "--state-machine-version-arn", v1)
	r.aws(t, "", "delete-state-machine-alias", "--state-machine-alias-arn", aliasARN)
	r.aws(t, "", "delete-state-machine-version", "--state-machine-version-arn", v1)
	r.aws(t, "StateMachineDoesNotExist", "describe-state-machine", "--state-machine-arn", v1)

	r.aws(t, "", "tag-resource", "--resource-arn", arn, "--tags", "key=env,value=dev", "key=tier,value=1")
	r.aws(t, "", "untag-resource", "--resource-arn", arn, "--tag-keys", "team", "tier")
	if tags := r.aws(t, "", "list-tags-for-resource", "--resource-arn", arn); len(tags["tags"].([]any)) != 1 ||
		tags["tags"].([]any)[0].(map[string]any)["key"] != "env" {
		t.Errorf("list-tags-for-resource after tag and untag = %v; want env alone", tags)
	}
	if l := r.aws(t, "", "list-state-machines"); !slices.Contains(listed(l, "stateMachines", "stateMachineArn"), arn) {
		t.Errorf("list-state-machines = %v; want %s among them", l, arn)
	}
	r.aws(t, "", "delete-state-machine", "--state-machine-arn", arn)
	r.aws(t, "ValidationException", "list-state-machine-versions", "--state-machine-arn", arn, "--max-results", "1001")
}

// cliActivity: an activity machine's task polled and answered (heartbeat,
// success), its history paged; activities paged; an activity described
// and deleted.
func cliActivity(t *testing.T, r *cliRunner, wait func(arn string)) {
	act := r.aws(t, "", "create-activity", "--name", "cli-work", "--tags", "key=team,value=core")
	actARN, _ := act["activityArn"].(string)
	if actARN != "arn:aws:states:us-east-1:111111111111:activity:cli-work" || act["creationDate"] == nil {
		t.Fatalf("create-activity = %v", act)
	}
	spare := r.aws(t, "", "create-activity", "--name", "cli-spare")["activityArn"].(string)
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + actARN + `","End":true}}}`
	arn := r.aws(t, "", "create-state-machine", "--name", "cli-task", "--definition", def, "--role-arn", role)["stateMachineArn"].(string)
	task := func() (token, input string) {
		t.Helper()
		got := r.aws(t, "", "get-activity-task", "--activity-arn", actARN, "--worker-name", "cli")
		token, _ = got["taskToken"].(string)
		input, _ = got["input"].(string)
		if token == "" {
			t.Fatalf("get-activity-task = %v; want a task", got)
		}
		return token, input
	}

	x1 := r.aws(t, "", "start-execution", "--state-machine-arn", arn, "--name", "ok", "--input", `{"n":1}`)["executionArn"].(string)
	tok, in := task()
	if in != `{"n":1}` {
		t.Errorf("get-activity-task input = %s; want {\"n\":1}", in)
	}
	r.aws(t, "", "send-task-heartbeat", "--task-token", tok)
	r.aws(t, "", "send-task-success", "--task-token", tok, "--task-output", `{"done":true}`)
	wait(x1)
	// The history, three events a page: the CLI pages with --max-items and
	// --starting-token (its own NextToken).
	h := r.aws(t, "", "get-execution-history", "--execution-arn", x1, "--max-items", "3")
	seen := historyTypes(h)
	more, _ := h["NextToken"].(string)
	if len(seen) != 3 || more == "" {
		t.Fatalf("get-execution-history --max-items 3 = %v; want 3 events and a NextToken", h)
	}
	h = r.aws(t, "", "get-execution-history", "--execution-arn", x1, "--starting-token", more)
	seen = append(seen, historyTypes(h)...)
	want := "ExecutionStarted TaskStateEntered ActivityScheduled ActivityStarted ActivitySucceeded TaskStateExited ExecutionSucceeded"
	if strings.Join(seen, " ") != want || h["NextToken"] != nil {
		t.Fatalf("get-execution-history in pages = %v; want %s", seen, want)
	}
	events := h["events"].([]any)
	last := events[len(events)-1].(map[string]any)
	if out, _ := last["executionSucceededEventDetails"].(map[string]any); last["id"] != 7.0 || out["output"] != `{"done":true}` {
		t.Errorf("ExecutionSucceeded = %v; want event 7 with the output {\"done\":true}", last)
	}
	if f := r.aws(t, "", "describe-state-machine-for-execution", "--execution-arn", x1); f["definition"] != def || f["name"] != "cli-task" {
		t.Errorf("describe-state-machine-for-execution = %v", f)
	}

	l := r.aws(t, "", "list-activities", "--max-items", "1")
	got := listed(l, "activities", "activityArn")
	more, _ = l["NextToken"].(string)
	l = r.aws(t, "", "list-activities", "--starting-token", more)
	got = append(got, listed(l, "activities", "activityArn")...)
	slices.Sort(got)
	if !slices.Equal(got, []string{spare, actARN}) || l["NextToken"] != nil {
		t.Errorf("list-activities in pages = %v; want %s and %s", got, actARN, spare)
	}
	if d := r.aws(t, "", "describe-activity", "--activity-arn", spare); d["name"] != "cli-spare" || d["activityArn"] != spare || d["creationDate"] == nil {
		t.Errorf("describe-activity = %v", d)
	}
	r.aws(t, "", "delete-activity", "--activity-arn", spare)
	r.aws(t, "ActivityDoesNotExist", "describe-activity", "--activity-arn", spare)
}

// cliRedrive: two executions of a .waitForTaskToken task; one stopped,
// the other failed with SendTaskFailure, redriven, answered with
// SendTaskSuccess; both listed a page each; the errors.
func cliRedrive(t *testing.T, r *cliRunner, token func(execution string, n int) string, wait func(arn string)) {
	arn := r.aws(t, "", "create-state-machine", "--name", "cli-callback", "--definition", callbackDefinition, "--role-arn", role)["stateMachineArn"].(string)
	x := r.aws(t, "", "start-execution", "--state-machine-arn", arn, "--name", "redriven", "--input", `{"n":2}`)["executionArn"].(string)
	y := r.aws(t, "", "start-execution", "--state-machine-arn", arn, "--name", "stopped")["executionArn"].(string)
	if s := r.aws(t, "", "stop-execution", "--execution-arn", y, "--error", "Halt", "--cause", "enough"); s["stopDate"] == nil {
		t.Errorf("stop-execution = %v; want a stopDate", s)
	}
	first := token(x, 1)
	r.aws(t, "", "send-task-failure", "--task-token", first, "--error", "Boom", "--cause", "first try")
	wait(x)
	if d := r.aws(t, "", "describe-execution", "--execution-arn", x); d["status"] != "FAILED" || d["error"] != "Boom" ||
		d["cause"] != "first try" || d["redriveStatus"] != "REDRIVABLE" || d["redriveCount"] != 0.0 {
		t.Errorf("describe-execution (failed) = %v; want FAILED Boom, REDRIVABLE", d)
	}
	if rd := r.aws(t, "", "redrive-execution", "--execution-arn", x); rd["redriveDate"] == nil {
		t.Errorf("redrive-execution = %v; want a redriveDate", rd)
	}
	r.aws(t, "", "send-task-success", "--task-token", token(x, 2), "--task-output", `{"second":true}`)
	wait(x)
	if d := r.aws(t, "", "describe-execution", "--execution-arn", x); d["status"] != "SUCCEEDED" || d["redriveCount"] != 1.0 ||
		d["output"] != `{"second":true}` || d["redriveDate"] == nil {
		t.Errorf("describe-execution (redriven) = %v; want SUCCEEDED with redriveCount 1", d)
	}
	r.aws(t, "ExecutionNotRedrivable", "redrive-execution", "--execution-arn", x)

	l := r.aws(t, "", "list-executions", "--state-machine-arn", arn, "--max-items", "1")
	got := listed(l, "executions", "status")
	more, _ := l["NextToken"].(string)
	l = r.aws(t, "", "list-executions", "--state-machine-arn", arn, "--max-items", "1", "--starting-token", more)
	got = append(got, listed(l, "executions", "status")...)
	slices.Sort(got)
	if !slices.Equal(got, []string{"ABORTED", "SUCCEEDED"}) || l["NextToken"] != nil {
		t.Errorf("list-executions in pages of one = %v; want ABORTED and SUCCEEDED", got)
	}
}

// cliMapRun: a distributed Map whose run stays RUNNING, listed, updated,
// described, then stopped with its execution.
func cliMapRun(t *testing.T, r *cliRunner, waitRun func(execution string) string) {
	arn := r.aws(t, "", "create-state-machine", "--name", "cli-map", "--definition", testserver.SlowMapRunASL, "--role-arn", role)["stateMachineArn"].(string)
	x := r.aws(t, "", "start-execution", "--state-machine-arn", arn, "--input", `[1,2,3]`)["executionArn"].(string)
	run := waitRun(x)
	l := r.aws(t, "", "list-map-runs", "--execution-arn", x)
	if got := listed(l, "mapRuns", "mapRunArn"); !slices.Equal(got, []string{run}) {
		t.Errorf("list-map-runs = %v; want %s", l, run)
	}
	r.aws(t, "", "update-map-run", "--map-run-arn", run, "--max-concurrency", "2", "--tolerated-failure-count", "1")
	d := r.aws(t, "", "describe-map-run", "--map-run-arn", run)
	items, _ := d["itemCounts"].(map[string]any)
	if d["status"] != "RUNNING" || d["executionArn"] != x || d["maxConcurrency"] != 2.0 || d["toleratedFailureCount"] != 1.0 || items["total"] != 3.0 {
		t.Errorf("describe-map-run = %v; want RUNNING, maxConcurrency 2, toleratedFailureCount 1, 3 items", d)
	}
	if s := r.aws(t, "", "stop-execution", "--execution-arn", x, "--error", "Halt", "--cause", "enough"); s["stopDate"] == nil {
		t.Errorf("stop-execution = %v; want a stopDate", s)
	}
	r.aws(t, "ResourceNotFound", "describe-map-run", "--map-run-arn", strings.Replace(run, ":mapRun:cli-map/", ":mapRun:gone/", 1))
}

// cliExpress: an EXPRESS machine run synchronously, TestState, the
// validator, and errors of the machine and execution families.
func cliExpress(t *testing.T, r *cliRunner) {
	arn := r.aws(t, "", "create-state-machine", "--name", "cli-quick", "--type", "EXPRESS", "--definition", passDefinition, "--role-arn", role)["stateMachineArn"].(string)
	s := r.aws(t, "", "start-sync-execution", "--state-machine-arn", arn, "--name", "s1", "--input", `{"k":1}`)
	if s["status"] != "SUCCEEDED" || s["output"] != `{"k":1,"r":{"greeting":"hello"}}` || s["billingDetails"] == nil ||
		!strings.HasPrefix(s["executionArn"].(string), "arn:aws:states:us-east-1:111111111111:express:cli-quick:s1:") {
		t.Errorf("start-sync-execution = %v; want SUCCEEDED with the Pass's output", s)
	}
	ts := r.aws(t, "", "test-state", "--definition", `{"Type":"Pass","Parameters":{"v.$":"$.n"},"Next":"After"}`, "--input", `{"n":7}`, "--inspection-level", "DEBUG")
	ins, _ := ts["inspectionData"].(map[string]any)
	if ts["status"] != "SUCCEEDED" || ts["output"] != `{"v":7}` || ts["nextState"] != "After" || ins["afterParameters"] != `{"v":7}` {
		t.Errorf("test-state = %v; want SUCCEEDED {\"v\":7} next After", ts)
	}
	v := r.aws(t, "", "validate-state-machine-definition", "--definition", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Nowhere"}}}`)
	diags, _ := v["diagnostics"].([]any)
	if v["result"] != "FAIL" || len(diags) == 0 || diags[0].(map[string]any)["severity"] != "ERROR" || diags[0].(map[string]any)["code"] == nil {
		t.Errorf("validate-state-machine-definition = %v; want FAIL with an ERROR diagnostic", v)
	}
	r.aws(t, "InvalidDefinition", "create-state-machine", "--name", "cli-bad", "--role-arn", role, "--definition", `{"StartAt":"A","States":{}}`)
	r.aws(t, "ExecutionDoesNotExist", "describe-execution", "--execution-arn", "arn:aws:states:us-east-1:111111111111:execution:cli-quick:none")
	r.aws(t, "InvalidArn", "get-execution-history", "--execution-arn", "not-an-arn")
	r.aws(t, "InvalidToken", "send-task-failure", "--task-token", "garbage")
}

// listed is field of each item of out[list].
func listed(out map[string]any, list, field string) []string {
	items, _ := out[list].([]any)
	var got []string
	for _, it := range items {
		s, _ := it.(map[string]any)[field].(string)
		got = append(got, s)
	}
	return got
}

// historyTypes are the types of a history's events.
func historyTypes(h map[string]any) []string {
	return listed(h, "events", "type")
}
