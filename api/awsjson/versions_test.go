package awsjson_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

const machineARN = "arn:aws:states:us-east-1:111111111111:stateMachine:"

// wantError checks an AWS error answer: HTTP 400, its __type and (when
// msg is not "") its message.
func wantError(t *testing.T, what string, status int, body map[string]any, code, msg string) {
	t.Helper()
	if status != 400 || body["__type"] != code || (msg != "" && body["message"] != msg) {
		t.Errorf("%s = %d %v; want 400 %s %q", what, status, body, code, msg)
	}
}

// wantOK checks a successful answer and returns its body.
func wantOK(t *testing.T, url, op string, req any) map[string]any {
	t.Helper()
	status, body := call(t, url, op, req)
	if status != 200 {
		t.Fatalf("%s(%v) = %d %v; want 200", op, req, status, body)
	}
	return body
}

// waitStatus polls DescribeExecution until it is not RUNNING.
func waitStatus(t *testing.T, url, arn string) map[string]any {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; {
		d := wantOK(t, url, "DescribeExecution", map[string]any{"executionArn": arn})
		if d["status"] != "RUNNING" {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("execution %s still RUNNING", arn)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func pass(result string) string {
	return `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":"` + result + `","End":true}}}`
}

// TestVersions drives published versions over the AWS JSON protocol:
// publish on create and update, PublishStateMachineVersion (idempotent,
// revision-checked), a role-only update, DescribeStateMachine of a
// version, ListStateMachineVersions pages, DeleteStateMachineVersion and
// executions started through a version.
func TestVersions(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	u := ts.URL
	arn := machineARN + "ver"

	status, body := call(t, u, "CreateStateMachine", map[string]any{"name": "ver", "definition": pass("one"), "roleArn": role, "versionDescription": "d"})
	wantError(t, "CreateStateMachine(versionDescription without publish)", status, body, "ValidationException", "Version description can only be set when publish is true")
	created := wantOK(t, u, "CreateStateMachine", map[string]any{"name": "ver", "definition": pass("one"), "roleArn": role, "publish": true, "versionDescription": "first"})
	if created["stateMachineVersionArn"] != arn+":1" || created["stateMachineArn"] != arn {
		t.Fatalf("CreateStateMachine(publish) = %v; want version %s:1", created, arn)
	}
	v1 := wantOK(t, u, "DescribeStateMachine", map[string]any{"stateMachineArn": arn + ":1"})
	if v1["stateMachineArn"] != arn+":1" || v1["description"] != "first" || v1["definition"] != pass("one") || v1["roleArn"] != role {
		t.Errorf("DescribeStateMachine(version 1) = %v", v1)
	}

	// A role-only update changes the role and the revision, not the
	// machine's creation date.
	const role2 = "arn:aws:iam::111111111111:role/second"
	up := wantOK(t, u, "UpdateStateMachine", map[string]any{"stateMachineArn": arn, "roleArn": role2})
	d := wantOK(t, u, "DescribeStateMachine", map[string]any{"stateMachineArn": arn})
	if d["roleArn"] != role2 || d["revisionId"] != up["revisionId"] || d["revisionId"] == v1["revisionId"] || d["creationDate"] != created["creationDate"] {
		t.Errorf("DescribeStateMachine after a role update = %v (update %v, created %v); want role %s, the new revision and the creation date", d, up, created, role2)
	}
	oldRevision := up["revisionId"]
	if again := wantOK(t, u, "CreateStateMachine", map[string]any{"name": "ver", "definition": pass("one"), "roleArn": role2}); again["creationDate"] != created["creationDate"] {
		t.Errorf("CreateStateMachine(again, unchanged) = %v; want the first creation date %v", again, created["creationDate"])
	}
	up = wantOK(t, u, "UpdateStateMachine", map[string]any{"stateMachineArn": arn, "definition": pass("two"), "publish": true, "versionDescription": "second"})
	if up["stateMachineVersionArn"] != arn+":2" {
		t.Errorf("UpdateStateMachine(publish) = %v; want version 2", up)
	}
	status, body = call(t, u, "PublishStateMachineVersion", map[string]any{"stateMachineArn": arn, "revisionId": oldRevision})
	wantError(t, "PublishStateMachineVersion(stale revision)", status, body, "ConflictException",
		"Failed to publish the State Machine version for revision "+oldRevision.(string)+". The current State Machine revision is "+up["revisionId"].(string)+".")
	if p := wantOK(t, u, "PublishStateMachineVersion", map[string]any{"stateMachineArn": arn, "revisionId": up["revisionId"]}); p["stateMachineVersionArn"] != arn+":2" {
		t.Errorf("PublishStateMachineVersion(unchanged) = %v; want version 2 again", p)
	}
	status, body = call(t, u, "PublishStateMachineVersion", map[string]any{"stateMachineArn": machineARN + "nope"})
	wantError(t, "PublishStateMachineVersion(no such machine)", status, body, "StateMachineDoesNotExist", "State Machine Does Not Exist: '"+machineARN+"nope'")
	status, body = call(t, u, "PublishStateMachineVersion", map[string]any{"stateMachineArn": "invalid_arn"})
	wantError(t, "PublishStateMachineVersion(invalid ARN)", status, body, "InvalidArn", "Invalid Arn: 'Invalid ARN prefix: invalid_arn'")
	status, body = call(t, u, "UpdateStateMachine", map[string]any{"stateMachineArn": arn + ":2", "definition": pass("x")})
	wantError(t, "UpdateStateMachine(version ARN)", status, body, "StateMachineDoesNotExist", "State Machine Does Not Exist: '"+arn+":2'")

	page := wantOK(t, u, "ListStateMachineVersions", map[string]any{"stateMachineArn": arn, "maxResults": 1})
	vs, _ := page["stateMachineVersions"].([]any)
	if len(vs) != 1 || vs[0].(map[string]any)["stateMachineVersionArn"] != arn+":2" || page["nextToken"] == nil {
		t.Fatalf("ListStateMachineVersions(page 1) = %v; want version 2 and a token", page)
	}
	page = wantOK(t, u, "ListStateMachineVersions", map[string]any{"stateMachineArn": arn, "maxResults": 1, "nextToken": page["nextToken"]})
	if vs, _ = page["stateMachineVersions"].([]any); len(vs) != 1 || vs[0].(map[string]any)["stateMachineVersionArn"] != arn+":1" || page["nextToken"] != nil {
		t.Errorf("ListStateMachineVersions(page 2) = %v; want version 1, no token", page)
	}
	status, body = call(t, u, "ListStateMachineVersions", map[string]any{"stateMachineArn": arn, "nextToken": strings.Repeat("x", 1025)})
	wantError(t, "ListStateMachineVersions(long token)", status, body, "ValidationException", "")
	if msg, _ := body["message"].(string); !strings.HasSuffix(msg, "' at 'nextToken' failed to satisfy constraint: Member must have length less than or equal to 1024") {
		t.Errorf("ListStateMachineVersions(long token) message = %q", msg)
	}

	// Executions through version 1 (an older revision) and the latest.
	x1 := wantOK(t, u, "StartExecution", map[string]any{"stateMachineArn": arn + ":1", "name": "v1"})
	x0 := wantOK(t, u, "StartExecution", map[string]any{"stateMachineArn": arn, "name": "plain"})
	d1 := waitStatus(t, u, x1["executionArn"].(string))
	if d1["output"] != `"one"` || d1["stateMachineArn"] != arn || d1["stateMachineVersionArn"] != arn+":1" || d1["stateMachineAliasArn"] != nil {
		t.Errorf("DescribeExecution(through version 1) = %v", d1)
	}
	d0 := waitStatus(t, u, x0["executionArn"].(string))
	if d0["output"] != `"two"` || d0["stateMachineVersionArn"] != nil {
		t.Errorf("DescribeExecution(unqualified) = %v; want the latest revision and no version ARN", d0)
	}
	l := wantOK(t, u, "ListExecutions", map[string]any{"stateMachineArn": arn + ":1"})
	if xs, _ := l["executions"].([]any); len(xs) != 1 || xs[0].(map[string]any)["executionArn"] != x1["executionArn"] ||
		xs[0].(map[string]any)["stateMachineVersionArn"] != arn+":1" {
		t.Errorf("ListExecutions(version 1) = %v; want the one execution through it", l)
	}
	status, body = call(t, u, "StartExecution", map[string]any{"stateMachineArn": arn + ":7"})
	wantError(t, "StartExecution(no such version)", status, body, "StateMachineDoesNotExist", "State Machine Does Not Exist: '"+arn+":7'")

	status, body = call(t, u, "TagResource", map[string]any{"resourceArn": arn + ":1", "tags": []map[string]string{{"key": "k", "value": "v"}}})
	wantError(t, "TagResource(version)", status, body, "ResourceNotFound", "Resource not found: '"+arn+":1'")

	wantOK(t, u, "DeleteStateMachineVersion", map[string]any{"stateMachineVersionArn": arn + ":1"})
	wantOK(t, u, "DeleteStateMachineVersion", map[string]any{"stateMachineVersionArn": arn + ":1"})
	status, body = call(t, u, "DescribeStateMachine", map[string]any{"stateMachineArn": arn + ":1"})
	wantError(t, "DescribeStateMachine(deleted version)", status, body, "StateMachineDoesNotExist", "State Machine Does Not Exist: '"+arn+":1'")
	status, body = call(t, u, "DeleteStateMachineVersion", map[string]any{"stateMachineVersionArn": arn})
	wantError(t, "DeleteStateMachineVersion(machine ARN)", status, body, "InvalidArn", "")
	// The execution keeps its version ARN after the version is deleted.
	if d := waitStatus(t, u, x1["executionArn"].(string)); d["stateMachineVersionArn"] != arn+":1" {
		t.Errorf("DescribeExecution after deleting its version = %v", d)
	}
}

// TestAliases drives aliases over the AWS JSON protocol: AWS's request
// checks and messages, idempotent and conflicting creation, weighted
// routing of StartExecution, describe, update, list, and deletion rules.
func TestAliases(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	u := ts.URL
	arn := machineARN + "ali"
	wantOK(t, u, "CreateStateMachine", map[string]any{"name": "ali", "definition": pass("one"), "roleArn": role, "publish": true})
	wantOK(t, u, "UpdateStateMachine", map[string]any{"stateMachineArn": arn, "definition": pass("two"), "publish": true})
	route := func(v string, w int) map[string]any {
		return map[string]any{"stateMachineVersionArn": arn + v, "weight": w}
	}
	create := func(name string, routes ...map[string]any) (int, map[string]any) {
		return call(t, u, "CreateStateMachineAlias", map[string]any{"name": name, "description": "d", "routingConfiguration": routes})
	}

	for _, c := range []struct {
		what, name string
		routes     []map[string]any
		code, msg  string
	}{
		{"weights below 100", "a", []map[string]any{route(":1", 70), route(":2", 29)}, "ValidationException", "Sum of routing configuration weights must equal 100. Received: [70, 29]"},
		{"weights above 100", "a", []map[string]any{route(":1", 70), route(":2", 31)}, "ValidationException", "Sum of routing configuration weights must equal 100. Received: [70, 31]"},
		{"a machine ARN", "a", []map[string]any{route("", 70), route(":2", 30)}, "ValidationException", "Routing configuration must contain state machine version ARNs. Received: [" + arn + ", " + arn + ":2]"},
		{"one version twice", "a", []map[string]any{route(":1", 50), route(":1", 50)}, "ValidationException", "Routing configuration must contain distinct state machine version ARNs. Received: [" + arn + ":1, " + arn + ":1]"},
		{"a weight above 100", "a", []map[string]any{route(":1", 101)}, "ValidationException", "1 validation error detected: Value '101' at 'routingConfiguration.1.member.weight' failed to satisfy constraint: Member must have value less than or equal to 100"},
		{"three routes", "a", []map[string]any{route(":1", 50), route(":2", 30), route(":3", 20)}, "ValidationException", ""},
		{"a digits-only name", "123", []map[string]any{route(":1", 100)}, "ValidationException", `1 validation error detected: Value '123' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^(?=.*[a-zA-Z_\-\.])[a-zA-Z0-9_\-\.]+$`},
		{"a name with @", "ALIAS@", []map[string]any{route(":1", 100)}, "ValidationException", `1 validation error detected: Value 'ALIAS@' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^(?=.*[a-zA-Z_\-\.])[a-zA-Z0-9_\-\.]+$`},
		{"no such version", "a", []map[string]any{route(":9", 100)}, "ResourceNotFound", ""},
	} {
		status, body := create(c.name, c.routes...)
		wantError(t, "CreateStateMachineAlias("+c.what+")", status, body, c.code, c.msg)
	}

	created := wantOK(t, u, "CreateStateMachineAlias", map[string]any{"name": "prod", "description": "d", "routingConfiguration": []map[string]any{route(":1", 50), route(":2", 50)}})
	if created["stateMachineAliasArn"] != arn+":prod" || created["creationDate"] == nil {
		t.Fatalf("CreateStateMachineAlias = %v", created)
	}
	if again := wantOK(t, u, "CreateStateMachineAlias", map[string]any{"name": "prod", "description": "d", "routingConfiguration": []map[string]any{route(":1", 50), route(":2", 50)}}); again["creationDate"] != created["creationDate"] {
		t.Errorf("CreateStateMachineAlias(same again) = %v; want the existing alias %v", again, created)
	}
	status, body := create("prod", route(":1", 100))
	wantError(t, "CreateStateMachineAlias(same name, other routes)", status, body, "ConflictException",
		"Failed to create alias because an alias with the same name and a different routing configuration already exists.")

	got := wantOK(t, u, "DescribeStateMachineAlias", map[string]any{"stateMachineAliasArn": arn + ":prod"})
	rc, _ := got["routingConfiguration"].([]any)
	if got["name"] != "prod" || got["description"] != "d" || len(rc) != 2 || rc[1].(map[string]any)["stateMachineVersionArn"] != arn+":2" || got["updateDate"] == nil {
		t.Errorf("DescribeStateMachineAlias = %v", got)
	}
	status, body = call(t, u, "DescribeStateMachineAlias", map[string]any{"stateMachineAliasArn": arn + ":nope"})
	wantError(t, "DescribeStateMachineAlias(no such alias)", status, body, "ResourceNotFound", "Request references a resource that does not exist.")
	status, body = call(t, u, "UpdateStateMachineAlias", map[string]any{"stateMachineAliasArn": arn + ":nope", "description": "x"})
	wantError(t, "UpdateStateMachineAlias(no such alias)", status, body, "ResourceNotFound", "Request references a resource that does not exist.")

	status, body = call(t, u, "DeleteStateMachineVersion", map[string]any{"stateMachineVersionArn": arn + ":1"})
	wantError(t, "DeleteStateMachineVersion(routed to)", status, body, "ConflictException",
		"Version to be deleted must not be referenced by an alias. Current list of aliases referencing this version: [prod]")

	// Through the alias: each execution records the alias and the version
	// it was routed to; with 50/50 weights both versions show up.
	seen := map[string]bool{}
	for i := 0; i < 40 && len(seen) < 2; i++ {
		x := wantOK(t, u, "StartExecution", map[string]any{"stateMachineArn": arn + ":prod"})
		d := waitStatus(t, u, x["executionArn"].(string))
		want := map[any]string{`"one"`: arn + ":1", `"two"`: arn + ":2"}[d["output"]]
		if d["stateMachineAliasArn"] != arn+":prod" || d["stateMachineArn"] != arn || want == "" || d["stateMachineVersionArn"] != want {
			t.Fatalf("DescribeExecution(through prod) = %v", d)
		}
		seen[want] = true
	}
	if len(seen) != 2 {
		t.Errorf("40 executions through a 50/50 alias ran versions %v; want both", seen)
	}
	l := wantOK(t, u, "ListExecutions", map[string]any{"stateMachineArn": arn + ":prod", "maxResults": 1})
	if xs, _ := l["executions"].([]any); len(xs) != 1 || xs[0].(map[string]any)["stateMachineAliasArn"] != arn+":prod" {
		t.Errorf("ListExecutions(alias) = %v", l)
	}

	if up := wantOK(t, u, "UpdateStateMachineAlias", map[string]any{"stateMachineAliasArn": arn + ":prod", "routingConfiguration": []map[string]any{route(":2", 100)}}); up["updateDate"] == nil {
		t.Errorf("UpdateStateMachineAlias = %v; want an updateDate", up)
	}
	got = wantOK(t, u, "DescribeStateMachineAlias", map[string]any{"stateMachineAliasArn": arn + ":prod"})
	if rc, _ = got["routingConfiguration"].([]any); len(rc) != 1 || got["description"] != "d" {
		t.Errorf("DescribeStateMachineAlias after the update = %v; want one route, the description kept", got)
	}
	wantOK(t, u, "DeleteStateMachineVersion", map[string]any{"stateMachineVersionArn": arn + ":1"})

	wantOK(t, u, "CreateStateMachineAlias", map[string]any{"name": "beta", "routingConfiguration": []map[string]any{route(":2", 100)}})
	page := wantOK(t, u, "ListStateMachineAliases", map[string]any{"stateMachineArn": arn, "maxResults": 1})
	as, _ := page["stateMachineAliases"].([]any)
	if len(as) != 1 || as[0].(map[string]any)["stateMachineAliasArn"] != arn+":beta" || page["nextToken"] == nil {
		t.Fatalf("ListStateMachineAliases(page 1) = %v", page)
	}
	page = wantOK(t, u, "ListStateMachineAliases", map[string]any{"stateMachineArn": arn, "nextToken": page["nextToken"]})
	if as, _ = page["stateMachineAliases"].([]any); len(as) != 1 || as[0].(map[string]any)["stateMachineAliasArn"] != arn+":prod" {
		t.Errorf("ListStateMachineAliases(page 2) = %v", page)
	}
	status, body = call(t, u, "ListStateMachineAliases", map[string]any{"stateMachineArn": arn, "nextToken": "InvalidToken"})
	wantError(t, "ListStateMachineAliases(bad token)", status, body, "InvalidToken", "Invalid Token: 'Invalid token'")

	wantOK(t, u, "DeleteStateMachineAlias", map[string]any{"stateMachineAliasArn": arn + ":beta"})
	wantOK(t, u, "DeleteStateMachineAlias", map[string]any{"stateMachineAliasArn": arn + ":beta"})
	status, body = call(t, u, "DeleteStateMachineAlias", map[string]any{"stateMachineAliasArn": arn + ":3"})
	wantError(t, "DeleteStateMachineAlias(a version ARN)", status, body, "InvalidArn", "")
	// Deleting the machine takes its aliases.
	wantOK(t, u, "DeleteStateMachine", map[string]any{"stateMachineArn": arn})
	status, body = call(t, u, "StartExecution", map[string]any{"stateMachineArn": arn + ":prod"})
	wantError(t, "StartExecution(alias of a deleted machine)", status, body, "StateMachineDoesNotExist", "")
}

// TestActivityTags: tags given to CreateActivity, Tag/Untag/
// ListTagsForResource on an activity ARN, and a create with a bad tag
// refused before anything is created.
func TestActivityTags(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	u := ts.URL
	a := wantOK(t, u, "CreateActivity", map[string]any{"name": "act", "tags": []map[string]string{{"key": "team", "value": "core"}}})
	arn, _ := a["activityArn"].(string)
	wantOK(t, u, "TagResource", map[string]any{"resourceArn": arn, "tags": []map[string]string{{"key": "env", "value": "dev"}}})
	wantOK(t, u, "UntagResource", map[string]any{"resourceArn": arn, "tagKeys": []string{"team"}})
	l := wantOK(t, u, "ListTagsForResource", map[string]any{"resourceArn": arn})
	if tags, _ := l["tags"].([]any); len(tags) != 1 || tags[0].(map[string]any)["key"] != "env" || tags[0].(map[string]any)["value"] != "dev" {
		t.Errorf("ListTagsForResource(activity) = %v; want env=dev", l)
	}
	status, body := call(t, u, "ListTagsForResource", map[string]any{"resourceArn": "arn:aws:states:us-east-1:111111111111:activity:nope"})
	wantError(t, "ListTagsForResource(no such activity)", status, body, "ResourceNotFound", "Resource not found: 'arn:aws:states:us-east-1:111111111111:activity:nope'")

	// A bad tag refuses the create before anything is created.
	status, body = call(t, u, "CreateActivity", map[string]any{"name": "bad", "tags": []map[string]string{{"key": "aws:x", "value": "v"}}})
	wantError(t, "CreateActivity(reserved tag key)", status, body, "ValidationException", "")
	status, body = call(t, u, "DescribeActivity", map[string]any{"activityArn": "arn:aws:states:us-east-1:111111111111:activity:bad"})
	wantError(t, "DescribeActivity(refused create)", status, body, "ActivityDoesNotExist", "")
	status, body = call(t, u, "CreateStateMachine", map[string]any{"name": "bad", "definition": pass("x"), "roleArn": role, "tags": []map[string]string{{"key": "aws:x", "value": "v"}}})
	wantError(t, "CreateStateMachine(reserved tag key)", status, body, "ValidationException", "")
	status, body = call(t, u, "DescribeStateMachine", map[string]any{"stateMachineArn": machineARN + "bad"})
	wantError(t, "DescribeStateMachine(refused create)", status, body, "StateMachineDoesNotExist", "")
}

// TestSDKVersionsAndAliases drives versions and aliases with the AWS SDK
// for Go v2, including its typed errors.
func TestSDKVersionsAndAliases(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	c := sdkClient(ts.URL)
	ctx := context.Background()

	sm, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String("sdkv"), Definition: aws.String(pass("one")), RoleArn: aws.String(role), Publish: true, VersionDescription: aws.String("v1"),
	})
	if err != nil || aws.ToString(sm.StateMachineVersionArn) != machineARN+"sdkv:1" {
		t.Fatalf("CreateStateMachine(publish) = %+v, %v", sm, err)
	}
	up, err := c.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: sm.StateMachineArn, Definition: aws.String(pass("two"))})
	if err != nil {
		t.Fatal(err)
	}
	v2, err := c.PublishStateMachineVersion(ctx, &sfn.PublishStateMachineVersionInput{StateMachineArn: sm.StateMachineArn, RevisionId: up.RevisionId, Description: aws.String("v2")})
	if err != nil || aws.ToString(v2.StateMachineVersionArn) != machineARN+"sdkv:2" || v2.CreationDate == nil {
		t.Fatalf("PublishStateMachineVersion = %+v, %v", v2, err)
	}
	d, err := c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: v2.StateMachineVersionArn})
	if err != nil || aws.ToString(d.Description) != "v2" || aws.ToString(d.Definition) != pass("two") {
		t.Errorf("DescribeStateMachine(version 2) = %+v, %v", d, err)
	}
	vs, err := c.ListStateMachineVersions(ctx, &sfn.ListStateMachineVersionsInput{StateMachineArn: sm.StateMachineArn})
	if err != nil || len(vs.StateMachineVersions) != 2 || aws.ToString(vs.StateMachineVersions[0].StateMachineVersionArn) != machineARN+"sdkv:2" {
		t.Errorf("ListStateMachineVersions = %+v, %v; want versions 2 and 1", vs, err)
	}

	_, err = c.CreateStateMachineAlias(ctx, &sfn.CreateStateMachineAliasInput{Name: aws.String("live"), RoutingConfiguration: []types.RoutingConfigurationListItem{
		{StateMachineVersionArn: sm.StateMachineVersionArn, Weight: 60}, {StateMachineVersionArn: v2.StateMachineVersionArn, Weight: 60}}})
	var ve *types.ValidationException
	if !errors.As(err, &ve) {
		t.Errorf("CreateStateMachineAlias(weights 120) = %v; want ValidationException", err)
	}
	al, err := c.CreateStateMachineAlias(ctx, &sfn.CreateStateMachineAliasInput{Name: aws.String("live"), RoutingConfiguration: []types.RoutingConfigurationListItem{
		{StateMachineVersionArn: v2.StateMachineVersionArn, Weight: 100}}})
	if err != nil || aws.ToString(al.StateMachineAliasArn) != machineARN+"sdkv:live" {
		t.Fatalf("CreateStateMachineAlias = %+v, %v", al, err)
	}
	x, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: al.StateMachineAliasArn, Name: aws.String("via-alias")})
	if err != nil {
		t.Fatal(err)
	}
	got := waitDone(t, c, x.ExecutionArn)
	if aws.ToString(got.Output) != `"two"` || aws.ToString(got.StateMachineAliasArn) != machineARN+"sdkv:live" || aws.ToString(got.StateMachineVersionArn) != machineARN+"sdkv:2" {
		t.Errorf("DescribeExecution(via alias) = output %s, alias %s, version %s", aws.ToString(got.Output), aws.ToString(got.StateMachineAliasArn), aws.ToString(got.StateMachineVersionArn))
	}

	_, err = c.DeleteStateMachineVersion(ctx, &sfn.DeleteStateMachineVersionInput{StateMachineVersionArn: v2.StateMachineVersionArn})
	var ce *types.ConflictException
	if !errors.As(err, &ce) {
		t.Errorf("DeleteStateMachineVersion(routed to) = %v; want ConflictException", err)
	}
	if _, err := c.UpdateStateMachineAlias(ctx, &sfn.UpdateStateMachineAliasInput{StateMachineAliasArn: al.StateMachineAliasArn, Description: aws.String("new")}); err != nil {
		t.Errorf("UpdateStateMachineAlias = %v", err)
	}
	da, err := c.DescribeStateMachineAlias(ctx, &sfn.DescribeStateMachineAliasInput{StateMachineAliasArn: al.StateMachineAliasArn})
	if err != nil || aws.ToString(da.Description) != "new" || len(da.RoutingConfiguration) != 1 || da.RoutingConfiguration[0].Weight != 100 {
		t.Errorf("DescribeStateMachineAlias = %+v, %v", da, err)
	}
	la, err := c.ListStateMachineAliases(ctx, &sfn.ListStateMachineAliasesInput{StateMachineArn: sm.StateMachineArn})
	if err != nil || len(la.StateMachineAliases) != 1 {
		t.Errorf("ListStateMachineAliases = %+v, %v", la, err)
	}
	if _, err := c.DeleteStateMachineAlias(ctx, &sfn.DeleteStateMachineAliasInput{StateMachineAliasArn: al.StateMachineAliasArn}); err != nil {
		t.Errorf("DeleteStateMachineAlias = %v", err)
	}
	_, err = c.DescribeStateMachineAlias(ctx, &sfn.DescribeStateMachineAliasInput{StateMachineAliasArn: al.StateMachineAliasArn})
	var rnf *types.ResourceNotFound
	if !errors.As(err, &rnf) {
		t.Errorf("DescribeStateMachineAlias(deleted) = %v; want ResourceNotFound", err)
	}
	if _, err := c.DeleteStateMachineVersion(ctx, &sfn.DeleteStateMachineVersionInput{StateMachineVersionArn: v2.StateMachineVersionArn}); err != nil {
		t.Errorf("DeleteStateMachineVersion(no longer routed to) = %v", err)
	}
}

// TestAliasesOfAVersion: ListStateMachineAliases of a version ARN lists
// the aliases that route to that version (AWS), a page at a time.
func TestAliasesOfAVersion(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	u := ts.URL
	arn := machineARN + "alv"
	wantOK(t, u, "CreateStateMachine", map[string]any{"name": "alv", "definition": pass("one"), "roleArn": role, "publish": true})
	for _, def := range []string{pass("two"), pass("three")} {
		wantOK(t, u, "UpdateStateMachine", map[string]any{"stateMachineArn": arn, "definition": def, "publish": true})
	}
	for _, a := range []struct {
		name   string
		routes []map[string]any
	}{
		{"a", []map[string]any{{"stateMachineVersionArn": arn + ":1", "weight": 100}}},
		{"b", []map[string]any{{"stateMachineVersionArn": arn + ":2", "weight": 50}, {"stateMachineVersionArn": arn + ":1", "weight": 50}}},
		{"c", []map[string]any{{"stateMachineVersionArn": arn + ":2", "weight": 100}}},
		{"d", []map[string]any{{"stateMachineVersionArn": arn + ":1", "weight": 100}}},
	} {
		wantOK(t, u, "CreateStateMachineAlias", map[string]any{"name": a.name, "routingConfiguration": a.routes})
	}
	names := func(page map[string]any) string {
		var got []string
		as, _ := page["stateMachineAliases"].([]any)
		for _, a := range as {
			got = append(got, strings.TrimPrefix(a.(map[string]any)["stateMachineAliasArn"].(string), arn+":"))
		}
		return strings.Join(got, ",")
	}
	page := wantOK(t, u, "ListStateMachineAliases", map[string]any{"stateMachineArn": arn + ":1", "maxResults": 2})
	if names(page) != "d,b" || page["nextToken"] == nil {
		t.Fatalf("ListStateMachineAliases(version 1, maxResults 2) = %v; want d and b (newest first), and a next token", page)
	}
	page = wantOK(t, u, "ListStateMachineAliases", map[string]any{"stateMachineArn": arn + ":1", "maxResults": 2, "nextToken": page["nextToken"]})
	if names(page) != "a" || page["nextToken"] != nil {
		t.Errorf("ListStateMachineAliases(version 1, page 2) = %v; want a alone", page)
	}
	if page = wantOK(t, u, "ListStateMachineAliases", map[string]any{"stateMachineArn": arn + ":2"}); names(page) != "c,b" {
		t.Errorf("ListStateMachineAliases(version 2) = %v; want c and b", page)
	}
	if page = wantOK(t, u, "ListStateMachineAliases", map[string]any{"stateMachineArn": arn + ":3"}); names(page) != "" || page["nextToken"] != nil {
		t.Errorf("ListStateMachineAliases(version 3) = %v; want none", page)
	}
	status, body := call(t, u, "ListStateMachineAliases", map[string]any{"stateMachineArn": arn + ":a"})
	wantError(t, "ListStateMachineAliases(an alias ARN)", status, body, "StateMachineDoesNotExist", "")
}

// TestSDKAliasesNewestFirst: ListStateMachineAliases lists the newest
// alias first, as AWS does (by creationDate), and a next token keeps its
// place when aliases are created or deleted between pages.
func TestSDKAliasesNewestFirst(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	c := sdkClient(ts.URL)
	ctx := context.Background()
	sm, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("newest"), Definition: aws.String(passDefinition),
		RoleArn: aws.String(role), Publish: true})
	if err != nil {
		t.Fatal(err)
	}
	create := func(name string) {
		t.Helper()
		if _, err := c.CreateStateMachineAlias(ctx, &sfn.CreateStateMachineAliasInput{Name: aws.String(name), RoutingConfiguration: []types.RoutingConfigurationListItem{
			{StateMachineVersionArn: sm.StateMachineVersionArn, Weight: 100}}}); err != nil {
			t.Fatal(err)
		}
	}
	// Names in no order, so that an order by name would show.
	for _, n := range []string{"m", "z", "a", "q", "b"} {
		create(n)
	}
	list := func(token *string) (names []string, dates []time.Time) {
		t.Helper()
		for {
			out, err := c.ListStateMachineAliases(ctx, &sfn.ListStateMachineAliasesInput{StateMachineArn: sm.StateMachineArn, MaxResults: 2, NextToken: token})
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range out.StateMachineAliases {
				names = append(names, strings.TrimPrefix(aws.ToString(a.StateMachineAliasArn), machineARN+"newest:"))
				dates = append(dates, aws.ToTime(a.CreationDate))
			}
			if token = out.NextToken; token == nil {
				return names, dates
			}
		}
	}
	names, dates := list(nil)
	if got := strings.Join(names, ","); got != "b,q,a,z,m" {
		t.Errorf("ListStateMachineAliases pages = %s; want b,q,a,z,m (newest first)", got)
	}
	for i := 1; i < len(dates); i++ {
		if dates[i].After(dates[i-1]) {
			t.Errorf("ListStateMachineAliases: %s (created %v) after %s (created %v); want creationDate descending", names[i], dates[i], names[i-1], dates[i-1])
		}
	}

	first, err := c.ListStateMachineAliases(ctx, &sfn.ListStateMachineAliasesInput{StateMachineArn: sm.StateMachineArn, MaxResults: 2})
	if err != nil || first.NextToken == nil {
		t.Fatalf("ListStateMachineAliases(maxResults 2) = %+v, %v; want a next token", first, err)
	}
	create("new")
	if _, err := c.DeleteStateMachineAlias(ctx, &sfn.DeleteStateMachineAliasInput{StateMachineAliasArn: aws.String(machineARN + "newest:q")}); err != nil {
		t.Fatal(err)
	}
	if names, _ := list(first.NextToken); strings.Join(names, ",") != "a,z,m" {
		t.Errorf("ListStateMachineAliases(the next pages after a create and a delete) = %v; want a,z,m", names)
	}
}
