package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"

	stepwisev1 "github.com/stepwise-dev/stepwise/api/gen/stepwise/v1"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/internal/testserver"
)

// stepwise runs the CLI in-process and returns its exit code and output.
func stepwise(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := stepwise(t, args...)
	if code != 0 {
		t.Fatalf("stepwise %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

func file(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := writeFile(p, text); err != nil {
		t.Fatal(err)
	}
	return p
}

const cliCallbackDef = `{"StartAt":"Wait","States":{"Wait":{"Type":"Task",
 "Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken",
 "Parameters":{"QueueUrl":"https://example.invalid/q","MessageBody":{"token.$":"$$.Task.Token"}},"End":true}}}`

func TestCLI(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	addr := "--addr=" + srv.GRPCAddr

	// Validate on the server: every problem with its location, exit 1.
	bad := file(t, "bad.json", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}}`)
	code, _, errOut := stepwise(t, "machine", "validate", bad, addr)
	if code != 1 || !strings.Contains(errOut, "/States/A/Next: Missing 'Next' target: B") {
		t.Errorf("machine validate bad: exit %d, %q", code, errOut)
	}
	code, _, errOut = stepwise(t, "machine", "create", "bad", bad, addr)
	if code != 1 || !strings.Contains(errOut, "invalid definition:\n  /States/A/Next: Missing 'Next' target: B") {
		t.Errorf("machine create bad: exit %d, %q", code, errOut)
	}

	hello := file(t, "hello.json", `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"greeting.$":"States.Format('Hello, {}!', $.name)"},"End":true}}}`)
	if out := mustRun(t, "machine", "validate", hello, addr); !strings.Contains(out, "valid") {
		t.Errorf("machine validate = %q", out)
	}
	if out := mustRun(t, "machine", "create", "hello", hello, addr, "--role", "arn:aws:iam::111111111111:role/r"); !strings.Contains(out, ":stateMachine:hello version 1") {
		t.Errorf("machine create = %q", out)
	}
	code, _, errOut = stepwise(t, "machine", "create", "hello", bad, addr)
	if code != 1 {
		t.Errorf("machine create (bad, taken name) exit %d: %s", code, errOut)
	}
	other := file(t, "other.json", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)
	code, _, errOut = stepwise(t, "machine", "create", "hello", other, addr)
	if code != 1 || !strings.Contains(errOut, `stepwise: state machine "hello" already exists`) {
		t.Errorf("machine create (taken): exit %d, %q", code, errOut)
	}
	if out := mustRun(t, "machine", "update", addr, "hello", other); !strings.Contains(out, "version 2") {
		t.Errorf("machine update = %q", out)
	}
	if out := mustRun(t, "machine", "describe", "hello", "--version", "1", addr); !strings.Contains(out, "States.Format") || !strings.Contains(out, "arn:aws:iam::111111111111:role/r") {
		t.Errorf("machine describe --version 1 = %q", out)
	}
	fail := file(t, "fail.json", `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Nope","Cause":"no luck"}}}`)
	mustRun(t, "machine", "create", "fail", fail, addr)
	mustRun(t, "machine", "create", "cb", file(t, "cb.json", cliCallbackDef), addr)
	if out := mustRun(t, "machine", "list", addr); !strings.Contains(out, "cb ") || !strings.Contains(out, "hello") || strings.Index(out, "fail") > strings.Index(out, "hello") {
		t.Errorf("machine list = %q", out)
	}

	// start --wait prints the output; a failure exits 3.
	mustRun(t, "machine", "update", "hello", hello, addr)
	if out := mustRun(t, "start", "hello", `{"name":"world"}`, "--wait", "--name", "w1", addr); out != "{\"greeting\":\"Hello, world!\"}\n" {
		t.Errorf("start --wait = %q", out)
	}
	code, _, errOut = stepwise(t, "start", "--wait", "fail", addr)
	if code != 3 || !strings.Contains(errOut, "FAILED: Nope: no luck") {
		t.Errorf("start --wait (failing): exit %d, %q", code, errOut)
	}

	// A callback: start with @file input, read the token from history
	// --json, answer with task success.
	arn := strings.TrimSpace(mustRun(t, "start", "cb", "@"+file(t, "in.json", `{"order":1}`), "--name", "c1", addr))
	if !strings.HasSuffix(arn, ":execution:cb:c1") {
		t.Fatalf("start printed %q; want the execution ARN", arn)
	}
	token := cliTaskToken(t, arn, addr)
	mustRun(t, "task", "heartbeat", token, addr)
	mustRun(t, "task", "success", token, `{"paid":true}`, addr)
	code, _, errOut = stepwise(t, "task", "success", token, addr)
	if code != 1 || !strings.Contains(errOut, "the task is not open") {
		t.Errorf("task success (again): exit %d, %q", code, errOut)
	}
	// SendTaskSuccess applies the result before it answers.
	if out := mustRun(t, "describe", arn, addr); !strings.Contains(out, "SUCCEEDED") || !strings.Contains(out, `{"paid":true}`) {
		t.Errorf("describe = %q", out)
	}
	table := mustRun(t, "history", arn, addr)
	for _, want := range []string{"ID", "TYPE", "ExecutionStarted", "TaskScheduled", "TaskSucceeded", "ExecutionSucceeded"} {
		if !strings.Contains(table, want) {
			t.Errorf("history table lacks %s:\n%s", want, table)
		}
	}

	// Task failure, stop.
	arn2 := strings.TrimSpace(mustRun(t, "start", "cb", `{"order":2}`, addr))
	arn3 := strings.TrimSpace(mustRun(t, "start", "cb", `{"order":3}`, addr))
	if out := mustRun(t, "stop", arn3, "--cause", "enough", addr); !strings.Contains(out, "ABORTED") {
		t.Errorf("stop = %q", out)
	}
	code, _, errOut = stepwise(t, "stop", arn3, addr)
	if code != 1 || !strings.Contains(errOut, "is not running") {
		t.Errorf("stop (stopped): exit %d, %q", code, errOut)
	}
	code, _, errOut = stepwise(t, "task", "failure", "no-such-token", "--error", "X", addr)
	if code != 1 || !strings.Contains(errOut, "invalid task token") {
		t.Errorf("task failure (bad token): exit %d, %q", code, errOut)
	}

	// Listing: by machine and status, by CEL filter, and a bad filter.
	out := mustRun(t, "list", "--machine", "cb", "--status", "running", addr)
	if !strings.Contains(out, arn2) || strings.Contains(out, arn3) || strings.Contains(out, arn) {
		t.Errorf("list --status running = %q", out)
	}
	out = mustRun(t, "list", "--filter", `input.order >= 2 && status == "ABORTED"`, addr)
	if !strings.Contains(out, arn3) || strings.Contains(out, arn2) {
		t.Errorf("list --filter = %q", out)
	}
	code, _, errOut = stepwise(t, "list", "--filter", `input.order >`, addr)
	if code != 1 || !strings.Contains(errOut, "filter:1:") {
		t.Errorf("list --filter bad: exit %d, %q", code, errOut)
	}

	// Not found, usage errors.
	code, _, errOut = stepwise(t, "describe", "arn:aws:states:us-east-1:111111111111:execution:cb:nope", addr)
	if code != 1 || !strings.Contains(errOut, "does not exist") || strings.Contains(errOut, "rpc error") {
		t.Errorf("describe (nope): exit %d, %q", code, errOut)
	}
	for _, args := range [][]string{{"start"}, {"machine"}, {"machine", "frobnicate"}, {"list", "--status", "bogus"}, {"describe", "a", "b"}, {"list", "--nope"}} {
		if code, _, errOut := stepwise(t, append(args, addr)...); code != 2 || !strings.Contains(errOut, "usage") && !strings.Contains(errOut, "client commands") {
			t.Errorf("stepwise %v: exit %d, %q; want 2 and the usage", args, code, errOut)
		}
	}
	mustRun(t, "machine", "delete", "fail", addr)
	code, _, errOut = stepwise(t, "machine", "describe", "fail", addr)
	if code != 1 || !strings.Contains(errOut, `state machine "fail" does not exist`) {
		t.Errorf("machine describe (deleted): exit %d, %q", code, errOut)
	}
}

// cliTaskToken reads the token of an execution's latest cliCallbackDef
// task from its history, as `history --json` prints it.
func cliTaskToken(t *testing.T, arn, addr string) string {
	t.Helper()
	var h stepwisev1.GetExecutionHistoryResponse
	if err := protojson.Unmarshal([]byte(mustRun(t, "history", arn, "--json", addr)), &h); err != nil {
		t.Fatal(err)
	}
	var token string
	for _, ev := range h.Events {
		if ev.Type == "TaskScheduled" {
			var d struct{ Parameters string }
			_ = json.Unmarshal([]byte(ev.Details), &d)
			var p struct{ MessageBody struct{ Token string } }
			_ = json.Unmarshal([]byte(d.Parameters), &p)
			token = p.MessageBody.Token
		}
	}
	if token == "" {
		t.Fatalf("no task token in %v", h.Events)
	}
	return token
}

// TestCLIExpressRedrive: machine create --type EXPRESS with logging,
// start --sync and its exit status, machine update of the logging alone;
// redrive of a failed execution, and what describe says of it.
func TestCLIExpressRedrive(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	addr := "--addr=" + srv.GRPCAddr
	const group = "arn:aws:logs:us-east-1:111111111111:log-group:greet:*"
	greet := file(t, "greet.json", `{"StartAt":"Check","States":{
 "Check":{"Type":"Choice","Choices":[{"Variable":"$.fail","IsPresent":true,"Next":"Refuse"}],"Default":"Greet"},
 "Greet":{"Type":"Pass","Parameters":{"greeting.$":"States.Format('Hello, {}!', $.who)"},"End":true},
 "Refuse":{"Type":"Fail","Error":"Greeting.Refused","Cause":"asked to fail"}}}`)
	if out := mustRun(t, "machine", "create", "greet", greet, "--type", "express", "--log-level", "ALL", "--log-group", group, addr); !strings.Contains(out, ":stateMachine:greet version 1") {
		t.Errorf("machine create --type express = %q", out)
	}
	out := mustRun(t, "machine", "describe", "greet", addr)
	for _, want := range []string{"type:     EXPRESS", "logging:  ALL to " + group} {
		if !strings.Contains(out, want) {
			t.Errorf("machine describe = %q; want %q", out, want)
		}
	}
	if out := mustRun(t, "machine", "list", addr); !strings.Contains(out, "TYPE") || !strings.Contains(out, "EXPRESS") {
		t.Errorf("machine list = %q; want the type", out)
	}
	if out := mustRun(t, "start", "greet", `{"who":"cli"}`, "--sync", addr); out != "{\"greeting\":\"Hello, cli!\"}\n" {
		t.Errorf("start --sync = %q", out)
	}
	code, _, errOut := stepwise(t, "start", "greet", `{"fail":1}`, "--sync", addr)
	if code != 3 || !strings.Contains(errOut, ":express:greet:") || !strings.Contains(errOut, "FAILED: Greeting.Refused: asked to fail") {
		t.Errorf("start --sync (failing): exit %d, %q; want 3 and the failure", code, errOut)
	}
	cb := file(t, "cb.json", cliCallbackDef)
	mustRun(t, "machine", "validate", cb, addr)
	code, _, errOut = stepwise(t, "machine", "validate", cb, "--type", "EXPRESS", addr)
	if code != 1 || !strings.Contains(errOut, "/States/Wait/Resource: Express state machine does not support '.waitForTaskToken'") {
		t.Errorf("machine validate --type EXPRESS: exit %d, %q", code, errOut)
	}
	mustRun(t, "machine", "create", "cb", cb, addr)
	code, _, errOut = stepwise(t, "start", "cb", "--sync", addr)
	if code != 1 || !strings.Contains(errOut, "not EXPRESS") {
		t.Errorf("start --sync (STANDARD): exit %d, %q", code, errOut)
	}
	mustRun(t, "machine", "update", "greet", "--log-level", "off", addr)
	if out := mustRun(t, "machine", "describe", "greet", addr); !strings.Contains(out, "logging:  OFF") || !strings.Contains(out, "version:  1") {
		t.Errorf("machine describe after update --log-level off = %q", out)
	}
	for _, args := range [][]string{{"start", "greet", "--sync", "--wait"}, {"machine", "create", "x", greet, "--type", "fast"},
		{"machine", "update", "greet"}, {"machine", "update", "greet", "--log-group", group}, {"machine", "create", "x", greet, "--log-level", "loud"}, {"redrive"}} {
		if code, _, errOut := stepwise(t, append(args, addr)...); code != 2 {
			t.Errorf("stepwise %v: exit %d, %q; want 2", args, code, errOut)
		}
	}

	// Redrive: fail the callback, redrive, answer it this time.
	arn := strings.TrimSpace(mustRun(t, "start", "cb", "--name", "r1", addr))
	mustRun(t, "task", "failure", cliTaskToken(t, arn, addr), "--error", "Boom", "--cause", "first try", addr)
	if out := mustRun(t, "describe", arn, addr); !strings.Contains(out, "FAILED") || !strings.Contains(out, "redrive:  REDRIVABLE") || strings.Contains(out, "redrives:") {
		t.Errorf("describe (failed) = %q; want FAILED, REDRIVABLE", out)
	}
	if out := mustRun(t, "redrive", arn, "--client-token", "t1", addr); !strings.Contains(out, arn+" redriven at ") || !strings.Contains(out, "(redrive 1), RUNNING") {
		t.Errorf("redrive = %q", out)
	}
	code, _, errOut = stepwise(t, "redrive", arn, addr)
	if code != 1 || !strings.Contains(errOut, "Execution is RUNNING and cannot be redriven") {
		t.Errorf("redrive (running): exit %d, %q", code, errOut)
	}
	mustRun(t, "task", "success", cliTaskToken(t, arn, addr), `{"paid":true}`, addr)
	out = mustRun(t, "describe", arn, addr)
	if !strings.Contains(out, "SUCCEEDED") || !strings.Contains(out, "redrives:  1 (last ") || strings.Contains(out, "redrive: ") {
		t.Errorf("describe (redriven, succeeded) = %q", out)
	}
}

func TestCLIAuthAndConnection(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{AuthToken: "s3cret"})
	addr := "--addr=" + srv.GRPCAddr
	code, _, errOut := stepwise(t, "machine", "list", addr, "--token", "")
	if code != 1 || !strings.Contains(errOut, "bearer token") {
		t.Errorf("no token: exit %d, %q", code, errOut)
	}
	code, _, errOut = stepwise(t, "machine", "list", addr, "--token", "wrong")
	if code != 1 || !strings.Contains(errOut, "bearer token") {
		t.Errorf("wrong token: exit %d, %q", code, errOut)
	}
	mustRun(t, "machine", "list", addr, "--token", "s3cret")

	code, _, errOut = stepwise(t, "machine", "list", "--addr", "127.0.0.1:1", "--timeout", "5s")
	if code != 1 || !strings.Contains(errOut, "cannot reach the server at 127.0.0.1:1") {
		t.Errorf("unreachable: exit %d, %q", code, errOut)
	}
}

// TestClientCommandTable runs every command of clientCommands with -h: each
// name reaches its command, which parses its flags and prints the help
// (exit 0) without calling a server; an unknown one is a usage error.
func TestClientCommandTable(t *testing.T) {
	for _, cmd := range clientCommands {
		var stdout, stderr strings.Builder
		args := append(strings.Fields(cmd.name), "-h")
		if code := run(args, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "stepwise "+cmd.name+" ") {
			t.Errorf("stepwise %s -h = %d, stdout %q, stderr %q; want 0 and the help naming it", cmd.name, code, stdout.String(), stderr.String())
		}
	}
	for _, args := range [][]string{{"machine", "frobnicate"}, {"task"}} {
		var stdout, stderr strings.Builder
		if code := run(args, &stdout, &stderr); code != 2 {
			t.Errorf("stepwise %s = %d; want 2 (usage)", strings.Join(args, " "), code)
		}
	}
}

// syncServer answers StartSyncExecution with a success and sends how long
// the call had left before its deadline (-1: none).
type syncServer struct {
	stepwisev1.UnimplementedExecutionServiceServer
	left chan time.Duration
}

func (s *syncServer) StartSyncExecution(ctx context.Context, _ *stepwisev1.StartSyncExecutionRequest) (*stepwisev1.StartSyncExecutionResponse, error) {
	left := time.Duration(-1)
	if d, ok := ctx.Deadline(); ok {
		left = time.Until(d)
	}
	s.left <- left
	return &stepwisev1.StartSyncExecutionResponse{Execution: &stepwisev1.Execution{
		Status: stepwisev1.ExecutionStatus_EXECUTION_STATUS_SUCCEEDED, Output: "{}"}}, nil
}

// TestStartSyncTimeout: start --sync gives the call an express
// execution's longest run and a margin, not the 30 s of other calls,
// unless --timeout says otherwise.
func TestStartSyncTimeout(t *testing.T) {
	t.Parallel()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := grpc.NewServer()
	fake := &syncServer{left: make(chan time.Duration, 1)}
	stepwisev1.RegisterExecutionServiceServer(g, fake)
	go func() { _ = g.Serve(lis) }()
	t.Cleanup(g.Stop)
	addr := "--addr=" + lis.Addr().String()
	for _, tc := range []struct {
		args     []string
		min, max time.Duration // the deadline must be in (min, max] from the server's receipt
	}{
		{nil, engine.ExpressMaxDuration, syncTimeout},
		{[]string{"--timeout", "7s"}, 0, 7 * time.Second},
	} {
		args := append([]string{"start", "m", "--sync", addr}, tc.args...)
		mustRun(t, args...)
		if left := <-fake.left; left <= tc.min || left > tc.max {
			t.Errorf("stepwise %s: the call's deadline is %s away; want within (%s, %s]", strings.Join(args, " "), left, tc.min, tc.max)
		}
	}
}
