package awsjson_test

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestProtocol checks the wire format: unknown operations, the error shape,
// timestamps as epoch seconds, and that SigV4 headers are accepted.
func TestProtocol(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)

	code, body := call(t, ts.URL, "FlyToTheMoon", map[string]any{})
	if code != 400 || body["__type"] != "UnknownOperationException" {
		t.Errorf("FlyToTheMoon = %d %v; want 400 UnknownOperationException", code, body)
	}

	code, body = call(t, ts.URL, "CreateStateMachine", map[string]any{"name": "m", "definition": passDefinition, "roleArn": role})
	if code != 200 {
		t.Fatalf("CreateStateMachine = %d %v", code, body)
	}
	if _, ok := body["creationDate"].(float64); !ok {
		t.Errorf("creationDate = %#v; want epoch seconds (a JSON number)", body["creationDate"])
	}
	code, body = call(t, ts.URL, "StartExecution", map[string]any{"stateMachineArn": body["stateMachineArn"], "name": "x", "input": `{"a":1}`})
	if code != 200 || !strings.HasSuffix(body["executionArn"].(string), ":execution:m:x") {
		t.Fatalf("StartExecution = %d %v", code, body)
	}

	code, body = call(t, ts.URL, "ListExecutions", map[string]any{"stateMachineArn": "arn:aws:states:us-east-1:111111111111:stateMachine:m", "maxResults": 1001, "statusFilter": "done"})
	want := "2 validation errors detected: Value 'done' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]; Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000"
	if code != 400 || body["__type"] != "ValidationException" || body["message"] != want {
		t.Errorf("ListExecutions(bad) = %d %v; want ValidationException %q", code, body, want)
	}

	code, body = call(t, ts.URL, "ValidateStateMachineDefinition", map[string]any{"definition": `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}}`})
	diags, _ := body["diagnostics"].([]any)
	if code != 200 || body["result"] != "FAIL" || len(diags) != 2 {
		t.Fatalf("ValidateStateMachineDefinition = %d %v; want FAIL with two diagnostics (the missing target, no terminal state)", code, body)
	}
	d := diags[0].(map[string]any)
	if d["severity"] != "ERROR" || d["location"] != "/States/A/Next" || d["code"] == "" || d["message"] == "" {
		t.Errorf("diagnostic = %v; want ERROR at /States/A/Next", d)
	}
	// Warnings come with severity WARNING only, and leave the result OK.
	noDollar := `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"a":"$.x"},"End":true}}}`
	for sev, n := range map[string]int{"ERROR": 0, "WARNING": 1} {
		code, body = call(t, ts.URL, "ValidateStateMachineDefinition", map[string]any{"definition": noDollar, "severity": sev})
		diags, _ = body["diagnostics"].([]any)
		if code != 200 || body["result"] != "OK" || len(diags) != n {
			t.Errorf("ValidateStateMachineDefinition(severity %s) = %d %v; want OK with %d diagnostics", sev, code, body, n)
		} else if n == 1 {
			if d := diags[0].(map[string]any); d["severity"] != "WARNING" || d["code"] != "NO_DOLLAR" || d["location"] != "/States/A/Parameters/a" {
				t.Errorf("diagnostic = %v; want WARNING NO_DOLLAR at /States/A/Parameters/a", d)
			}
		}
	}
}

// TestActivities runs an activity task through the AWS protocol: create
// and describe the activity, start a machine whose Task is the activity, a
// worker long-polls GetActivityTask and answers with SendTaskSuccess.
func TestActivities(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	code, body := call(t, ts.URL, "CreateActivity", map[string]any{"name": "approve"})
	if code != 200 {
		t.Fatalf("CreateActivity = %d %v", code, body)
	}
	actARN, _ := body["activityArn"].(string)
	if !strings.HasSuffix(actARN, ":activity:approve") {
		t.Fatalf("activityArn = %q; want ...:activity:approve", actARN)
	}
	if code, body = call(t, ts.URL, "DescribeActivity", map[string]any{"activityArn": actARN}); code != 200 || body["name"] != "approve" {
		t.Errorf("DescribeActivity = %d %v; want the activity", code, body)
	}
	if code, body = call(t, ts.URL, "ListActivities", map[string]any{}); code != 200 || len(body["activities"].([]any)) != 1 {
		t.Errorf("ListActivities = %d %v; want one activity", code, body)
	}
	def := `{"StartAt":"Approve","States":{"Approve":{"Type":"Task","Resource":"` + actARN + `","End":true}}}`
	code, body = call(t, ts.URL, "CreateStateMachine", map[string]any{"name": "approval", "definition": def, "roleArn": role})
	if code != 200 {
		t.Fatalf("CreateStateMachine = %d %v", code, body)
	}
	code, body = call(t, ts.URL, "StartExecution", map[string]any{"stateMachineArn": body["stateMachineArn"], "input": `{"amount":12}`})
	if code != 200 {
		t.Fatalf("StartExecution = %d %v", code, body)
	}
	execARN := body["executionArn"]
	code, body = call(t, ts.URL, "GetActivityTask", map[string]any{"activityArn": actARN, "workerName": "w1"})
	token, _ := body["taskToken"].(string)
	if code != 200 || token == "" || body["input"] != `{"amount":12}` {
		t.Fatalf("GetActivityTask = %d %v; want the task with its input", code, body)
	}
	if code, body = call(t, ts.URL, "SendTaskSuccess", map[string]any{"taskToken": token, "output": `{"approved":true}`}); code != 200 {
		t.Fatalf("SendTaskSuccess = %d %v", code, body)
	}
	for i := 0; i < 200; i++ {
		_, body = call(t, ts.URL, "DescribeExecution", map[string]any{"executionArn": execARN})
		if body["status"] != "RUNNING" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if body["status"] != "SUCCEEDED" || body["output"] != `{"approved":true}` {
		t.Errorf("DescribeExecution = %v; want SUCCEEDED with the activity's output", body)
	}
	if code, body = call(t, ts.URL, "SendTaskSuccess", map[string]any{"taskToken": token, "output": `{}`}); body["__type"] != "TaskTimedOut" {
		t.Errorf("second SendTaskSuccess = %d %v; want TaskTimedOut", code, body)
	}
	if code, body = call(t, ts.URL, "SendTaskSuccess", map[string]any{"taskToken": "1-1-00000000000000000000000000000000", "output": `{}`}); body["__type"] != "InvalidToken" {
		t.Errorf("forged SendTaskSuccess = %d %v; want InvalidToken", code, body)
	}
}

// corpusErrorCases are the AWS-recorded api_error scenarios of
// ../shared/conformance/corpus.json this endpoint reproduces, and what each
// needs first: "machine" (the state machine of the request exists),
// "execution" (and an execution of the request's name, with other input).
var corpusErrorCases = map[string]string{
	"test_sfn_api.py::TestSnfApi::test_describe_nonexistent_sm#describe_nonexistent_sm":                                   "",
	"test_sfn_api.py::TestSnfApi::test_start_execution_idempotent#start_exec_already_exists":                              "execution",
	"test_sfn_api.py::TestSnfApi::test_list_execution_no_such_state_machine#exception":                                    "",
	"test_sfn_api.py::TestSnfApi::test_list_executions_pagination#list-executions-invalid-param-too-large":                "machine",
	"test_sfn_api.py::TestSnfApi::test_list_executions_versions_pagination#list-executions-invalid-param-too-large":       "machine",
	"test_sfn_api.py::TestSnfApi::test_list_executions_versions_pagination#list-executions-invalid-param-long-nextToken":  "machine",
	"test_sfn_api.py::TestSnfApi::test_invalid_start_execution_arn#start_exec_of_deleted":                                 "",
	"test_sfn_api.py::TestSnfApi::test_invalid_start_execution_input#start_exec_not_json_inp":                             "machine",
	"test_sfn_api.py::TestSnfApi::test_describe_execution_no_such_state_machine#exception":                                "",
	"test_sfn_api.py::TestSnfApi::test_get_execution_history_invalid_arn#exception":                                       "",
	"test_sfn_api.py::TestSnfApi::test_state_machine_status_filter#list_executions_filter_exc":                            "machine",
	"test_sfn_api_express.py::TestSfnApiExpress::test_start_async_describe_history_execution#describe_execution_error":    "",
	"test_sfn_api_express.py::TestSfnApiExpress::test_start_async_describe_history_execution#stop_execution_error":        "",
	"test_sfn_api_express.py::TestSfnApiExpress::test_start_async_describe_history_execution#get_execution_history_error": "",
	"test_sfn_api_express.py::TestSfnApiExpress::test_illegal_callbacks[WAIT_FOR_TASK_TOKEN]#creation_error":              "",
	"test_sfn_api_express.py::TestSfnApiExpress::test_illegal_callbacks[SYNC]#creation_error":                             "",
	"test_sfn_api_express.py::TestSfnApiExpress::test_illegal_activity_task#creation_error":                               "",
	"test_sfn_api.py::TestSnfApi::test_create_delete_invalid_sm#invalid_definition_1":                                     "",
	"test_sfn_api.py::TestSnfApi::test_create_duplicate_sm_name#already_exists_1":                                         "machine",
	"test_sfn_api_logs.py::TestSnfApiLogs::test_invalid_logging_configuration[logging_configuration1]#exception":          "",
	"test_sfn_api_logs.py::TestSnfApiLogs::test_update_logging_configuration#exception_invalid":                           "machine",
	"test_sfn_api_tagging.py::TestSnfApiTagging::test_tag_state_machine_version#error":                                    "machine",
	"test_sfn_api_versioning.py::TestSnfApiVersioning::test_update_state_machine#invalid_arn_1":                           "machine",
	"test_sfn_api_versioning.py::TestSnfApiVersioning::test_update_state_machine#invalid_arn_2":                           "machine",
	"test_sfn_api_activities.py::TestSnfApiActivities::test_create_activity_invalid_name[activity name]#invalid_name":     "",
	"test_sfn_api_activities.py::TestSnfApiActivities::test_create_activity_invalid_name[activity}name]#invalid_name":     "",
	"test_sfn_api_activities.py::TestSnfApiActivities::test_create_activity_invalid_name[activity[name]#invalid_name":     "",
	"test_sfn_api_activities.py::TestSnfApiActivities::test_create_activity_invalid_name[activity?name]#invalid_name":     "",
	"test_sfn_api_activities.py::TestSnfApiActivities::test_create_activity_invalid_name[activity%name]#invalid_name":     "",
	"test_sfn_api_activities.py::TestSnfApiActivities::test_create_activity_invalid_name[activity^name]#invalid_name":     "",
	"test_sfn_api_activities.py::TestSnfApiActivities::test_create_activity_invalid_name[activity~name]#invalid_name":     "",
	"test_sfn_api_activities.py::TestSnfApiActivities::test_create_activity_invalid_name[activity`name]#invalid_name":     "",
	"test_sfn_api_activities.py::TestSnfApiActivities::test_create_activity_invalid_name[activity&name]#invalid_name":     "",
	"test_sfn_api_activities.py::TestSnfApiActivities::test_create_activity_invalid_name[activity,name]#invalid_name":     "",
	"test_sfn_api_activities.py::TestSnfApiActivities::test_create_activity_invalid_name[activity;name]#invalid_name":     "",
	`test_sfn_api_activities.py::TestSnfApiActivities::test_create_activity_invalid_name[activity\x1f]#invalid_name`:      "",
}

// snapshotLabels are the names LocalStack's recorder put in messages in
// place of the ARN of the request.
var snapshotLabels = []string{"'sm_nonexistent_arn'", "'ssm_nonexistent_arn'", "'invalid_execution_arn'", "'activity_arn'"}

type corpusScenario struct {
	ID           string         `json:"id"`
	Kind         string         `json:"kind"`
	Operation    string         `json:"operation"`
	Request      map[string]any `json:"request"`
	Placeholders []string       `json:"placeholders"`
	Expected     struct {
		ErrorCode    string `json:"error_code"`
		ErrorMessage string `json:"error_message"`
		HTTPStatus   *int   `json:"http_status"`
	} `json:"expected"`
}

// TestCorpusAPIErrors replays the AWS-recorded API errors of the shared
// conformance corpus and compares code, HTTP status and message (with the
// recorded placeholders as wildcards). It skips when ../shared is absent.
func TestCorpusAPIErrors(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../../shared/conformance/corpus.json")
	if err != nil {
		t.Skipf("conformance corpus not available: %v", err)
	}
	var corpus struct {
		Scenarios []corpusScenario `json:"scenarios"`
	}
	if err := json.Unmarshal(raw, &corpus); err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, sc := range corpus.Scenarios {
		setup, ok := corpusErrorCases[sc.ID]
		if !ok || sc.Kind != "api_error" {
			continue
		}
		found++
		t.Run(sc.ID, func(t *testing.T) {
			ts, _ := newServer(t) // each case on its own database schema
			op := operationName(sc.Operation)
			req := sc.Request
			arn, _ := req["stateMachineArn"].(string)
			if r, ok := req["resourceArn"].(string); ok {
				arn = r
			}
			if setup != "" {
				name, _ := req["name"].(string) // CreateStateMachine
				if parts := strings.Split(arn, ":"); len(parts) > 6 {
					name = parts[6]
				}
				code, body := call(t, ts.URL, "CreateStateMachine", map[string]any{"name": name, "definition": passDefinition, "roleArn": role})
				if code != 200 {
					t.Fatalf("setup CreateStateMachine = %d %v", code, body)
				}
				if setup == "execution" {
					call(t, ts.URL, "StartExecution", map[string]any{"stateMachineArn": arn, "name": req["name"], "input": "{}"})
				}
			}
			code, body := call(t, ts.URL, op, req)
			if body["__type"] != sc.Expected.ErrorCode {
				t.Fatalf("%s(%v) = %d %v; want %s", op, req, code, body, sc.Expected.ErrorCode)
			}
			if sc.Expected.HTTPStatus != nil && code != *sc.Expected.HTTPStatus {
				t.Errorf("%s: HTTP status %d; want %d", op, code, *sc.Expected.HTTPStatus)
			}
			want := sc.Expected.ErrorMessage
			for _, l := range snapshotLabels {
				for _, k := range []string{"stateMachineArn", "executionArn", "activityArn"} {
					if s, ok := req[k].(string); ok {
						want = strings.ReplaceAll(want, l, "'"+s+"'")
					}
				}
			}
			if msg, _ := body["message"].(string); !placeholderMatch(want, msg, sc.Placeholders) {
				t.Errorf("%s message = %q; want %q", op, msg, want)
			}
		})
	}
	if found != len(corpusErrorCases) {
		t.Errorf("found %d of the %d listed corpus cases", found, len(corpusErrorCases))
	}
}

// operationName turns "stepfunctions.create_state_machine" into
// "CreateStateMachine".
func operationName(s string) string {
	_, s, _ = strings.Cut(s, ".")
	var b strings.Builder
	for _, w := range strings.Split(s, "_") {
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}

// placeholderMatch compares a recorded message with placeholders (and
// "<partition>", "<region>", the recorded account) as wildcards.
func placeholderMatch(want, got string, placeholders []string) bool {
	pattern := regexp.QuoteMeta(want)
	for _, p := range append(placeholders, "<partition>", "<region>") {
		pattern = strings.ReplaceAll(pattern, regexp.QuoteMeta(p), ".+?")
	}
	return regexp.MustCompile("^" + pattern + "$").MatchString(got)
}
