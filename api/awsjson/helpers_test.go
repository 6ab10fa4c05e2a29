package awsjson_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/internal/pgtest"
)

// newServer starts the real HTTP server of a Stepwise process in-process:
// a migrated Postgres store in a fresh schema (dropped after the test), an
// engine running its maintenance loop, and api.Server's HTTP handler on an
// httptest server. It skips when the database is unreachable, unless
// STEPWISE_REQUIRE_DB=1. Tasks are not dispatched: tests answer them with
// the callback operations.
func newServer(t *testing.T) (*httptest.Server, *engine.Engine) {
	t.Helper()
	return newServerWith(t, nil)
}

// newServerWith is newServer with the engine's Config changed by set
// (nil: unchanged) before the engine is made.
func newServerWith(t *testing.T, set func(*engine.Config)) (*httptest.Server, *engine.Engine) {
	t.Helper()
	ctx := context.Background()
	st, _ := pgtest.Store(t)
	cfg := engine.Config{Store: st, PollInterval: 20 * time.Millisecond}
	if set != nil {
		set(&cfg)
	}
	eng, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = eng.Run(runCtx) }()
	srv, err := api.New(api.Config{Engine: eng})
	if err != nil {
		t.Fatal(err)
	}
	h, err := srv.HTTPHandler(runCtx)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(func() { ts.Close(); cancel(); <-done })
	return ts, eng
}

// call makes one raw AWS JSON 1.0 call and returns the HTTP status and the
// decoded body.
func call(t *testing.T, url, op string, req any) (int, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(req)
	r, _ := http.NewRequest(http.MethodPost, url+"/", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/x-amz-json-1.0")
	r.Header.Set("X-Amz-Target", "AWSStepFunctions."+op)
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/states/aws4_request, SignedHeaders=host, Signature=00")
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s: response %q is not a JSON object: %v", op, raw, err)
	}
	return resp.StatusCode, out
}

const passDefinition = `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"greeting":"hello"},"ResultPath":"$.r","End":true}}}`

const callbackDefinition = `{"StartAt":"Wait","States":{"Wait":{"Type":"Task",
 "Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken",
 "Parameters":{"QueueUrl":"https://example.invalid/q","MessageBody":{"token.$":"$$.Task.Token"}},"End":true}}}`

const role = "arn:aws:iam::111111111111:role/stepwise"
