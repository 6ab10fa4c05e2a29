package storetest

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/engine"
)

func testStateMachines(t *testing.T, newStore NewStore) {
	h := newHarness(t, newStore, nil)
	ctx := h.ctx
	def2 := `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":2,"End":true}}}`
	sm := h.machine("m1", passMachine)
	if sm.Version != 1 || !strings.HasSuffix(sm.ARN, ":stateMachine:m1") {
		t.Errorf("CreateStateMachine(m1) = version %d, ARN %q; want 1 and …:stateMachine:m1", sm.Version, sm.ARN)
	}
	if again := h.machine("m1", passMachine); again.Version != 1 {
		t.Errorf("CreateStateMachine(m1) again = version %d; want the existing version 1", again.Version)
	}
	if _, err := h.eng.CreateStateMachine(ctx, "m1", def2, role); !errors.Is(err, engine.ErrStateMachineExists) {
		t.Errorf("CreateStateMachine(m1, other definition) = %v; want ErrStateMachineExists", err)
	}
	v2, err := h.eng.UpdateStateMachine(ctx, "m1", def2)
	if err != nil || v2.Version != 2 || v2.ARN != sm.ARN {
		t.Fatalf("UpdateStateMachine(m1) = %+v, %v; want version 2", v2, err)
	}
	if got, err := h.eng.DescribeStateMachine(ctx, "m1", 1); err != nil || got.Definition != passMachine || got.RoleARN != role {
		t.Errorf("DescribeStateMachine(m1, 1) = %+v, %v; want the first definition", got, err)
	}
	if got, err := h.eng.DescribeStateMachine(ctx, "m1", 0); err != nil || got.Version != 2 || got.Definition != def2 {
		t.Errorf("DescribeStateMachine(m1, 0) = %+v, %v; want version 2", got, err)
	}
	if _, err := h.eng.DescribeStateMachine(ctx, "nope", 0); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("DescribeStateMachine(nope) = %v; want ErrNotFound", err)
	}
	if _, err := h.eng.UpdateStateMachine(ctx, "nope", def2); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("UpdateStateMachine(nope) = %v; want ErrNotFound", err)
	}
	h.machine("m2", passMachine)
	h.machine("m3", passMachine)
	var names []string
	tok := ""
	for range 5 {
		sms, next, err := h.eng.ListStateMachines(ctx, engine.ListStateMachinesInput{MaxResults: 2, NextToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		for _, sm := range sms {
			names = append(names, fmt.Sprintf("%s@%d", sm.Name, sm.Version))
		}
		if tok = next; tok == "" {
			break
		}
	}
	if got, want := strings.Join(names, " "), "m1@2 m2@1 m3@1"; got != want {
		t.Errorf("ListStateMachines pages = %q; want %q", got, want)
	}
	if err := h.eng.DeleteStateMachine(ctx, "m2"); err != nil {
		t.Fatalf("DeleteStateMachine(m2) = %v", err)
	}
	if err := h.eng.DeleteStateMachine(ctx, "m2"); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("DeleteStateMachine(m2) again = %v; want ErrNotFound", err)
	}
	if _, err := h.eng.DescribeStateMachine(ctx, "m2", 0); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("DescribeStateMachine(deleted m2) = %v; want ErrNotFound", err)
	}
	if _, err := h.eng.UpdateStateMachine(ctx, "m2", def2); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("UpdateStateMachine(deleted m2) = %v; want ErrNotFound", err)
	}
	if _, err := h.eng.StartExecution(ctx, engine.StartExecutionInput{StateMachine: "m2"}); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("StartExecution(deleted m2) = %v; want ErrNotFound", err)
	}
	if old, err := h.store.GetStateMachine(ctx, "m2", 1); err != nil || !old.Deleted {
		t.Errorf("store GetStateMachine(deleted m2, 1) = %+v, %v; want it with Deleted", old, err)
	}
	sms, _, err := h.eng.ListStateMachines(ctx, engine.ListStateMachinesInput{})
	if err != nil || len(sms) != 2 {
		t.Errorf("ListStateMachines after delete = %d machines, %v; want 2", len(sms), err)
	}
	if re := h.machine("m2", def2); re.Version != 2 {
		t.Errorf("CreateStateMachine(m2) after delete = version %d; want 2 (the next version)", re.Version)
	}
}

func testTags(t *testing.T, newStore NewStore) {
	h := newHarness(t, newStore, nil)
	ctx := h.ctx
	sm := h.machine("tagged", passMachine)
	if err := h.eng.TagResource(ctx, sm.ARN, []engine.Tag{{Key: "team", Value: "a"}, {Key: "env", Value: "dev"}}); err != nil {
		t.Fatal(err)
	}
	if err := h.eng.TagResource(ctx, sm.ARN, []engine.Tag{{Key: "team", Value: "b"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := h.eng.ListTagsForResource(ctx, sm.ARN)
	if got := fmt.Sprint(tags); err != nil || got != "[{env dev} {team b}]" {
		t.Errorf("ListTagsForResource = %s, %v; want [{env dev} {team b}]", got, err)
	}
	if err := h.eng.UntagResource(ctx, sm.ARN, []string{"env", "absent"}); err != nil {
		t.Fatal(err)
	}
	var many []engine.Tag
	for i := range engine.MaxTags - 1 {
		many = append(many, engine.Tag{Key: fmt.Sprintf("k%02d", i), Value: "v"})
	}
	if err := h.eng.TagResource(ctx, sm.ARN, many); err != nil {
		t.Fatalf("TagResource(%d more) = %v", len(many), err)
	}
	if err := h.eng.TagResource(ctx, sm.ARN, []engine.Tag{{Key: "straw", Value: "x"}}); !errors.Is(err, engine.ErrTooManyTags) {
		t.Errorf("TagResource(tag %d) = %v; want ErrTooManyTags", engine.MaxTags+1, err)
	}
	if tags, _ := h.eng.ListTagsForResource(ctx, sm.ARN); len(tags) != engine.MaxTags {
		t.Errorf("after a refused TagResource: %d tags; want %d", len(tags), engine.MaxTags)
	}
	if err := h.eng.DeleteStateMachine(ctx, "tagged"); err != nil {
		t.Fatal(err)
	}
	h.machine("tagged", passMachine)
	if tags, err := h.eng.ListTagsForResource(ctx, sm.ARN); err != nil || len(tags) != 0 {
		t.Errorf("tags of a machine created again after delete = %v, %v; want none", tags, err)
	}
}

// prefixFilter is an engine.ExecutionFilter pushing its conditions into
// the store's query.
type prefixFilter struct{ conds []engine.Condition }

func (f prefixFilter) Conditions() []engine.Condition { return f.conds }
func (f prefixFilter) Match(*engine.Execution) bool   { return true }

func testVersions(t *testing.T, newStore NewStore) {
	h := newHarness(t, newStore, nil)
	ctx := h.ctx
	v := func(n int) string {
		return fmt.Sprintf(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"%s","ResultPath":null,"Next":"V"},"V":{"Type":"Pass","Result":"v%d","End":true}}}`, fnDouble, n)
	}
	h.machine("m", v(1))
	x1 := h.start("m", "one", `1`)
	if _, err := h.eng.UpdateStateMachine(ctx, "m", v(2)); err != nil {
		t.Fatal(err)
	}
	x2 := h.start("m", "two", `1`)
	x3, err := h.eng.StartExecution(ctx, engine.StartExecutionInput{StateMachine: "m", Version: 1, Name: "pinned", Input: `1`})
	if err != nil {
		t.Fatal(err)
	}
	for arn, want := range map[string]string{x1.ARN: `"v1"`, x2.ARN: `"v2"`, x3.ARN: `"v1"`} {
		got := h.drive(arn, double)
		if got.Status != engine.StatusSucceeded || got.Output != want {
			t.Errorf("%s = %s %s; want %s", arn, got.Status, got.Output, want)
		}
	}
	if sm, err := h.eng.DescribeStateMachineForExecution(ctx, x1.ARN); err != nil || sm.Version != 1 {
		t.Errorf("DescribeStateMachineForExecution(one) = version %d, %v; want 1", sm.Version, err)
	}
	if _, err := h.eng.StartExecution(ctx, engine.StartExecutionInput{StateMachine: "m", Version: 9}); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("StartExecution(version 9) = %v; want ErrNotFound", err)
	}
}
