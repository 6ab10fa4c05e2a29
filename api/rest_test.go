package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/internal/testserver"
)

func newRequest(t *testing.T, method, u, body string) *http.Request {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// do makes one REST call and decodes the JSON answer.
func do(t *testing.T, method, u, body string) (int, map[string]any) {
	t.Helper()
	resp, err := testserver.HTTPClient.Do(newRequest(t, method, u, body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: %q is not a JSON object", method, u, raw)
	}
	return resp.StatusCode, out
}

func dig(v any, path ...string) any {
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	return v
}

// TestREST drives the REST gateway with plain HTTP/JSON: create, describe,
// start, describe, history, list with a filter, a callback, stop and the
// error answers.
func TestREST(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	base := srv.HTTPURL + "/v1"

	code, body := do(t, "POST", base+"/state-machines", `{"name":"hello","definition":`+jsonString(passDef)+`}`)
	if code != 200 || dig(body, "stateMachine", "version") != 1.0 {
		t.Fatalf("POST /v1/state-machines = %d %v", code, body)
	}
	code, body = do(t, "POST", base+"/state-machines", `{"name":"bad","definition":"{}"}`)
	if code != 400 || !strings.Contains(body["message"].(string), "invalid definition") {
		t.Errorf("POST bad definition = %d %v; want 400 invalid definition", code, body)
	}
	code, body = do(t, "POST", base+"/state-machines:validate", `{"definition":"{\"StartAt\":\"X\",\"States\":{}}"}`)
	if code != 200 || body["result"] != "FAIL" {
		t.Errorf("POST :validate = %d %v", code, body)
	}
	code, body = do(t, "GET", base+"/state-machines/hello", "")
	if code != 200 || dig(body, "stateMachine", "definition") != passDef {
		t.Errorf("GET /v1/state-machines/hello = %d %v", code, body)
	}
	code, body = do(t, "PUT", base+"/state-machines/hello", `{"definition":`+jsonString(passDef2)+`}`)
	if code != 200 || dig(body, "stateMachine", "version") != 2.0 {
		t.Errorf("PUT = %d %v", code, body)
	}
	code, _ = do(t, "GET", base+"/state-machines/nope", "")
	if code != 404 {
		t.Errorf("GET unknown machine = %d; want 404", code)
	}

	code, body = do(t, "POST", base+"/state-machines/hello/executions", `{"name":"r1","input":"{\"big\":9007199254740993}"}`)
	if code != 200 {
		t.Fatalf("POST executions = %d %v", code, body)
	}
	arn := dig(body, "execution", "arn").(string)
	var x map[string]any
	for deadline := time.Now().Add(20 * time.Second); ; {
		code, x = do(t, "GET", base+"/executions/"+arn, "")
		if code != 200 {
			t.Fatalf("GET execution = %d %v", code, x)
		}
		if dig(x, "execution", "status") != "EXECUTION_STATUS_RUNNING" || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if dig(x, "execution", "status") != "EXECUTION_STATUS_SUCCEEDED" || dig(x, "execution", "output") != `{"big":9007199254740993,"r":{"v":2}}` {
		t.Errorf("GET execution = %v", x)
	}
	code, body = do(t, "GET", base+"/executions/"+url.PathEscape(arn)+"/history?pageSize=2", "")
	if evs, _ := body["events"].([]any); code != 200 || len(evs) != 2 || body["nextPageToken"] == "" || dig(evs[0], "type") != "ExecutionStarted" {
		t.Errorf("GET history = %d %v", code, body)
	}
	code, body = do(t, "GET", base+"/executions/"+arn+"/state-machine", "")
	if code != 200 || dig(body, "stateMachine", "version") != 2.0 {
		t.Errorf("GET execution state machine = %d %v", code, body)
	}
	code, body = do(t, "GET", base+"/executions?filter="+url.QueryEscape(`input.big > 9007199254740992 && state_machine == "hello"`), "")
	if evs, _ := body["executions"].([]any); code != 200 || len(evs) != 1 {
		t.Errorf("GET executions?filter = %d %v", code, body)
	}
	code, body = do(t, "GET", base+"/executions?filter="+url.QueryEscape(`input.big >`), "")
	if code != 400 || !strings.Contains(body["message"].(string), "filter:1:") {
		t.Errorf("GET executions?filter=bad = %d %v; want 400 with the position", code, body)
	}
	code, _ = do(t, "GET", base+"/executions/arn:aws:states:us-east-1:111111111111:execution:hello:nope", "")
	if code != 404 {
		t.Errorf("GET unknown execution = %d; want 404", code)
	}

	// A callback, over REST.
	do(t, "POST", base+"/state-machines", `{"name":"cb","definition":`+jsonString(callbackDef)+`}`)
	_, body = do(t, "POST", base+"/state-machines/cb/executions", `{"input":"{\"order\":1}"}`)
	cbARN := dig(body, "execution", "arn").(string)
	c := dial(t, srv.GRPCAddr)
	tok := taskToken(t, c, cbARN)
	code, body = do(t, "POST", base+"/tasks:success", `{"taskToken":`+jsonString(tok)+`,"output":"[1,2]"}`)
	if code != 200 {
		t.Errorf("POST tasks:success = %d %v", code, body)
	}
	if x := waitDone(t, c, cbARN); x.Output != `[1,2]` {
		t.Errorf("after tasks:success: %v", x)
	}
	code, _ = do(t, "POST", base+"/tasks:success", `{"taskToken":`+jsonString(tok)+`,"output":"{}"}`)
	if code != 400 {
		t.Errorf("POST tasks:success again = %d; want 400 (FailedPrecondition)", code)
	}

	// Stop, with the ARN's colons in the path before the :stop verb.
	_, body = do(t, "POST", base+"/state-machines/cb/executions", `{"name":"to-stop","input":"{\"order\":2}"}`)
	stopARN := dig(body, "execution", "arn").(string)
	code, body = do(t, "POST", base+"/executions/"+stopARN+":stop", `{"cause":"enough"}`)
	if code != 200 || dig(body, "execution", "status") != "EXECUTION_STATUS_ABORTED" {
		t.Errorf("POST :stop = %d %v", code, body)
	}

	code, _ = do(t, "DELETE", base+"/state-machines/hello", "")
	if code != 200 {
		t.Errorf("DELETE = %d", code)
	}
	code, _ = do(t, "GET", base+"/state-machines/hello", "")
	if code != 404 {
		t.Errorf("GET deleted = %d; want 404", code)
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
