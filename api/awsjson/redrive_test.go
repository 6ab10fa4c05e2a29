package awsjson_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepwise-dev/stepwise/engine"
)

// TestSDKRedrive drives RedriveExecution with the AWS SDK for Go v2: an
// activity task fails the execution, which is REDRIVABLE; a redrive (the
// same client token twice answers the same redrive) enters the Task again
// with its input and variables; while it runs it is NOT_REDRIVABLE; it
// then succeeds; the history, DescribeExecution and ListExecutions
// (redriveFilter) show the redrive; the errors are AWS's.
func TestSDKRedrive(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	c := sdkClient(ts.URL)
	ctx := context.Background()
	act, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("redrive-work")})
	if err != nil {
		t.Fatal(err)
	}
	sm, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("redrive"), RoleArn: aws.String(role),
		Definition: aws.String(`{"StartAt":"P","States":{
			"P":{"Type":"Pass","Assign":{"v":"kept"},"Next":"T"},
			"T":{"Type":"Task","Resource":"` + aws.ToString(act.ActivityArn) + `",
				"Parameters":{"v.$":"$v","n.$":"$$.Execution.RedriveCount"},"End":true}}}`)})
	if err != nil {
		t.Fatal(err)
	}
	start, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: sm.StateMachineArn, Name: aws.String("r1"), Input: aws.String(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	task := func() *sfn.GetActivityTaskOutput {
		t.Helper()
		for range 10 {
			got, err := c.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: act.ActivityArn})
			if err != nil {
				t.Fatalf("GetActivityTask: %v", err)
			}
			if got.TaskToken != nil {
				return got
			}
		}
		t.Fatal("no activity task")
		return nil
	}
	tk := task()
	if want := `{"n":0,"v":"kept"}`; aws.ToString(tk.Input) != want {
		t.Errorf("first task input = %s; want %s", aws.ToString(tk.Input), want)
	}
	if _, err := c.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: tk.TaskToken, Error: aws.String("Boom")}); err != nil {
		t.Fatal(err)
	}
	d := waitDone(t, c, start.ExecutionArn)
	if d.Status != types.ExecutionStatusFailed || d.RedriveStatus != types.ExecutionRedriveStatusRedrivable ||
		aws.ToInt32(d.RedriveCount) != 0 || d.RedriveDate != nil || d.RedriveStatusReason != nil {
		t.Fatalf("failed execution: %s redrive %s count %d date %v reason %q; want FAILED REDRIVABLE 0", d.Status, d.RedriveStatus,
			aws.ToInt32(d.RedriveCount), d.RedriveDate, aws.ToString(d.RedriveStatusReason))
	}

	r1, err := c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: start.ExecutionArn, ClientToken: aws.String("ct-1")})
	if err != nil || r1.RedriveDate == nil {
		t.Fatalf("RedriveExecution = %+v, %v; want a redrive date", r1, err)
	}
	r2, err := c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: start.ExecutionArn, ClientToken: aws.String("ct-1")})
	if err != nil || r2.RedriveDate == nil || !r2.RedriveDate.Equal(*r1.RedriveDate) {
		t.Errorf("RedriveExecution with the same client token = %+v, %v; want the date %v", r2, err, r1.RedriveDate)
	}
	d, err = c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: start.ExecutionArn})
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != types.ExecutionStatusRunning || aws.ToInt32(d.RedriveCount) != 1 || d.RedriveDate == nil ||
		d.RedriveStatus != types.ExecutionRedriveStatusNotRedrivable || aws.ToString(d.RedriveStatusReason) != "Execution is RUNNING and cannot be redriven" {
		t.Errorf("redriven execution: %s count %d date %v %s %q; want RUNNING 1 NOT_REDRIVABLE, RUNNING reason", d.Status,
			aws.ToInt32(d.RedriveCount), d.RedriveDate, d.RedriveStatus, aws.ToString(d.RedriveStatusReason))
	}
	var notRedrivable *types.ExecutionNotRedrivable
	if _, err := c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: start.ExecutionArn}); !errors.As(err, &notRedrivable) {
		t.Errorf("RedriveExecution of a RUNNING execution = %v; want ExecutionNotRedrivable", err)
	}

	tk = task()
	if want := `{"n":1,"v":"kept"}`; aws.ToString(tk.Input) != want {
		t.Errorf("redriven task input = %s; want %s", aws.ToString(tk.Input), want)
	}
	if _, err := c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: tk.TaskToken, Output: aws.String(`"ok"`)}); err != nil {
		t.Fatal(err)
	}
	if d = waitDone(t, c, start.ExecutionArn); d.Status != types.ExecutionStatusSucceeded || aws.ToString(d.Output) != `"ok"` ||
		aws.ToString(d.RedriveStatusReason) != "Execution is SUCCEEDED and cannot be redriven" {
		t.Errorf("after the redrive: %s %q reason %q; want SUCCEEDED \"ok\", SUCCEEDED reason", d.Status, aws.ToString(d.Output), aws.ToString(d.RedriveStatusReason))
	}

	h, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn})
	if err != nil {
		t.Fatal(err)
	}
	var seq []string
	redriven := int32(-1)
	for i, e := range h.Events {
		seq = append(seq, string(e.Type))
		if e.Id != int64(i+1) {
			t.Errorf("event %d has id %d", i, e.Id)
		}
		if e.Type == types.HistoryEventTypeExecutionRedriven && e.ExecutionRedrivenEventDetails != nil {
			redriven = aws.ToInt32(e.ExecutionRedrivenEventDetails.RedriveCount)
		}
	}
	if got := strings.Join(seq, " "); !strings.Contains(got, "ExecutionFailed ExecutionRedriven TaskStateEntered ActivityScheduled") ||
		!strings.HasSuffix(got, "ExecutionSucceeded") || redriven != 1 {
		t.Errorf("history = %s (redriveCount %d); want ExecutionFailed, ExecutionRedriven (1), the Task entered again, ExecutionSucceeded last", got, redriven)
	}

	for filter, want := range map[types.ExecutionRedriveFilter]int{types.ExecutionRedriveFilterRedriven: 1, types.ExecutionRedriveFilterNotRedriven: 0} {
		l, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: sm.StateMachineArn, RedriveFilter: filter})
		if err != nil || len(l.Executions) != want {
			t.Fatalf("ListExecutions(%s) = %d executions, %v; want %d", filter, len(l.Executions), err, want)
		}
		if want == 1 && (aws.ToInt32(l.Executions[0].RedriveCount) != 1 || l.Executions[0].RedriveDate == nil) {
			t.Errorf("ListExecutions(%s) item: count %d date %v; want 1 and a date", filter, aws.ToInt32(l.Executions[0].RedriveCount), l.Executions[0].RedriveDate)
		}
	}

	var missing *types.ExecutionDoesNotExist
	if _, err := c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: aws.String(strings.Replace(aws.ToString(start.ExecutionArn), ":r1", ":nope", 1))}); !errors.As(err, &missing) {
		t.Errorf("RedriveExecution of no execution = %v; want ExecutionDoesNotExist", err)
	}
	var badARN *types.InvalidArn
	if _, err := c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: aws.String("arn:nope")}); !errors.As(err, &badARN) {
		t.Errorf("RedriveExecution(arn:nope) = %v; want InvalidArn", err)
	}
}

// TestSDKRedriveReasons: for each case AWS documents, DescribeExecution's
// redriveStatusReason and RedriveExecution's ExecutionNotRedrivable
// message are AWS's words: an execution SUCCEEDED or RUNNING, one of a
// deleted state machine, one past its 14-day redrive period, and one
// that ended more than a year after it started (the engine's clock is
// moved forward).
func TestSDKRedriveReasons(t *testing.T) {
	t.Parallel()
	var ahead atomic.Int64 // how far the engine's clock is ahead
	ts, _ := newServerWith(t, func(c *engine.Config) {
		c.Now = func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
	})
	c := sdkClient(ts.URL)
	ctx := context.Background()
	machine := func(name, def string) *string {
		t.Helper()
		sm, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String(name), RoleArn: aws.String(role), Definition: aws.String(def)})
		if err != nil {
			t.Fatal(err)
		}
		return sm.StateMachineArn
	}
	start := func(machine *string, name string) *string {
		t.Helper()
		x, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: machine, Name: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		return x.ExecutionArn
	}
	want := func(what string, x *string, reason string) {
		t.Helper()
		d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: x})
		if err != nil || d.RedriveStatus != types.ExecutionRedriveStatusNotRedrivable || aws.ToString(d.RedriveStatusReason) != reason {
			t.Errorf("DescribeExecution(%s) = %s %q, %v; want NOT_REDRIVABLE %q", what, d.RedriveStatus, aws.ToString(d.RedriveStatusReason), err, reason)
		}
		var nr *types.ExecutionNotRedrivable
		_, err = c.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: x})
		if !errors.As(err, &nr) || nr.ErrorMessage() != reason {
			t.Errorf("RedriveExecution(%s) = %v; want ExecutionNotRedrivable %q", what, err, reason)
		}
	}
	const fail = `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Boom"}}}`

	succeeded := start(machine("reasons-pass", passDefinition), "ok")
	waitDone(t, c, succeeded)
	want("SUCCEEDED", succeeded, "Execution is SUCCEEDED and cannot be redriven")

	running := start(machine("reasons-wait", callbackDefinition), "long")
	want("RUNNING", running, "Execution is RUNNING and cannot be redriven")

	goneARN := machine("reasons-gone", fail)
	gone := start(goneARN, "failed")
	if d := waitDone(t, c, gone); d.RedriveStatus != types.ExecutionRedriveStatusRedrivable {
		t.Fatalf("failed execution: %s; want REDRIVABLE", d.RedriveStatus)
	}
	if _, err := c.DeleteStateMachine(ctx, &sfn.DeleteStateMachineInput{StateMachineArn: goneARN}); err != nil {
		t.Fatal(err)
	}
	want("its machine deleted", gone, "State machine is in DELETING status")
	machine("reasons-gone", fail) // created again: the execution's machine is still the deleted one
	want("its machine deleted and created again", gone, "State machine is in DELETING status")

	late := start(machine("reasons-late", fail), "failed")
	waitDone(t, c, late)
	ahead.Store(int64(engine.RedriveWindow + time.Hour))
	want("15 days after it failed", late, "Execution redrivable period exceeded")

	ahead.Store(int64(engine.MaxExecutionTime + time.Hour))
	if _, err := c.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: running}); err != nil {
		t.Fatal(err)
	}
	if d := waitDone(t, c, running); d.Status != types.ExecutionStatusAborted {
		t.Fatalf("stopped execution: %s; want ABORTED", d.Status)
	}
	want("stopped a year after its start", running, "Execution has exceeded the max execution time")
}
