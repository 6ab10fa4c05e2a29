package httpinvoke_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/internal/pgtest"
	"github.com/stepwise-dev/stepwise/services/httpinvoke"
)

// TestEngineRunsHTTPTask runs a state machine with HTTP tasks through a
// real engine on Postgres: one call succeeds (its output passes through
// ResultSelector), one answers 404 and is caught by its status error; the
// connection's API key reaches the API and appears nowhere in the history.
func TestEngineRunsHTTPTask(t *testing.T) {
	t.Parallel()
	const key = "e2e-api-key-value"
	srv, got := server(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":%q,"method":%q,"echo":%q}`, r.URL.Query().Get("id"), r.Method, r.Header.Get("X-Api-Key"))
	})
	svc := service(t, httpinvoke.Config{Connections: []httpinvoke.Connection{{
		Name: "orders", APIKey: &httpinvoke.APIKeyAuth{Header: "X-Api-Key", Value: key},
	}}})
	st, _ := pgtest.Store(t)
	eng, err := engine.New(engine.Config{Store: st, PollInterval: 20 * time.Millisecond, Services: []engine.Service{svc}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = eng.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	def := fmt.Sprintf(`{
	  "StartAt": "Get",
	  "States": {
	    "Get": {
	      "Type": "Task",
	      "Resource": "arn:aws:states:::http:invoke",
	      "Parameters": {
	        "ApiEndpoint": "%[1]s/orders",
	        "Method": "GET",
	        "Authentication": {"ConnectionArn": "arn:aws:events:us-east-1:111111111111:connection/orders/8f0e"},
	        "QueryParameters": {"id.$": "$.orderId"}
	      },
	      "ResultSelector": {"order.$": "$.ResponseBody", "status.$": "$.StatusCode"},
	      "ResultPath": "$.got",
	      "Next": "Missing"
	    },
	    "Missing": {
	      "Type": "Task",
	      "Resource": "arn:aws:states:::http:invoke",
	      "Parameters": {
	        "ApiEndpoint": "%[1]s/missing",
	        "Method": "DELETE",
	        "Authentication": {"ConnectionArn": "orders"}
	      },
	      "Catch": [{"ErrorEquals": ["States.Http.StatusCode.404"], "ResultPath": "$.error", "Next": "Done"}],
	      "End": true
	    },
	    "Done": {"Type": "Succeed"}
	  }
	}`, srv.URL)
	if _, err := eng.CreateStateMachine(ctx, "http-task", def, "arn:aws:iam::111111111111:role/r"); err != nil {
		t.Fatal(err)
	}
	x, err := eng.StartExecution(ctx, engine.StartExecutionInput{StateMachine: "http-task", Input: `{"orderId":"A-17"}`})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for x.Status == "RUNNING" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		if x, err = eng.DescribeExecution(ctx, x.ARN); err != nil {
			t.Fatal(err)
		}
	}
	if x.Status != "SUCCEEDED" {
		t.Fatalf("execution %s: %s %s", x.Status, x.Error, x.Cause)
	}
	var out struct {
		Got struct {
			Order  map[string]string
			Status int
		}
		Error struct{ Error, Cause string }
	}
	if err := json.Unmarshal([]byte(x.Output), &out); err != nil {
		t.Fatal(err)
	}
	if out.Got.Status != 200 || out.Got.Order["id"] != "A-17" || out.Got.Order["method"] != "GET" || out.Got.Order["echo"] != "***" {
		t.Errorf("output %s: want the order A-17, status 200, the key masked", x.Output)
	}
	if out.Error.Error != "States.Http.StatusCode.404" || out.Error.Cause != "Not Found" {
		t.Errorf("caught error = %+v; want States.Http.StatusCode.404, Not Found", out.Error)
	}
	if r, _ := got.last(t); r.Method != "DELETE" || r.Header.Get("X-Api-Key") != key {
		t.Errorf("last request %s with key %q", r.Method, r.Header.Get("X-Api-Key"))
	}
	events, _, err := eng.GetExecutionHistory(ctx, x.ARN, engine.HistoryInput{})
	if err != nil {
		t.Fatal(err)
	}
	h, _ := json.Marshal(events)
	if strings.Contains(string(h), key) {
		t.Errorf("the history holds the API key: %s", h)
	}
	if !strings.Contains(string(h), "TaskSucceeded") || !strings.Contains(string(h), "TaskFailed") {
		t.Errorf("history lacks TaskSucceeded and TaskFailed: %s", h)
	}
}
