package filter_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/engine/filter"
)

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestCompilePushdown(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src   string
		conds []engine.Condition
		exact bool
	}{
		{`status == "FAILED"`, []engine.Condition{{Field: engine.FieldStatus, Op: engine.OpEq, Value: "FAILED"}}, true},
		{`"FAILED" != status`, []engine.Condition{{Field: engine.FieldStatus, Op: engine.OpNe, Value: "FAILED"}}, true},
		{`status == "FAILED" && input.customer.tier == "gold" && start_time > timestamp("2026-11-01T00:00:00Z")`,
			[]engine.Condition{
				{Field: engine.FieldStatus, Op: engine.OpEq, Value: "FAILED"},
				{Field: engine.FieldStartTime, Op: engine.OpGt, Value: ts("2026-11-01T00:00:00Z")},
			}, false},
		{`timestamp("2026-11-01T00:00:00Z") <= stop_time`, []engine.Condition{{Field: engine.FieldStopTime, Op: engine.OpGe, Value: ts("2026-11-01T00:00:00Z")}}, true},
		{`status in ["FAILED", "TIMED_OUT"] && name.startsWith("order-")`, []engine.Condition{
			{Field: engine.FieldStatus, Op: engine.OpIn, Value: []string{"FAILED", "TIMED_OUT"}},
			{Field: engine.FieldName, Op: engine.OpPrefix, Value: "order-"},
		}, true},
		{`name == "x' OR 1=1 --"`, []engine.Condition{{Field: engine.FieldName, Op: engine.OpEq, Value: "x' OR 1=1 --"}}, true},
		// Not pushed: disjunctions, negations, non-literal operands.
		{`status == "FAILED" || status == "ABORTED"`, nil, false},
		{`!(status == "FAILED")`, nil, false},
		{`name == state_machine`, nil, false},
		{`error.contains("Timeout")`, nil, false},
	}
	for _, tt := range tests {
		f, err := filter.Compile(tt.src)
		if err != nil {
			t.Errorf("Compile(%q) = %v", tt.src, err)
			continue
		}
		if got := f.Conditions(); !reflect.DeepEqual(got, tt.conds) {
			t.Errorf("Compile(%q).Conditions() = %#v; want %#v", tt.src, got, tt.conds)
		}
		if f.Exact() != tt.exact {
			t.Errorf("Compile(%q).Exact() = %v; want %v", tt.src, f.Exact(), tt.exact)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src       string
		line, col int
		want      string
	}{
		{`foo == 1`, 1, 1, "undeclared reference to 'foo'"},
		{`status == `, 1, 11, "Syntax error"},
		{`status == 1`, 1, 8, "found no matching overload for '_==_'"},
		{"status == \"FAILED\" &&\n  start_time > timestamp(\"yesterday\")", 2, 26, `invalid timestamp "yesterday"`},
		{`name`, 1, 1, "must be a boolean expression"},
		{`name.matches("order-[")`, 1, 14, `invalid regular expression "order-[": missing closing ]`},
		{`status == "FAILED" && matches(error, "(a")`, 1, 38, `invalid regular expression "(a": missing closing )`},
		{`input.items.exists(x, x.matches("a**"))`, 1, 33, `invalid regular expression "a**": invalid nested repetition operator`},
	}
	for _, tt := range tests {
		_, err := filter.Compile(tt.src)
		var fe *filter.Error
		if !errors.As(err, &fe) {
			t.Errorf("Compile(%q) = %v; want a *filter.Error", tt.src, err)
			continue
		}
		if !errors.Is(err, engine.ErrInvalidInput) {
			t.Errorf("Compile(%q) = %v; want it to wrap ErrInvalidInput", tt.src, err)
		}
		if !strings.Contains(fe.Message, tt.want) || fe.Line != tt.line || fe.Column != tt.col {
			t.Errorf("Compile(%q) = %q at %d:%d; want %q at %d:%d", tt.src, fe.Message, fe.Line, fe.Column, tt.want, tt.line, tt.col)
		}
	}
}

func TestMatch(t *testing.T) {
	t.Parallel()
	x := &engine.Execution{
		Name: "o-1", Status: "FAILED", StateMachine: "orders", Error: "States.Timeout",
		Input:     `{"customer":{"tier":"gold","id":12345678901234567890},"amount":12.5,"items":[1,2]}`,
		StartDate: ts("2026-11-02T10:00:00Z"), StopDate: ts("2026-11-02T10:05:00Z"),
	}
	running := &engine.Execution{Name: "o-2", Status: "RUNNING", StateMachine: "orders", Input: `{}`, StartDate: ts("2026-11-02T10:00:00Z")}
	tests := []struct {
		src  string
		x    *engine.Execution
		want bool
	}{
		{`status == "FAILED" && input.customer.tier == "gold" && start_time > timestamp("2026-11-01T00:00:00Z")`, x, true},
		{`input.customer.tier == "silver"`, x, false},
		{`input.amount > 10 && size(input.items) == 2`, x, true},
		{`input.customer.id > 1.0e19`, x, true},
		{`input.missing.deep == 1`, x, false}, // no such key: no match, no failure
		{`has(input.customer) && !has(input.nope)`, x, true},
		{`error.startsWith("States.") && output == null`, x, true},
		{`stop_time - start_time == duration("5m")`, x, true},
		{`stop_time > timestamp("2000-01-01T00:00:00Z") && input != null`, running, false},
		{`stop_time > timestamp("2000-01-01T00:00:00Z") || status == "RUNNING"`, running, true},
		{`input.customer.tier == "gold" || name == "o-2"`, running, true},
	}
	for _, tt := range tests {
		f, err := filter.Compile(tt.src)
		if err != nil {
			t.Fatalf("Compile(%q) = %v", tt.src, err)
		}
		if got := f.Match(tt.x); got != tt.want {
			t.Errorf("Compile(%q).Match(%s) = %v; want %v", tt.src, tt.x.Name, got, tt.want)
		}
	}
}

func TestCompileRegexpNotConstant(t *testing.T) {
	t.Parallel()
	// A pattern computed at run time is checked when it runs: a bad one is
	// no match.
	f, err := filter.Compile(`name.matches(cause)`)
	if err != nil {
		t.Fatalf("Compile = %v; want a filter", err)
	}
	if f.Match(&engine.Execution{Name: "a", Cause: "["}) {
		t.Errorf("Match with an invalid run-time pattern = true; want false")
	}
	if f, err := filter.Compile(`name.matches("^o-[0-9]+$")`); err != nil || !f.Match(&engine.Execution{Name: "o-12"}) {
		t.Errorf("Compile(valid pattern) = %v; want a matching filter", err)
	}
}

// costly is an execution and a filter whose evaluation on it exceeds
// CostLimit: every pair of 300 items.
func costly() (*engine.Execution, *filter.Filter) {
	items := make([]string, 300)
	for i := range items {
		items[i] = fmt.Sprintf("%q", fmt.Sprint("item-", i))
	}
	x := &engine.Execution{Name: "big", Status: "SUCCEEDED", Input: `{"items":[` + strings.Join(items, ",") + `]}`}
	f, err := filter.Compile(`input.items.all(a, input.items.all(b, a == b || a != b))`)
	if err != nil {
		panic(err)
	}
	return x, f
}

func TestCostLimit(t *testing.T) {
	t.Parallel()
	x, f := costly()
	if f.Match(x) {
		t.Errorf("Match beyond CostLimit = true; want false")
	}
	b := f.Bind(context.Background())
	n := 0
	for ; b.Err() == nil && n < 1000; n++ {
		if b.Match(x) {
			t.Fatalf("Bound.Match beyond CostLimit = true; want false")
		}
	}
	if !errors.Is(b.Err(), filter.ErrTooCostly) || !errors.Is(b.Err(), engine.ErrInvalidInput) {
		t.Fatalf("after %d costly matches Bound.Err() = %v; want ErrTooCostly", n, b.Err())
	}
	if n > filter.ListCostLimit/filter.CostLimit+1 {
		t.Errorf("Bound stopped after %d evaluations; want at most %d", n, filter.ListCostLimit/filter.CostLimit+1)
	}
	// Cheap evaluations stop too once the budget is spent.
	cheap, _ := filter.Compile(`name == "big" || input.a == 1`)
	if b.Match(x) || cheap.Bind(context.Background()).Match(x) != true {
		t.Errorf("a spent Bound matched, or a fresh one did not")
	}
}

func TestBoundContext(t *testing.T) {
	t.Parallel()
	x, f := costly()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b := f.Bind(ctx)
	if b.Match(x) || !errors.Is(b.Err(), context.Canceled) {
		t.Errorf("Bound.Match after the context ended: Err() = %v; want context.Canceled", b.Err())
	}
	x.Name = "cheap"
	cheap, _ := filter.Compile(`name == "cheap" || input.a == 1`)
	if b := cheap.Bind(ctx); b.Match(x) || b.Err() == nil {
		t.Errorf("Bound.Match of a cheap filter after the context ended = true or Err() = nil; want false and an error")
	}
}
