package api_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/internal/testserver"
)

// TestListFilterBudget: a filter too costly for one listing is answered
// with an error that says what to do, not with a page that silently misses
// executions; an invalid constant regex is a compile error.
func TestListFilterBudget(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{})
	ctx := context.Background()
	if _, err := srv.Engine.CreateStateMachine(ctx, "pairs", passASL, "arn:aws:iam::111111111111:role/r"); err != nil {
		t.Fatal(err)
	}
	items := make([]string, 300)
	for i := range items {
		items[i] = fmt.Sprintf(`"item-%d"`, i)
	}
	input := `{"items":[` + strings.Join(items, ",") + `]}`
	for i := range 60 {
		if _, err := srv.Engine.StartExecution(ctx, engine.StartExecutionInput{StateMachine: "pairs", Name: fmt.Sprint("x", i), Input: input}); err != nil {
			t.Fatal(err)
		}
	}
	list := func(flt string) (int, map[string]any) {
		return do(t, "GET", srv.HTTPURL+"/v1/executions?filter="+url.QueryEscape(flt), "")
	}
	if code, out := list(`input.items.all(a, input.items.all(b, a == b || a != b))`); code != 400 || !strings.Contains(fmt.Sprint(out["message"]), "needs more work than one listing allows") {
		t.Errorf("GET /v1/executions with a costly filter = %d %v; want 400 'needs more work than one listing allows'", code, out)
	}
	code, out := list(`input.items.exists(a, a == "item-299")`)
	if xs, _ := out["executions"].([]any); code != 200 || len(xs) != 60 {
		t.Errorf("GET /v1/executions with a cheap filter = %d, %d executions; want 200 and 60", code, len(xs))
	}
	if code, out := list(`name.matches("x[")`); code != 400 || !strings.Contains(fmt.Sprint(out["message"]), `invalid regular expression "x["`) {
		t.Errorf("GET /v1/executions with an invalid regex = %d %v; want 400 'invalid regular expression'", code, out)
	}
}
