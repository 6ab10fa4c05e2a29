package jsonata

import (
	"context"
	"fmt"
	"testing"
)

func benchEval(b *testing.B, expr string, input any, opts *Options) {
	e, err := Compile(expr)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.Eval(ctx, input, opts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStatesInputArithmetic(b *testing.B) {
	states, _ := ParseJSON(`{"input": {"order": {"id": "o-1", "total": 99.5, "currency": "EUR"}}, "context": {"Execution": {"Id": "x"}}}`)
	benchEval(b, `$states.input.order.total * 1.2`, nil, &Options{Bindings: map[string]any{"states": states}})
}

func items(n int) any {
	list := make([]any, n)
	for i := range list {
		list[i] = map[string]any{"id": i, "price": float64(i) * 1.5, "name": fmt.Sprintf("item-%d", i), "active": i%2 == 0}
	}
	doc, _ := ParseJSON(Marshal(normalize(map[string]any{"items": list})))
	return doc
}

func BenchmarkFilter1000(b *testing.B) {
	benchEval(b, `items[active and price > 100].name`, items(1000), nil)
}

func BenchmarkMap1000(b *testing.B) {
	benchEval(b, `$map(items, function($v){ $v.price * 2 })`, items(1000), nil)
}

func BenchmarkStringConcat(b *testing.B) {
	states, _ := ParseJSON(`{"input": {"customer": {"first": "Ada", "last": "Lovelace"}, "orderId": 42}}`)
	benchEval(b, `"Order " & $states.input.orderId & " for " & $states.input.customer.first & " " & $states.input.customer.last`, nil,
		&Options{Bindings: map[string]any{"states": states}})
}

func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Compile(`$sum(items[active].(price * 1.2)) & " total"`); err != nil {
			b.Fatal(err)
		}
	}
}
