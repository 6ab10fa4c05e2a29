package awsjson_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/api/awsjson"
	"github.com/stepwise-dev/stepwise/internal/conformance"
	"github.com/stepwise-dev/stepwise/statelang"
)

// testStateServer serves the AWS endpoint with no engine: TestState needs
// none.
func testStateServer(t *testing.T) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(awsjson.New(awsjson.Config{}))
	t.Cleanup(ts.Close)
	return ts
}

// TestTestState checks TestState's answer over the wire: JSON texts for the
// state's values, AWS's statuses and errors.
func TestTestState(t *testing.T) {
	t.Parallel()
	ts := testStateServer(t)
	task := `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f","Payload.$":"$"},
	  "ResultSelector":{"p.$":"$.Payload"},"ResultPath":"$.r",
	  "Retry":[{"ErrorEquals":["Busy"],"IntervalSeconds":2,"BackoffRate":3,"MaxAttempts":2}],
	  "Catch":[{"ErrorEquals":["States.ALL"],"Next":"Handle"}],"Next":"After"}`
	for _, tc := range []struct {
		name string
		req  map[string]any
		want map[string]any
	}{
		{"mocked result", map[string]any{"definition": task, "input": `{"a":1}`, "inspectionLevel": "DEBUG",
			"mock": map[string]any{"result": `{"Payload":[1,2.5]}`}},
			map[string]any{"status": "SUCCEEDED", "nextState": "After", "output": `{"a":1,"r":{"p":[1,2.5]}}`,
				"inspectionData": map[string]any{"input": `{"a":1}`, "afterInputPath": `{"a":1}`,
					"afterParameters": `{"FunctionName":"f","Payload":{"a":1}}`, "result": `{"Payload":[1,2.5]}`,
					"afterResultSelector": `{"p":[1,2.5]}`, "afterResultPath": `{"a":1,"r":{"p":[1,2.5]}}`}}},
		{"retried", map[string]any{"definition": task, "inspectionLevel": "TRACE",
			"mock":               map[string]any{"errorOutput": map[string]any{"error": "Busy", "cause": "try later"}},
			"stateConfiguration": map[string]any{"retrierRetryCount": 1}},
			map[string]any{"status": "RETRIABLE", "error": "Busy", "cause": "try later",
				"inspectionData": map[string]any{"input": `{}`, "afterInputPath": `{}`, "afterParameters": `{"FunctionName":"f","Payload":{}}`,
					"errorDetails": map[string]any{"retryIndex": float64(0), "retryBackoffIntervalSeconds": float64(6)}}}},
		{"retries spent, caught", map[string]any{"definition": task, "inspectionLevel": "INFO",
			"mock":               map[string]any{"errorOutput": map[string]any{"error": "Busy", "cause": "still"}},
			"stateConfiguration": map[string]any{"retrierRetryCount": 2}},
			map[string]any{"status": "CAUGHT_ERROR", "error": "Busy", "cause": "still", "nextState": "Handle",
				"output": `{"Error":"Busy","Cause":"still"}`}},
		{"state of a machine", map[string]any{"definition": `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Result":7,"End":true}}}`,
			"stateName": "B", "input": `[1]`},
			map[string]any{"status": "SUCCEEDED", "output": `7`}},
		{"choice", map[string]any{"definition": `{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":1,"Next":"Big"}],"Default":"Small"}`,
			"input": `{"n":2}`},
			map[string]any{"status": "SUCCEEDED", "nextState": "Big", "output": `{"n":2}`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, got := call(t, ts.URL, "TestState", tc.req)
			if code != http.StatusOK {
				t.Fatalf("TestState = %d %v", code, got)
			}
			if problems := diff(tc.want, got, "response"); len(problems) > 0 {
				t.Errorf("TestState(%s) = %v; %s", tc.name, got, strings.Join(problems, "; "))
			}
		})
	}
}

// diff compares two decoded JSON values, strings holding JSON as values.
func diff(want, got any, path string) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{path + ": not an object"}
		}
		var out []string
		for k := range g {
			if _, ok := w[k]; !ok {
				out = append(out, path+"."+k+": unexpected")
			}
		}
		for k, v := range w {
			out = append(out, diff(v, g[k], path+"."+k)...)
		}
		return out
	case string:
		g, ok := got.(string)
		var wv, gv any
		if ok && (g == w || json.Unmarshal([]byte(w), &wv) == nil && json.Unmarshal([]byte(g), &gv) == nil && reflect.DeepEqual(wv, gv)) {
			return nil
		}
	default:
		if want == got {
			return nil
		}
	}
	return []string{path + ": got " + short(got) + ", want " + short(want)}
}

func short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}

// TestTestStateRefusals checks the requests AWS refuses, with its codes and
// messages.
func TestTestStateRefusals(t *testing.T) {
	t.Parallel()
	ts := testStateServer(t)
	for _, tc := range []struct {
		req        map[string]any
		code, text string
	}{
		{map[string]any{}, "ValidationException", "Value null at 'definition' failed to satisfy constraint: Member must not be null"},
		{map[string]any{"definition": `{"Type":"Pass","End":true}`, "inspectionLevel": "ALL"}, "ValidationException", "Member must satisfy enum value set: [INFO, DEBUG, TRACE]"},
		{map[string]any{"definition": `{"Type":"Pass","Next":1}`}, "InvalidDefinition", "Invalid State Machine Definition"},
		{map[string]any{"definition": `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`, "stateName": "B"}, "ValidationException", "State not found in definition"},
		{map[string]any{"definition": `{"Type":"Succeed"}`, "mock": map[string]any{"result": `1`}}, "ValidationException", "State type 'Succeed' is not supported when a mock is specified"},
		{map[string]any{"definition": `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}`}, "ValidationException", "RoleArn must be specified when testing a Task state"},
		{map[string]any{"definition": `{"Type":"Parallel","Branches":[{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}],"End":true}`}, "InvalidDefinition", "TestState API does not support Map or Parallel states"},
		{map[string]any{"definition": `{"Type":"Parallel","Branches":[{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}],"End":true}`, "mock": map[string]any{"result": `[1,2]`}}, "ValidationException", "Mocked result must contain the same number of items as number of Parallel branches."},
		{map[string]any{"definition": `{"Type":"Pass","End":true}`, "context": `{"Execution":{"Name":3}}`}, "ValidationException", "Invalid Context object provided: Execution.Name must be a string"},
		{map[string]any{"definition": `{"Type":"Pass","End":true}`, "input": `{`}, "InvalidExecutionInput", "Invalid State Machine Execution Input"},
	} {
		code, got := call(t, ts.URL, "TestState", tc.req)
		msg, _ := got["message"].(string)
		if code != http.StatusBadRequest || got["__type"] != tc.code || !strings.Contains(msg, tc.text) {
			t.Errorf("TestState(%v) = %d %v; want %s containing %q", tc.req, code, got, tc.code, tc.text)
		}
	}
}

// TestTestStateHostPrefix: AWS clients send TestState and
// StartSyncExecution to a "sync-" prefixed host; the endpoint answers
// whatever the Host header says.
func TestTestStateHostPrefix(t *testing.T) {
	t.Parallel()
	ts := testStateServer(t)
	r, _ := http.NewRequest(http.MethodPost, ts.URL+"/", strings.NewReader(`{"definition":"{\"Type\":\"Pass\",\"End\":true}"}`))
	r.Host = "sync-localhost"
	r.Header.Set("Content-Type", "application/x-amz-json-1.0")
	r.Header.Set("X-Amz-Target", "AWSStepFunctions.TestState")
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("TestState to Host sync-localhost = %d; want 200", resp.StatusCode)
	}
}

// TestTestStateCorpus replays the AWS-recorded TestState calls of the
// shared conformance corpus (run.py --test-state's selection: a Task
// without a mock calls AWS and is left out) and compares the whole
// response. It skips when ../shared is absent.
func TestTestStateCorpus(t *testing.T) {
	t.Parallel()
	scs := conformance.LoadOrSkip(t)
	ts := testStateServer(t)
	names := conformance.Names{Account: "111111111111", Region: "us-east-1", Partition: "aws"}
	ran, failed := 0, 0
	for _, sc := range scs {
		if sc.Kind != "test_state" || !sc.AWSValidated || len(sc.SkipReasons) > 0 || sc.TestStateRequest == nil || callsAWS(sc) {
			continue
		}
		req := map[string]any{"definition": sc.Definition}
		if sc.Input != nil {
			req["input"] = *sc.Input
		}
		for k, v := range sc.TestStateRequest {
			req[k] = v
		}
		ran++
		got := testStateCall(t, ts.URL, req)
		if problems := conformance.CompareTestState(sc, got, names); len(problems) > 0 {
			failed++
			t.Errorf("%s: %s", sc.ID, strings.Join(problems, "; "))
		}
	}
	t.Logf("TestState corpus: %d of %d passed", ran-failed, ran)

	// The TestState calls AWS refused, mocked results that do not fit the
	// called API's response shape among them.
	ran, failed = 0, 0
	for _, sc := range scs {
		if sc.Kind != "api_error" || sc.Operation != "stepfunctions.test_state" || !sc.AWSValidated || sc.Request == nil {
			continue
		}
		code, _ := sc.Expected["error_code"].(string)
		msg, _ := sc.Expected["error_message"].(string)
		if code == "ParamValidationError" { // the SDK refused it before sending
			continue
		}
		ran++
		got := testStateCall(t, ts.URL, sc.Request)
		if got["__type"] != code || got["message"] != msg {
			failed++
			t.Errorf("%s: TestState = %v; want %s %q", sc.ID, got, code, msg)
		}
	}
	t.Logf("TestState refusals: %d of %d passed", ran-failed, ran)
}

// testStateCall calls TestState and decodes the answer keeping each
// number's type (1.0 stays a float).
func testStateCall(t *testing.T, url string, req map[string]any) map[string]any {
	t.Helper()
	body, _ := json.Marshal(req)
	r, _ := http.NewRequest(http.MethodPost, url+"/", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/x-amz-json-1.0")
	r.Header.Set("X-Amz-Target", "AWSStepFunctions.TestState")
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	v, err := statelang.ParseJSON(raw)
	m, ok := v.(map[string]any)
	if err != nil || !ok {
		t.Fatalf("TestState answered %q", raw)
	}
	return m
}

// callsAWS reports whether a TestState scenario tests a Task without a
// mock: AWS called the real resource.
func callsAWS(sc *conformance.Scenario) bool {
	if _, ok := sc.TestStateRequest["mock"]; ok {
		return false
	}
	var def map[string]any
	if json.Unmarshal([]byte(sc.Definition), &def) != nil {
		return false
	}
	name, _ := sc.TestStateRequest["stateName"].(string)
	st := def
	if name != "" {
		st = findState(def, name)
	}
	return st != nil && st["Type"] == "Task"
}

// findState finds a state by name in a machine given as JSON, its Parallel
// branches and Map processors.
func findState(m map[string]any, name string) map[string]any {
	states, _ := m["States"].(map[string]any)
	if st, ok := states[name].(map[string]any); ok {
		return st
	}
	for _, v := range states {
		st, _ := v.(map[string]any)
		var subs []any
		subs, _ = st["Branches"].([]any)
		for _, k := range []string{"ItemProcessor", "Iterator"} {
			if p, ok := st[k]; ok {
				subs = append(subs, p)
			}
		}
		for _, sub := range subs {
			if sm, ok := sub.(map[string]any); ok {
				if found := findState(sm, name); found != nil {
					return found
				}
			}
		}
	}
	return nil
}

// TestTestStateSlowExpressions: the JSONata expressions of a tested state
// share 2 s (each of these ten takes about one); past that the state fails
// with States.QueryEvaluationError instead of holding the request.
func TestTestStateSlowExpressions(t *testing.T) {
	t.Parallel()
	ts := testStateServer(t)
	out := map[string]any{}
	for i := range 10 {
		out[fmt.Sprintf("k%d", i)] = fmt.Sprintf("{%% $count([1..1000000].($ * %d)) %%}", i+2)
	}
	def, _ := json.Marshal(map[string]any{"Type": "Pass", "QueryLanguage": "JSONata", "Output": out, "End": true})
	start := time.Now()
	code, got := call(t, ts.URL, "TestState", map[string]any{"definition": string(def)})
	if code != http.StatusOK || got["status"] != "FAILED" || got["error"] != "States.QueryEvaluationError" {
		t.Errorf("TestState of 10 slow expressions = %d %v; want FAILED with States.QueryEvaluationError", code, got)
	}
	t.Logf("10 slow expressions: %v, %v %v", time.Since(start).Round(time.Millisecond), got["status"], got["cause"])
}
