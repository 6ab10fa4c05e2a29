package storetest

import (
	"errors"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/engine"
)

// testChildList: Engine.ListChildExecutions over the store's
// executions_by_parent listing. A parent starts a child with
// startExecution.sync:2, one with startExecution, and three in a
// distributed Map: all five are listed newest first with their parent, the
// Map's with their Map Run; ChildrenNested and ChildrenMapRun pick (the
// store's state-machine conditions); pages follow each other; an unknown
// execution is ErrNotFound, a malformed ARN ErrInvalidInput.
func testChildList(t *testing.T, newStore NewStore) {
	h := newHarness(t, newStore, nil)
	kid := h.machine("kid", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)
	h.machine("mom", `{"StartAt":"Synced","States":{
		"Synced":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2","ResultPath":null,"Next":"Fired",
		          "Parameters":{"StateMachineArn":"`+kid.ARN+`","Name":"s"}},
		"Fired":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution","ResultPath":null,"Next":"Fan",
		         "Parameters":{"StateMachineArn":"`+kid.ARN+`","Name":"f"}},
		"Fan":{"Type":"Map","Label":"Items","End":true,
		       "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}}}}`)
	x := h.start("mom", "mom", `[1,2,3]`)
	h.answerUntilDone(x.ARN, double)
	if got := h.describe(x.ARN); got.Status != engine.StatusSucceeded {
		t.Fatalf("parent = %s %s; want SUCCEEDED", got.Status, got.Cause)
	}
	runs, _, err := h.eng.ListMapRuns(h.ctx, x.ARN, 0, "")
	if err != nil || len(runs) != 1 {
		t.Fatalf("ListMapRuns = %v, %v; want one run", runs, err)
	}
	list := func(kind engine.ChildKind, size int, token string) ([]string, string) {
		t.Helper()
		cs, next, err := h.eng.ListChildExecutions(h.ctx, x.ARN, engine.ChildExecutionsInput{Kind: kind, MaxResults: size, NextToken: token})
		if err != nil {
			t.Fatalf("ListChildExecutions(%v) = %v", kind, err)
		}
		var names []string
		for _, c := range cs {
			names = append(names, c.Name)
			wantRun := runs[0].ARN
			if c.StateMachine == "kid" {
				wantRun = ""
			}
			if c.ParentARN != x.ARN || c.ParentID != x.ID || c.MapRunARN != wantRun {
				t.Errorf("child %s: parent %q, map run %q; want %q, %q", c.Name, c.ParentARN, c.MapRunARN, x.ARN, wantRun)
			}
		}
		return names, next
	}
	all, next := list(engine.ChildrenAll, 0, "")
	if len(all) != 5 || all[3] != "f" || all[4] != "s" || next != "" {
		t.Fatalf("children = %q, next %q; want the Map's three, f, s", all, next)
	}
	if got, _ := list(engine.ChildrenNested, 0, ""); strings.Join(got, " ") != "f s" {
		t.Errorf("nested children = %q; want f s", got)
	}
	if got, _ := list(engine.ChildrenMapRun, 0, ""); strings.Join(got, " ") != strings.Join(all[:3], " ") {
		t.Errorf("Map Run children = %q; want %q", got, all[:3])
	}
	var paged []string
	for tok, n := "", 0; n == 0 || tok != ""; n++ {
		var page []string
		page, tok = list(engine.ChildrenAll, 2, tok)
		if len(page) == 0 || len(page) > 2 || n > 3 {
			t.Fatalf("page %d = %q; want 1 or 2 children", n, page)
		}
		paged = append(paged, page...)
	}
	if strings.Join(paged, " ") != strings.Join(all, " ") {
		t.Errorf("paged children = %q; want %q", paged, all)
	}

	// A child has none, of any kind.
	for _, kind := range []engine.ChildKind{engine.ChildrenAll, engine.ChildrenNested, engine.ChildrenMapRun} {
		cs, next, err := h.eng.ListChildExecutions(h.ctx, strings.Replace(x.ARN, ":mom:mom", ":kid:s", 1), engine.ChildExecutionsInput{Kind: kind})
		if err != nil || len(cs) != 0 || next != "" {
			t.Errorf("ListChildExecutions(a child, %v) = %v, %q, %v; want none", kind, cs, next, err)
		}
	}
	for arn, want := range map[string]error{
		strings.Replace(x.ARN, ":mom:mom", ":mom:gone", 1): engine.ErrNotFound,
		"nope":      engine.ErrInvalidInput,
		runs[0].ARN: engine.ErrInvalidInput,
		kid.ARN:     engine.ErrInvalidInput,
		strings.Replace(x.ARN, ":execution:mom:mom", ":express:mom:mom:1", 1): engine.ErrExpressARN,
	} {
		if _, _, err := h.eng.ListChildExecutions(h.ctx, arn, engine.ChildExecutionsInput{}); !errors.Is(err, want) {
			t.Errorf("ListChildExecutions(%q) = %v; want %v", arn, err, want)
		}
	}
	if _, _, err := h.eng.ListChildExecutions(h.ctx, x.ARN, engine.ChildExecutionsInput{NextToken: "x"}); !errors.Is(err, engine.ErrInvalidInput) {
		t.Errorf("ListChildExecutions(token x) = %v; want ErrInvalidInput", err)
	}
}
