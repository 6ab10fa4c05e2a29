package statelang

import (
	"strings"
	"testing"
)

// FuzzParse: Parse and Warnings never panic, and a machine Parse accepts
// runs in memory without panicking.
func FuzzParse(f *testing.F) {
	seeds := []string{
		`{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`,
		`{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Variable":"$.x","NumericEquals":1,"Next":"B"}],"Default":"B"},"B":{"Type":"Succeed"}}}`,
		`{"StartAt":"A","States":{"A":{"Type":"Map","ItemsPath":"$.items","ItemProcessor":{"StartAt":"B","States":{"B":{"Type":"Pass","End":true}}},"End":true}}}`,
		`{"StartAt":"A","States":{"A":{"Type":"Parallel","Branches":[{"StartAt":"B","States":{"B":{"Type":"Fail","Error":"E"}}}],"Catch":[{"ErrorEquals":["States.ALL"],"Next":"C"}],"Next":"C"},"C":{"Type":"Pass","Parameters":{"x.$":"States.Format('{}',$.a)"},"End":true}}}`,
		`{"StartAt":"A","States":{"A":{"Type":"Wait","SecondsPath":"$.s","Next":"B"},"B":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Retry":[{"ErrorEquals":["States.ALL"],"BackoffRate":1.5}],"End":true}}}`,
		`{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"v":"{% $states.input.x %}"},"Output":{"o":"{% $v %}"},"Next":"M"},"M":{"Type":"Map","Items":"{% $states.input.items %}","ItemProcessor":{"StartAt":"B","States":{"B":{"Type":"Pass","Output":"{% $states.input + $v %}","End":true}}},"Next":"C"},"C":{"Type":"Choice","Choices":[{"Condition":"{% $count($states.input) > 1 %}","Next":"D"}],"Default":"D"},"D":{"Type":"Fail","Error":"{% 'E' & $v %}"}}}`,
		`{"StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"v.$":"$.x","w":1},"Next":"B"},"B":{"Type":"Choice","Choices":[{"Variable":"$v","NumericEquals":1,"Assign":{"u.$":"$w"},"Next":"C"}],"Default":"C"},"C":{"Type":"Pass","Parameters":{"a.$":"$v","b.$":"States.Array($w)"},"End":true}}}`,
		`{"StartAt":"A"}`, `[]`, `{`, `null`,
	}
	for _, s := range seeds {
		f.Add(s, `{"x":1,"items":[1,2],"s":0,"a":"b"}`)
	}
	f.Fuzz(func(t *testing.T, def, input string) {
		_ = Warnings([]byte(def))
		m, err := Parse([]byte(def))
		if err != nil {
			if _, ok := err.(Diagnostics); !ok {
				t.Fatalf("Parse error is %T, want Diagnostics", err)
			}
			return
		}
		if strings.Contains(def, "{%") {
			// JSONata expressions may each run up to their time limit;
			// FuzzJSONata fuzzes the evaluator itself.
			return
		}
		in, err := ParseJSON([]byte(input))
		if err != nil {
			in = map[string]any{}
		}
		res := Run(m, in, RunOptions{
			MaxEvents: 500,
			Task:      func(call *TaskCall, _ *Context) (any, *Failure) { return call.Input, nil },
		})
		if res.Status == "" {
			t.Fatalf("Run returned no status")
		}
	})
}

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
