package postgres_test

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/statelang"
)

// TestNestedExecutionResults: a Task on states:startExecution returns
// what AWS's integration returns. The plain pattern answers at once with
// the child's ARN and start date and the SDK's HTTP metadata of the
// StartExecution response; .sync and .sync:2 record TaskSubmitted (the
// same value) between TaskStarted and the task's end, whether the child
// runs a while or ends in its first step, and .sync's output carries
// DescribeExecution's redrive fields (corpus scenarios
// test_start_execution_input_json, test_start_execution_sync_delegate_*,
// test_sfn_start_execution_sync[SFN_SYNC]).
func TestNestedExecutionResults(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	h.machine("quick", `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"Arg1":"argument1"},"End":true}}}`)
	h.machine("slow", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"Next":"P"},"P":{"Type":"Pass","Result":{"Arg1":"argument1"},"End":true}}}`)
	h.machine("fails", `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"SomeFailure","Cause":"it fails"}}}`)
	parent := func(pattern string) string {
		name := "parent" + strings.NewReplacer(".", "-", ":", "-").Replace(pattern)
		h.machine(name, `{"StartAt":"S","States":{"S":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution`+pattern+`",
			"Parameters":{"StateMachineArn.$":"$.arn","Input":{"k":1},"Name.$":"$.name"},"End":true}}}`)
		return name
	}
	machineARN := func(name string) string { return "arn:aws:states:us-east-1:111111111111:stateMachine:" + name }
	run := func(machine, child, name string) (*engine.Execution, []statelang.HistoryEvent) {
		t.Helper()
		x := h.wait(h.start(machine, name, fmt.Sprintf(`{"arn":%q,"name":%q}`, machineARN(child), name)).ARN, 20*time.Second)
		return x, h.history(x.ARN)
	}
	decode := func(s string) map[string]any {
		t.Helper()
		v, err := statelang.ParseJSON([]byte(s))
		m, _ := v.(map[string]any)
		if err != nil || m == nil {
			t.Fatalf("%s: not a JSON object", s)
		}
		return m
	}
	// checkStarted checks what StartExecution returned for child c.
	checkStarted := func(what string, got map[string]any, c *engine.Execution) {
		t.Helper()
		meta, _ := got["SdkHttpMetadata"].(map[string]any)
		headers, _ := meta["HttpHeaders"].(map[string]any)
		all, _ := meta["AllHttpHeaders"].(map[string]any)
		resp, _ := got["SdkResponseMetadata"].(map[string]any)
		// The AWS JSON 1.0 response of StartExecution: the date in
		// seconds with a millisecond fraction.
		body := fmt.Sprintf(`{"executionArn":%q,"startDate":%.3f}`, c.ARN, float64(c.StartDate.UnixMilli())/1000)
		if got["ExecutionArn"] != c.ARN || got["StartDate"] != c.StartDate.UnixMilli() || meta["HttpStatusCode"] != int64(200) ||
			headers["Content-Length"] != strconv.Itoa(len(body)) || headers["Content-Type"] != "application/x-amz-json-1.0" ||
			headers["connection"] != "keep-alive" || resp["RequestId"] == "" || headers["x-amzn-RequestId"] != resp["RequestId"] ||
			fmt.Sprint(all["Content-Length"]) != "["+strconv.Itoa(len(body))+"]" || len(got) != 4 {
			t.Errorf("%s = %s; want the StartExecution result of %s", what, statelang.MarshalString(got), c.ARN)
		}
	}
	child := func(machine, name string) *engine.Execution {
		t.Helper()
		c, err := h.eng.DescribeExecution(t.Context(), "arn:aws:states:us-east-1:111111111111:execution:"+machine+":"+name)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	// The plain pattern: the child's start, no TaskSubmitted.
	x, evs := run(parent(""), "slow", "plain")
	if x.Status != engine.StatusSucceeded {
		t.Fatalf("startExecution: %s %s %s", x.Status, x.Error, x.Cause)
	}
	checkStarted("startExecution output", decode(x.Output), child("slow", "plain"))
	if got := strings.Join(types(evs), " "); got != "ExecutionStarted TaskStateEntered TaskScheduled TaskStarted TaskSucceeded TaskStateExited ExecutionSucceeded" {
		t.Errorf("startExecution history = %s", got)
	}

	for _, c := range []struct {
		pattern, child string
		redrive        bool // the output has the redrive fields
	}{
		{".sync", "slow", true}, {".sync", "quick", true}, {".sync:2", "slow", false}, {".sync:2", "quick", false},
	} {
		name := "sync-" + c.child + strings.ReplaceAll(c.pattern, ":", "-")
		x, evs := run(parent(c.pattern), c.child, name)
		if x.Status != engine.StatusSucceeded {
			t.Errorf("%s of %s: %s %s %s", c.pattern, c.child, x.Status, x.Error, x.Cause)
			continue
		}
		if got := strings.Join(types(evs), " "); got != "ExecutionStarted TaskStateEntered TaskScheduled TaskStarted TaskSubmitted TaskSucceeded TaskStateExited ExecutionSucceeded" {
			t.Errorf("%s of %s: history = %s", c.pattern, c.child, got)
			continue
		}
		ch := child(c.child, name)
		sub := evs[4].Details
		if sub["resource"] != "startExecution"+c.pattern || sub["resourceType"] != "states" {
			t.Errorf("%s of %s: TaskSubmitted = %v", c.pattern, c.child, sub)
		}
		out, _ := sub["output"].(string)
		checkStarted(c.pattern+" TaskSubmitted output", decode(out), ch)
		if c.child == "slow" && !evs[4].Timestamp.Before(ch.StopDate) {
			t.Errorf("%s of %s: TaskSubmitted at %v, not before the child ended (%v)", c.pattern, c.child, evs[4].Timestamp, ch.StopDate)
		}
		desc := decode(x.Output)
		_, hasCount := desc["RedriveCount"]
		if hasCount != c.redrive || c.redrive && (desc["RedriveCount"] != int64(0) || desc["RedriveStatus"] != "NOT_REDRIVABLE" ||
			desc["RedriveStatusReason"] != "Execution is SUCCEEDED and cannot be redriven") {
			t.Errorf("%s output = %s; redrive fields %v", c.pattern, x.Output, c.redrive)
		}
	}

	// A child that fails: TaskSubmitted, then TaskFailed with its
	// description.
	x, evs = run(parent(".sync"), "fails", "failing")
	if x.Status != engine.StatusFailed || x.Error != "States.TaskFailed" || !strings.Contains(x.Cause, `"Error":"SomeFailure"`) {
		t.Errorf("failing child: %s %s %s", x.Status, x.Error, x.Cause)
	}
	if got := strings.Join(types(evs), " "); got != "ExecutionStarted TaskStateEntered TaskScheduled TaskStarted TaskSubmitted TaskFailed ExecutionFailed" {
		t.Errorf("failing child: history = %s", got)
	}
	// Each attempt of a retried task records its own TaskSubmitted.
	h.machine("retrying", `{"StartAt":"S","States":{"S":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync",
		"Parameters":{"StateMachineArn":"arn:aws:states:us-east-1:111111111111:stateMachine:fails"},
		"Retry":[{"ErrorEquals":["States.TaskFailed"],"MaxAttempts":1,"IntervalSeconds":1}],"End":true}}}`)
	x = h.wait(h.start("retrying", "retrying", `{}`).ARN, 20*time.Second)
	if got := strings.Join(types(h.history(x.ARN)), " "); got != "ExecutionStarted TaskStateEntered "+
		"TaskScheduled TaskStarted TaskSubmitted TaskFailed TaskScheduled TaskStarted TaskSubmitted TaskFailed ExecutionFailed" {
		t.Errorf("retried task: history = %s", got)
	}
	// No child started (no such machine): no TaskSubmitted.
	x, evs = run(parent(".sync"), "missing", "nochild")
	if x.Error != "StepFunctions.StateMachineDoesNotExistException" {
		t.Errorf("missing machine: %s %s %s", x.Status, x.Error, x.Cause)
	}
	if got := strings.Join(types(evs), " "); got != "ExecutionStarted TaskStateEntered TaskScheduled TaskStarted TaskFailed ExecutionFailed" {
		t.Errorf("missing machine: history = %s", got)
	}
}

// TestStartedByExecutionID: AWS associates a nested workflow with the
// execution that started it by AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID
// in its input, which the parent's definition passes from
// $$.Execution.Id. The child's input carries it as written, and an
// execution started otherwise (here through StartExecution) with it has
// that execution as its parent (ParentOf, DescribeExecution's parent_arn);
// a value that is not an execution ARN names none.
func TestStartedByExecutionID(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	h.machine("kid", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)
	h.machine("starter", `{"StartAt":"S","States":{"S":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution",
		"Parameters":{"StateMachineArn":"arn:aws:states:us-east-1:111111111111:stateMachine:kid","Name":"nested",
			"Input":{"v":1,"AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$":"$$.Execution.Id"}},"End":true}}}`)
	p := h.wait(h.start("starter", "parent", `{}`).ARN, 20*time.Second)
	if p.Status != engine.StatusSucceeded {
		t.Fatalf("parent: %s %s %s", p.Status, p.Error, p.Cause)
	}
	c := h.wait("arn:aws:states:us-east-1:111111111111:execution:kid:nested", 20*time.Second)
	if want := `{"AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID":"` + p.ARN + `","v":1}`; c.Input != want {
		t.Errorf("child input = %s; want %s", c.Input, want)
	}
	if got, _, err := h.eng.ParentOf(t.Context(), c); err != nil || got != p.ARN {
		t.Errorf("ParentOf(child) = %q, %v; want %s", got, err, p.ARN)
	}

	x := h.start("kid", "by-api", `{"AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID":"`+p.ARN+`"}`)
	if got, _, err := h.eng.ParentOf(t.Context(), x); err != nil || got != p.ARN {
		t.Errorf("ParentOf(started through the API, naming its starter) = %q, %v; want %s", got, err, p.ARN)
	}
	x = h.start("kid", "not-an-arn", `{"AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID":"someone"}`)
	if got, _, err := h.eng.ParentOf(t.Context(), x); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("ParentOf(naming no execution) = %q, %v; want ErrNotFound", got, err)
	}
}

// TestNestedCallbackSubmitted: a states:startExecution.waitForTaskToken
// task records TaskSubmitted (what StartExecution returned) once its child
// started, as AWS records it for a callback integration whose request
// succeeded, and ends with the callback's result.
func TestNestedCallbackSubmitted(t *testing.T) {
	t.Parallel()
	var h *harness
	h = newHarness(t, map[string]TaskFunc{"answer": func(_ engine.Task, in any) (any, *statelang.Failure) {
		m, _ := in.(map[string]any)
		token, _ := m["token"].(string)
		if err := h.eng.SendTaskSuccess(t.Context(), token, `{"answered":true}`); err != nil {
			return nil, &statelang.Failure{Name: "Callback.Failed", Cause: err.Error()}
		}
		return map[string]any{}, nil
	}}, nil)
	h.machine("answering", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"Next":"A"},
		"A":{"Type":"Task","Resource":"arn:aws:states:us-east-1:111111111111:activity:answer","End":true}}}`)
	h.machine("asking", `{"StartAt":"S","States":{"S":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.waitForTaskToken",
		"Parameters":{"StateMachineArn":"arn:aws:states:us-east-1:111111111111:stateMachine:answering","Name":"kid",
			"Input":{"token.$":"$$.Task.Token"}},"End":true}}}`)
	x := h.wait(h.start("asking", "asking", `{}`).ARN, 20*time.Second)
	if x.Status != engine.StatusSucceeded || x.Output != `{"answered":true}` {
		t.Fatalf("callback: %s %s %s %s", x.Status, x.Output, x.Error, x.Cause)
	}
	evs := h.history(x.ARN)
	if got := strings.Join(types(evs), " "); got != "ExecutionStarted TaskStateEntered TaskScheduled TaskStarted TaskSubmitted TaskSucceeded TaskStateExited ExecutionSucceeded" {
		t.Fatalf("callback: history = %s", got)
	}
	out, _ := evs[4].Details["output"].(string)
	if !strings.Contains(out, `"ExecutionArn":"arn:aws:states:us-east-1:111111111111:execution:answering:kid"`) {
		t.Errorf("callback: TaskSubmitted output = %s", out)
	}
}
