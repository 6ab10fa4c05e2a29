package api_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	stepwisev1 "github.com/stepwise-dev/stepwise/api/gen/stepwise/v1"
	"github.com/stepwise-dev/stepwise/internal/testserver"
)

const dmapInput = `[{"n":1},{"n":2,"fail":true},{"n":3}]`

// TestRESTMapRuns drives the Map Run routes with plain HTTP/JSON, the
// Map Run ARN (which holds a '/') percent-encoded in the path: a finished
// run listed, described, its children listed by status, a child's page
// linking back; a running run updated live; the error answers.
func TestRESTMapRuns(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	call := func(method, path, body string) (int, map[string]any) {
		t.Helper()
		return do(t, method, srv.HTTPURL+path, body)
	}
	esc := url.PathEscape
	if code, body := call("POST", "/v1/state-machines", `{"name":"dmap","definition":`+jsonString(testserver.MapRunASL)+`}`); code != 200 {
		t.Fatalf("create = %d %v", code, body)
	}
	code, body := call("POST", "/v1/state-machines/dmap/executions", `{"name":"x","input":`+jsonString(dmapInput)+`}`)
	if code != 200 {
		t.Fatalf("start = %d %v", code, body)
	}
	arn := dig(body, "execution", "arn").(string)
	deadline := time.Now().Add(30 * time.Second)
	for dig(body, "execution", "status") == "EXECUTION_STATUS_RUNNING" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		_, body = call("GET", "/v1/executions/"+esc(arn), "")
	}
	if got := dig(body, "execution", "status"); got != "EXECUTION_STATUS_SUCCEEDED" {
		t.Fatalf("execution = %v; want SUCCEEDED (one failure tolerated)", body)
	}

	code, body = call("GET", "/v1/executions/"+esc(arn)+"/map-runs", "")
	runs, _ := body["mapRuns"].([]any)
	if code != 200 || len(runs) != 1 {
		t.Fatalf("GET map-runs = %d %v; want one run", code, body)
	}
	run, _ := dig(runs[0], "arn").(string)
	if !strings.Contains(run, ":mapRun:dmap/Items:") || dig(runs[0], "executionArn") != arn {
		t.Errorf("listed run = %v", runs[0])
	}

	// Described: the '/' as %2F, and the ':' as %3A as a browser's
	// encodeURIComponent sends them.
	for _, p := range []string{esc(run), strings.ReplaceAll(esc(run), ":", "%3A")} {
		code, body = call("GET", "/v1/map-runs/"+p, "")
		if code != 200 {
			t.Fatalf("GET /v1/map-runs/%s = %d %v", p, code, body)
		}
		r := dig(body, "mapRun")
		for k, want := range map[string]any{"arn": run, "executionArn": arn, "status": "MAP_RUN_STATUS_SUCCEEDED",
			"label": "Items", "stateName": "Fan out", "stateMachineName": "dmap/Items", "toleratedFailureCount": "1"} {
			if got := dig(r, k); got != want {
				t.Errorf("mapRun.%s = %v; want %v", k, got, want)
			}
		}
		for k, want := range map[string]string{"succeeded": "2", "failed": "1", "total": "3", "pending": "0", "running": "0"} {
			if got := dig(r, "executionCounts", k); got != want {
				t.Errorf("mapRun.executionCounts.%s = %v; want %s", k, got, want)
			}
		}
		if dig(r, "stopTime") == nil {
			t.Errorf("mapRun.stopTime = nil; want a time")
		}
	}

	code, body = call("GET", "/v1/map-runs/"+esc(run)+"/executions?status=EXECUTION_STATUS_FAILED", "")
	kids, _ := body["executions"].([]any)
	if code != 200 || len(kids) != 1 || dig(kids[0], "status") != "EXECUTION_STATUS_FAILED" {
		t.Fatalf("GET executions?status=FAILED = %d %v; want one failed child", code, body)
	}
	child := dig(kids[0], "arn").(string)
	if !strings.Contains(child, "/") {
		t.Errorf("child ARN %q; want one with a '/'", child)
	}
	_, body = call("GET", "/v1/map-runs/"+esc(run)+"/executions", "")
	if kids, _ := body["executions"].([]any); len(kids) != 3 {
		t.Errorf("GET executions = %v; want 3 children", body)
	}
	// The child's own routes take its ARN, '/' and all.
	code, body = call("GET", "/v1/executions/"+esc(child), "")
	if code != 200 || dig(body, "execution", "parentArn") != arn || dig(body, "execution", "mapRunArn") != run ||
		dig(body, "execution", "error") != "Item.Failed" {
		t.Errorf("GET child = %d %v; want parentArn %s, mapRunArn %s", code, body, arn, run)
	}
	if code, body = call("GET", "/v1/executions/"+esc(child)+"/history", ""); code != 200 || len(body["events"].([]any)) == 0 {
		t.Errorf("GET child history = %d %v", code, body)
	}
	if code, body = call("GET", "/v1/executions/"+esc(arn), ""); dig(body, "execution", "parentArn") != "" {
		t.Errorf("GET parent = %d %v; want no parentArn", code, body)
	}

	// Errors: an ended run, invalid values, an unknown run.
	code, body = call("PATCH", "/v1/map-runs/"+esc(run), `{"maxConcurrency":5}`)
	if code != http.StatusBadRequest || dig(body, "code") != float64(codes.FailedPrecondition) {
		t.Errorf("PATCH ended run = %d %v; want 400 FAILED_PRECONDITION", code, body)
	}
	for patch, field := range map[string]string{
		`{"toleratedFailurePercentage":150}`: "tolerated_failure_percentage", `{"maxConcurrency":-1}`: "max_concurrency",
		`{"toleratedFailureCount":-2}`: "tolerated_failure_count", `{}`: "at least one of",
	} {
		code, body = call("PATCH", "/v1/map-runs/"+esc(run), patch)
		msg, _ := body["message"].(string)
		if code != http.StatusBadRequest || dig(body, "code") != float64(codes.InvalidArgument) || !strings.Contains(msg, field) {
			t.Errorf("PATCH %s = %d %v; want 400 INVALID_ARGUMENT naming %s", patch, code, body, field)
		}
	}
	unknown := strings.Replace(run, ":mapRun:dmap/", ":mapRun:gone/", 1)
	for _, path := range []string{"/v1/map-runs/" + esc(unknown), "/v1/map-runs/" + esc(unknown) + "/executions", "/v1/map-runs/nope"} {
		code, body = call("GET", path, "")
		if msg, _ := body["message"].(string); code != http.StatusNotFound || !strings.Contains(msg, "map run") || !strings.Contains(msg, "does not exist") {
			t.Errorf("GET %s = %d %v; want 404 naming the map run", path, code, body)
		}
	}
	if code, body = call("GET", "/v1/executions/"+esc(arn+"x")+"/map-runs", ""); code != http.StatusNotFound {
		t.Errorf("GET map-runs of an unknown execution = %d %v; want 404", code, body)
	}

	// A running run, updated live: a second child starts.
	if code, body := call("POST", "/v1/state-machines", `{"name":"slow","definition":`+jsonString(testserver.SlowMapRunASL)+`}`); code != 200 {
		t.Fatalf("create = %d %v", code, body)
	}
	_, body = call("POST", "/v1/state-machines/slow/executions", `{"input":"[1,2,3]"}`)
	slow := dig(body, "execution", "arn").(string)
	run = ""
	for deadline := time.Now().Add(30 * time.Second); run == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		_, body = call("GET", "/v1/executions/"+esc(slow)+"/map-runs", "")
		if runs, _ := body["mapRuns"].([]any); len(runs) == 1 {
			run, _ = dig(runs[0], "arn").(string)
		}
	}
	code, body = call("PATCH", "/v1/map-runs/"+esc(run), `{"maxConcurrency":2,"toleratedFailurePercentage":50}`)
	if code != 200 || dig(body, "mapRun", "maxConcurrency") != "2" || dig(body, "mapRun", "toleratedFailurePercentage") != float64(50) {
		t.Fatalf("PATCH running run = %d %v", code, body)
	}
	for deadline := time.Now().Add(30 * time.Second); dig(body, "mapRun", "executionCounts", "running") != "2"; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("run = %v; want 2 children running", body)
		}
		_, body = call("GET", "/v1/map-runs/"+esc(run), "")
	}
	if got := dig(body, "mapRun", "executionCounts", "pending"); got != "1" {
		t.Errorf("pending = %v; want 1", got)
	}
	if code, body = call("POST", "/v1/executions/"+esc(slow)+":stop", `{}`); code != 200 {
		t.Errorf("stop = %d %v", code, body)
	}
}

// TestGRPCMapRuns: MapRunService over gRPC, with paging of the children.
func TestGRPCMapRuns(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	c := dial(t, srv.GRPCAddr)
	mr := stepwisev1.NewMapRunServiceClient(c.conn)
	ctx := context.Background()
	if _, err := c.sm.CreateStateMachine(ctx, &stepwisev1.CreateStateMachineRequest{Name: "dmap", Definition: testserver.MapRunASL}); err != nil {
		t.Fatal(err)
	}
	x, err := c.exec.StartExecution(ctx, &stepwisev1.StartExecutionRequest{StateMachineName: "dmap", Input: dmapInput})
	if err != nil {
		t.Fatal(err)
	}
	waitDone(t, c, x.Execution.Arn)
	runs, err := mr.ListMapRuns(ctx, &stepwisev1.ListMapRunsRequest{ExecutionArn: x.Execution.Arn})
	if err != nil || len(runs.MapRuns) != 1 {
		t.Fatalf("ListMapRuns = %v, %v; want one run", runs, err)
	}
	run := runs.MapRuns[0].Arn
	d, err := mr.DescribeMapRun(ctx, &stepwisev1.DescribeMapRunRequest{Arn: run})
	if err != nil || d.MapRun.Status != stepwisev1.MapRunStatus_MAP_RUN_STATUS_SUCCEEDED || d.MapRun.ExecutionCounts.GetFailed() != 1 {
		t.Errorf("DescribeMapRun = %v, %v", d, err)
	}
	seen := map[string]bool{}
	for tok := ""; ; {
		page, err := mr.ListMapRunExecutions(ctx, &stepwisev1.ListMapRunExecutionsRequest{Arn: run, PageSize: 2, PageToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range page.Executions {
			seen[k.Arn] = true
		}
		if tok = page.NextPageToken; tok == "" {
			break
		}
	}
	if len(seen) != 3 {
		t.Errorf("children over pages of 2 = %v; want 3", seen)
	}
	_, err = mr.DescribeMapRun(ctx, &stepwisev1.DescribeMapRunRequest{Arn: run + "0"})
	wantCode(t, "DescribeMapRun(unknown)", err, codes.NotFound)
	_, err = mr.DescribeMapRun(ctx, &stepwisev1.DescribeMapRunRequest{})
	wantCode(t, "DescribeMapRun(no arn)", err, codes.InvalidArgument)
	_, err = mr.UpdateMapRun(ctx, &stepwisev1.UpdateMapRunRequest{Arn: run, ToleratedFailurePercentage: ptr(-1.0)})
	wantCode(t, "UpdateMapRun(-1%)", err, codes.InvalidArgument)
	_, err = mr.UpdateMapRun(ctx, &stepwisev1.UpdateMapRunRequest{Arn: run, MaxConcurrency: ptr(int64(3))})
	wantCode(t, "UpdateMapRun(ended)", err, codes.FailedPrecondition)
	_, err = mr.ListMapRunExecutions(ctx, &stepwisev1.ListMapRunExecutionsRequest{Arn: run, PageSize: 5000})
	wantCode(t, "ListMapRunExecutions(page_size 5000)", err, codes.InvalidArgument)
	_, err = mr.ListMapRuns(ctx, &stepwisev1.ListMapRunsRequest{ExecutionArn: x.Execution.Arn + "x"})
	wantCode(t, "ListMapRuns(unknown execution)", err, codes.NotFound)
}

func ptr[T any](v T) *T { return &v }
