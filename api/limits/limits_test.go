package limits

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	stepwisev1 "github.com/stepwise-dev/stepwise/api/gen/stepwise/v1"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		field, value string
		code         string // "": no problem
	}{
		{"name", "ok-name_1", ""},
		{"name", strings.Repeat("n", 80), ""},
		{"name", strings.Repeat("n", 81), "ValidationException"},
		{"name", "a b", "InvalidName"},
		{"name", "a\x00", "ValidationException"},
		{"input", `{"a":"x\u0000y"}`, ""}, // an escaped NUL in a document is stored as it came
		{"input", strings.Repeat("x", PayloadBytes), ""},
		{"input", strings.Repeat("x", PayloadBytes+1), "ValidationException"},
		{"output", strings.Repeat("é", PayloadBytes/2+1), "ValidationException"}, // bytes, not characters
		{"definition", `{"StartAt":"A\u0000"}`, "InvalidDefinition"},
		{"definition", `{"Comment":"\\u0000 is text here"}`, ""},
		{"definition", strings.Repeat(" ", DefinitionBytes+1), "ValidationException"},
		{"error", strings.Repeat("e", ErrorChars), ""},
		{"error", strings.Repeat("e", ErrorChars+1), "ValidationException"},
		{"cause", strings.Repeat("c", CauseChars+1), "ValidationException"},
		{"cause", "a\x00b", "ValidationException"},
		{"role_arn", strings.Repeat("r", ARNChars+1), "ValidationException"},
		{"roleArn", strings.Repeat("r", ARNChars+1), "ValidationException"},
		{"page_token", "t\x00", "ValidationException"}, // any field: no NUL
		{"page_token", strings.Repeat("t", 5000), ""},
	} {
		p := Check(c.field, c.value)
		got := ""
		if p != nil {
			got = p.Code
			if !strings.Contains(p.Message, c.field) && p.Code != "InvalidDefinition" {
				t.Errorf("Check(%q, …).Message = %q; want it to name the field", c.field, p.Message)
			}
			if len(p.Message) > 400 {
				t.Errorf("Check(%q, …).Message is %d bytes; want the value not echoed", c.field, len(p.Message))
			}
		}
		if got != c.code {
			t.Errorf("Check(%q, %.40q) = %v; want code %q", c.field, c.value, p, c.code)
		}
	}
}

func TestBodyAndJSON(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		body  string
		field string // "": no problem
	}{
		{`{"name":"n","input":"{\"a\":\"x\\u0000\"}"}`, ""},
		{`{"executionArn":"arn:x\u0000"}`, "executionArn"},
		{`{"resourceArn":"a","tags":[{"key":"k\u0000","value":"v"}]}`, "tags"},
		{`{"definition":"{\"States\":{\"A\\u0000\":{}}}"}`, "definition"},
		{`{"cause":"\\u0000"}`, ""}, // the text \u0000, not a NUL
	} {
		p := Body([]byte(c.body))
		got := ""
		if p != nil {
			got = p.Field
		}
		if got != c.field {
			t.Errorf("Body(%s) = %v; want a problem with field %q", c.body, p, c.field)
		}
	}
	if p := JSON([]byte(`{"name":"n","cause":"` + strings.Repeat("c", CauseChars+1) + `"}`)); p == nil || p.Field != "cause" {
		t.Errorf("JSON(a long cause) = %v; want a problem with the cause", p)
	}
	if p := URL("/v1/executions/a\x00b", ""); p == nil {
		t.Errorf("URL(a path with a NUL) = nil; want a problem")
	}
	if p := URL("/v1/executions", "state_machine_name=a%00"); p == nil || p.Field != "state_machine_name" {
		t.Errorf("URL(a query with a NUL) = %v; want a problem naming state_machine_name", p)
	}
}

func TestProto(t *testing.T) {
	t.Parallel()
	long := &stepwisev1.StopExecutionRequest{Arn: "arn", Cause: strings.Repeat("c", CauseChars+1)}
	if p := Proto(long, false); p == nil || p.Field != "cause" {
		t.Fatalf("Proto(StopExecution with a long cause) = %v; want a problem with the cause", p)
	} else if st, _ := status.FromError(p.Status()); st.Code() != codes.InvalidArgument || len(st.Details()) != 1 {
		t.Errorf("Status() = %v %v; want InvalidArgument with one BadRequest detail", st.Code(), st.Details())
	}
	// The name of an existing machine may be qualified; a new one may not.
	if p := Proto(&stepwisev1.DescribeStateMachineRequest{Name: "m:alias"}, false); p != nil {
		t.Errorf("Proto(DescribeStateMachine m:alias) = %v; want nil", p)
	}
	if p := Proto(&stepwisev1.CreateStateMachineRequest{Name: "m:alias", Definition: "{}"}, true); p == nil || p.Code != "InvalidName" {
		t.Errorf("Proto(CreateStateMachine m:alias) = %v; want InvalidName", p)
	}
	for m, want := range map[string]bool{
		"/stepwise.v1.StateMachineService/CreateStateMachine":   true,
		"/stepwise.v1.ExecutionService/StartExecution":          true,
		"/stepwise.v1.ExecutionService/StartSyncExecution":      true,
		"/stepwise.v1.StateMachineService/DescribeStateMachine": false,
	} {
		if got := creates(m); got != want {
			t.Errorf("creates(%q) = %v; want %v", m, got, want)
		}
	}
}
