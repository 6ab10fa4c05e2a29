package jsonata

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"
)

// manyObjects is an array of n objects of two keys, each also holding an
// array, for $spread and the `*` wildcard.
func manyObjects(n int) []any {
	a := make([]any, n)
	for i := range a {
		a[i] = map[string]any{"k": float64(i), "l": []any{1.0, 2.0}}
	}
	return a
}

// laterCancelled is a context that is cancelled from the second time its
// Err is asked: after the check at the start of an evaluation.
type laterCancelled struct {
	context.Context
	asked int
}

func (c *laterCancelled) Done() <-chan struct{} { return make(chan struct{}) }

func (c *laterCancelled) Err() error {
	c.asked++
	if c.asked > 1 {
		return context.Canceled
	}
	return nil
}

// TestLongLoopsCheckTheClock: $spread and the `*` wildcard check the time
// limit and the context while they loop, so an evaluation cancelled (or
// out of time) meanwhile stops within them; they once ran to the end,
// however long. The context is cancelled from its second check on: this
// asserts no timing.
func TestLongLoopsCheckTheClock(t *testing.T) {
	t.Parallel()
	o := map[string]any{}
	for i := 0; i < 5000; i++ {
		o[fmt.Sprint("k", i)] = []any{1.0, 2.0}
	}
	input := map[string]any{"a": manyObjects(5000), "o": o}
	for _, expr := range []string{`$spread(a)`, `o.*`, `$spread(o)`} {
		ctx := &laterCancelled{Context: context.Background()}
		_, err := Evaluate(ctx, expr, input, &Options{TimeLimit: -1})
		var je *Error
		if !errors.As(err, &je) || je.Code != "U1001" {
			t.Errorf("Evaluate(%q) cancelled meanwhile: error = %v; want U1001", expr, err)
		}
	}
}

// TestSpreadAndWildcardLinear: $spread and `*` build their result in
// memory proportional to it (appending item after item once copied the
// result so far each time: quadratic).
func TestSpreadAndWildcardLinear(t *testing.T) {
	input := map[string]any{"a": manyObjects(20_000)}
	for _, expr := range []string{`$count($spread(a))`, `$count(a.*)`, `$count($spread(a.l))`} {
		e, err := Compile(expr)
		if err != nil {
			t.Fatalf("Compile(%q) = %v", expr, err)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err = e.Eval(context.Background(), input, &Options{TimeLimit: -1})
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatalf("Eval(%q) = %v", expr, err)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 64<<20 {
			t.Errorf("Eval(%q) allocated %d MB; want at most 64 MB", expr, n>>20)
		}
	}
}
