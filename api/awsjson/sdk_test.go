package awsjson_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

func sdkClient(url string) *sfn.Client {
	return sfn.New(sfn.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDSTEPWISE", "not-a-secret", ""),
	})
}

// waitDone polls DescribeExecution until the execution is not RUNNING.
func waitDone(t *testing.T, c *sfn.Client, arn *string) *sfn.DescribeExecutionOutput {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		d, err := c.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: arn})
		if err != nil {
			t.Fatalf("DescribeExecution: %v", err)
		}
		if d.Status != types.ExecutionStatusRunning {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("execution %s still RUNNING", *arn)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSDK drives the endpoint with the AWS SDK for Go v2: create, start,
// describe, list, history, update, tags, validate, stop, delete.
func TestSDK(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	c := sdkClient(ts.URL)
	ctx := context.Background()

	sm, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String("hello"), Definition: aws.String(passDefinition), RoleArn: aws.String(role),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("core")}},
	})
	if err != nil {
		t.Fatalf("CreateStateMachine: %v", err)
	}
	if want := "arn:aws:states:us-east-1:111111111111:stateMachine:hello"; aws.ToString(sm.StateMachineArn) != want || sm.CreationDate == nil {
		t.Fatalf("CreateStateMachine = %q, %v; want %q and a date", aws.ToString(sm.StateMachineArn), sm.CreationDate, want)
	}
	desc, err := c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: sm.StateMachineArn})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(desc.Name) != "hello" || aws.ToString(desc.Definition) != passDefinition || desc.Type != types.StateMachineTypeStandard ||
		desc.Status != types.StateMachineStatusActive || aws.ToString(desc.RoleArn) != role {
		t.Errorf("DescribeStateMachine = %+v", desc)
	}

	start, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: aws.String("run1"), Input: aws.String(`{"n":12345678901234567890}`)})
	if err != nil {
		t.Fatalf("StartExecution: %v", err)
	}
	_, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: aws.String("run1"), Input: aws.String(`{}`)})
	var exists *types.ExecutionAlreadyExists
	if !errors.As(err, &exists) {
		t.Errorf("StartExecution(other input) = %v; want ExecutionAlreadyExists", err)
	}

	d := waitDone(t, c, start.ExecutionArn)
	// Once ended, its name is taken even with the same input (AWS).
	_, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: aws.String("run1"), Input: aws.String(`{"n":12345678901234567890}`)})
	if !errors.As(err, &exists) {
		t.Errorf("StartExecution(name of an ended execution) = %v; want ExecutionAlreadyExists", err)
	}
	if d.Status != types.ExecutionStatusSucceeded || aws.ToString(d.Output) != `{"n":12345678901234567890,"r":{"greeting":"hello"}}` ||
		d.StartDate == nil || d.StopDate == nil || aws.ToString(d.Name) != "run1" || aws.ToString(d.StateMachineArn) != aws.ToString(sm.StateMachineArn) {
		t.Errorf("DescribeExecution = %s %q start=%v stop=%v", d.Status, aws.ToString(d.Output), d.StartDate, d.StopDate)
	}

	h, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range h.Events {
		got = append(got, string(e.Type))
	}
	want := []string{"ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"}
	if len(got) != len(want) {
		t.Fatalf("history types = %v; want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] || h.Events[i].Id != int64(i+1) || h.Events[i].Timestamp == nil {
			t.Errorf("event %d = %s id %d; want %s id %d", i, got[i], h.Events[i].Id, want[i], i+1)
		}
	}
	if e := h.Events[0].ExecutionStartedEventDetails; e == nil || aws.ToString(e.Input) != `{"n":12345678901234567890}` {
		t.Errorf("ExecutionStarted details = %+v", e)
	}
	if e := h.Events[1].StateEnteredEventDetails; e == nil || aws.ToString(e.Name) != "P" {
		t.Errorf("PassStateEntered details = %+v", e)
	}
	// Paging backwards, without data.
	page, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn, ReverseOrder: true, MaxResults: 3, IncludeExecutionData: aws.Bool(false)})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 3 || page.Events[0].Type != types.HistoryEventTypeExecutionSucceeded || page.NextToken == nil ||
		page.Events[0].ExecutionSucceededEventDetails == nil || page.Events[0].ExecutionSucceededEventDetails.Output != nil {
		t.Errorf("reverse page = %d events, next %v", len(page.Events), page.NextToken)
	}
	rest, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn, ReverseOrder: true, MaxResults: 3, NextToken: page.NextToken})
	if err != nil || len(rest.Events) != 1 || rest.Events[0].Id != 1 || rest.NextToken != nil {
		t.Errorf("second reverse page = %+v, %v; want event 1 only", rest, err)
	}

	list, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: sm.StateMachineArn, StatusFilter: types.ExecutionStatusSucceeded})
	if err != nil || len(list.Executions) != 1 || aws.ToString(list.Executions[0].Name) != "run1" {
		t.Errorf("ListExecutions = %+v, %v", list, err)
	}
	forx, err := c.DescribeStateMachineForExecution(ctx, &sfn.DescribeStateMachineForExecutionInput{ExecutionArn: start.ExecutionArn})
	if err != nil || aws.ToString(forx.Definition) != passDefinition || aws.ToString(forx.Name) != "hello" {
		t.Errorf("DescribeStateMachineForExecution = %+v, %v", forx, err)
	}

	newDef := `{"StartAt":"S","States":{"S":{"Type":"Succeed"}}}`
	up, err := c.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: sm.StateMachineArn, Definition: aws.String(newDef)})
	if err != nil || up.UpdateDate == nil {
		t.Fatalf("UpdateStateMachine = %+v, %v", up, err)
	}
	if desc, err := c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: sm.StateMachineArn}); err != nil || aws.ToString(desc.Definition) != newDef {
		t.Errorf("DescribeStateMachine after update = %v, %v", desc, err)
	}
	// The execution keeps the version it ran.
	if forx, err := c.DescribeStateMachineForExecution(ctx, &sfn.DescribeStateMachineForExecutionInput{ExecutionArn: start.ExecutionArn}); err != nil || aws.ToString(forx.Definition) != passDefinition {
		t.Errorf("DescribeStateMachineForExecution after update = %v, %v", forx, err)
	}

	// The same create again is idempotent; its other role and tags are
	// ignored (AWS).
	if _, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String("hello"), Definition: aws.String(newDef), RoleArn: aws.String(role + "-other"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("other")}, {Key: aws.String("extra"), Value: aws.String("x")}},
	}); err != nil {
		t.Errorf("CreateStateMachine(the same again, other tags) = %v; want it idempotent", err)
	}
	if desc, err := c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: sm.StateMachineArn}); err != nil || aws.ToString(desc.RoleArn) != role {
		t.Errorf("DescribeStateMachine after an idempotent create with another role = %v, %v; want the role %s", desc, err, role)
	}
	tags, err := c.ListTagsForResource(ctx, &sfn.ListTagsForResourceInput{ResourceArn: sm.StateMachineArn})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "team" {
		t.Errorf("ListTagsForResource = %+v, %v", tags, err)
	}
	if _, err := c.TagResource(ctx, &sfn.TagResourceInput{ResourceArn: sm.StateMachineArn, Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("dev")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagResource(ctx, &sfn.UntagResourceInput{ResourceArn: sm.StateMachineArn, TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	if tags, err := c.ListTagsForResource(ctx, &sfn.ListTagsForResourceInput{ResourceArn: sm.StateMachineArn}); err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "env" {
		t.Errorf("tags after tag/untag = %+v, %v; want only env", tags, err)
	}

	v, err := c.ValidateStateMachineDefinition(ctx, &sfn.ValidateStateMachineDefinitionInput{Definition: aws.String(`{"StartAt":"A","States":{}}`)})
	if err != nil || v.Result != types.ValidateStateMachineDefinitionResultCodeFail || len(v.Diagnostics) == 0 ||
		v.Diagnostics[0].Severity != types.ValidateStateMachineDefinitionSeverityError {
		t.Errorf("ValidateStateMachineDefinition = %+v, %v; want FAIL with ERROR diagnostics", v, err)
	}
	if v, err := c.ValidateStateMachineDefinition(ctx, &sfn.ValidateStateMachineDefinitionInput{Definition: aws.String(passDefinition)}); err != nil || v.Result != types.ValidateStateMachineDefinitionResultCodeOk {
		t.Errorf("ValidateStateMachineDefinition(valid) = %+v, %v; want OK", v, err)
	}

	machines, err := c.ListStateMachines(ctx, &sfn.ListStateMachinesInput{})
	if err != nil || len(machines.StateMachines) != 1 || aws.ToString(machines.StateMachines[0].Name) != "hello" {
		t.Errorf("ListStateMachines = %+v, %v", machines, err)
	}
	if _, err := c.DeleteStateMachine(ctx, &sfn.DeleteStateMachineInput{StateMachineArn: sm.StateMachineArn}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: sm.StateMachineArn})
	var noMachine *types.StateMachineDoesNotExist
	if !errors.As(err, &noMachine) {
		t.Errorf("DescribeStateMachine after delete = %v; want StateMachineDoesNotExist", err)
	}
}

// TestSDKCallbacks runs a .waitForTaskToken task: the token is read from
// the TaskScheduled event's parameters and answered with SendTaskSuccess.
func TestSDKCallbacks(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	c := sdkClient(ts.URL)
	ctx := context.Background()
	sm, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("cb"), Definition: aws.String(callbackDefinition), RoleArn: aws.String(role)})
	if err != nil {
		t.Fatal(err)
	}
	token := func(arn *string) string { t.Helper(); return nthTaskToken(t, c, *arn, 1) }

	x1, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn})
	if err != nil {
		t.Fatal(err)
	}
	tok := token(x1.ExecutionArn)
	if _, err := c.SendTaskHeartbeat(ctx, &sfn.SendTaskHeartbeatInput{TaskToken: aws.String(tok)}); err != nil {
		t.Errorf("SendTaskHeartbeat: %v", err)
	}
	var badOutput *types.InvalidOutput
	if _, err := c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(tok), Output: aws.String(`{"ok":`)}); !errors.As(err, &badOutput) {
		t.Errorf("SendTaskSuccess(bad JSON) = %v; want InvalidOutput", err)
	}
	if _, err := c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(tok), Output: aws.String(`{"ok":true}`)}); err != nil {
		t.Fatalf("SendTaskSuccess: %v", err)
	}
	if d := waitDone(t, c, x1.ExecutionArn); d.Status != types.ExecutionStatusSucceeded || aws.ToString(d.Output) != `{"ok":true}` {
		t.Errorf("after SendTaskSuccess: %s %q; want SUCCEEDED {\"ok\":true}", d.Status, aws.ToString(d.Output))
	}
	var timedOut *types.TaskTimedOut
	if _, err := c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(tok), Output: aws.String(`{}`)}); !errors.As(err, &timedOut) {
		t.Errorf("SendTaskSuccess(answered token) = %v; want TaskTimedOut", err)
	}
	var invalid *types.InvalidToken
	if _, err := c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String("not a token"), Output: aws.String(`{}`)}); !errors.As(err, &invalid) {
		t.Errorf("SendTaskSuccess(garbage) = %v; want InvalidToken", err)
	}

	x2, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String(token(x2.ExecutionArn)), Error: aws.String("Nope"), Cause: aws.String("declined")}); err != nil {
		t.Fatal(err)
	}
	if d := waitDone(t, c, x2.ExecutionArn); d.Status != types.ExecutionStatusFailed || aws.ToString(d.Error) != "Nope" || aws.ToString(d.Cause) != "declined" {
		t.Errorf("after SendTaskFailure: %s %q %q; want FAILED Nope declined", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
	}

	x3, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn})
	if err != nil {
		t.Fatal(err)
	}
	stop, err := c.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: x3.ExecutionArn, Error: aws.String("Halt"), Cause: aws.String("by test")})
	if err != nil || stop.StopDate == nil {
		t.Fatalf("StopExecution = %v, %v", stop, err)
	}
	if d := waitDone(t, c, x3.ExecutionArn); d.Status != types.ExecutionStatusAborted {
		t.Errorf("after StopExecution: %s; want ABORTED", d.Status)
	}
}

// nthTaskToken waits for the nth TaskScheduled event of a
// .waitForTaskToken task (callbackDefinition) and returns its token.
func nthTaskToken(t *testing.T, c *sfn.Client, execution string, n int) string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		h, err := c.GetExecutionHistory(context.Background(), &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(execution)})
		if err != nil {
			t.Fatal(err)
		}
		seen := 0
		for _, e := range h.Events {
			if e.Type != types.HistoryEventTypeTaskScheduled {
				continue
			}
			if seen++; seen == n {
				var p struct{ MessageBody struct{ Token string } }
				if err := json.Unmarshal([]byte(aws.ToString(e.TaskScheduledEventDetails.Parameters)), &p); err != nil || p.MessageBody.Token == "" {
					t.Fatalf("TaskScheduled parameters %q carry no token: %v", aws.ToString(e.TaskScheduledEventDetails.Parameters), err)
				}
				return p.MessageBody.Token
			}
		}
	}
	t.Fatalf("no TaskScheduled event %d in %s", n, execution)
	return ""
}

// TestSDKErrors checks that AWS's errors arrive as the SDK's typed errors.
func TestSDKErrors(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	c := sdkClient(ts.URL)
	ctx := context.Background()

	_, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String("arn:aws:states:us-east-1:111111111111:execution:nope:x")})
	var noExec *types.ExecutionDoesNotExist
	if !errors.As(err, &noExec) || aws.ToString(noExec.Message) != "Execution Does Not Exist: 'arn:aws:states:us-east-1:111111111111:execution:nope:x'" {
		t.Errorf("DescribeExecution(unknown) = %v; want ExecutionDoesNotExist", err)
	}
	_, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String("arn:aws:states:us-east-1:111111111111:stateMachine:nope")})
	var noMachine *types.StateMachineDoesNotExist
	if !errors.As(err, &noMachine) {
		t.Errorf("StartExecution(unknown machine) = %v; want StateMachineDoesNotExist", err)
	}
	_, err = c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("bad"), RoleArn: aws.String(role),
		Definition: aws.String(`{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Nowhere"}}}`)})
	var badDef *types.InvalidDefinition
	if !errors.As(err, &badDef) || aws.ToString(badDef.Message) == "" {
		t.Errorf("CreateStateMachine(bad definition) = %v; want InvalidDefinition", err)
	}
	_, err = c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String("garbage"), Output: aws.String("{}")})
	var badToken *types.InvalidToken
	if !errors.As(err, &badToken) {
		t.Errorf("SendTaskSuccess(garbage) = %v; want InvalidToken", err)
	}
	_, err = c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String("not-an-arn")})
	var badArn *types.InvalidArn
	if !errors.As(err, &badArn) || aws.ToString(badArn.Message) != "Invalid Arn: 'Invalid ARN prefix: not-an-arn'" {
		t.Errorf("GetExecutionHistory(not-an-arn) = %v; want InvalidArn", err)
	}
	_, err = c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("a b"), RoleArn: aws.String(role), Definition: aws.String(passDefinition)})
	var badName *types.InvalidName
	if !errors.As(err, &badName) {
		t.Errorf("CreateStateMachine(\"a b\") = %v; want InvalidName", err)
	}
	_, err = c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("x"), RoleArn: aws.String(role), Definition: aws.String(passDefinition), Type: "BATCH"})
	var validation *types.ValidationException
	if !errors.As(err, &validation) {
		t.Errorf("CreateStateMachine(type BATCH) = %v; want ValidationException", err)
	}
	if _, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("m"), RoleArn: aws.String(role), Definition: aws.String(passDefinition)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String("arn:aws:states:us-east-1:111111111111:stateMachine:m"), Input: aws.String("{nope")})
	var badInput *types.InvalidExecutionInput
	if !errors.As(err, &badInput) {
		t.Errorf("StartExecution(bad input) = %v; want InvalidExecutionInput", err)
	}
}

// withoutHostPrefix is the AWS SDK for Go v2 option that keeps the
// "sync-" host prefix of TestState and StartSyncExecution off the
// endpoint's host name (docs/api.md).
func withoutHostPrefix(o *sfn.Options) {
	o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("DisableEndpointHostPrefix",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
			}), middleware.Before)
	})
}

// TestSDKTestState calls TestState with the AWS SDK for Go v2: with the
// host prefix it cannot reach sync-127.0.0.1; without it, a Catch of the
// mocked error answers CAUGHT_ERROR.
func TestSDKTestState(t *testing.T) {
	t.Parallel()
	ts := testStateServer(t)
	c := sdkClient(ts.URL)
	in := &sfn.TestStateInput{
		Definition:      aws.String(`{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Catch":[{"ErrorEquals":["Oops"],"ResultPath":"$.e","Next":"H"}],"End":true}`),
		Input:           aws.String(`{"k":1}`),
		InspectionLevel: types.InspectionLevelDebug,
		Mock:            &types.MockInput{ErrorOutput: &types.MockErrorOutput{Error: aws.String("Oops"), Cause: aws.String("no")}},
	}
	ctx := context.Background()
	if _, err := c.TestState(ctx, in); err == nil {
		t.Errorf("TestState with the host prefix succeeded; want it failing to reach sync-127.0.0.1")
	}
	out, err := c.TestState(ctx, in, withoutHostPrefix)
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != types.TestExecutionStatusCaughtError || aws.ToString(out.NextState) != "H" ||
		aws.ToString(out.Output) != `{"e":{"Cause":"no","Error":"Oops"},"k":1}` || out.InspectionData.ErrorDetails == nil ||
		aws.ToInt32(out.InspectionData.ErrorDetails.CatchIndex) != 0 {
		t.Errorf("TestState = %s %s %s %+v; want CAUGHT_ERROR H with the error in $.e", out.Status, aws.ToString(out.NextState), aws.ToString(out.Output), out.InspectionData)
	}
}
