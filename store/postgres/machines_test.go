package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/engine/filter"
)

const passDef = `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`

// callbackDef waits for a callback: its task is never answered by the
// test dispatcher, only by SendTaskSuccess.
const callbackDef = `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","End":true}}}`

func TestListStateMachines(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	ctx := context.Background()
	for i := range 5 {
		h.machine(fmt.Sprintf("m%d", i), passDef)
	}
	if _, err := h.eng.UpdateStateMachine(ctx, "m1", `{"StartAt":"Q","States":{"Q":{"Type":"Pass","End":true}}}`); err != nil {
		t.Fatal(err)
	}
	if err := h.eng.DeleteStateMachine(ctx, "m3"); err != nil {
		t.Fatal(err)
	}
	var names []string
	tok := ""
	for pages := 0; ; pages++ {
		sms, next, err := h.eng.ListStateMachines(ctx, engine.ListStateMachinesInput{MaxResults: 2, NextToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		for _, sm := range sms {
			names = append(names, fmt.Sprintf("%s@%d", sm.Name, sm.Version))
		}
		if next == "" {
			break
		}
		if pages > 5 {
			t.Fatal("ListStateMachines does not end")
		}
		tok = next
	}
	if want := []string{"m0@1", "m1@2", "m2@1", "m4@1"}; !reflect.DeepEqual(names, want) {
		t.Errorf("ListStateMachines = %v; want %v", names, want)
	}
	if _, _, err := h.eng.ListStateMachines(ctx, engine.ListStateMachinesInput{NextToken: "!!"}); !errors.Is(err, engine.ErrInvalidInput) {
		t.Errorf("ListStateMachines(bad token) = %v; want ErrInvalidInput", err)
	}
}

func TestDeleteStateMachine(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	ctx := context.Background()
	h.machine("cb", callbackDef)
	x := h.start("cb", "running", `{"a":1}`)
	var token string
	if err := h.pool.QueryRow(ctx, "SELECT token FROM tasks WHERE execution_id = $1", x.ID).Scan(&token); err != nil {
		t.Fatalf("no task: %v", err)
	}
	if err := h.eng.TagResource(ctx, x.StateMachineARN, []engine.Tag{{Key: "team", Value: "a"}}); err != nil {
		t.Fatal(err)
	}

	if err := h.eng.DeleteStateMachine(ctx, "cb"); err != nil {
		t.Fatalf("DeleteStateMachine = %v", err)
	}
	if err := h.eng.DeleteStateMachine(ctx, "cb"); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("DeleteStateMachine twice = %v; want ErrNotFound", err)
	}
	if _, err := h.eng.DescribeStateMachine(ctx, "cb", 0); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("DescribeStateMachine(deleted) = %v; want ErrNotFound", err)
	}
	if _, err := h.eng.DescribeStateMachine(ctx, "cb", 1); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("DescribeStateMachine(deleted, 1) = %v; want ErrNotFound", err)
	}
	if _, err := h.eng.UpdateStateMachine(ctx, "cb", passDef); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("UpdateStateMachine(deleted) = %v; want ErrNotFound", err)
	}
	if _, err := h.eng.StartExecution(ctx, engine.StartExecutionInput{StateMachine: "cb"}); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("StartExecution(deleted) = %v; want ErrNotFound", err)
	}
	if _, err := h.eng.ListTagsForResource(ctx, x.StateMachineARN); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("ListTagsForResource(deleted) = %v; want ErrNotFound", err)
	}
	sm, err := h.eng.DescribeStateMachineForExecution(ctx, x.ARN)
	if err != nil || sm.Version != 1 || sm.Definition != callbackDef {
		t.Errorf("DescribeStateMachineForExecution = %+v, %v; want version 1", sm, err)
	}

	// The running execution finishes on its version.
	if err := h.eng.SendTaskSuccess(ctx, token, `{"done":true}`); err != nil {
		t.Fatalf("SendTaskSuccess after delete = %v", err)
	}
	if got := h.wait(x.ARN, 10*time.Second); got.Status != engine.StatusSucceeded || got.Output != `{"done":true}` {
		t.Errorf("execution after delete = %s %s; want SUCCEEDED {\"done\":true}", got.Status, got.Output)
	}

	// Creating it again starts the next version; tags are gone.
	sm, err = h.eng.CreateStateMachine(ctx, "cb", passDef, "")
	if err != nil || sm.Version != 2 {
		t.Fatalf("CreateStateMachine(again) = %+v, %v; want version 2", sm, err)
	}
	if tags, err := h.eng.ListTagsForResource(ctx, sm.ARN); err != nil || len(tags) != 0 {
		t.Errorf("tags after re-create = %v, %v; want none", tags, err)
	}
	if _, err := h.eng.CreateStateMachine(ctx, "cb", callbackDef, ""); !errors.Is(err, engine.ErrStateMachineExists) {
		t.Errorf("CreateStateMachine(other definition) = %v; want ErrStateMachineExists", err)
	}
}

func TestTags(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, nil)
	ctx := context.Background()
	h.machine("t", passDef)
	arn := "arn:aws:states:us-east-1:111111111111:stateMachine:t"
	if err := h.eng.TagResource(ctx, arn, []engine.Tag{{Key: "b", Value: "2"}, {Key: "a", Value: "1"}}); err != nil {
		t.Fatal(err)
	}
	if err := h.eng.TagResource(ctx, arn, []engine.Tag{{Key: "a", Value: "one"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := h.eng.ListTagsForResource(ctx, arn)
	if want := []engine.Tag{{Key: "a", Value: "one"}, {Key: "b", Value: "2"}}; err != nil || !reflect.DeepEqual(tags, want) {
		t.Errorf("ListTagsForResource = %v, %v; want %v", tags, err, want)
	}
	if err := h.eng.UntagResource(ctx, arn, []string{"b", "nope"}); err != nil {
		t.Fatal(err)
	}
	tags, _ = h.eng.ListTagsForResource(ctx, arn)
	if want := []engine.Tag{{Key: "a", Value: "one"}}; !reflect.DeepEqual(tags, want) {
		t.Errorf("after UntagResource: %v; want %v", tags, want)
	}

	var many []engine.Tag
	for i := range 49 {
		many = append(many, engine.Tag{Key: fmt.Sprintf("k%02d", i), Value: "v"})
	}
	if err := h.eng.TagResource(ctx, arn, many); err != nil {
		t.Fatalf("TagResource(50 in all) = %v", err)
	}
	if err := h.eng.TagResource(ctx, arn, []engine.Tag{{Key: "one-more", Value: "x"}}); !errors.Is(err, engine.ErrTooManyTags) {
		t.Errorf("TagResource(51st) = %v; want ErrTooManyTags", err)
	}
	if err := h.eng.TagResource(ctx, arn, []engine.Tag{{Key: "a", Value: "replaced"}}); err != nil {
		t.Errorf("TagResource(replace at 50) = %v", err)
	}
	if tags, _ := h.eng.ListTagsForResource(ctx, arn); len(tags) != 50 {
		t.Errorf("%d tags; want 50", len(tags))
	}

	for _, bad := range []string{
		"arn:aws:states:us-east-1:111111111111:stateMachine:nope",
		"arn:aws:states:eu-west-1:111111111111:stateMachine:t",
		"arn:aws:states:us-east-1:111111111111:activity:nope",
		"not an arn",
	} {
		if err := h.eng.TagResource(ctx, bad, []engine.Tag{{Key: "a", Value: "b"}}); !errors.Is(err, engine.ErrNotFound) {
			t.Errorf("TagResource(%q) = %v; want ErrNotFound", bad, err)
		}
	}
	for _, bad := range [][]engine.Tag{{{Key: "", Value: "x"}}, {{Key: strings.Repeat("k", 129), Value: "x"}}, {{Key: "k", Value: strings.Repeat("v", 257)}}, {{Key: "aws:x", Value: "y"}}} {
		if err := h.eng.TagResource(ctx, arn, bad); !errors.Is(err, engine.ErrInvalidInput) {
			t.Errorf("TagResource(%v) = %v; want ErrInvalidInput", bad, err)
		}
	}
}

// TestFilteredListExecutions runs CEL filters against real rows: pushed
// conditions (status, name, times), nested input fields evaluated by CEL,
// an injection attempt, and paging through candidates.
func TestFilteredListExecutions(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 5, 12, 0, 0, 0, time.UTC)
	var clock atomic.Int64 // hours after now
	h := newHarness(t, nil, func(c *engine.Config) {
		c.Now = func() time.Time { return now.Add(time.Duration(clock.Load()) * time.Hour) }
	})
	ctx := context.Background()
	h.machine("orders", `{"StartAt":"C","States":{"C":{"Type":"Choice",
		"Choices":[{"Variable":"$.ok","BooleanEquals":true,"Next":"S"}],"Default":"F"},
		"S":{"Type":"Succeed"},"F":{"Type":"Fail","Error":"Declined","Cause":"no"}}}`)
	h.machine("other", passDef)
	tiers := []string{"gold", "silver", "bronze"}
	for i := range 30 {
		clock.Store(int64(i))
		in := fmt.Sprintf(`{"ok":%v,"customer":{"tier":%q,"id":%d}}`, i%2 == 0, tiers[i%3], i)
		h.start("orders", fmt.Sprintf("o-%02d", i), in)
	}
	// AWS names may not hold spaces; quotes, '=' and '-' they may.
	h.start("other", "x'OR'1'='1'--", `{}`)
	h.start("other", "p-1", `{"customer":{"tier":"gold"}}`)

	list := func(machine, src string, page int) []string {
		t.Helper()
		f, err := filter.Compile(src)
		if err != nil {
			t.Fatalf("Compile(%q) = %v", src, err)
		}
		var names []string
		tok := ""
		for {
			xs, next, err := h.eng.ListExecutions(ctx, engine.ListExecutionsInput{StateMachine: machine, Filter: f, MaxResults: page, NextToken: tok})
			if err != nil {
				t.Fatalf("ListExecutions(%q) = %v", src, err)
			}
			if len(xs) > page {
				t.Fatalf("ListExecutions(%q) returned %d > %d", src, len(xs), page)
			}
			for _, x := range xs {
				names = append(names, x.Name)
			}
			if next == "" {
				return names
			}
			tok = next
		}
	}
	tests := []struct {
		machine, src string
		page         int
		want         []string
	}{
		{"orders", `status == "FAILED" && input.customer.tier == "gold" && start_time > timestamp("2026-11-05T20:00:00Z")`, 100,
			[]string{"o-27", "o-21", "o-15", "o-09"}},
		{"orders", `input.customer.tier == "gold" && input.customer.id >= 20`, 1, []string{"o-27", "o-24", "o-21"}},
		{"orders", `start_time >= timestamp("2026-11-06T10:00:00Z") && start_time < timestamp("2026-11-06T13:00:00+01:00")`, 2,
			[]string{"o-23", "o-22"}},
		{"orders", `status in ["FAILED"] && name.startsWith("o-0")`, 3, []string{"o-09", "o-07", "o-05", "o-03", "o-01"}},
		{"orders", `error == "Declined" && stop_time >= timestamp("2026-11-06T15:00:00Z")`, 100, []string{"o-29", "o-27"}},
		{"", `name == "x'OR'1'='1'--"`, 10, []string{"x'OR'1'='1'--"}},
		{"", `name == "x' OR 1=1 --"`, 10, nil},
		{"", `name == "y' OR 1=1 --"`, 10, nil},
		{"", `state_machine == "other' OR '1'='1"`, 10, nil},
		{"", `input.customer.tier == "gold" && state_machine == "other"`, 10, []string{"p-1"}},
		{"", `status == "SUCCEEDED" && !(state_machine == "orders")`, 10, []string{"p-1", "x'OR'1'='1'--"}},
	}
	for _, tt := range tests {
		if got := list(tt.machine, tt.src, tt.page); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ListExecutions(%q, %q) = %q; want %q", tt.machine, tt.src, got, tt.want)
		}
	}
	// The table still exists and holds every row after the injection tries.
	var n int
	if err := h.pool.QueryRow(ctx, "SELECT count(*) FROM executions").Scan(&n); err != nil || n != 32 {
		t.Errorf("executions = %d, %v; want 32", n, err)
	}
}
