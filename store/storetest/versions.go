package storetest

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
)

// The scenarios of published versions and aliases (engine.VersionStore).
func init() {
	scenarios = append(scenarios,
		struct {
			name string
			fn   func(t *testing.T, newStore NewStore)
		}{"PublishedVersions", testPublishedVersions},
		struct {
			name string
			fn   func(t *testing.T, newStore NewStore)
		}{"Aliases", testAliases},
	)
}

func resultMachine(result string) string {
	return `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":"` + result + `","End":true}}}`
}

func strp(s string) *string { return &s }

// testPublishedVersions: revisions made by definition and role updates,
// publishing (idempotent, revision-checked), listing newest first with
// pages, deletion that never reuses a number, and the machine's creation
// date kept apart from its latest revision's.
func testPublishedVersions(t *testing.T, newStore NewStore) {
	h := newHarness(t, newStore, nil)
	ctx := h.ctx
	sm := h.machine("m", resultMachine("r1"))
	created := sm.CreatedAt

	v1, err := h.eng.PublishStateMachineVersion(ctx, "m", "", "first")
	if err != nil || v1.Number != 1 || v1.Revision != sm.Version || v1.Description != "first" || v1.RoleARN != role {
		t.Fatalf("PublishStateMachineVersion = %+v, %v; want version 1 of revision %d with its role", v1, err, sm.Version)
	}
	if again, err := h.eng.PublishStateMachineVersion(ctx, "m", "", "other"); err != nil || again.Number != 1 || again.Description != "first" {
		t.Errorf("PublishStateMachineVersion(unchanged) = %+v, %v; want version 1 again", again, err)
	}

	h.clock.Add(time.Minute)
	same, _, err := h.eng.ReviseStateMachine(ctx, engine.UpdateStateMachineInput{Name: "m", Definition: strp(resultMachine("r1")), RoleARN: strp(role)})
	if err != nil || same.Version != sm.Version {
		t.Errorf("ReviseStateMachine(no change) = revision %d, %v; want %d", same.Version, err, sm.Version)
	}
	const role2 = "arn:aws:iam::111111111111:role/other"
	r2, _, err := h.eng.ReviseStateMachine(ctx, engine.UpdateStateMachineInput{Name: "m", RoleARN: strp(role2)})
	if err != nil || r2.Version != sm.Version+1 || r2.RoleARN != role2 || r2.Definition != resultMachine("r1") {
		t.Fatalf("ReviseStateMachine(role only) = %+v, %v; want a new revision with the new role", r2, err)
	}
	if got, err := h.eng.DescribeStateMachine(ctx, "m", 0); err != nil || got.RoleARN != role2 {
		t.Errorf("DescribeStateMachine after a role update = role %q, %v; want %q", got.RoleARN, err, role2)
	}
	if at, err := h.eng.StateMachineCreatedAt(ctx, "m"); err != nil || !at.Equal(created) {
		t.Errorf("StateMachineCreatedAt = %v, %v; want the creation %v", at, err, created)
	}

	var rc *engine.RevisionConflictError
	if _, err := h.eng.PublishStateMachineVersion(ctx, "m", engine.RevisionID(sm.Version), ""); !errors.As(err, &rc) ||
		rc.Current != engine.RevisionID(r2.Version) {
		t.Errorf("PublishStateMachineVersion(stale revision) = %v; want a RevisionConflictError naming revision %d", err, r2.Version)
	}
	r3, v2, err := h.eng.ReviseStateMachine(ctx, engine.UpdateStateMachineInput{Name: "m", Definition: strp(resultMachine("r3")), Publish: true, VersionDescription: "third"})
	if err != nil || v2.Number != 2 || v2.Revision != r3.Version || v2.RoleARN != role2 {
		t.Fatalf("ReviseStateMachine(publish) = %+v, %+v, %v; want version 2 of the new revision", r3, v2, err)
	}

	got, ver, err := h.eng.DescribeStateMachineVersion(ctx, "m", 1)
	if err != nil || got.Definition != resultMachine("r1") || got.RoleARN != role || ver.Description != "first" {
		t.Errorf("DescribeStateMachineVersion(1) = %+v, %+v, %v; want revision 1's definition and role", got, ver, err)
	}
	vs, next, err := h.eng.ListStateMachineVersions(ctx, "m", 1, "")
	if err != nil || len(vs) != 1 || vs[0].Number != 2 || next == "" {
		t.Fatalf("ListStateMachineVersions(page 1) = %+v, %q, %v; want version 2 and a token", vs, next, err)
	}
	if vs, next, err = h.eng.ListStateMachineVersions(ctx, "m", 1, next); err != nil || len(vs) != 1 || vs[0].Number != 1 || next != "" {
		t.Errorf("ListStateMachineVersions(page 2) = %+v, %q, %v; want version 1 and no token", vs, next, err)
	}
	if _, _, err := h.eng.ListStateMachineVersions(ctx, "m", 0, "!!"); !errors.Is(err, engine.ErrInvalidInput) {
		t.Errorf("ListStateMachineVersions(bad token) = %v; want ErrInvalidInput", err)
	}

	if err := h.eng.DeleteStateMachineVersion(ctx, "m", 2); err != nil {
		t.Fatalf("DeleteStateMachineVersion(2) = %v", err)
	}
	if err := h.eng.DeleteStateMachineVersion(ctx, "m", 2); err != nil {
		t.Errorf("DeleteStateMachineVersion(2, again) = %v; want nil", err)
	}
	if _, _, err := h.eng.DescribeStateMachineVersion(ctx, "m", 2); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("DescribeStateMachineVersion(deleted) = %v; want ErrNotFound", err)
	}
	if v3, err := h.eng.PublishStateMachineVersion(ctx, "m", engine.RevisionID(r3.Version), ""); err != nil || v3.Number != 3 {
		t.Errorf("PublishStateMachineVersion after deleting 2 = %+v, %v; want number 3 (never reused)", v3, err)
	}

	// An execution through version 1 runs revision 1 and says so.
	in, err := h.eng.StartTarget(ctx, "m", "1")
	if err != nil || in.Version != sm.Version {
		t.Fatalf("StartTarget(m, 1) = %+v, %v; want revision %d", in, err, sm.Version)
	}
	in.Name = "through-v1"
	x, err := h.eng.StartExecution(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if d := h.drive(x.ARN, double); d.Output != `"r1"` {
		t.Errorf("execution through version 1 = %s %s; want \"r1\"", d.Status, d.Output)
	}
	if n, alias, err := h.eng.ExecutionRoute(ctx, h.describe(x.ARN)); n != 1 || alias != "" || err != nil {
		t.Errorf("ExecutionRoute = %d, %q, %v; want version 1, no alias", n, alias, err)
	}
	if _, err := h.eng.StartTarget(ctx, "m", "2"); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("StartTarget(deleted version) = %v; want ErrNotFound", err)
	}

	if err := h.eng.DeleteStateMachine(ctx, "m"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.eng.ListStateMachineVersions(ctx, "m", 0, ""); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("ListStateMachineVersions(deleted machine) = %v; want ErrNotFound", err)
	}
}

// testAliases: create (idempotent, conflicting), describe, update, list
// with pages, routing by weight, a version an alias routes to cannot be
// deleted, delete, and a machine's deletion takes its aliases.
func testAliases(t *testing.T, newStore NewStore) {
	r := 0.0
	h := newHarness(t, newStore, func(c *engine.Config) { c.Random = func() float64 { return r } })
	ctx := h.ctx
	h.machine("m", resultMachine("one"))
	if _, err := h.eng.PublishStateMachineVersion(ctx, "m", "", ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.eng.ReviseStateMachine(ctx, engine.UpdateStateMachineInput{Name: "m", Definition: strp(resultMachine("two")), Publish: true}); err != nil {
		t.Fatal(err)
	}

	split := []engine.Route{{Version: 1, Weight: 30}, {Version: 2, Weight: 70}}
	a, err := h.eng.CreateStateMachineAlias(ctx, engine.Alias{StateMachine: "m", Name: "prod", Description: "d", Routes: split})
	if err != nil || a.CreatedAt.IsZero() {
		t.Fatalf("CreateStateMachineAlias = %+v, %v", a, err)
	}
	if again, err := h.eng.CreateStateMachineAlias(ctx, engine.Alias{StateMachine: "m", Name: "prod", Description: "d", Routes: split}); err != nil || !again.CreatedAt.Equal(a.CreatedAt) {
		t.Errorf("CreateStateMachineAlias(same) = %+v, %v; want the existing alias", again, err)
	}
	if _, err := h.eng.CreateStateMachineAlias(ctx, engine.Alias{StateMachine: "m", Name: "prod", Routes: []engine.Route{{Version: 1, Weight: 100}}}); !errors.Is(err, engine.ErrConflict) {
		t.Errorf("CreateStateMachineAlias(same name, other routes) = %v; want ErrConflict", err)
	}
	if _, err := h.eng.CreateStateMachineAlias(ctx, engine.Alias{StateMachine: "m", Name: "x", Routes: []engine.Route{{Version: 9, Weight: 100}}}); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("CreateStateMachineAlias(no such version) = %v; want ErrNotFound", err)
	}
	got, err := h.eng.DescribeStateMachineAlias(ctx, "m", "prod")
	if err != nil || got.Description != "d" || !reflect.DeepEqual(got.Routes, split) {
		t.Errorf("DescribeStateMachineAlias = %+v, %v; want the routes %v", got, err, split)
	}

	// Weights: a draw below 0.30 picks version 1, at or above it version 2.
	for _, c := range []struct {
		r    float64
		want string
	}{{0.1, `"one"`}, {0.29, `"one"`}, {0.3, `"two"`}, {0.99, `"two"`}} {
		r = c.r
		in, err := h.eng.StartTarget(ctx, "m", "prod")
		if err != nil {
			t.Fatal(err)
		}
		in.Name = "draw-" + engine.RevisionID(int(c.r*100))
		x, err := h.eng.StartExecution(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		d := h.drive(x.ARN, double)
		n, alias, err := h.eng.ExecutionRoute(ctx, d)
		if d.Output != c.want || alias != "prod" || err != nil || (n == 1) != (c.want == `"one"`) {
			t.Errorf("draw %v through prod = %s, version %d, alias %q, %v; want %s", c.r, d.Output, n, alias, err, c.want)
		}
	}

	var inUse *engine.VersionInUseError
	if err := h.eng.DeleteStateMachineVersion(ctx, "m", 1); !errors.As(err, &inUse) || !reflect.DeepEqual(inUse.Aliases, []string{"prod"}) {
		t.Errorf("DeleteStateMachineVersion(routed to) = %v; want VersionInUseError [prod]", err)
	}
	h.clock.Add(time.Minute)
	up, err := h.eng.UpdateStateMachineAlias(ctx, "m", "prod", nil, []engine.Route{{Version: 2, Weight: 100}})
	if err != nil || up.Description != "d" || !up.UpdatedAt.After(up.CreatedAt) {
		t.Errorf("UpdateStateMachineAlias(routes) = %+v, %v; want the description kept and a later update date", up, err)
	}
	if err := h.eng.DeleteStateMachineVersion(ctx, "m", 1); err != nil {
		t.Errorf("DeleteStateMachineVersion(no longer routed to) = %v", err)
	}
	if _, err := h.eng.UpdateStateMachineAlias(ctx, "m", "nope", strp("x"), nil); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("UpdateStateMachineAlias(no such alias) = %v; want ErrNotFound", err)
	}

	// Newest first, as AWS lists them: a-1 and b-2 are created at the
	// same time (the later name first), c-0 after them.
	h.clock.Add(time.Minute)
	create := func(n string) {
		t.Helper()
		if _, err := h.eng.CreateStateMachineAlias(ctx, engine.Alias{StateMachine: "m", Name: n, Routes: []engine.Route{{Version: 2, Weight: 100}}}); err != nil {
			t.Fatal(err)
		}
	}
	create("a-1")
	create("b-2")
	h.clock.Add(time.Minute)
	create("c-0")
	list := func(token string) (names []string) {
		t.Helper()
		for page := 0; page < 5; page++ {
			as, next, err := h.eng.ListStateMachineAliases(ctx, "m", 2, token)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range as {
				names = append(names, a.Name)
			}
			if token = next; token == "" {
				break
			}
		}
		return names
	}
	if got, want := list(""), []string{"c-0", "b-2", "a-1", "prod"}; !reflect.DeepEqual(got, want) {
		t.Errorf("ListStateMachineAliases pages = %v; want %v", got, want)
	}
	// A next token names its place: an alias created, or one of the first
	// page deleted, before the next page is read changes nothing after it.
	_, token, err := h.eng.ListStateMachineAliases(ctx, "m", 2, "")
	if err != nil || token == "" {
		t.Fatalf("ListStateMachineAliases(2) = token %q, %v; want a next token", token, err)
	}
	h.clock.Add(time.Minute)
	create("d-new")
	if err := h.eng.DeleteStateMachineAlias(ctx, "m", "b-2"); err != nil {
		t.Fatal(err)
	}
	if got, want := list(token), []string{"a-1", "prod"}; !reflect.DeepEqual(got, want) {
		t.Errorf("ListStateMachineAliases(next page after a create and a delete) = %v; want %v", got, want)
	}

	if err := h.eng.DeleteStateMachineAlias(ctx, "m", "a-1"); err != nil {
		t.Fatal(err)
	}
	if err := h.eng.DeleteStateMachineAlias(ctx, "m", "a-1"); err != nil {
		t.Errorf("DeleteStateMachineAlias(again) = %v; want nil", err)
	}
	if _, err := h.eng.DescribeStateMachineAlias(ctx, "m", "a-1"); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("DescribeStateMachineAlias(deleted) = %v; want ErrNotFound", err)
	}
	if err := h.eng.DeleteStateMachine(ctx, "m"); err != nil {
		t.Fatal(err)
	}
	h.machine("m", resultMachine("new"))
	if as, _, err := h.eng.ListStateMachineAliases(ctx, "m", 0, ""); err != nil || len(as) != 0 {
		t.Errorf("ListStateMachineAliases(recreated machine) = %+v, %v; want none", as, err)
	}
}
