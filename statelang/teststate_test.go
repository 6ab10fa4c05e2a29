package statelang_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/statelang"
)

func str(s string) *string { return &s }

func i64(n int64) *int64 { return &n }

func testEnv() *statelang.Env {
	n := 0
	return &statelang.Env{
		Random: func() float64 { return 0.5 },
		UUID:   func() string { n++; return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) },
	}
}

func runTest(t *testing.T, in *statelang.TestInput) *statelang.TestResult {
	t.Helper()
	in.Now, in.Region, in.Account = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), "us-east-1", "111111111111"
	res, err := statelang.TestState(in, testEnv())
	if err != nil {
		t.Fatalf("TestState(%s) = %v", in.Definition, err)
	}
	return res
}

// A distributed Map with a tolerance: the failed iterations given decide
// whether it succeeds or fails with States.ExceedToleratedFailureThreshold,
// which its Catch then handles.
func TestTestStateMapTolerance(t *testing.T) {
	t.Parallel()
	def := `{"Type":"Map","ItemsPath":"$.items","ToleratedFailurePercentage":50,
	  "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},
	  "Catch":[{"ErrorEquals":["States.ExceedToleratedFailureThreshold"],"ResultPath":"$.err","Next":"Over"}],"End":true}`
	for _, tc := range []struct {
		failed     int64
		wantStatus string
		wantOut    string
	}{
		{2, statelang.TestSucceeded, `[1,2,3,4]`},
		{3, statelang.TestCaughtError, `{"err":{"Cause":"The specified tolerated failure threshold was exceeded","Error":"States.ExceedToleratedFailureThreshold"},"items":[1,2,3,4]}`},
	} {
		res := runTest(t, &statelang.TestInput{Definition: def, Input: str(`{"items":[1,2,3,4]}`), Level: statelang.LevelDebug,
			Mock:   &statelang.TestMock{Result: str(`[1,2,3,4]`)},
			Config: statelang.TestConfig{MapIterationFailureCount: i64(tc.failed)}})
		if res.Status != tc.wantStatus || statelang.MarshalString(res.Output) != tc.wantOut {
			t.Errorf("Map with %d of 4 failed = %s %s; want %s %s", tc.failed, res.Status, statelang.MarshalString(res.Output), tc.wantStatus, tc.wantOut)
		}
		ins := res.Inspection
		if ins.AfterItemsPath == nil || statelang.MarshalString(ins.AfterItemsPath.V) != `[1,2,3,4]` || ins.ToleratedFailurePercentage == nil || *ins.ToleratedFailurePercentage != 50 {
			t.Errorf("Map inspection = %+v; want afterItemsPath [1,2,3,4] and toleratedFailurePercentage 50", ins)
		}
	}
}

// A JSONata Task reads the variables and context given, and its catcher's
// Output sees $states.errorOutput; the catcher's Assign shows in the
// inspected variables.
func TestTestStateJSONataCatch(t *testing.T) {
	t.Parallel()
	def := `{"Type":"Task","QueryLanguage":"JSONata","Resource":"arn:aws:states:::lambda:invoke",
	  "Arguments":{"FunctionName":"{% $fn %}","Payload":"{% $states.context.Execution.Name %}"},
	  "Catch":[{"ErrorEquals":["Oops"],"Output":"{% $states.errorOutput.Cause %}","Assign":{"seen":"{% $states.errorOutput.Error %}"},"Next":"H"}],"End":true}`
	res := runTest(t, &statelang.TestInput{Definition: def, Level: statelang.LevelTrace,
		Variables: str(`{"fn":"f1"}`),
		Context:   str(`{"Execution":{"Name":"given"}}`),
		Mock:      &statelang.TestMock{Error: &statelang.Failure{Name: "Oops", Cause: "it broke"}}})
	if res.Status != statelang.TestCaughtError || res.NextState != "H" || res.Output != "it broke" {
		t.Fatalf("TestState = %s %s %v; want CAUGHT_ERROR H \"it broke\"", res.Status, res.NextState, res.Output)
	}
	ins := res.Inspection
	if got := statelang.MarshalString(ins.AfterArguments.V); got != `{"FunctionName":"f1","Payload":"given"}` {
		t.Errorf("afterArguments = %s", got)
	}
	if got := statelang.MarshalString(ins.Variables.V); got != `{"fn":"f1","seen":"Oops"}` {
		t.Errorf("variables = %s", got)
	}
	if ins.ErrorDetails == nil || ins.ErrorDetails.CatchIndex == nil || *ins.ErrorDetails.CatchIndex != 0 {
		t.Errorf("errorDetails = %+v; want catchIndex 0", ins.ErrorDetails)
	}
}

// The context object TestState builds is an express execution's, with
// the state named StateName and the execution's input the state's.
func TestTestStateDefaultContext(t *testing.T) {
	t.Parallel()
	res := runTest(t, &statelang.TestInput{Definition: `{"Type":"Pass","Parameters":{"c.$":"$$"},"End":true}`,
		Input: str(`{"a":1}`), RoleArn: "arn:aws:iam::111111111111:role/r"})
	got := statelang.MarshalString(res.Output)
	want := `{"c":{"Execution":{"Id":"arn:aws:states:us-east-1:111111111111:express:00000000-0000-4000-8000-000000000001:00000000-0000-4000-8000-000000000002",` +
		`"Input":{"a":1},"Name":"00000000-0000-4000-8000-000000000002","RoleArn":"arn:aws:iam::111111111111:role/r","StartTime":"2026-01-02T03:04:05.000Z"},` +
		`"State":{"EnteredTime":"2026-01-02T03:04:05.000Z","Name":"StateName"},` +
		`"StateMachine":{"Id":"arn:aws:states:us-east-1:111111111111:stateMachine:00000000-0000-4000-8000-000000000001","Name":"00000000-0000-4000-8000-000000000001"}}}`
	if got != want {
		t.Errorf("output = %s; want %s", got, want)
	}
}

// Refusals come as *TestError with AWS's code, in AWS's order.
func TestTestStateRefusals(t *testing.T) {
	t.Parallel()
	mapDef := `{"Type":"Map","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}`
	for _, tc := range []struct {
		in   statelang.TestInput
		code string
		msg  string
	}{
		{statelang.TestInput{Definition: mapDef, Config: statelang.TestConfig{MapIterationFailureCount: i64(1)}},
			"ValidationException", "TestState does not support MapIterationFailureCount when a mock is not specified."},
		{statelang.TestInput{Definition: mapDef}, "InvalidDefinition", "TestState API does not support Map or Parallel states. Supported state types include: [Task, Wait, Pass, Succeed, Fail, Choice]"},
		{statelang.TestInput{Definition: mapDef, Mock: &statelang.TestMock{Result: str(`{}`)}}, "ValidationException", "Mocked result must be an array."},
		{statelang.TestInput{Definition: `{"Type":"Wait","Seconds":1,"End":true}`, Mock: &statelang.TestMock{Result: str(`{}`)}, RevealSecrets: true},
			"ValidationException", "TestState does not support RevealSecrets when a mock is specified."},
		{statelang.TestInput{Definition: `{"Type":"Wait","Seconds":1,"End":true}`, Context: str(`{"Task":{"Token":"t"}}`)}, "ValidationException",
			"Invalid Context object provided: Context object contains 'Task' when state is not a Task state with a '.sync' or '.waitForTaskToken' service integration pattern"},
		{statelang.TestInput{Definition: `{"Type":"Wait","Seconds":1,"End":true}`, Context: str(`{"State":{"Mood":"ok"}}`)}, "ValidationException",
			"Invalid Context object provided: Field 'Mood' is not allowed"},
	} {
		_, err := statelang.TestState(&tc.in, testEnv())
		var te *statelang.TestError
		if !errors.As(err, &te) || te.Code != tc.code || te.Message != tc.msg {
			t.Errorf("TestState(%s) = %v; want %s: %s", tc.in.Definition, err, tc.code, tc.msg)
		}
	}
	var ds statelang.Diagnostics
	if _, err := statelang.TestState(&statelang.TestInput{Definition: `{"Type":"Pass"}`}, testEnv()); !errors.As(err, &ds) {
		t.Errorf("TestState of a Pass state without End or Next = %v; want Diagnostics", err)
	}
}

// A mocked result is checked against the response shape of the API the
// Task calls, as strictly as fieldValidationMode says.
func TestTestStateMockShapes(t *testing.T) {
	t.Parallel()
	def := `{"Type":"Task","Resource":"arn:aws:states:::states:startExecution","Parameters":{"StateMachineArn":"arn"},"End":true}`
	for _, tc := range []struct {
		mode, result, want string
	}{
		{"", `{}`, "Mock result schema validation error: Required field 'ExecutionArn' is missing"},
		{"STRICT", `{"ExecutionArn":"a","StartDate":"2026-01-01T00:00:00Z","Extra":1}`, ""},
		{"PRESENT", `{}`, ""},
		{"PRESENT", `{"StartDate":7}`, "Mock result schema validation error: Field 'StartDate' must be a string"},
		{"NONE", `{"StartDate":7}`, ""},
	} {
		_, err := statelang.TestState(&statelang.TestInput{Definition: def,
			Mock: &statelang.TestMock{Result: str(tc.result), FieldValidationMode: tc.mode}}, testEnv())
		got := ""
		if err != nil {
			got = err.(*statelang.TestError).Message
		}
		if got != tc.want {
			t.Errorf("TestState(mock %s, %q) = %q; want %q", tc.result, tc.mode, got, tc.want)
		}
	}
}

// FuzzTestState: no definition, input, context or mock makes TestState
// panic.
func FuzzTestState(f *testing.F) {
	f.Add(`{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Retry":[{"ErrorEquals":["States.ALL"]}],"End":true}`, "", `{"a":1}`, `{"Payload":1}`, `{}`)
	f.Add(`{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.x","ItemReader":{},"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}}}`, "M", `{"x":[1]}`, `[1]`, `{"Execution":{"Id":"x"}}`)
	f.Add(`{"Type":"Parallel","QueryLanguage":"JSONata","Branches":[{"StartAt":"B","States":{"B":{"Type":"Succeed"}}}],"Output":"{% $states.result %}","End":true}`, "", `[]`, `[2]`, `{"Task":{}}`)
	f.Fuzz(func(t *testing.T, def, name, input, result, ctx string) {
		in := &statelang.TestInput{Definition: def, StateName: name, Input: &input, Context: &ctx, Level: statelang.LevelTrace,
			Mock: &statelang.TestMock{Result: &result}, Config: statelang.TestConfig{MapIterationFailureCount: i64(1), MapItemReaderData: &result}}
		_, _ = statelang.TestState(in, testEnv())
		in.Mock, in.Config = &statelang.TestMock{Error: &statelang.Failure{Name: "E"}}, statelang.TestConfig{RetrierRetryCount: i64(1)}
		_, _ = statelang.TestState(in, testEnv())
	})
}
