package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	stepwisev1 "github.com/stepwise-dev/stepwise/api/gen/stepwise/v1"
	"github.com/stepwise-dev/stepwise/internal/testserver"
)

// TestGRPCVersionsAliases drives published versions and aliases over gRPC
// on a real store: publish (again: the same version; a stale revision:
// ABORTED), list, describe a version's definition, aliases created,
// described, updated, listed, started through, and every refusal with its
// code.
func TestGRPCVersionsAliases(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	c := dial(t, srv.GRPCAddr)
	ctx := context.Background()
	sm := c.sm

	if _, err := sm.CreateStateMachine(ctx, &stepwisev1.CreateStateMachineRequest{Name: "vm", Definition: passDef}); err != nil {
		t.Fatal(err)
	}
	p1, err := sm.PublishStateMachineVersion(ctx, &stepwisev1.PublishStateMachineVersionRequest{Name: "vm", Description: "first"})
	if err != nil {
		t.Fatal(err)
	}
	if v := p1.Version; v.Number != 1 || v.Revision != 1 || v.Description != "first" || !strings.HasSuffix(v.Arn, ":stateMachine:vm:1") || v.Created == nil {
		t.Errorf("publish = %v; want version 1 of revision 1", v)
	}
	again, err := sm.PublishStateMachineVersion(ctx, &stepwisev1.PublishStateMachineVersionRequest{Name: "vm"})
	if err != nil || again.Version.Number != 1 {
		t.Errorf("publish unchanged = %v, %v; want version 1 again", again, err)
	}
	if _, err := sm.UpdateStateMachine(ctx, &stepwisev1.UpdateStateMachineRequest{Name: "vm", Definition: passDef2}); err != nil {
		t.Fatal(err)
	}
	_, err = sm.PublishStateMachineVersion(ctx, &stepwisev1.PublishStateMachineVersionRequest{Name: "vm", Revision: 1})
	wantCode(t, "publish a stale revision", err, codes.Aborted)
	p2, err := sm.PublishStateMachineVersion(ctx, &stepwisev1.PublishStateMachineVersionRequest{Name: "vm", Revision: 2, Description: "second"})
	if err != nil || p2.Version.Number != 2 || p2.Version.Revision != 2 {
		t.Fatalf("publish revision 2 = %v, %v; want version 2", p2, err)
	}

	list, err := sm.ListStateMachineVersions(ctx, &stepwisev1.ListStateMachineVersionsRequest{Name: "vm", PageSize: 1})
	if err != nil || len(list.Versions) != 1 || list.Versions[0].Number != 2 || list.NextPageToken == "" {
		t.Fatalf("list page 1 = %v, %v; want version 2 and a token", list, err)
	}
	list, err = sm.ListStateMachineVersions(ctx, &stepwisev1.ListStateMachineVersionsRequest{Name: "vm", PageToken: list.NextPageToken})
	if err != nil || len(list.Versions) != 1 || list.Versions[0].Number != 1 || list.NextPageToken != "" {
		t.Fatalf("list page 2 = %v, %v; want version 1, the last", list, err)
	}
	d, err := sm.DescribeStateMachineVersion(ctx, &stepwisev1.DescribeStateMachineVersionRequest{Name: "vm", Number: 1})
	if err != nil || d.StateMachine.Definition != passDef || d.StateMachine.Version != 1 || d.Version.Description != "first" {
		t.Errorf("describe version 1 = %v, %v; want revision 1's definition", d, err)
	}

	dm, err := sm.DescribeStateMachine(ctx, &stepwisev1.DescribeStateMachineRequest{Name: "vm:1"})
	if err != nil || dm.StateMachine.Definition != passDef || dm.StateMachine.Version != 1 {
		t.Errorf("describe vm:1 = %v, %v; want version 1's definition", dm, err)
	}
	_, err = sm.DescribeStateMachine(ctx, &stepwisev1.DescribeStateMachineRequest{Name: "vm:9"})
	wantCode(t, "describe vm:9", err, codes.NotFound)
	_, err = sm.DescribeStateMachine(ctx, &stepwisev1.DescribeStateMachineRequest{Name: "vm:live"})
	wantCode(t, "describe vm:live", err, codes.InvalidArgument)

	routing := func(rs ...int32) []*stepwisev1.AliasRoute {
		var out []*stepwisev1.AliasRoute
		for i := 0; i < len(rs); i += 2 {
			out = append(out, &stepwisev1.AliasRoute{Version: rs[i], Weight: rs[i+1]})
		}
		return out
	}
	a, err := sm.CreateStateMachineAlias(ctx, &stepwisev1.CreateStateMachineAliasRequest{StateMachineName: "vm", Name: "prod",
		Description: "canary", Routing: routing(2, 80, 1, 20)})
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Alias; got.Name != "prod" || !strings.HasSuffix(got.Arn, ":stateMachine:vm:prod") || len(got.Routing) != 2 ||
		got.Routing[0].Weight != 80 || !strings.HasSuffix(got.Routing[1].VersionArn, ":vm:1") || got.Created == nil {
		t.Errorf("create alias = %v", got)
	}
	same, err := sm.CreateStateMachineAlias(ctx, &stepwisev1.CreateStateMachineAliasRequest{StateMachineName: "vm", Name: "prod",
		Description: "canary", Routing: routing(2, 80, 1, 20)})
	if err != nil || !proto.Equal(same.Alias, a.Alias) {
		t.Errorf("create the same alias again = %v, %v; want it unchanged", same, err)
	}

	for _, tc := range []struct {
		what string
		req  *stepwisev1.CreateStateMachineAliasRequest
		code codes.Code
		msg  string
	}{
		{"weights summing to 90", &stepwisev1.CreateStateMachineAliasRequest{StateMachineName: "vm", Name: "x", Routing: routing(1, 50, 2, 40)},
			codes.InvalidArgument, "sum to 100, not 90"},
		{"three routes", &stepwisev1.CreateStateMachineAliasRequest{StateMachineName: "vm", Name: "x", Routing: routing(1, 50, 2, 40, 3, 10)},
			codes.InvalidArgument, "1 or 2 routes"},
		{"no route", &stepwisev1.CreateStateMachineAliasRequest{StateMachineName: "vm", Name: "x"}, codes.InvalidArgument, "1 or 2 routes"},
		{"the same version twice", &stepwisev1.CreateStateMachineAliasRequest{StateMachineName: "vm", Name: "x", Routing: routing(1, 50, 1, 50)},
			codes.InvalidArgument, "distinct versions"},
		{"a weight over 100", &stepwisev1.CreateStateMachineAliasRequest{StateMachineName: "vm", Name: "x", Routing: routing(1, 101)},
			codes.InvalidArgument, "from 0 to 100"},
		{"a name of digits", &stepwisev1.CreateStateMachineAliasRequest{StateMachineName: "vm", Name: "12", Routing: routing(1, 100)},
			codes.InvalidArgument, "not only digits"},
		{"a name with a space", &stepwisev1.CreateStateMachineAliasRequest{StateMachineName: "vm", Name: "a b", Routing: routing(1, 100)},
			codes.InvalidArgument, ""},
		{"a description too long", &stepwisev1.CreateStateMachineAliasRequest{StateMachineName: "vm", Name: "x", Description: strings.Repeat("d", 257), Routing: routing(1, 100)},
			codes.InvalidArgument, "description"},
		{"no such version", &stepwisev1.CreateStateMachineAliasRequest{StateMachineName: "vm", Name: "x", Routing: routing(9, 100)},
			codes.NotFound, `version 9 of state machine "vm" does not exist`},
		{"no such machine", &stepwisev1.CreateStateMachineAliasRequest{StateMachineName: "nope", Name: "x", Routing: routing(1, 100)},
			codes.NotFound, "does not exist"},
		{"the name with another routing", &stepwisev1.CreateStateMachineAliasRequest{StateMachineName: "vm", Name: "prod", Routing: routing(1, 100)},
			codes.AlreadyExists, "another description or routing"},
	} {
		_, err := sm.CreateStateMachineAlias(ctx, tc.req)
		wantCode(t, "create alias with "+tc.what, err, tc.code)
		if !strings.Contains(status.Convert(err).Message(), tc.msg) {
			t.Errorf("create alias with %s: %v; want a message with %q", tc.what, err, tc.msg)
		}
	}

	up, err := sm.UpdateStateMachineAlias(ctx, &stepwisev1.UpdateStateMachineAliasRequest{StateMachineName: "vm", Name: "prod", Routing: routing(2, 100)})
	if err != nil || len(up.Alias.Routing) != 1 || up.Alias.Routing[0].Version != 2 || up.Alias.Description != "canary" {
		t.Errorf("update routing = %v, %v; want all to 2, description kept", up, err)
	}
	desc := ""
	up, err = sm.UpdateStateMachineAlias(ctx, &stepwisev1.UpdateStateMachineAliasRequest{StateMachineName: "vm", Name: "prod", Description: &desc})
	if err != nil || up.Alias.Description != "" || len(up.Alias.Routing) != 1 {
		t.Errorf("update description = %v, %v; want it cleared, routing kept", up, err)
	}
	_, err = sm.UpdateStateMachineAlias(ctx, &stepwisev1.UpdateStateMachineAliasRequest{StateMachineName: "vm", Name: "prod"})
	wantCode(t, "update nothing", err, codes.InvalidArgument)
	_, err = sm.UpdateStateMachineAlias(ctx, &stepwisev1.UpdateStateMachineAliasRequest{StateMachineName: "vm", Name: "nope", Routing: routing(1, 100)})
	wantCode(t, "update a missing alias", err, codes.NotFound)
	_, err = sm.UpdateStateMachineAlias(ctx, &stepwisev1.UpdateStateMachineAliasRequest{StateMachineName: "vm", Name: "prod", Routing: routing(7, 100)})
	wantCode(t, "update to a missing version", err, codes.NotFound)
	got, err := sm.DescribeStateMachineAlias(ctx, &stepwisev1.DescribeStateMachineAliasRequest{StateMachineName: "vm", Name: "prod"})
	if err != nil || got.Alias.Routing[0].Version != 2 {
		t.Errorf("describe alias = %v, %v", got, err)
	}
	_, err = sm.DescribeStateMachineAlias(ctx, &stepwisev1.DescribeStateMachineAliasRequest{StateMachineName: "vm", Name: "nope"})
	wantCode(t, "describe a missing alias", err, codes.NotFound)

	// Started through the alias and through version 1: each runs its
	// version's definition.
	x, err := c.exec.StartExecution(ctx, &stepwisev1.StartExecutionRequest{StateMachineName: "vm:prod", Name: "via-alias"})
	if err != nil || x.Execution.StateMachineVersion != 2 {
		t.Fatalf("start vm:prod = %v, %v; want revision 2", x, err)
	}
	x, err = c.exec.StartExecution(ctx, &stepwisev1.StartExecutionRequest{StateMachineName: "vm:1", Name: "via-version"})
	if err != nil || x.Execution.StateMachineVersion != 1 {
		t.Fatalf("start vm:1 = %v, %v; want revision 1", x, err)
	}
	_, err = c.exec.StartExecution(ctx, &stepwisev1.StartExecutionRequest{StateMachineName: "vm:nope"})
	wantCode(t, "start through a missing alias", err, codes.NotFound)
	_, err = c.exec.StartExecution(ctx, &stepwisev1.StartExecutionRequest{StateMachineName: "vm:"})
	wantCode(t, "start vm:", err, codes.NotFound)

	// A version an alias routes to is not deleted; the others are.
	_, err = sm.DeleteStateMachineVersion(ctx, &stepwisev1.DeleteStateMachineVersionRequest{Name: "vm", Number: 2})
	wantCode(t, "delete a routed version", err, codes.FailedPrecondition)
	if !strings.Contains(status.Convert(err).Message(), "aliases prod") {
		t.Errorf("delete a routed version: %v; want the alias named", err)
	}
	if _, err := sm.DeleteStateMachineVersion(ctx, &stepwisev1.DeleteStateMachineVersionRequest{Name: "vm", Number: 1}); err != nil {
		t.Errorf("delete version 1: %v", err)
	}
	_, err = sm.DescribeStateMachineVersion(ctx, &stepwisev1.DescribeStateMachineVersionRequest{Name: "vm", Number: 1})
	wantCode(t, "describe a deleted version", err, codes.NotFound)

	as, err := sm.ListStateMachineAliases(ctx, &stepwisev1.ListStateMachineAliasesRequest{StateMachineName: "vm"})
	if err != nil || len(as.Aliases) != 1 || as.Aliases[0].Name != "prod" || len(as.Aliases[0].Routing) != 1 {
		t.Errorf("list aliases = %v, %v; want prod with its routing", as, err)
	}
	_, err = sm.ListStateMachineAliases(ctx, &stepwisev1.ListStateMachineAliasesRequest{StateMachineName: "nope"})
	wantCode(t, "list the aliases of a missing machine", err, codes.NotFound)
	_, err = sm.ListStateMachineVersions(ctx, &stepwisev1.ListStateMachineVersionsRequest{Name: "vm", PageSize: 1001})
	wantCode(t, "list 1001 versions", err, codes.InvalidArgument)
	_, err = sm.ListStateMachineVersions(ctx, &stepwisev1.ListStateMachineVersionsRequest{Name: "vm", PageToken: "!"})
	wantCode(t, "list with a bad token", err, codes.InvalidArgument)
	if _, err := sm.DeleteStateMachineAlias(ctx, &stepwisev1.DeleteStateMachineAliasRequest{StateMachineName: "vm", Name: "prod"}); err != nil {
		t.Errorf("delete alias: %v", err)
	}
	if _, err := sm.DeleteStateMachineVersion(ctx, &stepwisev1.DeleteStateMachineVersionRequest{Name: "vm", Number: 2}); err != nil {
		t.Errorf("delete version 2 once no alias routes to it: %v", err)
	}
	_, err = sm.PublishStateMachineVersion(ctx, &stepwisev1.PublishStateMachineVersionRequest{Name: "nope"})
	wantCode(t, "publish a missing machine", err, codes.NotFound)
}

// TestRESTVersionsAliases drives the same routes as JSON over HTTP: the
// answers' shapes (RFC 3339 times, routing), the error statuses, and the
// routes in the OpenAPI document.
func TestRESTVersionsAliases(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	call := func(method, path, body string) (int, map[string]any) {
		t.Helper()
		return do(t, method, srv.HTTPURL+path, body)
	}
	if code, body := call("POST", "/v1/state-machines", `{"name":"rv","definition":`+jsonString(passDef)+`}`); code != 200 {
		t.Fatalf("create = %d %v", code, body)
	}
	code, body := call("POST", "/v1/state-machines/rv/versions", `{"description":"one"}`)
	if code != 200 || dig(body, "version", "number") != 1.0 || dig(body, "version", "description") != "one" {
		t.Fatalf("publish = %d %v", code, body)
	}
	if s, ok := dig(body, "version", "created").(string); !ok || !strings.HasSuffix(s, "Z") {
		t.Errorf("version.created = %v; want an RFC 3339 string", dig(body, "version", "created"))
	}
	if code, body := call("PUT", "/v1/state-machines/rv", `{"definition":`+jsonString(passDef2)+`}`); code != 200 {
		t.Fatalf("update = %d %v", code, body)
	}
	if code, body := call("POST", "/v1/state-machines/rv/versions", `{}`); code != 200 || dig(body, "version", "number") != 2.0 {
		t.Fatalf("publish 2 = %d %v", code, body)
	}
	code, body = call("GET", "/v1/state-machines/rv/versions", "")
	if vs, _ := body["versions"].([]any); code != 200 || len(vs) != 2 || dig(vs[0], "number") != 2.0 {
		t.Errorf("list versions = %d %v; want 2 then 1", code, body)
	}
	code, body = call("GET", "/v1/state-machines/rv/versions/1", "")
	if code != 200 || dig(body, "stateMachine", "definition") != passDef || dig(body, "version", "revision") != 1.0 {
		t.Errorf("describe version 1 = %d %v; want revision 1's definition", code, body)
	}

	code, body = call("GET", "/v1/state-machines/rv:1", "")
	if code != 200 || dig(body, "stateMachine", "definition") != passDef {
		t.Errorf("describe rv:1 = %d %v; want version 1's definition", code, body)
	}

	code, body = call("POST", "/v1/state-machines/rv/aliases", `{"name":"live","routing":[{"version":2,"weight":80},{"version":1,"weight":20}]}`)
	if code != 200 || dig(body, "alias", "name") != "live" {
		t.Fatalf("create alias = %d %v", code, body)
	}
	if rs, _ := dig(body, "alias", "routing").([]any); len(rs) != 2 || dig(rs[0], "weight") != 80.0 || !strings.HasSuffix(dig(rs[1], "versionArn").(string), ":rv:1") {
		t.Errorf("alias.routing = %v", dig(body, "alias", "routing"))
	}
	if _, ok := dig(body, "alias", "updated").(string); !ok {
		t.Errorf("alias.updated = %v; want a string", dig(body, "alias", "updated"))
	}
	code, body = call("PATCH", "/v1/state-machines/rv/aliases/live", `{"routing":[{"version":1,"weight":60},{"version":2,"weight":30}]}`)
	if code != http.StatusBadRequest || !strings.Contains(dig(body, "message").(string), "sum to 100") {
		t.Errorf("update to weights of 90 = %d %v; want 400", code, body)
	}
	code, body = call("PATCH", "/v1/state-machines/rv/aliases/live", `{"description":"all on 1","routing":[{"version":1,"weight":100}]}`)
	if code != 200 || dig(body, "alias", "description") != "all on 1" {
		t.Errorf("update alias = %d %v", code, body)
	}
	code, body = call("POST", "/v1/state-machines/rv:live/executions", `{"name":"via-live"}`)
	if code != 200 || dig(body, "execution", "stateMachineVersion") != 1.0 {
		t.Errorf("start rv:live = %d %v; want revision 1", code, body)
	}
	code, body = call("GET", "/v1/state-machines/rv/aliases/live", "")
	if rs, _ := dig(body, "alias", "routing").([]any); code != 200 || len(rs) != 1 || dig(rs[0], "version") != 1.0 {
		t.Errorf("describe alias = %d %v; want all on version 1", code, body)
	}
	code, body = call("GET", "/v1/state-machines/rv/aliases", "")
	if as, _ := body["aliases"].([]any); code != 200 || len(as) != 1 {
		t.Errorf("list aliases = %d %v", code, body)
	}
	if code, body := call("DELETE", "/v1/state-machines/rv/versions/1", ""); code != http.StatusBadRequest || !strings.Contains(dig(body, "message").(string), "live") {
		t.Errorf("delete a routed version = %d %v; want 400 naming the alias", code, body)
	}
	if code, body := call("POST", "/v1/state-machines/rv/versions", `{"revision":1}`); code != http.StatusConflict {
		t.Errorf("publish a stale revision = %d %v; want 409", code, body)
	}
	if code, body := call("GET", "/v1/state-machines/rv/versions/9", ""); code != http.StatusNotFound {
		t.Errorf("describe version 9 = %d %v; want 404", code, body)
	}
	if code, body := call("POST", "/v1/state-machines/rv/aliases", `{"name":"x","description":"`+strings.Repeat("d", 257)+`","routing":[{"version":1,"weight":100}]}`); code != http.StatusBadRequest {
		t.Errorf("create with a long description = %d %v; want 400", code, body)
	}
	if code, body := call("DELETE", "/v1/state-machines/rv/aliases/live", ""); code != 200 {
		t.Errorf("delete alias = %d %v", code, body)
	}
	if code, body := call("DELETE", "/v1/state-machines/rv/versions/1", ""); code != 200 {
		t.Errorf("delete version 1 = %d %v", code, body)
	}

	// The OpenAPI document has the routes.
	resp, err := testserver.HTTPClient.Get(srv.HTTPURL + "/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	for path, methods := range map[string][]string{
		"/v1/state-machines/{name}/versions":                   {"get", "post"},
		"/v1/state-machines/{name}/versions/{number}":          {"get", "delete"},
		"/v1/state-machines/{stateMachineName}/aliases":        {"get", "post"},
		"/v1/state-machines/{stateMachineName}/aliases/{name}": {"get", "patch", "delete"},
	} {
		for _, m := range methods {
			if doc.Paths[path][m] == nil {
				t.Errorf("openapi.json has no %s %s", strings.ToUpper(m), path)
			}
		}
	}
}
