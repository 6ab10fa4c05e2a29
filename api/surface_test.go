package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	stepwisev1 "github.com/stepwise-dev/stepwise/api/gen/stepwise/v1"
	"github.com/stepwise-dev/stepwise/internal/testserver"
)

// greetDef succeeds with a greeting, or fails (Greeting.Refused) when its
// input has a "fail" field.
const greetDef = `{"StartAt":"Check","States":{
 "Check":{"Type":"Choice","Choices":[{"Variable":"$.fail","IsPresent":true,"Next":"Refuse"}],"Default":"Greet"},
 "Greet":{"Type":"Pass","Parameters":{"greeting.$":"States.Format('Hello, {}!', $.who)"},"End":true},
 "Refuse":{"Type":"Fail","Error":"Greeting.Refused","Cause":"asked to fail"}}}`

// redriveDef waits for a callback with no Catch: a failure sent to its
// task fails the execution, and a redrive waits for a callback again.
const redriveDef = `{"StartAt":"Wait","States":{"Wait":{"Type":"Task",
 "Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken",
 "Parameters":{"QueueUrl":"https://example.invalid/q","MessageBody":{"token.$":"$$.Task.Token"}},"End":true}}}`

const logGroup = "arn:aws:logs:us-east-1:111111111111:log-group:/aws/vendedlogs/states/greet:*"

// TestGRPCExpress: an EXPRESS machine with its type and logging, created,
// described and updated; StartSyncExecution's outcomes and errors; an
// express execution's ARN refused where a stored execution is needed.
func TestGRPCExpress(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	c := dial(t, srv.GRPCAddr)
	ctx := context.Background()
	express := stepwisev1.StateMachineType_STATE_MACHINE_TYPE_EXPRESS
	all := &stepwisev1.LoggingConfiguration{Level: stepwisev1.LogLevel_LOG_LEVEL_ALL, LogGroupArn: logGroup, IncludeExecutionData: true}

	cr, err := c.sm.CreateStateMachine(ctx, &stepwisev1.CreateStateMachineRequest{Name: "greet", Definition: greetDef, Type: express, Logging: all})
	if err != nil {
		t.Fatal(err)
	}
	if sm := cr.StateMachine; sm.Type != express || sm.Logging.GetLevel() != stepwisev1.LogLevel_LOG_LEVEL_ALL || sm.Logging.GetLogGroupArn() != logGroup ||
		!sm.Logging.GetIncludeExecutionData() {
		t.Errorf("CreateStateMachine(EXPRESS) = %v", sm)
	}
	if _, err := c.sm.CreateStateMachine(ctx, &stepwisev1.CreateStateMachineRequest{Name: "plain", Definition: greetDef}); err != nil {
		t.Fatal(err)
	}
	d, err := c.sm.DescribeStateMachine(ctx, &stepwisev1.DescribeStateMachineRequest{Name: "plain"})
	if err != nil || d.StateMachine.Type != stepwisev1.StateMachineType_STATE_MACHINE_TYPE_STANDARD || d.StateMachine.Logging != nil {
		t.Errorf("DescribeStateMachine(plain) = %v, %v; want STANDARD without logging", d.GetStateMachine(), err)
	}
	// The same name as STANDARD is another machine: AlreadyExists.
	_, err = c.sm.CreateStateMachine(ctx, &stepwisev1.CreateStateMachineRequest{Name: "greet", Definition: greetDef})
	wantCode(t, "CreateStateMachine(greet as STANDARD)", err, codes.AlreadyExists)
	// What Express workflows do not support, and logging without a group.
	_, err = c.sm.CreateStateMachine(ctx, &stepwisev1.CreateStateMachineRequest{Name: "cb", Definition: redriveDef, Type: express})
	wantCode(t, "CreateStateMachine(EXPRESS with .waitForTaskToken)", err, codes.InvalidArgument)
	if err == nil || !strings.Contains(err.Error(), "/States/Wait/Resource: Express state machine does not support '.waitForTaskToken'") {
		t.Errorf("CreateStateMachine(EXPRESS with .waitForTaskToken) = %v; want the location and AWS's message", err)
	}
	for typ, want := range map[stepwisev1.StateMachineType]string{express: "FAIL", stepwisev1.StateMachineType_STATE_MACHINE_TYPE_STANDARD: "OK"} {
		v, err := c.sm.ValidateStateMachineDefinition(ctx, &stepwisev1.ValidateStateMachineDefinitionRequest{Definition: redriveDef, Type: typ})
		if err != nil || v.Result != want || (want == "FAIL" && (len(v.Diagnostics) != 1 || v.Diagnostics[0].Location != "/States/Wait/Resource")) {
			t.Errorf("ValidateStateMachineDefinition(.waitForTaskToken, %v) = %v, %v; want %s", typ, v, err, want)
		}
	}
	_, err = c.sm.CreateStateMachine(ctx, &stepwisev1.CreateStateMachineRequest{Name: "nolog", Definition: greetDef, Type: express,
		Logging: &stepwisev1.LoggingConfiguration{Level: stepwisev1.LogLevel_LOG_LEVEL_ERROR}})
	wantCode(t, "CreateStateMachine(logging without a group)", err, codes.InvalidArgument)
	_, err = c.sm.CreateStateMachine(ctx, &stepwisev1.CreateStateMachineRequest{Name: "longlog", Definition: greetDef, Type: express,
		Logging: &stepwisev1.LoggingConfiguration{Level: stepwisev1.LogLevel_LOG_LEVEL_ERROR, LogGroupArn: strings.Repeat("a", 257)}})
	wantCode(t, "CreateStateMachine(a 257-character log group)", err, codes.InvalidArgument)
	_, err = c.exec.StartSyncExecution(ctx, &stepwisev1.StartSyncExecutionRequest{StateMachineName: "greet", Name: "not a name?"})
	wantCode(t, "StartSyncExecution(bad name)", err, codes.InvalidArgument)

	// StartSyncExecution: the outcome, a failure included, is the answer.
	r, err := c.exec.StartSyncExecution(ctx, &stepwisev1.StartSyncExecutionRequest{StateMachineName: "greet", Name: "s1", Input: `{"who":"world"}`})
	if err != nil {
		t.Fatal(err)
	}
	if x := r.Execution; x.Status != stepwisev1.ExecutionStatus_EXECUTION_STATUS_SUCCEEDED || x.Output != `{"greeting":"Hello, world!"}` ||
		!strings.HasPrefix(x.Arn, "arn:aws:states:us-east-1:111111111111:express:greet:s1:") || x.StopTime == nil || x.Input != `{"who":"world"}` {
		t.Errorf("StartSyncExecution = %v", x)
	}
	r, err = c.exec.StartSyncExecution(ctx, &stepwisev1.StartSyncExecutionRequest{StateMachineName: "greet", Input: `{"fail":1}`})
	if err != nil || r.Execution.Status != stepwisev1.ExecutionStatus_EXECUTION_STATUS_FAILED || r.Execution.Error != "Greeting.Refused" || r.Execution.Cause != "asked to fail" {
		t.Errorf("StartSyncExecution(fail) = %v, %v; want FAILED Greeting.Refused", r.GetExecution(), err)
	}
	_, err = c.exec.StartSyncExecution(ctx, &stepwisev1.StartSyncExecutionRequest{StateMachineName: "plain"})
	wantCode(t, "StartSyncExecution(STANDARD)", err, codes.FailedPrecondition)
	_, err = c.exec.StartSyncExecution(ctx, &stepwisev1.StartSyncExecutionRequest{StateMachineName: "nope"})
	wantCode(t, "StartSyncExecution(no machine)", err, codes.NotFound)
	_, err = c.exec.StartSyncExecution(ctx, &stepwisev1.StartSyncExecutionRequest{StateMachineName: "greet", Input: `{bad`})
	wantCode(t, "StartSyncExecution(bad input)", err, codes.InvalidArgument)

	// StartExecution of an EXPRESS machine answers its express ARN, which
	// DescribeExecution, StopExecution and RedriveExecution refuse.
	st, err := c.exec.StartExecution(ctx, &stepwisev1.StartExecutionRequest{StateMachineName: "greet", Input: `{"who":"async"}`})
	if err != nil || !strings.Contains(st.GetExecution().GetArn(), ":express:greet:") {
		t.Fatalf("StartExecution(EXPRESS) = %v, %v; want an express ARN", st.GetExecution(), err)
	}
	_, err = c.exec.DescribeExecution(ctx, &stepwisev1.DescribeExecutionRequest{Arn: st.Execution.Arn})
	wantCode(t, "DescribeExecution(express ARN)", err, codes.InvalidArgument)
	_, err = c.exec.RedriveExecution(ctx, &stepwisev1.RedriveExecutionRequest{Arn: st.Execution.Arn})
	wantCode(t, "RedriveExecution(express ARN)", err, codes.InvalidArgument)

	// UpdateStateMachine changes the logging alone (no new version), or
	// turns it off; it needs something to change.
	u, err := c.sm.UpdateStateMachine(ctx, &stepwisev1.UpdateStateMachineRequest{Name: "greet",
		Logging: &stepwisev1.LoggingConfiguration{Level: stepwisev1.LogLevel_LOG_LEVEL_ERROR, LogGroupArn: logGroup}})
	if err != nil || u.StateMachine.Version != 1 || u.StateMachine.Type != express || u.StateMachine.Logging.GetLevel() != stepwisev1.LogLevel_LOG_LEVEL_ERROR ||
		u.StateMachine.Logging.GetIncludeExecutionData() {
		t.Errorf("UpdateStateMachine(logging ERROR) = %v, %v; want version 1, EXPRESS, ERROR", u.GetStateMachine(), err)
	}
	u, err = c.sm.UpdateStateMachine(ctx, &stepwisev1.UpdateStateMachineRequest{Name: "greet", Definition: passDef,
		Logging: &stepwisev1.LoggingConfiguration{Level: stepwisev1.LogLevel_LOG_LEVEL_OFF}})
	if err != nil || u.StateMachine.Version != 2 || u.StateMachine.Logging != nil || u.StateMachine.Definition != passDef {
		t.Errorf("UpdateStateMachine(definition, logging OFF) = %v, %v; want version 2 without logging", u.GetStateMachine(), err)
	}
	_, err = c.sm.UpdateStateMachine(ctx, &stepwisev1.UpdateStateMachineRequest{Name: "greet"})
	wantCode(t, "UpdateStateMachine(nothing)", err, codes.InvalidArgument)
	_, err = c.sm.UpdateStateMachine(ctx, &stepwisev1.UpdateStateMachineRequest{Name: "greet", Definition: redriveDef, Logging: all})
	wantCode(t, "UpdateStateMachine(EXPRESS with .waitForTaskToken)", err, codes.InvalidArgument)
	_, err = c.sm.UpdateStateMachine(ctx, &stepwisev1.UpdateStateMachineRequest{Name: "greet", Definition: `{"StartAt":"Nope","States":{}}`, Logging: all})
	wantCode(t, "UpdateStateMachine(bad definition, logging)", err, codes.InvalidArgument)
	if d, err := c.sm.DescribeStateMachine(ctx, &stepwisev1.DescribeStateMachineRequest{Name: "greet"}); err != nil || d.StateMachine.Version != 2 || d.StateMachine.Logging != nil {
		t.Errorf("after a refused update: %v, %v; want version 2 without logging, unchanged", d.GetStateMachine(), err)
	}
	_, err = c.sm.UpdateStateMachine(ctx, &stepwisev1.UpdateStateMachineRequest{Name: "nope", Logging: all})
	wantCode(t, "UpdateStateMachine(no machine)", err, codes.NotFound)
}

// TestGRPCRedrive: a failed execution is REDRIVABLE; RedriveExecution
// runs it again (a client token answers its own redrive again), it
// succeeds, and is no longer redrivable; the errors.
func TestGRPCRedrive(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	c := dial(t, srv.GRPCAddr)
	ctx := context.Background()
	if _, err := c.sm.CreateStateMachine(ctx, &stepwisev1.CreateStateMachineRequest{Name: "rd", Definition: redriveDef}); err != nil {
		t.Fatal(err)
	}
	st, err := c.exec.StartExecution(ctx, &stepwisev1.StartExecutionRequest{StateMachineName: "rd", Name: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	arn := st.Execution.Arn
	d, err := c.exec.DescribeExecution(ctx, &stepwisev1.DescribeExecutionRequest{Arn: arn})
	if err != nil || d.Execution.RedriveStatus != stepwisev1.RedriveStatus_REDRIVE_STATUS_NOT_REDRIVABLE ||
		d.Execution.RedriveStatusReason != "Execution is RUNNING and cannot be redriven" {
		t.Errorf("DescribeExecution(running) redrive = %v %q, %v", d.GetExecution().GetRedriveStatus(), d.GetExecution().GetRedriveStatusReason(), err)
	}
	_, err = c.exec.RedriveExecution(ctx, &stepwisev1.RedriveExecutionRequest{Arn: arn})
	wantCode(t, "RedriveExecution(running)", err, codes.FailedPrecondition)

	if _, err := c.task.SendTaskFailure(ctx, &stepwisev1.SendTaskFailureRequest{TaskToken: taskToken(t, c, arn), Error: "Boom", Cause: "first try"}); err != nil {
		t.Fatal(err)
	}
	x := waitDone(t, c, arn)
	d, err = c.exec.DescribeExecution(ctx, &stepwisev1.DescribeExecutionRequest{Arn: arn})
	if err != nil || x.Status != stepwisev1.ExecutionStatus_EXECUTION_STATUS_FAILED || d.Execution.RedriveStatus != stepwisev1.RedriveStatus_REDRIVE_STATUS_REDRIVABLE ||
		d.Execution.RedriveStatusReason != "" || d.Execution.RedriveCount != 0 || d.Execution.RedriveDate != nil {
		t.Fatalf("DescribeExecution(failed) = %v, %v; want FAILED, REDRIVABLE, never redriven", d.GetExecution(), err)
	}
	l, err := c.exec.ListExecutions(ctx, &stepwisev1.ListExecutionsRequest{StateMachineName: "rd"})
	if err != nil || len(l.Executions) != 1 || l.Executions[0].RedriveStatus != stepwisev1.RedriveStatus_REDRIVE_STATUS_REDRIVABLE ||
		l.Executions[0].RedriveStatusReason != "" {
		t.Errorf("ListExecutions(failed) = %v, %v; want one execution, REDRIVABLE", l.GetExecutions(), err)
	}

	rr, err := c.exec.RedriveExecution(ctx, &stepwisev1.RedriveExecutionRequest{Arn: arn, ClientToken: "once"})
	if err != nil {
		t.Fatal(err)
	}
	if x := rr.Execution; x.Status != stepwisev1.ExecutionStatus_EXECUTION_STATUS_RUNNING || x.RedriveCount != 1 || x.RedriveDate == nil || x.StopTime != nil ||
		x.RedriveStatus != stepwisev1.RedriveStatus_REDRIVE_STATUS_NOT_REDRIVABLE {
		t.Errorf("RedriveExecution = %v; want RUNNING, redriven once", x)
	}
	again, err := c.exec.RedriveExecution(ctx, &stepwisev1.RedriveExecutionRequest{Arn: arn, ClientToken: "once"})
	if err != nil || again.Execution.RedriveCount != 1 || again.Execution.RedriveDate.GetRfc3339() != rr.Execution.RedriveDate.GetRfc3339() {
		t.Errorf("RedriveExecution(same token) = %v, %v; want the same redrive", again.GetExecution(), err)
	}
	_, err = c.exec.RedriveExecution(ctx, &stepwisev1.RedriveExecutionRequest{Arn: arn})
	wantCode(t, "RedriveExecution(running again)", err, codes.FailedPrecondition)

	// The redriven execution waits for a callback again.
	if _, err := c.task.SendTaskSuccess(ctx, &stepwisev1.SendTaskSuccessRequest{TaskToken: taskToken(t, c, arn), Output: `{"ok":true}`}); err != nil {
		t.Fatal(err)
	}
	x = waitDone(t, c, arn)
	if x.Status != stepwisev1.ExecutionStatus_EXECUTION_STATUS_SUCCEEDED || x.Output != `{"ok":true}` || x.RedriveCount != 1 ||
		x.RedriveStatusReason != "Execution is SUCCEEDED and cannot be redriven" {
		t.Errorf("after the redrive = %v; want SUCCEEDED, redriven once", x)
	}
	_, err = c.exec.RedriveExecution(ctx, &stepwisev1.RedriveExecutionRequest{Arn: arn})
	wantCode(t, "RedriveExecution(succeeded)", err, codes.FailedPrecondition)
	if err == nil || !strings.Contains(err.Error(), "Execution is SUCCEEDED and cannot be redriven") {
		t.Errorf("RedriveExecution(succeeded) = %v; want the reason", err)
	}
	l, err = c.exec.ListExecutions(ctx, &stepwisev1.ListExecutionsRequest{StateMachineName: "rd"})
	if err != nil || len(l.Executions) != 1 || l.Executions[0].RedriveCount != 1 || l.Executions[0].RedriveDate == nil ||
		l.Executions[0].RedriveStatus != stepwisev1.RedriveStatus_REDRIVE_STATUS_NOT_REDRIVABLE ||
		l.Executions[0].RedriveStatusReason != "Execution is SUCCEEDED and cannot be redriven" {
		t.Errorf("ListExecutions = %v, %v; want one execution redriven once, NOT_REDRIVABLE as SUCCEEDED", l.GetExecutions(), err)
	}

	_, err = c.exec.RedriveExecution(ctx, &stepwisev1.RedriveExecutionRequest{Arn: "arn:aws:states:us-east-1:111111111111:execution:rd:nope"})
	wantCode(t, "RedriveExecution(no execution)", err, codes.NotFound)
	_, err = c.exec.RedriveExecution(ctx, &stepwisev1.RedriveExecutionRequest{})
	wantCode(t, "RedriveExecution(no arn)", err, codes.InvalidArgument)
	_, err = c.exec.RedriveExecution(ctx, &stepwisev1.RedriveExecutionRequest{Arn: arn, ClientToken: strings.Repeat("t", 65)})
	wantCode(t, "RedriveExecution(long token)", err, codes.InvalidArgument)
}

// TestRESTExpressRedrive drives the new routes with plain HTTP/JSON:
// create an EXPRESS machine with its type and logging, POST
// .../executions:sync, POST /v1/executions/{arn}:redrive.
func TestRESTExpressRedrive(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	base := srv.HTTPURL + "/v1"
	code, body := do(t, "POST", base+"/state-machines", `{"name":"greet","type":"STATE_MACHINE_TYPE_EXPRESS","definition":`+jsonString(greetDef)+
		`,"logging":{"level":"LOG_LEVEL_ALL","logGroupArn":`+jsonString(logGroup)+`}}`)
	if code != 200 || dig(body, "stateMachine", "type") != "STATE_MACHINE_TYPE_EXPRESS" || dig(body, "stateMachine", "logging", "logGroupArn") != logGroup {
		t.Fatalf("POST /v1/state-machines (EXPRESS) = %d %v", code, body)
	}
	code, body = do(t, "GET", base+"/state-machines/greet", "")
	if code != 200 || dig(body, "stateMachine", "type") != "STATE_MACHINE_TYPE_EXPRESS" || dig(body, "stateMachine", "logging", "level") != "LOG_LEVEL_ALL" {
		t.Errorf("GET /v1/state-machines/greet = %d %v", code, body)
	}
	code, body = do(t, "POST", base+"/state-machines/greet/executions:sync", `{"name":"s1","input":"{\"who\":\"REST\"}"}`)
	if code != 200 || dig(body, "execution", "status") != "EXECUTION_STATUS_SUCCEEDED" || dig(body, "execution", "output") != `{"greeting":"Hello, REST!"}` {
		t.Errorf("POST executions:sync = %d %v", code, body)
	}
	if _, ok := dig(body, "execution", "stopTime").(string); !ok {
		t.Errorf("POST executions:sync stopTime = %v; want a time", dig(body, "execution", "stopTime"))
	}
	code, body = do(t, "POST", base+"/state-machines/greet/executions:sync", `{"input":"{\"fail\":true}"}`)
	if code != 200 || dig(body, "execution", "status") != "EXECUTION_STATUS_FAILED" || dig(body, "execution", "error") != "Greeting.Refused" {
		t.Errorf("POST executions:sync (failing) = %d %v; want 200 FAILED", code, body)
	}
	do(t, "POST", base+"/state-machines", `{"name":"rd","definition":`+jsonString(redriveDef)+`}`)
	code, body = do(t, "POST", base+"/state-machines/rd/executions:sync", `{}`)
	if code != 400 || !strings.Contains(body["message"].(string), "not EXPRESS") {
		t.Errorf("POST executions:sync (STANDARD) = %d %v; want 400 not EXPRESS", code, body)
	}

	// Redrive: fail the execution through its callback, redrive it.
	c := dial(t, srv.GRPCAddr)
	_, body = do(t, "POST", base+"/state-machines/rd/executions", `{"name":"r1"}`)
	arn, _ := dig(body, "execution", "arn").(string)
	if _, err := c.task.SendTaskFailure(context.Background(), &stepwisev1.SendTaskFailureRequest{TaskToken: taskToken(t, c, arn), Error: "Boom"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for dig(body, "execution", "status") != "EXECUTION_STATUS_FAILED" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		_, body = do(t, "GET", base+"/executions/"+arn, "")
	}
	if dig(body, "execution", "redriveStatus") != "REDRIVE_STATUS_REDRIVABLE" || dig(body, "execution", "redriveCount") != "0" || dig(body, "execution", "redriveDate") != nil {
		t.Fatalf("GET the failed execution = %v; want FAILED, REDRIVABLE, redriveCount 0, no redriveDate", body)
	}
	_, body = do(t, "GET", base+"/executions?stateMachineName=rd", "")
	if xs, _ := body["executions"].([]any); len(xs) != 1 || dig(xs[0], "redriveStatus") != "REDRIVE_STATUS_REDRIVABLE" {
		t.Errorf("GET the executions of rd = %v; want the failed one, REDRIVABLE", body)
	}
	code, body = do(t, "POST", base+"/executions/"+arn+":redrive", `{"client_token":"t1"}`)
	if code != 200 || dig(body, "execution", "status") != "EXECUTION_STATUS_RUNNING" || dig(body, "execution", "redriveCount") != "1" {
		t.Errorf("POST :redrive = %d %v; want RUNNING, redriveCount 1", code, body)
	}
	if _, ok := dig(body, "execution", "redriveDate").(string); !ok {
		t.Errorf("POST :redrive redriveDate = %v; want a time", dig(body, "execution", "redriveDate"))
	}
	code, body = do(t, "POST", base+"/executions/"+arn+":redrive", `{}`)
	if code != 400 || !strings.Contains(body["message"].(string), "Execution is RUNNING and cannot be redriven") {
		t.Errorf("POST :redrive (running) = %d %v; want 400 with the reason", code, body)
	}
	code, _ = do(t, "POST", base+"/executions/arn:aws:states:us-east-1:111111111111:execution:rd:nope:redrive", `{}`)
	if code != 404 {
		t.Errorf("POST :redrive (no execution) = %d; want 404", code)
	}
}
