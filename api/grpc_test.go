package api_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	stepwisev1 "github.com/stepwise-dev/stepwise/api/gen/stepwise/v1"
	"github.com/stepwise-dev/stepwise/internal/testserver"
)

const passDef = `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"v":1},"ResultPath":"$.r","End":true}}}`

const passDef2 = `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"v":2},"ResultPath":"$.r","End":true}}}`

// callbackDef puts the task token into the task's parameters, where the
// test reads it back from the TaskScheduled event.
const callbackDef = `{"StartAt":"Wait","States":{"Wait":{"Type":"Task",
 "Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken",
 "Parameters":{"QueueUrl":"https://example.invalid/q","MessageBody":{"token.$":"$$.Task.Token","order.$":"$.order"}},
 "Catch":[{"ErrorEquals":["Declined"],"ResultPath":"$.error","Next":"Declined"}],"End":true},
 "Declined":{"Type":"Pass","End":true}}}`

type clients struct {
	sm   stepwisev1.StateMachineServiceClient
	exec stepwisev1.ExecutionServiceClient
	task stepwisev1.TaskServiceClient
	act  stepwisev1.ActivityServiceClient
	conn *grpc.ClientConn
}

func dial(t *testing.T, addr string) clients {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return clients{stepwisev1.NewStateMachineServiceClient(conn), stepwisev1.NewExecutionServiceClient(conn),
		stepwisev1.NewTaskServiceClient(conn), stepwisev1.NewActivityServiceClient(conn), conn}
}

func wantCode(t *testing.T, what string, err error, code codes.Code) {
	t.Helper()
	if got := status.Code(err); got != code {
		t.Errorf("%s: %v; want code %v", what, err, code)
	}
}

// waitDone polls DescribeExecution until the execution is not RUNNING.
func waitDone(t *testing.T, c clients, arn string) *stepwisev1.Execution {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r, err := c.exec.DescribeExecution(ctx, &stepwisev1.DescribeExecutionRequest{Arn: arn})
		if err != nil {
			t.Fatal(err)
		}
		if r.Execution.Status != stepwisev1.ExecutionStatus_EXECUTION_STATUS_RUNNING {
			return r.Execution
		}
		if time.Now().After(deadline) {
			t.Fatalf("execution %s still running", arn)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// taskToken reads the token of an execution's waitForTaskToken task from
// its latest TaskScheduled event.
func taskToken(t *testing.T, c clients, arn string) string {
	t.Helper()
	h, err := c.exec.GetExecutionHistory(context.Background(), &stepwisev1.GetExecutionHistoryRequest{Arn: arn, ReverseOrder: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range h.Events {
		if ev.Type != "TaskScheduled" {
			continue
		}
		var d struct{ Parameters string }
		if err := json.Unmarshal([]byte(ev.Details), &d); err != nil {
			t.Fatal(err)
		}
		var p struct{ MessageBody struct{ Token string } }
		if err := json.Unmarshal([]byte(d.Parameters), &p); err != nil {
			t.Fatalf("parameters %q: %v", d.Parameters, err)
		}
		return p.MessageBody.Token
	}
	t.Fatalf("no TaskScheduled event in %v", h.Events)
	return ""
}

func TestGRPCStateMachines(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	c := dial(t, srv.GRPCAddr)
	ctx := context.Background()

	cr, err := c.sm.CreateStateMachine(ctx, &stepwisev1.CreateStateMachineRequest{Name: "hello", Definition: passDef, RoleArn: "arn:aws:iam::111111111111:role/r"})
	if err != nil {
		t.Fatal(err)
	}
	if sm := cr.StateMachine; sm.Version != 1 || sm.Arn != "arn:aws:states:us-east-1:111111111111:stateMachine:hello" || sm.Created == nil {
		t.Errorf("CreateStateMachine = %v", sm)
	}
	// Same definition again: idempotent. Another definition: AlreadyExists.
	if _, err := c.sm.CreateStateMachine(ctx, &stepwisev1.CreateStateMachineRequest{Name: "hello", Definition: passDef}); err != nil {
		t.Errorf("CreateStateMachine(same) = %v", err)
	}
	_, err = c.sm.CreateStateMachine(ctx, &stepwisev1.CreateStateMachineRequest{Name: "hello", Definition: passDef2})
	wantCode(t, "CreateStateMachine(other definition)", err, codes.AlreadyExists)

	// A bad definition: InvalidArgument with every diagnostic as details.
	_, err = c.sm.CreateStateMachine(ctx, &stepwisev1.CreateStateMachineRequest{Name: "bad",
		Definition: `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"C":{"Type":"Nope"}}}`})
	wantCode(t, "CreateStateMachine(bad)", err, codes.InvalidArgument)
	var violations []string
	for _, d := range status.Convert(err).Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.FieldViolations {
				violations = append(violations, v.Field)
			}
		}
	}
	if len(violations) < 2 || !strings.Contains(strings.Join(violations, " "), "/States/A/Next") {
		t.Errorf("CreateStateMachine(bad) violations = %v (%v); want /States/A/Next and more", violations, err)
	}

	v, err := c.sm.ValidateStateMachineDefinition(ctx, &stepwisev1.ValidateStateMachineDefinitionRequest{Definition: `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}}`})
	// As AWS: the missing target, then the machine without a terminal state.
	if err != nil || v.Result != "FAIL" || len(v.Diagnostics) != 2 || v.Diagnostics[0].Location != "/States/A/Next" ||
		v.Diagnostics[0].Code != "MISSING_TRANSITION_TARGET" || v.Diagnostics[1].Code != "MISSING_END_STATE" {
		t.Errorf("ValidateStateMachineDefinition(bad) = %v, %v", v, err)
	}
	if v, err := c.sm.ValidateStateMachineDefinition(ctx, &stepwisev1.ValidateStateMachineDefinitionRequest{Definition: passDef}); err != nil || v.Result != "OK" {
		t.Errorf("ValidateStateMachineDefinition(ok) = %v, %v", v, err)
	}

	ur, err := c.sm.UpdateStateMachine(ctx, &stepwisev1.UpdateStateMachineRequest{Name: "hello", Definition: passDef2})
	if err != nil || ur.StateMachine.Version != 2 {
		t.Fatalf("UpdateStateMachine = %v, %v; want version 2", ur, err)
	}
	d, err := c.sm.DescribeStateMachine(ctx, &stepwisev1.DescribeStateMachineRequest{Name: "hello"})
	if err != nil || d.StateMachine.Version != 2 || d.StateMachine.Definition != passDef2 || d.StateMachine.RoleArn != "arn:aws:iam::111111111111:role/r" {
		t.Errorf("DescribeStateMachine(latest) = %v, %v", d, err)
	}
	d, err = c.sm.DescribeStateMachine(ctx, &stepwisev1.DescribeStateMachineRequest{Name: "hello", Version: 1})
	if err != nil || d.StateMachine.Definition != passDef {
		t.Errorf("DescribeStateMachine(1) = %v, %v", d, err)
	}
	_, err = c.sm.DescribeStateMachine(ctx, &stepwisev1.DescribeStateMachineRequest{Name: "hello", Version: 3})
	wantCode(t, "DescribeStateMachine(3)", err, codes.NotFound)
	_, err = c.sm.UpdateStateMachine(ctx, &stepwisev1.UpdateStateMachineRequest{Name: "nope", Definition: passDef})
	wantCode(t, "UpdateStateMachine(nope)", err, codes.NotFound)
	_, err = c.sm.UpdateStateMachine(ctx, &stepwisev1.UpdateStateMachineRequest{Name: "hello", Definition: `{}`})
	wantCode(t, "UpdateStateMachine(bad)", err, codes.InvalidArgument)

	for _, n := range []string{"b", "a", "c"} {
		if _, err := c.sm.CreateStateMachine(ctx, &stepwisev1.CreateStateMachineRequest{Name: n, Definition: passDef}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	tok := ""
	for {
		l, err := c.sm.ListStateMachines(ctx, &stepwisev1.ListStateMachinesRequest{PageSize: 3, PageToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		for _, sm := range l.StateMachines {
			names = append(names, sm.Name)
		}
		if tok = l.NextPageToken; tok == "" {
			break
		}
	}
	if got := strings.Join(names, ","); got != "a,b,c,hello" {
		t.Errorf("ListStateMachines = %s; want a,b,c,hello", got)
	}

	if _, err := c.sm.DeleteStateMachine(ctx, &stepwisev1.DeleteStateMachineRequest{Name: "b"}); err != nil {
		t.Fatal(err)
	}
	_, err = c.sm.DescribeStateMachine(ctx, &stepwisev1.DescribeStateMachineRequest{Name: "b"})
	wantCode(t, "DescribeStateMachine(deleted)", err, codes.NotFound)
	_, err = c.sm.DeleteStateMachine(ctx, &stepwisev1.DeleteStateMachineRequest{Name: "b"})
	wantCode(t, "DeleteStateMachine(deleted)", err, codes.NotFound)
	_, err = c.exec.StartExecution(ctx, &stepwisev1.StartExecutionRequest{StateMachineName: "b"})
	wantCode(t, "StartExecution(deleted)", err, codes.NotFound)
}

func TestGRPCExecutions(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	c := dial(t, srv.GRPCAddr)
	ctx := context.Background()
	for name, def := range map[string]string{"hello": passDef, "cb": callbackDef} {
		if _, err := c.sm.CreateStateMachine(ctx, &stepwisev1.CreateStateMachineRequest{Name: name, Definition: def}); err != nil {
			t.Fatal(err)
		}
	}

	// A pass machine: start, describe, history; big integers survive.
	st, err := c.exec.StartExecution(ctx, &stepwisev1.StartExecutionRequest{StateMachineName: "hello", Name: "one", Input: `{"n":12345678901234567890123,"f":1.0}`})
	if err != nil {
		t.Fatal(err)
	}
	x := waitDone(t, c, st.Execution.Arn)
	if x.Status != stepwisev1.ExecutionStatus_EXECUTION_STATUS_SUCCEEDED || x.Output != `{"f":1.0,"n":12345678901234567890123,"r":{"v":1}}` || x.StopTime == nil {
		t.Errorf("DescribeExecution = %v", x)
	}
	// The name of an ended execution is taken, whatever the input (AWS).
	_, err = c.exec.StartExecution(ctx, &stepwisev1.StartExecutionRequest{StateMachineName: "hello", Name: "one", Input: `{"n":12345678901234567890123,"f":1.0}`})
	wantCode(t, "StartExecution(again, ended)", err, codes.AlreadyExists)
	_, err = c.exec.StartExecution(ctx, &stepwisev1.StartExecutionRequest{StateMachineName: "hello", Name: "one", Input: `{}`})
	wantCode(t, "StartExecution(other input)", err, codes.AlreadyExists)
	_, err = c.exec.StartExecution(ctx, &stepwisev1.StartExecutionRequest{StateMachineName: "hello", Input: `{bad`})
	wantCode(t, "StartExecution(bad input)", err, codes.InvalidArgument)
	_, err = c.exec.StartExecution(ctx, &stepwisev1.StartExecutionRequest{StateMachineName: "nope"})
	wantCode(t, "StartExecution(no machine)", err, codes.NotFound)
	_, err = c.exec.DescribeExecution(ctx, &stepwisev1.DescribeExecutionRequest{Arn: "arn:aws:states:us-east-1:111111111111:execution:hello:nope"})
	wantCode(t, "DescribeExecution(nope)", err, codes.NotFound)

	h, err := c.exec.GetExecutionHistory(ctx, &stepwisev1.GetExecutionHistoryRequest{Arn: st.Execution.Arn})
	if err != nil {
		t.Fatal(err)
	}
	var typ []string
	for _, ev := range h.Events {
		typ = append(typ, ev.Type)
	}
	if got := strings.Join(typ, ","); got != "ExecutionStarted,PassStateEntered,PassStateExited,ExecutionSucceeded" {
		t.Errorf("history = %s", got)
	}
	rev, err := c.exec.GetExecutionHistory(ctx, &stepwisev1.GetExecutionHistoryRequest{Arn: st.Execution.Arn, ReverseOrder: true, PageSize: 1})
	if err != nil || len(rev.Events) != 1 || rev.Events[0].Type != "ExecutionSucceeded" || rev.NextPageToken == "" {
		t.Errorf("history(reverse, 1) = %v, %v", rev, err)
	}

	// Callbacks: success, failure (caught), heartbeat, stale token.
	ok, err := c.exec.StartExecution(ctx, &stepwisev1.StartExecutionRequest{StateMachineName: "cb", Name: "ok", Input: `{"order":7}`})
	if err != nil {
		t.Fatal(err)
	}
	tok := taskToken(t, c, ok.Execution.Arn)
	if _, err := c.task.SendTaskHeartbeat(ctx, &stepwisev1.SendTaskHeartbeatRequest{TaskToken: tok}); err != nil {
		t.Errorf("SendTaskHeartbeat = %v", err)
	}
	if _, err := c.task.SendTaskSuccess(ctx, &stepwisev1.SendTaskSuccessRequest{TaskToken: tok, Output: `{"paid":true}`}); err != nil {
		t.Fatalf("SendTaskSuccess = %v", err)
	}
	if x := waitDone(t, c, ok.Execution.Arn); x.Output != `{"paid":true}` {
		t.Errorf("after SendTaskSuccess: %v", x)
	}
	_, err = c.task.SendTaskSuccess(ctx, &stepwisev1.SendTaskSuccessRequest{TaskToken: tok, Output: `{}`})
	wantCode(t, "SendTaskSuccess(answered)", err, codes.FailedPrecondition)
	_, err = c.task.SendTaskHeartbeat(ctx, &stepwisev1.SendTaskHeartbeatRequest{TaskToken: "garbage"})
	wantCode(t, "SendTaskHeartbeat(garbage)", err, codes.InvalidArgument)

	fail, err := c.exec.StartExecution(ctx, &stepwisev1.StartExecutionRequest{StateMachineName: "cb", Name: "declined", Input: `{"order":8}`})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.task.SendTaskFailure(ctx, &stepwisev1.SendTaskFailureRequest{TaskToken: taskToken(t, c, fail.Execution.Arn), Error: "Declined", Cause: "card"}); err != nil {
		t.Fatalf("SendTaskFailure = %v", err)
	}
	if x := waitDone(t, c, fail.Execution.Arn); x.Status != stepwisev1.ExecutionStatus_EXECUTION_STATUS_SUCCEEDED || !strings.Contains(x.Output, `"Error":"Declined"`) {
		t.Errorf("after SendTaskFailure: %v", x)
	}

	// Stop a waiting execution; stopping it again is FailedPrecondition.
	stop, err := c.exec.StartExecution(ctx, &stepwisev1.StartExecutionRequest{StateMachineName: "cb", Name: "stopped", Input: `{"order":9}`})
	if err != nil {
		t.Fatal(err)
	}
	sr, err := c.exec.StopExecution(ctx, &stepwisev1.StopExecutionRequest{Arn: stop.Execution.Arn, Error: "Operator", Cause: "test"})
	if err != nil || sr.Execution.Status != stepwisev1.ExecutionStatus_EXECUTION_STATUS_ABORTED || sr.Execution.Error != "Operator" {
		t.Errorf("StopExecution = %v, %v", sr, err)
	}
	_, err = c.exec.StopExecution(ctx, &stepwisev1.StopExecutionRequest{Arn: stop.Execution.Arn})
	wantCode(t, "StopExecution(stopped)", err, codes.FailedPrecondition)

	// The version an execution runs, after an update.
	if _, err := c.sm.UpdateStateMachine(ctx, &stepwisev1.UpdateStateMachineRequest{Name: "hello", Definition: passDef2}); err != nil {
		t.Fatal(err)
	}
	dsm, err := c.exec.DescribeStateMachineForExecution(ctx, &stepwisev1.DescribeStateMachineForExecutionRequest{Arn: st.Execution.Arn})
	if err != nil || dsm.StateMachine.Version != 1 || dsm.StateMachine.Definition != passDef {
		t.Errorf("DescribeStateMachineForExecution = %v, %v; want version 1", dsm, err)
	}

	// Listing: by machine, by status, by CEL filter; bad filters.
	l, err := c.exec.ListExecutions(ctx, &stepwisev1.ListExecutionsRequest{StateMachineName: "cb", Status: stepwisev1.ExecutionStatus_EXECUTION_STATUS_SUCCEEDED})
	if err != nil || len(l.Executions) != 2 || l.Executions[0].Name != "declined" {
		t.Errorf("ListExecutions(cb, SUCCEEDED) = %v, %v", l, err)
	}
	l, err = c.exec.ListExecutions(ctx, &stepwisev1.ListExecutionsRequest{Filter: `input.order >= 8 && status != "RUNNING"`})
	if err != nil || len(l.Executions) != 2 || l.Executions[0].Name != "stopped" || l.Executions[1].Name != "declined" {
		t.Errorf("ListExecutions(filter) = %v, %v", l, err)
	}
	l, err = c.exec.ListExecutions(ctx, &stepwisev1.ListExecutionsRequest{Filter: `name == "x' OR 1=1 --"`})
	if err != nil || len(l.Executions) != 0 {
		t.Errorf("ListExecutions(injection) = %v, %v; want nothing", l, err)
	}
	_, err = c.exec.ListExecutions(ctx, &stepwisev1.ListExecutionsRequest{Filter: `status == "FAILED" && nope > 1`})
	wantCode(t, "ListExecutions(undeclared)", err, codes.InvalidArgument)
	if msg := status.Convert(err).Message(); !strings.Contains(msg, "filter:1:23: undeclared reference to 'nope'") {
		t.Errorf("ListExecutions(undeclared) message = %q; want CEL's message with its position", msg)
	}
	_, err = c.exec.ListExecutions(ctx, &stepwisev1.ListExecutionsRequest{Filter: `start_time > timestamp("soon")`})
	wantCode(t, "ListExecutions(bad timestamp)", err, codes.InvalidArgument)
	_, err = c.exec.ListExecutions(ctx, &stepwisev1.ListExecutionsRequest{PageToken: "zzz"})
	wantCode(t, "ListExecutions(bad token)", err, codes.InvalidArgument)
}

// TestAuth checks the optional bearer token on gRPC and on the REST
// gateway: missing or wrong tokens are refused, the right one accepted;
// /healthz stays open.
func TestAuth(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{AuthToken: "s3cret"})
	c := dial(t, srv.GRPCAddr)
	for _, tc := range []struct {
		header string
		code   codes.Code
		http   int
	}{
		{"", codes.Unauthenticated, 401},
		{"Bearer wrong", codes.Unauthenticated, 401},
		{"s3cret", codes.Unauthenticated, 401},
		{"Bearer s3cret", codes.OK, 200},
	} {
		ctx := context.Background()
		if tc.header != "" {
			ctx = metadata.AppendToOutgoingContext(ctx, "authorization", tc.header)
		}
		_, err := c.sm.ListStateMachines(ctx, &stepwisev1.ListStateMachinesRequest{})
		wantCode(t, "gRPC ListStateMachines with "+tc.header, err, tc.code)

		req := newRequest(t, "GET", srv.HTTPURL+"/v1/state-machines", "")
		if tc.header != "" {
			req.Header.Set("Authorization", tc.header)
		}
		resp, err := testserver.HTTPClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.http {
			t.Errorf("GET /v1/state-machines with %q = %d; want %d", tc.header, resp.StatusCode, tc.http)
		}
	}
	resp, err := testserver.HTTPClient.Get(srv.HTTPURL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("/healthz = %d; want 200 without a token", resp.StatusCode)
	}
}

// TestGRPCActivities: an activity task polled and answered over gRPC.
func TestGRPCActivities(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	c := dial(t, srv.GRPCAddr)
	ctx := context.Background()
	_, err := c.act.CreateActivity(ctx, &stepwisev1.CreateActivityRequest{Name: "bad name"})
	wantCode(t, "CreateActivity(bad name)", err, codes.InvalidArgument)
	a, err := c.act.CreateActivity(ctx, &stepwisev1.CreateActivityRequest{Name: "review"})
	if err != nil {
		t.Fatal(err)
	}
	arn := a.GetActivity().GetArn()
	if d, err := c.act.DescribeActivity(ctx, &stepwisev1.DescribeActivityRequest{Arn: arn}); err != nil || d.GetActivity().GetName() != "review" {
		t.Errorf("DescribeActivity = %v, %v; want review", d, err)
	}
	if l, err := c.act.ListActivities(ctx, &stepwisev1.ListActivitiesRequest{}); err != nil || len(l.GetActivities()) != 1 {
		t.Errorf("ListActivities = %v, %v; want one", l, err)
	}
	def := `{"StartAt":"Review","States":{"Review":{"Type":"Task","Resource":"` + arn + `","ResultPath":"$.review","End":true}}}`
	if _, err := c.sm.CreateStateMachine(ctx, &stepwisev1.CreateStateMachineRequest{Name: "reviews", Definition: def}); err != nil {
		t.Fatal(err)
	}
	x, err := c.exec.StartExecution(ctx, &stepwisev1.StartExecutionRequest{StateMachineName: "reviews", Input: `{"doc":7}`})
	if err != nil {
		t.Fatal(err)
	}
	task, err := c.act.GetActivityTask(ctx, &stepwisev1.GetActivityTaskRequest{Arn: arn, WorkerName: "w"})
	if err != nil || task.GetTaskToken() == "" || task.GetInput() != `{"doc":7}` {
		t.Fatalf("GetActivityTask = %v, %v; want the task", task, err)
	}
	if _, err := c.task.SendTaskSuccess(ctx, &stepwisev1.SendTaskSuccessRequest{TaskToken: task.GetTaskToken(), Output: `"ok"`}); err != nil {
		t.Fatal(err)
	}
	if done := waitDone(t, c, x.GetExecution().GetArn()); done.GetOutput() != `{"doc":7,"review":"ok"}` {
		t.Errorf("execution = %v; want the review in the output", done)
	}
	if _, err := c.act.DeleteActivity(ctx, &stepwisev1.DeleteActivityRequest{Arn: arn}); err != nil {
		t.Fatal(err)
	}
	_, err = c.act.DescribeActivity(ctx, &stepwisev1.DescribeActivityRequest{Arn: arn})
	wantCode(t, "DescribeActivity(deleted)", err, codes.NotFound)
}

// TestEmbedderDefaults: a Server used as an embedder would (GRPCServer
// with no options, HTTPHandler as it is) checks gRPC requests against
// AWS's field limits and keeps /metrics behind the token.
func TestEmbedderDefaults(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{AuthToken: "s3cret"})
	c := dial(t, srv.GRPCAddr)
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer s3cret")
	_, err := c.sm.CreateStateMachine(ctx, &stepwisev1.CreateStateMachineRequest{Name: "embedded", Definition: passDef, RoleArn: strings.Repeat("r", 300)})
	wantCode(t, "gRPC CreateStateMachine with a roleArn of 300 characters", err, codes.InvalidArgument)
	_, err = c.sm.CreateStateMachine(context.Background(), &stepwisev1.CreateStateMachineRequest{Name: strings.Repeat("n", 81), Definition: passDef})
	wantCode(t, "gRPC CreateStateMachine without the token", err, codes.Unauthenticated)
	for _, h := range []struct {
		header string
		code   int
	}{{"", 401}, {"Bearer wrong", 401}, {"Bearer s3cret", 200}} {
		req := newRequest(t, "GET", srv.HTTPURL+"/metrics", "")
		if h.header != "" {
			req.Header.Set("Authorization", h.header)
		}
		resp, err := testserver.HTTPClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != h.code {
			t.Errorf("GET /metrics with %q = %d; want %d", h.header, resp.StatusCode, h.code)
		}
	}
}
