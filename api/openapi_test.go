package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/internal/testserver"
)

// TestRESTTimesAndOpenAPI: REST JSON carries timestamps as RFC 3339
// strings (null while unset), and the OpenAPI document is served, without
// the token, with its title and version and Time described as a string.
func TestRESTTimesAndOpenAPI(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	call := func(method, path, body string) (int, map[string]any) {
		t.Helper()
		return do(t, method, srv.HTTPURL+path, body)
	}
	isTime := func(what string, v any) {
		t.Helper()
		s, ok := v.(string)
		if !ok {
			t.Errorf("%s = %#v; want an RFC 3339 string", what, v)
			return
		}
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil || !strings.HasSuffix(s, "Z") {
			t.Errorf("%s = %q; want RFC 3339 in UTC (%v)", what, s, err)
		}
	}

	code, body := call("POST", "/v1/state-machines", `{"name":"hello","definition":`+jsonString(passDef)+`}`)
	if code != 200 {
		t.Fatalf("create = %d %v", code, body)
	}
	isTime("stateMachine.created", dig(body, "stateMachine", "created"))
	code, body = call("POST", "/v1/state-machines/hello/executions", `{"name":"x","input":"{}"}`)
	if code != 200 {
		t.Fatalf("start = %d %v", code, body)
	}
	arn := dig(body, "execution", "arn").(string)
	isTime("execution.startTime", dig(body, "execution", "startTime"))
	deadline := time.Now().Add(10 * time.Second)
	for dig(body, "execution", "status") != "EXECUTION_STATUS_SUCCEEDED" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		_, body = call("GET", "/v1/executions/"+arn, "")
	}
	isTime("execution.stopTime", dig(body, "execution", "stopTime"))
	_, body = call("GET", "/v1/executions/"+arn+"/history", "")
	events, _ := body["events"].([]any)
	if len(events) == 0 {
		t.Fatalf("history = %v; want events", body)
	}
	for _, e := range events {
		isTime("event.timestamp", dig(e, "timestamp"))
	}

	// The OpenAPI document: no token needed.
	locked := testserver.Start(t, testserver.Options{AuthToken: "s3cret"})
	if code, _ := do(t, "GET", locked.HTTPURL+"/v1/state-machines", ""); code != http.StatusUnauthorized {
		t.Errorf("GET /v1/state-machines without the token = %d; want 401", code)
	}
	resp, err := testserver.HTTPClient.Get(locked.HTTPURL + api.OpenAPIPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d, %v", api.OpenAPIPath, resp.StatusCode, err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q; want application/json", ct)
	}
	if got := dig(doc, "info", "title"); got != "Stepwise API" {
		t.Errorf("info.title = %v; want Stepwise API", got)
	}
	if got := dig(doc, "info", "version"); got != "v1" {
		t.Errorf("info.version = %v; want v1", got)
	}
	if got := dig(doc, "definitions", "v1Time", "type"); got != "string" {
		t.Errorf("definitions.v1Time.type = %v; want string", got)
	}
	if dig(doc, "paths", "/v1/tasks:success", "post") == nil {
		t.Errorf("paths has no POST /v1/tasks:success")
	}
}
