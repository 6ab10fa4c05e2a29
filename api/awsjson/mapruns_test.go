package awsjson_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"
)

// distributedMap is a machine whose distributed Map (label Items) runs
// each item through processor.
func distributedMap(maxConcurrency, processor string) string {
	return `{"StartAt":"M","States":{"M":{"Type":"Map","Label":"Items","MaxConcurrency":` + maxConcurrency + `,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"P","States":{"P":` + processor + `}},"End":true}}}`
}

// onlyMapRun lists an execution's Map Runs and returns the one it has.
func onlyMapRun(t *testing.T, c *sfn.Client, execution *string) types.MapRunListItem {
	t.Helper()
	runs, err := c.ListMapRuns(context.Background(), &sfn.ListMapRunsInput{ExecutionArn: execution})
	if err != nil || len(runs.MapRuns) != 1 || runs.NextToken != nil {
		t.Fatalf("ListMapRuns(%s) = %+v, %v; want one run", *execution, runs, err)
	}
	return runs.MapRuns[0]
}

// TestSDKMapRuns drives the Map Run operations with the AWS SDK for Go v2:
// a finished run described, listed and its children listed; a running one
// updated live and aborted with its parent; AWS's errors.
func TestSDKMapRuns(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	c := sdkClient(ts.URL)
	ctx := context.Background()

	fast, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("fast"),
		Definition: aws.String(distributedMap("0", `{"Type":"Pass","End":true}`)), RoleArn: aws.String(role)})
	if err != nil {
		t.Fatal(err)
	}
	x, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: fast.StateMachineArn, Input: aws.String(`[1,2,3]`)})
	if err != nil {
		t.Fatal(err)
	}
	if d := waitDone(t, c, x.ExecutionArn); d.Status != types.ExecutionStatusSucceeded {
		t.Fatalf("execution = %s %s", d.Status, aws.ToString(d.Cause))
	}
	item := onlyMapRun(t, c, x.ExecutionArn)
	if aws.ToString(item.ExecutionArn) != *x.ExecutionArn || item.StartDate == nil || item.StopDate == nil ||
		aws.ToString(item.StateMachineArn) != "arn:aws:states:us-east-1:111111111111:stateMachine:fast/Items" ||
		!strings.HasPrefix(aws.ToString(item.MapRunArn), "arn:aws:states:us-east-1:111111111111:mapRun:fast/Items:") {
		t.Errorf("ListMapRuns item = %+v", item)
	}
	// The ARN of the Map's children is no state machine to describe or
	// delete (AWS: ValidationException).
	for op, call := range map[string]func() error{
		"DescribeStateMachine": func() error {
			_, err := c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: item.StateMachineArn})
			return err
		},
		"DeleteStateMachine": func() error {
			_, err := c.DeleteStateMachine(ctx, &sfn.DeleteStateMachineInput{StateMachineArn: item.StateMachineArn})
			return err
		},
	} {
		var apiErr smithy.APIError
		if err := call(); !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ValidationException" {
			t.Errorf("%s(%s) = %v; want ValidationException", op, aws.ToString(item.StateMachineArn), err)
		}
	}
	run := item.MapRunArn
	d, err := c.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: run})
	if err != nil {
		t.Fatalf("DescribeMapRun: %v", err)
	}
	if d.Status != types.MapRunStatusSucceeded || aws.ToString(d.ExecutionArn) != *x.ExecutionArn || d.StopDate == nil ||
		d.ToleratedFailureCount != 0 || d.ToleratedFailurePercentage != 0 || d.RedriveCount == nil || *d.RedriveCount != 0 ||
		d.ItemCounts.Succeeded != 3 || d.ItemCounts.Total != 3 || d.ItemCounts.Pending != 0 || d.ExecutionCounts.Succeeded != 3 {
		t.Errorf("DescribeMapRun = %+v, items %+v", d, d.ItemCounts)
	}
	kids, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{MapRunArn: run})
	if err != nil || len(kids.Executions) != 3 {
		t.Fatalf("ListExecutions(mapRunArn) = %+v, %v; want 3", kids, err)
	}
	for _, k := range kids.Executions {
		if aws.ToString(k.MapRunArn) != *run || aws.ToInt32(k.ItemCount) != 1 || k.Status != types.ExecutionStatusSucceeded {
			t.Errorf("child = %+v", k)
		}
		if dk, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: k.ExecutionArn}); err != nil || aws.ToString(dk.MapRunArn) != *run {
			t.Errorf("DescribeExecution(child) mapRunArn = %v, %v; want %s", dk, err, *run)
		}
	}
	var valid *types.ValidationException
	_, err = c.UpdateMapRun(ctx, &sfn.UpdateMapRunInput{MapRunArn: run, MaxConcurrency: aws.Int32(5)})
	if !errors.As(err, &valid) {
		t.Errorf("UpdateMapRun(ended run) = %v; want ValidationException", err)
	}
	_, err = c.ListExecutions(ctx, &sfn.ListExecutionsInput{MapRunArn: run, StateMachineArn: fast.StateMachineArn})
	if !errors.As(err, &valid) {
		t.Errorf("ListExecutions(mapRunArn and stateMachineArn) = %v; want ValidationException", err)
	}
	var notFound *types.ResourceNotFound
	unknown := aws.String(strings.Replace(*run, ":mapRun:fast/", ":mapRun:gone/", 1))
	if _, err := c.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: unknown}); !errors.As(err, &notFound) {
		t.Errorf("DescribeMapRun(unknown) = %v; want ResourceNotFound", err)
	}
	if _, err := c.UpdateMapRun(ctx, &sfn.UpdateMapRunInput{MapRunArn: unknown, MaxConcurrency: aws.Int32(1)}); !errors.As(err, &notFound) {
		t.Errorf("UpdateMapRun(unknown) = %v; want ResourceNotFound", err)
	}
	if _, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{MapRunArn: unknown}); !errors.As(err, &notFound) {
		t.Errorf("ListExecutions(unknown mapRunArn) = %v; want ResourceNotFound", err)
	}
	var invalid *types.InvalidArn
	if _, err := c.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: fast.StateMachineArn}); !errors.As(err, &invalid) {
		t.Errorf("DescribeMapRun(a state machine ARN) = %v; want InvalidArn", err)
	}
	var noExecution *types.ExecutionDoesNotExist
	if _, err := c.ListMapRuns(ctx, &sfn.ListMapRunsInput{ExecutionArn: aws.String(*x.ExecutionArn + "x")}); !errors.As(err, &noExecution) {
		t.Errorf("ListMapRuns(unknown execution) = %v; want ExecutionDoesNotExist", err)
	}

	// A running Map Run: updated live, then aborted with its parent.
	slow, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("slow"),
		Definition: aws.String(distributedMap("1", `{"Type":"Wait","Seconds":3600,"End":true}`)), RoleArn: aws.String(role)})
	if err != nil {
		t.Fatal(err)
	}
	y, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: slow.StateMachineArn, Input: aws.String(`[1,2,3]`)})
	if err != nil {
		t.Fatal(err)
	}
	run = waitMapRun(t, c, y.ExecutionArn)
	if _, err := c.UpdateMapRun(ctx, &sfn.UpdateMapRunInput{MapRunArn: run, MaxConcurrency: aws.Int32(2), ToleratedFailurePercentage: aws.Float32(50)}); err != nil {
		t.Fatalf("UpdateMapRun: %v", err)
	}
	d, err = c.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: run})
	if err != nil || d.Status != types.MapRunStatusRunning || d.MaxConcurrency != 2 || d.ToleratedFailurePercentage != 50 ||
		d.ExecutionCounts.Running != 2 || d.ExecutionCounts.Pending != 1 || d.ExecutionCounts.Total != 3 || d.StopDate != nil {
		t.Fatalf("DescribeMapRun after UpdateMapRun = %+v (%+v), %v; want RUNNING, 2 running, 1 pending", d, d.ExecutionCounts, err)
	}
	if _, err := c.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: y.ExecutionArn}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		d, err = c.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: run})
		if err != nil {
			t.Fatal(err)
		}
		if d.ExecutionCounts.Running == 0 || time.Now().After(deadline) {
			break
		}
	}
	if d.Status != types.MapRunStatusAborted || d.StopDate == nil || d.ExecutionCounts.Aborted != 2 {
		t.Errorf("Map Run of a stopped execution = %s, stopped %v, %+v; want ABORTED with 2 aborted children", d.Status, d.StopDate, d.ExecutionCounts)
	}
}

// waitMapRun waits for an execution's Map Run to start and returns its
// ARN.
func waitMapRun(t *testing.T, c *sfn.Client, execution *string) *string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		runs, err := c.ListMapRuns(context.Background(), &sfn.ListMapRunsInput{ExecutionArn: execution})
		if err != nil {
			t.Fatal(err)
		}
		if len(runs.MapRuns) > 0 {
			return runs.MapRuns[0].MapRunArn
		}
	}
	t.Fatalf("no Map Run of %s", *execution)
	return nil
}

// TestMapRunRequests checks the Map Run operations' request constraints
// on the wire: AWS's codes, and every violation in one message.
func TestMapRunRequests(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	for _, c := range []struct {
		op   string
		req  map[string]any
		code string
		msg  string // a part of the message
	}{
		{"DescribeMapRun", map[string]any{}, "ValidationException", "Value null at 'mapRunArn' failed to satisfy constraint: Member must not be null"},
		{"DescribeMapRun", map[string]any{"mapRunArn": "nope"}, "InvalidArn", "Invalid ARN prefix"},
		{"DescribeMapRun", map[string]any{"mapRunArn": "arn:aws:states:eu-west-1:111111111111:mapRun:m/l:4f9c1b7e-2d3a-4c5b-8e6f-000000000001"},
			"ResourceNotFound", "Resource not found"},
		{"UpdateMapRun", map[string]any{"mapRunArn": "arn:aws:states:us-east-1:111111111111:mapRun:m/l:4f9c1b7e-2d3a-4c5b-8e6f-000000000001",
			"maxConcurrency": -1, "toleratedFailurePercentage": 100.5},
			"ValidationException", "2 validation errors detected: Value '-1' at 'maxConcurrency' failed to satisfy constraint: Member must have value greater than or equal to 0; " +
				"Value '100.5' at 'toleratedFailurePercentage' failed to satisfy constraint: Member must have value less than or equal to 100"},
		{"UpdateMapRun", map[string]any{"mapRunArn": "arn:aws:states:us-east-1:111111111111:mapRun:m/l:4f9c1b7e-2d3a-4c5b-8e6f-000000000001",
			"maxConcurrency": 2}, "ResourceNotFound", "Resource not found"},
		{"ListMapRuns", map[string]any{"executionArn": "arn:aws:states:us-east-1:111111111111:execution:m:x", "maxResults": 1001},
			"ValidationException", "Member must have value less than or equal to 1000"},
		{"ListMapRuns", map[string]any{"executionArn": "arn:aws:states:us-east-1:111111111111:stateMachine:m"}, "InvalidArn", "Resource type not valid"},
		{"ListMapRuns", map[string]any{"executionArn": "arn:aws:states:us-east-1:111111111111:execution:m:x"}, "ExecutionDoesNotExist", "Execution Does Not Exist"},
		{"ListExecutions", map[string]any{"mapRunArn": "arn:aws:states:us-east-1:111111111111:mapRun:m/l:4f9c1b7e-2d3a-4c5b-8e6f-000000000001",
			"stateMachineArn": "arn:aws:states:us-east-1:111111111111:stateMachine:m"}, "ValidationException", "not both"},
	} {
		code, body := call(t, ts.URL, c.op, c.req)
		if msg, _ := body["message"].(string); code != 400 || body["__type"] != c.code || !strings.Contains(msg, c.msg) {
			t.Errorf("%s(%v) = %d %v; want 400 %s with %q", c.op, c.req, code, body, c.code, c.msg)
		}
	}
}

// TestSDKMapRunRedrive: a parent whose distributed Map failed (its second
// child failed, the third item never started) is redriven with
// RedriveExecution: the same Map Run runs again, redriveCount 1 and
// redriveDate in DescribeMapRun and MapRunRedriven in the history; only
// the failed item's child (redriven) and the item never started run.
func TestSDKMapRunRedrive(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	c := sdkClient(ts.URL)
	ctx := context.Background()
	act, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("mr-redrive-work")})
	if err != nil {
		t.Fatal(err)
	}
	sm, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("mr-redrive"), RoleArn: aws.String(role),
		Definition: aws.String(distributedMap("1", `{"Type":"Task","Resource":"`+aws.ToString(act.ActivityArn)+`","End":true}`))})
	if err != nil {
		t.Fatal(err)
	}
	x, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: aws.String(`[1,2,3]`)})
	if err != nil {
		t.Fatal(err)
	}
	// work answers the next activity task: it fails item 2 while failing,
	// and returns the items it was given.
	var seen []string
	work := func(failing bool) {
		t.Helper()
		seen = append(seen, workActivity(t, c, act.ActivityArn, func(in string) bool { return failing && in == "2" }))
	}
	work(true)
	work(true)
	if d := waitDone(t, c, x.ExecutionArn); d.Status != types.ExecutionStatusFailed {
		t.Fatalf("first run: %s; want FAILED", d.Status)
	}
	run := onlyMapRun(t, c, x.ExecutionArn).MapRunArn
	if d, err := c.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: run}); err != nil || d.Status != types.MapRunStatusFailed ||
		d.RedriveCount != nil && *d.RedriveCount != 0 || d.RedriveDate != nil {
		t.Fatalf("DescribeMapRun before the redrive = %+v, %v; want FAILED, never redriven", d, err)
	}

	seen = nil
	r, err := c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: x.ExecutionArn})
	if err != nil {
		t.Fatalf("RedriveExecution = %v", err)
	}
	work(false)
	work(false)
	if d := waitDone(t, c, x.ExecutionArn); d.Status != types.ExecutionStatusSucceeded || aws.ToString(d.Output) != "[1,2,3]" {
		t.Fatalf("after the redrive: %s %s; want SUCCEEDED [1,2,3]", d.Status, aws.ToString(d.Output))
	}
	if strings.Join(seen, ",") != "2,3" {
		t.Errorf("items run after the redrive = %v; want 2 and 3 only", seen)
	}
	if got := onlyMapRun(t, c, x.ExecutionArn).MapRunArn; aws.ToString(got) != aws.ToString(run) {
		t.Errorf("Map Run after the redrive = %s; want the same, %s", aws.ToString(got), aws.ToString(run))
	}
	d, err := c.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: run})
	if err != nil || d.Status != types.MapRunStatusSucceeded || aws.ToInt32(d.RedriveCount) != 1 || d.RedriveDate == nil ||
		!d.RedriveDate.Equal(*r.RedriveDate) || d.ExecutionCounts.Succeeded != 3 || d.ExecutionCounts.Total != 3 {
		t.Errorf("DescribeMapRun after the redrive = %+v, %v; want SUCCEEDED, 3 children succeeded, redriveCount 1 at %v", d, err, r.RedriveDate)
	}
	h, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: x.ExecutionArn})
	if err != nil {
		t.Fatal(err)
	}
	var redriven *types.MapRunRedrivenEventDetails
	for _, e := range h.Events {
		if e.Type == types.HistoryEventTypeMapRunRedriven {
			redriven = e.MapRunRedrivenEventDetails
		}
	}
	if redriven == nil || aws.ToString(redriven.MapRunArn) != aws.ToString(run) || aws.ToInt32(redriven.RedriveCount) != 1 {
		t.Errorf("MapRunRedriven details = %+v; want the run, redriveCount 1", redriven)
	}
	kids, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{MapRunArn: run})
	if err != nil || len(kids.Executions) != 3 {
		t.Fatalf("ListExecutions(mapRunArn) = %+v, %v; want 3 children", kids, err)
	}
	redrivenKids := 0
	for _, k := range kids.Executions {
		if aws.ToInt32(k.RedriveCount) == 1 {
			redrivenKids++
		}
	}
	if redrivenKids != 1 {
		t.Errorf("%d children redriven; want the one that failed", redrivenKids)
	}
	only, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{MapRunArn: run, RedriveFilter: types.ExecutionRedriveFilterRedriven})
	if err != nil || len(only.Executions) != 1 || aws.ToInt32(only.Executions[0].RedriveCount) != 1 {
		t.Errorf("ListExecutions(mapRunArn, REDRIVEN) = %+v, %v; want the redriven child", only, err)
	}
}

// TestSDKDescribeStateMachineForMapRunChild: DescribeStateMachineForExecution
// of a distributed Map's child answers, as AWS does, the Map Run's state
// machine (…:stateMachine:<machine>/<label>, its definition the Map's
// ItemProcessor) with the Map Run's ARN and the Map's label; also for a
// Map without a Label inside a Parallel branch.
func TestSDKDescribeStateMachineForMapRunChild(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	c := sdkClient(ts.URL)
	ctx := context.Background()
	const labelled = `{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`
	const unlabelled = `{"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "Q", "States": {"Q": {"Type": "Pass", "Result": 1, "End": true}}}`
	def := `{"StartAt":"M","States":{
		"M":{"Type":"Map","Label":"Items","ItemProcessor":` + labelled + `,"Next":"Both"},
		"Both":{"Type":"Parallel","End":true,"Branches":[{"StartAt":"Inner","States":{
			"Inner":{"Type":"Map","ItemsPath":"$$.Execution.Input","ItemProcessor":` + unlabelled + `,"End":true}}}]}}}`
	sm, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("dsmfe"), Definition: aws.String(def), RoleArn: aws.String(role)})
	if err != nil {
		t.Fatal(err)
	}
	x, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: aws.String(`[1,2]`)})
	if err != nil {
		t.Fatal(err)
	}
	if d := waitDone(t, c, x.ExecutionArn); d.Status != types.ExecutionStatusSucceeded {
		t.Fatalf("execution = %s %s", d.Status, aws.ToString(d.Cause))
	}
	parent, err := c.DescribeStateMachineForExecution(ctx, &sfn.DescribeStateMachineForExecutionInput{ExecutionArn: x.ExecutionArn})
	if err != nil || aws.ToString(parent.Definition) != def || parent.MapRunArn != nil || parent.Label != nil {
		t.Errorf("DescribeStateMachineForExecution(parent) = %+v, %v; want its machine, no mapRunArn or label", parent, err)
	}

	runs, err := c.ListMapRuns(ctx, &sfn.ListMapRunsInput{ExecutionArn: x.ExecutionArn})
	if err != nil || len(runs.MapRuns) != 2 {
		t.Fatalf("ListMapRuns = %+v, %v; want two runs", runs, err)
	}
	for _, run := range runs.MapRuns {
		machine := aws.ToString(run.StateMachineArn)
		label := machine[strings.LastIndexByte(machine, '/')+1:]
		want := unlabelled
		if label == "Items" {
			want = labelled
		}
		kids, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{MapRunArn: run.MapRunArn})
		if err != nil || len(kids.Executions) != 2 {
			t.Fatalf("ListExecutions(%s) = %+v, %v; want two children", aws.ToString(run.MapRunArn), kids, err)
		}
		child := kids.Executions[0].ExecutionArn
		got, err := c.DescribeStateMachineForExecution(ctx, &sfn.DescribeStateMachineForExecutionInput{ExecutionArn: child})
		if err != nil {
			t.Fatalf("DescribeStateMachineForExecution(child %s) = %v", aws.ToString(child), err)
		}
		if aws.ToString(got.StateMachineArn) != machine || aws.ToString(got.Name) != "dsmfe/"+label ||
			aws.ToString(got.Definition) != want || aws.ToString(got.RoleArn) != role ||
			aws.ToString(got.MapRunArn) != aws.ToString(run.MapRunArn) || aws.ToString(got.Label) != label || got.UpdateDate == nil {
			t.Errorf("DescribeStateMachineForExecution(child of %s) = arn %s name %s definition %s role %s mapRunArn %s label %s updateDate %v; want %s, dsmfe/%s, %s, %s, %s, %s",
				label, aws.ToString(got.StateMachineArn), aws.ToString(got.Name), aws.ToString(got.Definition), aws.ToString(got.RoleArn),
				aws.ToString(got.MapRunArn), aws.ToString(got.Label), got.UpdateDate, machine, label, want, role, aws.ToString(run.MapRunArn), label)
		}
	}
}

// TestSDKMapRunPendingRedrive: DescribeMapRun's pendingRedrive, in
// executionCounts and itemCounts, counts the failed children a redrive
// has not run again yet: with MaxConcurrency 1 and two failed children,
// 1 while the first runs again, 0 once the second does.
func TestSDKMapRunPendingRedrive(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	c := sdkClient(ts.URL)
	ctx := context.Background()
	act, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("mr-pending-work")})
	if err != nil {
		t.Fatal(err)
	}
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":1,"ToleratedFailureCount":1,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"P","States":{
			"P":{"Type":"Task","Resource":"` + aws.ToString(act.ActivityArn) + `","End":true}}},"End":true}}}`
	sm, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("mr-pending"), RoleArn: aws.String(role),
		Definition: aws.String(def)})
	if err != nil {
		t.Fatal(err)
	}
	x, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: aws.String(`[1,2,3]`)})
	if err != nil {
		t.Fatal(err)
	}
	work := func(failing bool) {
		t.Helper()
		workActivity(t, c, act.ActivityArn, func(string) bool { return failing })
	}
	work(true) // items 1 and 2 fail; item 3 never starts
	work(true)
	if d := waitDone(t, c, x.ExecutionArn); d.Status != types.ExecutionStatusFailed {
		t.Fatalf("first run: %s; want FAILED", d.Status)
	}
	run := onlyMapRun(t, c, x.ExecutionArn).MapRunArn
	// counts waits until the run has running and succeeded children and
	// returns its counts.
	counts := func(running, succeeded int64) *sfn.DescribeMapRunOutput {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			d, err := c.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: run})
			if err != nil {
				t.Fatal(err)
			}
			if d.ExecutionCounts.Running == running && d.ExecutionCounts.Succeeded == succeeded || time.Now().After(deadline) {
				return d
			}
		}
	}
	pending := func(d *sfn.DescribeMapRunOutput) [2]int64 {
		return [2]int64{aws.ToInt64(d.ExecutionCounts.PendingRedrive), aws.ToInt64(d.ItemCounts.PendingRedrive)}
	}
	if d := counts(0, 0); pending(d) != [2]int64{} || d.ExecutionCounts.Failed != 2 ||
		aws.ToInt64(d.ExecutionCounts.FailuresNotRedrivable) != 0 {
		t.Fatalf("DescribeMapRun before the redrive = %+v; want 2 failed, none pending redrive nor not redrivable", d.ExecutionCounts)
	}
	if _, err := c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: x.ExecutionArn}); err != nil {
		t.Fatalf("RedriveExecution = %v", err)
	}
	if d := counts(1, 0); pending(d) != [2]int64{1, 1} || d.ExecutionCounts.Failed != 1 || d.ExecutionCounts.Pending != 1 {
		t.Errorf("DescribeMapRun while item 1 runs again = %+v; want pendingRedrive 1 (item 2), 1 failed, 1 pending", d.ExecutionCounts)
	}
	work(false)
	if d := counts(1, 1); pending(d) != [2]int64{} || d.ExecutionCounts.Failed != 0 || d.ExecutionCounts.Pending != 1 {
		t.Errorf("DescribeMapRun while item 2 runs again = %+v; want pendingRedrive 0, none failed, 1 pending", d.ExecutionCounts)
	}
	work(false)
	work(false)
	if d := waitDone(t, c, x.ExecutionArn); d.Status != types.ExecutionStatusSucceeded || aws.ToString(d.Output) != "[1,2,3]" {
		t.Fatalf("after the redrive: %s %s; want SUCCEEDED [1,2,3]", d.Status, aws.ToString(d.Output))
	}
	if d := counts(0, 3); pending(d) != [2]int64{} || d.Status != types.MapRunStatusSucceeded {
		t.Errorf("DescribeMapRun at the end = %s %+v; want SUCCEEDED, pendingRedrive 0", d.Status, d.ExecutionCounts)
	}
}

// workActivity answers the next task of activity arn, with its input, or
// with a failure when fail says so of its input, and returns the input.
func workActivity(t *testing.T, c *sfn.Client, arn *string, fail func(input string) bool) string {
	t.Helper()
	ctx := context.Background()
	for range 20 {
		tk, err := c.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: arn})
		if err != nil {
			t.Fatalf("GetActivityTask: %v", err)
		}
		if tk.TaskToken == nil {
			continue
		}
		in := aws.ToString(tk.Input)
		if fail(in) {
			_, err = c.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: tk.TaskToken, Error: aws.String("Boom")})
		} else {
			_, err = c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: tk.TaskToken, Output: tk.Input})
		}
		if err != nil {
			t.Fatal(err)
		}
		return in
	}
	t.Fatal("no activity task")
	return ""
}
