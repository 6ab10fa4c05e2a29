package jsonata

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

const fuzzDoc = `{"order": {"total": 100, "items": [{"sku": "a", "qty": 2, "price": 1.5}, {"sku": "b", "qty": 1, "price": 20}]},
 "name": "Stepwise", "tags": ["x", "y"], "n": null, "nested": {"a": {"b": {"c": [1, 2, [3, 4]]}}}}`

func FuzzJSONata(f *testing.F) {
	seeds := []string{
		`order.items[qty > 1].sku`,
		`$sum(order.items.(qty * price))`,
		`order.items^(>price).sku`,
		`order.items{sku: qty}`,
		`$map(tags, function($v, $i){ $v & $i })`,
		`**.c[0]`,
		`order.items.%.total`,
		`($f := function($n){ $n <= 1 ? 1 : $n * $f($n - 1) }; $f(10))`,
		`$ ~> |order.items|{"total": qty * price}, ["qty"]|`,
		`$formatNumber(1234.5678, "#,##0.00")`,
		`$fromMillis(1510067557121, "[FNn], [D1o] [MNn] [Y] [h]:[m01] [P]")`,
		`$replace(name, /(\w)(\w)/, "$2$1")`,
		`order.items@$i#$p.{"i": $i.sku, "p": $p}`,
	}
	if suite := suiteDir(); suite != "" {
		for _, c := range loadSuite(f, suite) {
			seeds = append(seeds, c.expr)
		}
	}
	for _, s := range seeds {
		f.Add(s)
	}
	input, err := parseJSONInternal(fuzzDoc)
	if err != nil {
		f.Fatal(err)
	}
	doc := exportInner(input)
	f.Fuzz(func(t *testing.T, expr string) {
		if len(expr) > 4096 {
			return
		}
		e, err := Compile(expr)
		if err != nil {
			var je *Error
			if !errors.As(err, &je) || je.Code == "U1000" {
				t.Fatalf("Compile(%q) = %v", expr, err)
			}
			return
		}
		start := time.Now()
		opts := &Options{
			TimeLimit: 100 * time.Millisecond,
			MaxDepth:  200,
			MaxSize:   1 << 20,
			Now:       func() time.Time { return time.Unix(0, 0) },
			Random:    func() float64 { return 0.5 },
			UUID:      func() string { return "00000000-0000-4000-8000-000000000000" },
		}
		v, err := e.Eval(context.Background(), doc, opts)
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("Eval(%q) took %v", expr, d)
		}
		if err != nil {
			var je *Error
			if !errors.As(err, &je) || je.Code == "U1000" {
				t.Fatalf("Eval(%q) = %v", expr, err)
			}
			return
		}
		_ = Marshal(v)
	})
}

// suiteDir returns the suite directory or "" when it is absent.
func suiteDir() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
	suite := filepath.Join(dir, "..", "shared", "jsonata-suite")
	if _, err := os.Stat(filepath.Join(suite, "groups")); err != nil {
		return ""
	}
	return suite
}
