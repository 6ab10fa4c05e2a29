package jsonata

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func mustEval(t *testing.T, expr string, input any, opts *Options) any {
	t.Helper()
	e, err := Compile(expr)
	if err != nil {
		t.Fatalf("Compile(%q) = %v", expr, err)
	}
	v, err := e.Eval(context.Background(), input, opts)
	if err != nil {
		t.Fatalf("Eval(%q) = %v", expr, err)
	}
	return v
}

func TestEvalResults(t *testing.T) {
	t.Parallel()
	doc, err := ParseJSON(`{"b": 1, "a": null, "order": {"total": 100, "items": [{"p": 2}, {"p": 3}]}}`)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		expr string
		want string
	}{
		{`$`, `{"b":1,"a":null,"order":{"total":100,"items":[{"p":2},{"p":3}]}}`},
		{`a`, `null`},
		{`order.total * 1.2`, `120`},
		{`0.1 + 0.2`, `0.30000000000000004`},
		{`$string(0.1 + 0.2)`, `"0.3"`},
		{`1e21`, `1e+21`},
		{`1/3`, `0.3333333333333333`},
		{`order.items.p`, `[2,3]`},
		{`order.items[0].p[]`, `[2]`},
		{`{"z": 1, "y": 2, "1": 3}`, `{"1":3,"z":1,"y":2}`},
		{`$keys($)`, `["b","a","order"]`},
		{`$merge([{"x": 1}, {"w": 2}])`, `{"x":1,"w":2}`},
		{`$hash("abc", "MD5")`, `"900150983cd24fb0d6963f7d28e17f72"`},
		{`$hash("abc")`, `"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"`},
		{`$partition([1,2,3,4,5], 2)`, `[[1,2],[3,4],[5]]`},
		{`$range(0, 10, 5)`, `[0,5,10]`},
		{`$parse('{"k": [1, {"j": null}]}')`, `{"k":[1,{"j":null}]}`},
		{`$now()`, `"2024-01-02T03:04:05.678Z"`},
		{`$millis()`, `1704164645678`},
		{`$uuid()`, `"00000000-0000-4000-8000-000000000000"`},
		{`$random()`, `0.25`},
		{`$fromMillis(0, "[Y0001]-[M01]-[D01] [H01]:[m01]")`, `"1970-01-01 00:00"`},
		{`$formatNumber(1234.5, "#,##0.00")`, `"1,234.50"`},
	}
	now := time.Date(2024, 1, 2, 3, 4, 5, 678e6, time.UTC)
	opts := &Options{
		Now:    func() time.Time { return now },
		Random: func() float64 { return 0.25 },
		UUID:   func() string { return "00000000-0000-4000-8000-000000000000" },
	}
	for _, tt := range tests {
		got := Marshal(mustEval(t, tt.expr, doc, opts))
		if got != tt.want {
			t.Errorf("Eval(%q) = %s; want %s", tt.expr, got, tt.want)
		}
	}
}

func TestUndefinedAndNull(t *testing.T) {
	t.Parallel()
	in := map[string]any{"n": nil}
	if v := mustEval(t, "missing", in, nil); v != Undefined {
		t.Errorf("missing = %v; want Undefined", v)
	}
	if v := mustEval(t, "n", in, nil); v != nil {
		t.Errorf("n = %v; want nil (null)", v)
	}
	e, _ := Compile("missing")
	v, ok, err := e.EvalRaw(context.Background(), in, nil)
	if err != nil || ok || v != nil {
		t.Errorf("EvalRaw(missing) = %v, %v, %v; want nil, false, nil", v, ok, err)
	}
}

func TestGoInput(t *testing.T) {
	t.Parallel()
	in := map[string]any{"z": 1, "a": []any{int64(2), 3.5, nil}, "m": map[string]any{"y": true, "b": "s"}}
	got := Marshal(mustEval(t, "$", in, nil))
	want := `{"a":[2,3.5,null],"m":{"b":"s","y":true},"z":1}`
	if got != want {
		t.Errorf("Eval($) = %s; want %s", got, want)
	}
	// bindings, as ASL's $states
	opts := &Options{Bindings: map[string]any{"states": map[string]any{"input": map[string]any{"order": map[string]any{"total": 10}}}}}
	if v := mustEval(t, "$states.input.order.total * 1.2", nil, opts); v != 12.0 {
		t.Errorf("$states.input.order.total * 1.2 = %v; want 12", v)
	}
}

func TestConvert(t *testing.T) {
	t.Parallel()
	v := mustEval(t, `{"i": 1, "f": 1.5, "a": [2, 3.25], "big": 1e300}`, nil, nil)
	c := Convert(v, nil).(map[string]any)
	if c["i"] != int64(1) || c["f"] != 1.5 || c["big"] != 1e300 {
		t.Errorf("Convert = %#v", c)
	}
	if a := c["a"].([]any); a[0] != int64(2) || a[1] != 3.25 {
		t.Errorf("Convert array = %#v", a)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr string
		code string
	}{
		{`"a" + 1`, "T2001"},
		{`(`, "S0203"},
		{`$foo(`, "S0203"},
		{`$error("boom")`, "D3137"},
		{`$pad("x", 1e9)`, "U1003"},
		{`$join([1..100000].$string($), "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")`, "U1003"},
		{`($f := function($n){$n + $f($n+1)}; $f(1))`, "U1001"},
		{`($f := function($n){$f($n+1)}; $f(1))`, "U1001"}, // tail call: loops until the time limit
		{`$hash("a", "SHA-3")`, "D3144"},
		{`$parse("{")`, "D3145"},
	}
	for _, tt := range tests {
		tl := 200 * time.Millisecond
		if strings.HasPrefix(tt.expr, "$join") {
			tl = 10 * time.Second
		}
		_, err := Evaluate(context.Background(), tt.expr, nil, &Options{TimeLimit: tl})
		var je *Error
		if !errors.As(err, &je) || je.Code != tt.code {
			t.Errorf("Evaluate(%q) error = %v; want code %s", tt.expr, err, tt.code)
		}
	}
}

func TestCancellation(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	start := time.Now()
	_, err := Evaluate(ctx, `($f := function($n){$f($n+1)}; $f(1))`, nil, &Options{TimeLimit: -1})
	if err == nil || !strings.Contains(err.Error(), "cancel") {
		t.Errorf("Evaluate with cancelled context = %v; want cancellation error", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("cancellation took %v", time.Since(start))
	}
}

func TestDeepValues(t *testing.T) {
	t.Parallel()
	// builds a value nested 50,000 levels deep without recursion, then walks it
	_, err := Evaluate(context.Background(), `$string($reduce([1..50000], function($acc, $v){ {"a": $acc} }, {}))`, nil, nil)
	var je *Error
	if !errors.As(err, &je) || je.Code != "U1001" {
		t.Errorf("deep $string error = %v; want U1001", err)
	}
}

func TestInputNotModified(t *testing.T) {
	t.Parallel()
	doc, _ := ParseJSON(`{"a": null, "b": [1]}`)
	_ = mustEval(t, `$ ~> |$|{"c": 1}|`, doc, nil)
	if got := Marshal(doc); got != `{"a":null,"b":[1]}` {
		t.Errorf("input after evaluation = %s", got)
	}
}

func TestConcurrentEval(t *testing.T) {
	t.Parallel()
	e, err := Compile(`($x := order.items[qty > 0]; {"n": $count($x), "s": $sum($x.(qty*price)), "t": $fromMillis(0), "m": $match("abc", /b/).index, "u": $ ~> |order|{"z": 1}|})`)
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := ParseJSON(fuzzDoc)
	done := make(chan string)
	for i := 0; i < 8; i++ {
		go func() {
			v, err := e.Eval(context.Background(), doc, nil)
			if err != nil {
				done <- err.Error()
				return
			}
			done <- Marshal(v)
		}()
	}
	first := <-done
	for i := 1; i < 8; i++ {
		if got := <-done; got != first {
			t.Errorf("concurrent Eval = %s; want %s", got, first)
		}
	}
}
