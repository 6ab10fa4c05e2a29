package statelang

import "testing"

// FuzzPath: paths compile or fail cleanly, and evaluating or setting them
// never panics.
func FuzzPath(f *testing.F) {
	for _, s := range []string{"$v", "$v.a[0]", "$v[0]", "$", "$.a", "$.a.b[0]", "$['a b']", "$.a[*].b", "$..c", "$.a[?(@.b > 1)]", "$.a[0,1]", "$.a[1:]", "$$.Execution.Id", "$.a-b", "$[", "$.", "$.a[-1]"} {
		f.Add(s)
	}
	input := map[string]any{"a": []any{map[string]any{"b": int64(1)}, map[string]any{"b": 2.5}}, "c": "x", "a-b": true}
	ctx := map[string]any{"Execution": map[string]any{"Id": "id"}}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePath(s)
		if err != nil {
			return
		}
		_, _ = p.Get(input, ctx)
		_ = p.Has(input, ctx)
		if rp, err := ParseReferencePath(s); err == nil && !rp.IsContext() {
			_, _ = rp.Set(input, "v")
		}
	})
}
