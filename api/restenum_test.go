package api_test

import (
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/internal/testserver"
)

// TestRESTShortEnumNames: REST requests may name an enum value as AWS
// does (RUNNING, EXPRESS, ALL) as well as by its full proto name
// (EXECUTION_STATUS_RUNNING), in a body, nested in one, and in a query;
// answers keep the full names; a name of no value is still refused.
func TestRESTShortEnumNames(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	base := srv.HTTPURL + "/v1"
	const logGroup = "arn:aws:logs:us-east-1:111111111111:log-group:/aws/vendedlogs/states/short:*"

	code, body := do(t, "POST", base+"/state-machines", `{"name":"short","type":"EXPRESS","definition":`+jsonString(passDef)+
		`,"logging":{"level":"ERROR","includeExecutionData":true,"logGroupArn":"`+logGroup+`"}}`)
	if code != 200 || dig(body, "stateMachine", "type") != "STATE_MACHINE_TYPE_EXPRESS" || dig(body, "stateMachine", "logging", "level") != "LOG_LEVEL_ERROR" {
		t.Fatalf("POST /v1/state-machines with type EXPRESS, level ERROR = %d %v; want an EXPRESS machine logging ERROR", code, body)
	}
	code, body = do(t, "PUT", base+"/state-machines/short", `{"logging":{"level":"LOG_LEVEL_ALL","logGroupArn":"`+logGroup+`"}}`)
	if code != 200 || dig(body, "stateMachine", "logging", "level") != "LOG_LEVEL_ALL" {
		t.Errorf("PUT logging level LOG_LEVEL_ALL (the full name) = %d %v", code, body)
	}
	code, body = do(t, "POST", base+"/state-machines:validate", `{"type":"EXPRESS","definition":`+jsonString(passDef)+`}`)
	if code != 200 || body["result"] != "OK" {
		t.Errorf("POST :validate with type EXPRESS = %d %v", code, body)
	}

	if code, body = do(t, "POST", base+"/state-machines", `{"name":"std","definition":`+jsonString(passDef)+`}`); code != 200 {
		t.Fatalf("POST /v1/state-machines = %d %v", code, body)
	}
	if code, body = do(t, "POST", base+"/state-machines/std/executions", `{"name":"x1","input":"{}"}`); code != 200 {
		t.Fatalf("start = %d %v", code, body)
	}
	waitDone(t, dial(t, srv.GRPCAddr), dig(body, "execution", "arn").(string))
	for _, q := range []string{"status=SUCCEEDED", "status=EXECUTION_STATUS_SUCCEEDED", "stateMachineName=std&status=SUCCEEDED"} {
		code, body = do(t, "GET", base+"/executions?"+q, "")
		xs, _ := body["executions"].([]any)
		if code != 200 || len(xs) != 1 || dig(xs[0], "status") != "EXECUTION_STATUS_SUCCEEDED" {
			t.Errorf("GET /v1/executions?%s = %d %v; want the one SUCCEEDED execution", q, code, body)
		}
	}
	code, body = do(t, "GET", base+"/executions?status=FAILED", "")
	if xs, _ := body["executions"].([]any); code != 200 || len(xs) != 0 {
		t.Errorf("GET /v1/executions?status=FAILED = %d %v; want none", code, body)
	}

	for _, c := range []struct{ method, path, body string }{
		{"GET", "/executions?status=DONE", ""},
		{"GET", "/executions?status=succeeded", ""},
		{"POST", "/state-machines", `{"name":"bad","type":"FAST","definition":` + jsonString(passDef) + `}`},
	} {
		if code, body = do(t, c.method, base+c.path, c.body); code != 400 || !strings.Contains(strings.ToLower(body["message"].(string)), "enum") {
			t.Errorf("%s %s %s = %d %v; want 400 naming the enum", c.method, c.path, c.body, code, body)
		}
	}
}
