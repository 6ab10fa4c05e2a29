package awsjson_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// TestSDKExpress drives EXPRESS machines with the AWS SDK for Go v2:
// create with a logging configuration, describe and list them,
// StartSyncExecution (success and failure, both 200 answers),
// StartExecution, and the errors AWS answers: an express ARN is refused
// by DescribeExecution, StopExecution and GetExecutionHistory, and
// StartSyncExecution refuses a STANDARD machine.
func TestSDKExpress(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	c := sdkClient(ts.URL)
	ctx := context.Background()
	const group = "arn:aws:logs:us-east-1:111111111111:log-group:/aws/vendedlogs/states/x:*"

	sm, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String("quick"), Definition: aws.String(passDefinition), RoleArn: aws.String(role), Type: types.StateMachineTypeExpress,
		LoggingConfiguration: &types.LoggingConfiguration{Level: types.LogLevelAll, IncludeExecutionData: true,
			Destinations: []types.LogDestination{{CloudWatchLogsLogGroup: &types.CloudWatchLogsLogGroup{LogGroupArn: aws.String(group)}}}},
	})
	if err != nil {
		t.Fatalf("CreateStateMachine(EXPRESS): %v", err)
	}
	desc, err := c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: sm.StateMachineArn})
	if err != nil {
		t.Fatal(err)
	}
	lc := desc.LoggingConfiguration
	if desc.Type != types.StateMachineTypeExpress || lc == nil || lc.Level != types.LogLevelAll || !lc.IncludeExecutionData ||
		len(lc.Destinations) != 1 || aws.ToString(lc.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn) != group {
		t.Errorf("DescribeStateMachine = type %s, logging %+v; want EXPRESS, ALL with data to %s", desc.Type, lc, group)
	}
	list, err := c.ListStateMachines(ctx, &sfn.ListStateMachinesInput{})
	if err != nil || len(list.StateMachines) != 1 || list.StateMachines[0].Type != types.StateMachineTypeExpress {
		t.Errorf("ListStateMachines = %+v, %v; want one EXPRESS machine", list, err)
	}

	out, err := c.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: sm.StateMachineArn, Name: aws.String("s1"),
		Input: aws.String(`{"a":1}`)}, withoutHostPrefix)
	if err != nil {
		t.Fatalf("StartSyncExecution: %v", err)
	}
	if out.Status != types.SyncExecutionStatusSucceeded || aws.ToString(out.Output) != `{"a":1,"r":{"greeting":"hello"}}` ||
		aws.ToString(out.Input) != `{"a":1}` || aws.ToString(out.Name) != "s1" || aws.ToString(out.StateMachineArn) != aws.ToString(sm.StateMachineArn) ||
		!strings.HasPrefix(aws.ToString(out.ExecutionArn), "arn:aws:states:us-east-1:111111111111:express:quick:s1:") ||
		out.StartDate == nil || out.StopDate == nil || out.BillingDetails == nil || out.BillingDetails.BilledDurationInMilliseconds < 100 {
		t.Errorf("StartSyncExecution = %+v", out)
	}
	for name, call := range map[string]func(*string) error{
		"DescribeExecution": func(a *string) error {
			_, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: a})
			return err
		},
		"StopExecution": func(a *string) error {
			_, err := c.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: a})
			return err
		},
		"GetExecutionHistory": func(a *string) error {
			_, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: a})
			return err
		},
	} {
		var invalid *types.InvalidArn
		if err := call(out.ExecutionArn); !errors.As(err, &invalid) ||
			aws.ToString(invalid.Message) != "Invalid Arn: 'Resource type not valid in this context: express'" {
			t.Errorf("%s(express ARN) = %v; want InvalidArn 'Resource type not valid in this context: express'", name, err)
		}
	}

	failing, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("fails"), RoleArn: aws.String(role),
		Type:       types.StateMachineTypeExpress,
		Definition: aws.String(`{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"SomeFailure","Cause":"it fails"}}}`)})
	if err != nil {
		t.Fatal(err)
	}
	f, err := c.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: failing.StateMachineArn}, withoutHostPrefix)
	if err != nil || f.Status != types.SyncExecutionStatusFailed || aws.ToString(f.Error) != "SomeFailure" ||
		aws.ToString(f.Cause) != "it fails" || f.Output != nil {
		t.Errorf("StartSyncExecution(failing) = %+v, %v; want FAILED SomeFailure: it fails without output", f, err)
	}

	st, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn})
	if err != nil || !strings.Contains(aws.ToString(st.ExecutionArn), ":express:quick:") {
		t.Errorf("StartExecution(EXPRESS) = %+v, %v; want an express ARN", st, err)
	}

	std, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("slow"), Definition: aws.String(passDefinition), RoleArn: aws.String(role)})
	if err != nil {
		t.Fatal(err)
	}
	var unsupported *types.StateMachineTypeNotSupported
	if _, err := c.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: std.StateMachineArn}, withoutHostPrefix); !errors.As(err, &unsupported) {
		t.Errorf("StartSyncExecution(STANDARD) = %v; want StateMachineTypeNotSupported", err)
	}

	// A new definition of an EXPRESS machine keeps to the Express rules.
	var invalid *types.InvalidDefinition
	if _, err := c.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: sm.StateMachineArn,
		Definition: aws.String(`{"StartAt":"W","States":{"W":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","End":true}}}`)}); !errors.As(err, &invalid) ||
		!strings.Contains(aws.ToString(invalid.Message), "Express state machine does not support '.waitForTaskToken'") {
		t.Errorf("UpdateStateMachine(EXPRESS, .waitForTaskToken) = %v; want InvalidDefinition", err)
	}

	// Logging off, then on again, without a new revision.
	up, err := c.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: sm.StateMachineArn,
		LoggingConfiguration: &types.LoggingConfiguration{Level: types.LogLevelOff}})
	if err != nil {
		t.Fatal(err)
	}
	desc2, err := c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: sm.StateMachineArn})
	if err != nil || desc2.LoggingConfiguration.Level != types.LogLevelOff || aws.ToString(up.RevisionId) != aws.ToString(desc.RevisionId) {
		t.Errorf("after logging OFF: %+v (revision %s, was %s), %v; want OFF, same revision", desc2.LoggingConfiguration,
			aws.ToString(up.RevisionId), aws.ToString(desc.RevisionId), err)
	}
}
