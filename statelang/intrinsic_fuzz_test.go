package statelang

import "testing"

// FuzzIntrinsic parses arbitrary text as an intrinsic function call and
// evaluates what compiles against a fixed input: neither may panic.
func FuzzIntrinsic(f *testing.F) {
	for _, tc := range awsIntrinsicCases {
		f.Add(tc.expr)
	}
	for _, s := range []string{
		`States.Format('{} \{\} \' \\ {}', $.a, $$.Execution.Input)`,
		`States.JsonMerge($.o, States.StringToJson('{"x": [1, 2.5, null]}'), false)`,
		`States.ArrayRange(-5, 5, 2)`,
		`States.MathRandom(1.5, 100, -3)`,
		`States.Hash(States.Base64Encode($.s), 'SHA-384')`,
		`States.ArrayUnique(States.ArrayPartition($.arr, 2))`,
		`States.StringSplit($.s, 'lo')`,
		`States.ArrayGetItem($.arr[?(@ > 1)], 0)`,
		`States.UUID()`,
		`States.Array(States.Array(States.Array(1)))`,
		`States.Array(1e400, -0, 99999999999999999999999)`,
	} {
		f.Add(s)
	}
	input := map[string]any{
		"a":   "x",
		"s":   "HelloWorld",
		"n":   int64(3),
		"f":   1.5,
		"arr": []any{int64(1), int64(2), 2.5, "x", nil, true, []any{}, map[string]any{"k": "v"}},
		"o":   map[string]any{"x": int64(1), "y": map[string]any{}},
	}
	context := intrinsicTestContext(input)
	env := intrinsicTestEnv()
	f.Fuzz(func(t *testing.T, s string) {
		c, err := parseIntrinsic(s)
		if err != nil {
			if c != nil {
				t.Errorf("parseIntrinsic(%q) returned both a call and an error", s)
			}
			return
		}
		v, fail := c.eval(input, context, env, newBudget())
		if fail != nil && v != nil {
			t.Errorf("eval(%q) returned both %v and a failure", s, v)
		}
		if fail != nil && fail.Name == "" {
			t.Errorf("eval(%q) failed without an error name", s)
		}
	})
}
