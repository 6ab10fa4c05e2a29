package api_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	stepwisev1 "github.com/stepwise-dev/stepwise/api/gen/stepwise/v1"
	"github.com/stepwise-dev/stepwise/internal/testserver"
)

// TestChildExecutions lists an execution's children over REST and gRPC:
// a parent (testserver.NestedASL) starts one child with
// startExecution.sync:2, one with plain startExecution, and two more in a
// distributed Map. All four are listed newest first with their parent, the
// Map's with their Map Run; kind picks the nested ones or the Map's; pages
// follow each other; an unknown ARN is NOT_FOUND naming it, a malformed
// one INVALID_ARGUMENT.
func TestChildExecutions(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	call := func(method, path, body string) (int, map[string]any) {
		t.Helper()
		return do(t, method, srv.HTTPURL+path, body)
	}
	esc := url.PathEscape
	code, body := call("POST", "/v1/state-machines", `{"name":"kid","definition":`+jsonString(testserver.KidASL)+`}`)
	if code != 200 {
		t.Fatalf("create kid = %d %v", code, body)
	}
	kidARN := dig(body, "stateMachine", "arn").(string)
	if code, body := call("POST", "/v1/state-machines", `{"name":"nested","definition":`+jsonString(testserver.NestedASL(kidARN))+`}`); code != 200 {
		t.Fatalf("create nested = %d %v", code, body)
	}
	code, body = call("POST", "/v1/state-machines/nested/executions", `{"name":"p1","input":"{\"items\":[1,2]}"}`)
	if code != 200 {
		t.Fatalf("start = %d %v", code, body)
	}
	arn := dig(body, "execution", "arn").(string)
	for deadline := time.Now().Add(30 * time.Second); dig(body, "execution", "status") == "EXECUTION_STATUS_RUNNING" && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		_, body = call("GET", "/v1/executions/"+esc(arn), "")
	}
	if got := dig(body, "execution", "status"); got != "EXECUTION_STATUS_SUCCEEDED" {
		t.Fatalf("parent = %v; want SUCCEEDED", body)
	}
	_, body = call("GET", "/v1/executions/"+esc(arn)+"/map-runs", "")
	runs, _ := body["mapRuns"].([]any)
	if len(runs) != 1 {
		t.Fatalf("map runs = %v; want one", body)
	}
	run := dig(runs[0], "arn").(string)

	// list returns the names of a listing's executions, in order, each
	// checked for its parent and its Map Run.
	list := func(query string) []string {
		t.Helper()
		code, body := call("GET", "/v1/executions/"+esc(arn)+"/children"+query, "")
		if code != 200 {
			t.Fatalf("GET children%s = %d %v", query, code, body)
		}
		xs, _ := body["executions"].([]any)
		var names []string
		for _, x := range xs {
			name, _ := dig(x, "name").(string)
			names = append(names, name)
			if got := dig(x, "parentArn"); got != arn {
				t.Errorf("children%s: %s parentArn = %v; want %s", query, name, got, arn)
			}
			wantRun, wantMachine := "", "kid"
			if !strings.HasPrefix(name, "p1-") {
				wantRun, wantMachine = run, "nested/Items"
			}
			if got := dig(x, "mapRunArn"); got != wantRun {
				t.Errorf("children%s: %s mapRunArn = %v; want %q", query, name, got, wantRun)
			}
			if got := dig(x, "stateMachineName"); got != wantMachine {
				t.Errorf("children%s: %s stateMachineName = %v; want %s", query, name, got, wantMachine)
			}
			if dig(x, "status") != "EXECUTION_STATUS_SUCCEEDED" || dig(x, "startTime") == nil || dig(x, "stopTime") == nil {
				t.Errorf("children%s: %s = %v; want SUCCEEDED with its start and stop times", query, name, x)
			}
		}
		return names
	}
	all := list("")
	if len(all) != 4 || all[2] != "p1-fired" || all[3] != "p1-synced" {
		t.Fatalf("children = %q; want the Map's two, then p1-fired, then p1-synced (newest first)", all)
	}
	for _, q := range []string{"?kind=NESTED", "?kind=CHILD_KIND_NESTED"} {
		if got := list(q); strings.Join(got, " ") != "p1-fired p1-synced" {
			t.Errorf("children%s = %q; want p1-fired p1-synced", q, got)
		}
	}
	if got := list("?kind=MAP_RUN"); len(got) != 2 || strings.Join(got, " ") != strings.Join(all[:2], " ") {
		t.Errorf("children?kind=MAP_RUN = %q; want %q", got, all[:2])
	}
	// Pages of one, token after token.
	var paged []string
	for tok, n := "", 0; ; n++ {
		code, body := call("GET", "/v1/executions/"+esc(arn)+"/children?pageSize=1&pageToken="+url.QueryEscape(tok), "")
		xs, _ := body["executions"].([]any)
		if code != 200 || len(xs) != 1 || n > 4 {
			t.Fatalf("page %d = %d %v; want one execution", n, code, body)
		}
		paged = append(paged, dig(xs[0], "name").(string))
		if tok, _ = body["nextPageToken"].(string); tok == "" {
			break
		}
	}
	if strings.Join(paged, " ") != strings.Join(all, " ") {
		t.Errorf("paged children = %q; want %q", paged, all)
	}
	// A child has no children: an empty list.
	kid := strings.Replace(arn, ":execution:nested:p1", ":execution:kid:p1-synced", 1)
	code, body = call("GET", "/v1/executions/"+esc(kid)+"/children", "")
	if xs, _ := body["executions"].([]any); code != 200 || len(xs) != 0 {
		t.Errorf("GET children of a child = %d %v; want none", code, body)
	}
	// And its page names its parent.
	if code, body = call("GET", "/v1/executions/"+esc(kid), ""); code != 200 || dig(body, "execution", "parentArn") != arn {
		t.Errorf("GET child = %d %v; want parentArn %s", code, body, arn)
	}

	// Errors, over REST.
	gone := strings.Replace(arn, ":p1", ":gone", 1)
	for _, c := range []struct {
		path, want string
		code       codes.Code
	}{
		{"/v1/executions/" + esc(gone) + "/children", `execution "` + gone + `" does not exist`, codes.NotFound},
		{"/v1/executions/nope/children", `malformed ARN "nope"`, codes.InvalidArgument},
		{"/v1/executions/" + esc(run) + "/children", "it is not an execution ARN", codes.InvalidArgument},
		{"/v1/executions/" + esc(arn) + "/children?kind=FEW", "NESTED, MAP_RUN", codes.InvalidArgument},
		{"/v1/executions/" + esc(arn) + "/children?pageSize=1001", "page_size", codes.InvalidArgument},
		{"/v1/executions/" + esc(arn) + "/children?pageToken=x", "invalid next token", codes.InvalidArgument},
	} {
		code, body := call("GET", c.path, "")
		msg, _ := body["message"].(string)
		wantHTTP := http.StatusBadRequest
		if c.code == codes.NotFound {
			wantHTTP = http.StatusNotFound
		}
		if code != wantHTTP || dig(body, "code") != float64(c.code) || !strings.Contains(msg, c.want) {
			t.Errorf("GET %s = %d %v; want %d %v with %q", c.path, code, body, wantHTTP, c.code, c.want)
		}
	}

	// The same over gRPC.
	cl := dial(t, srv.GRPCAddr)
	ctx := context.Background()
	r, err := cl.exec.ListChildExecutions(ctx, &stepwisev1.ListChildExecutionsRequest{Arn: arn, Kind: stepwisev1.ChildKind_CHILD_KIND_NESTED})
	if err != nil || len(r.Executions) != 2 || r.NextPageToken != "" {
		t.Fatalf("ListChildExecutions(NESTED) = %v, %v; want two children", r, err)
	}
	for i, want := range []string{"p1-fired", "p1-synced"} {
		x := r.Executions[i]
		if x.Name != want || x.ParentArn != arn || x.MapRunArn != "" || x.StateMachineName != "kid" ||
			x.Status != stepwisev1.ExecutionStatus_EXECUTION_STATUS_SUCCEEDED || x.StartTime == nil || x.StopTime == nil {
			t.Errorf("ListChildExecutions(NESTED)[%d] = %v; want %s of kid, SUCCEEDED, parent %s", i, x, want, arn)
		}
	}
	r, err = cl.exec.ListChildExecutions(ctx, &stepwisev1.ListChildExecutionsRequest{Arn: arn, Kind: stepwisev1.ChildKind_CHILD_KIND_MAP_RUN, PageSize: 1})
	if err != nil || len(r.Executions) != 1 || r.Executions[0].MapRunArn != run || r.NextPageToken == "" {
		t.Errorf("ListChildExecutions(MAP_RUN, 1) = %v, %v; want one child of %s and a next page", r, err, run)
	}
	_, err = cl.exec.ListChildExecutions(ctx, &stepwisev1.ListChildExecutionsRequest{Arn: gone})
	if status.Code(err) != codes.NotFound || !strings.Contains(status.Convert(err).Message(), gone) {
		t.Errorf("ListChildExecutions(unknown) = %v; want NotFound naming %s", err, gone)
	}
	_, err = cl.exec.ListChildExecutions(ctx, &stepwisev1.ListChildExecutionsRequest{Arn: "arn:aws:states:us-east-1:111111111111:stateMachine:kid"})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(status.Convert(err).Message(), "not an execution ARN") {
		t.Errorf("ListChildExecutions(a machine's ARN) = %v; want InvalidArgument", err)
	}
	_, err = cl.exec.ListChildExecutions(ctx, &stepwisev1.ListChildExecutionsRequest{})
	wantCode(t, "ListChildExecutions(no arn)", err, codes.InvalidArgument)
}
