package statelang

import (
	"errors"
	"strings"
	"testing"
)

// TestParseQueryLanguage: the fields each query language allows, variable
// names and scopes, checked by Parse.
func TestParseQueryLanguage(t *testing.T) {
	t.Parallel()
	const task = `"Resource":"arn:aws:states:::lambda:invoke"`
	tests := []struct {
		name string
		def  string
		want []string // "location: message fragment"; none: valid
	}{
		{"JSONata machine", `{"QueryLanguage":"JSONata","StartAt":"A","States":{
			"A":{"Type":"Pass","Assign":{"x":"{% $states.input.a %}"},"Output":{"b":"{% $x %}"},"Next":"T"},
			"T":{"Type":"Task",` + task + `,"Arguments":{"p":"{% $x %}"},"TimeoutSeconds":"{% 3 %}","Output":"{% $states.result %}",
				"Catch":[{"ErrorEquals":["States.ALL"],"Output":"{% $states.errorOutput %}","Assign":{"err":"{% $states.errorOutput.Error %}"},"Next":"C"}],"Next":"C"},
			"C":{"Type":"Choice","Choices":[{"Condition":"{% $x > 1 %}","Output":1,"Assign":{"y":2},"Next":"W"}],"Default":"F","Output":"{% $states.input %}"},
			"W":{"Type":"Wait","Seconds":"{% $x %}","Next":"M"},
			"M":{"Type":"Map","Items":"{% [1,2] %}","ItemSelector":{"v":"{% $states.context.Map.Item.Value %}"},"MaxConcurrency":"{% 1 %}",
				"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"Next":"S"},
			"S":{"Type":"Succeed","Output":"{% $y %}"},
			"F":{"Type":"Fail","Error":"{% 'E' %}","Cause":"c"}}}`, nil},
		{"JSONPath variables", `{"StartAt":"A","States":{
			"A":{"Type":"Pass","Assign":{"x":1,"y.$":"$.a","z.$":"States.Format('{}', $x)"},"Next":"B"},
			"B":{"Type":"Choice","Choices":[{"Variable":"$x","NumericEquals":1,"Assign":{"w.$":"$y"},"Next":"C"}],"Default":"C"},
			"C":{"Type":"Pass","InputPath":"$x","Parameters":{"a.$":"$y.b[0]"},"End":true}}}`, nil},
		{"JSONPath field under JSONata", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"$.a","Result":1,"End":true}}}`,
			[]string{"/States/A/InputPath: The field 'InputPath' is not supported when the QueryLanguage is JSONata",
				"/States/A/Result: The field 'Result' is not supported when the QueryLanguage is JSONata"}},
		{"JSONata field under JSONPath", `{"StartAt":"A","States":{"A":{"Type":"Pass","Output":{},"End":true}}}`,
			[]string{"/States/A/Output: The field 'Output' is supported only when the QueryLanguage is JSONata"}},
		{"Items under JSONPath", `{"StartAt":"M","States":{"M":{"Type":"Map","Items":[1],"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}}}`,
			[]string{"/States/M/Items: The field 'Items' is supported only"}},
		{"catcher Output under JSONPath", `{"StartAt":"T","States":{"T":{"Type":"Task",` + task + `,"Catch":[{"ErrorEquals":["States.ALL"],"Output":1,"Next":"E"}],"End":true},"E":{"Type":"Succeed"}}}`,
			[]string{"/States/T/Catch/0/Output: The field 'Output' is supported only"}},
		{"catcher ResultPath under JSONata", `{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task",` + task + `,"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.e","Next":"E"}],"End":true},"E":{"Type":"Succeed"}}}`,
			[]string{"/States/T/Catch/0/ResultPath: The field 'ResultPath' is not supported when the QueryLanguage is JSONata"}},
		{"JSONPath state under JSONata", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","QueryLanguage":"JSONPath","End":true}}}`,
			[]string{"/States/A/QueryLanguage: The QueryLanguage of a state cannot be JSONPath when the state machine's QueryLanguage is JSONata"}},
		{"JSONata state under JSONPath", `{"StartAt":"A","States":{"A":{"Type":"Pass","QueryLanguage":"JSONata","Output":"{% 1 %}","End":true}}}`, nil},
		{"bad expression", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Output":{"a":["{% 1 + %}"]},"End":true}}}`,
			[]string{"/States/A/Output/a/0: The JSONata expression '1 +' is not valid"}},
		{"Choice rule with Variable under JSONata", `{"QueryLanguage":"JSONata","StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a","IsNull":true,"Next":"S"}]},"S":{"Type":"Succeed"}}}`,
			[]string{"/States/C/Choices/0: The field 'Condition' is required", "/States/C/Choices/0/IsNull: The field 'IsNull' is not supported when the QueryLanguage is JSONata",
				"/States/C/Choices/0/Variable: The field 'Variable' is not supported when the QueryLanguage is JSONata"}},
		{"Condition not boolean", `{"QueryLanguage":"JSONata","StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Condition":"yes","Next":"S"}]},"S":{"Type":"Succeed"}}}`,
			[]string{"/States/C/Choices/0/Condition: The value of the field 'Condition' must be a boolean or a JSONata expression"}},
		{"Arguments not an object", `{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Arguments":[1],"End":true}}}`,
			[]string{"/States/T/Arguments: The value of the field 'Arguments' must be an object or a JSONata expression"}},
		{"reserved variable", `{"StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"states":1},"End":true}}}`,
			[]string{"/States/A/Assign/states: The variable name 'states' is reserved"}},
		{"bad variable name", `{"StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"1a":1,"b-c":2},"End":true}}}`,
			[]string{"/States/A/Assign/1a: The variable name '1a' is not valid", "/States/A/Assign/b-c: The variable name 'b-c' is not valid"}},
		{"Assign on Succeed", `{"StartAt":"A","States":{"A":{"Type":"Succeed","Assign":{"a":1}}}}`,
			[]string{"/States/A/Assign: Field 'Assign' is not supported by the state type 'Succeed'"}},
		{"ResultPath to a variable", `{"StartAt":"A","States":{"A":{"Type":"Pass","ResultPath":"$x","End":true}}}`,
			[]string{"/States/A/ResultPath: The value for the field 'ResultPath' must be a valid ReferencePath: variables cannot be written"}},
		{"Wait SecondsPath under JSONata", `{"QueryLanguage":"JSONata","StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.s","End":true}}}`,
			[]string{"/States/W: A Wait state must have exactly one of 'Seconds' or 'Timestamp'", "/States/W/SecondsPath: The field 'SecondsPath' is not supported"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.def))
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Parse(%s) = %v; want no error", tt.name, err)
				}
				return
			}
			var ds Diagnostics
			if !errors.As(err, &ds) {
				t.Fatalf("Parse(%s) = %v; want Diagnostics", tt.name, err)
			}
			var got []string
			for _, d := range ds {
				got = append(got, d.Location+": "+d.Message)
			}
			for _, w := range tt.want {
				found := false
				for _, g := range got {
					if strings.HasPrefix(g, w) {
						found = true
					}
				}
				if !found {
					t.Errorf("Parse(%s) diagnostics = %q; want one starting with %q", tt.name, got, w)
				}
			}
			if len(got) != len(tt.want) {
				t.Errorf("Parse(%s) gave %d diagnostics %q; want %d", tt.name, len(got), got, len(tt.want))
			}
		})
	}
}

// TestStepAssign: the step API returns what a state assigns and never
// changes the scopes it was given.
func TestStepAssign(t *testing.T) {
	t.Parallel()
	m, err := Parse([]byte(`{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"x":"{% $x + $y %}"},"Output":"{% $x %}","End":true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	outer := (&Vars{}).With(map[string]any{"y": int64(2)})
	inner := outer.Child().With(map[string]any{"x": int64(1)})
	step := m.Start().Enter(map[string]any{}, &Context{Vars: inner}, &Env{})
	if step.Kind != StepSucceed || step.Output != int64(1) || step.Assign["x"] != int64(3) {
		t.Fatalf("Enter = %+v; want output 1 and Assign x=3", step)
	}
	if v, _ := inner.Lookup("x"); v != int64(1) {
		t.Errorf("Lookup(x) after Enter = %v; want the scope unchanged (1)", v)
	}
	after := inner.With(step.Assign)
	if v, _ := after.Lookup("x"); v != int64(3) {
		t.Errorf("With(Assign).Lookup(x) = %v; want 3", v)
	}
	if v, _ := after.Lookup("y"); v != int64(2) || after.Parent != outer {
		t.Errorf("With(Assign) lost the outer scope: y = %v", v)
	}
}

// TestReadsWholeStates: which expressions get $states.context bound (it is
// built only for them).
func TestReadsWholeStates(t *testing.T) {
	t.Parallel()
	for src, want := range map[string]bool{
		"$states.input.a":                false,
		"$states.result + $states.input": false,
		"$states . errorOutput.Error":    false,
		"$states.context.Execution.Id":   true,
		"$keys($states)":                 true,
		"$states.*":                      true,
		"$states":                        true,
		"$lookup($states, 'x')":          true,
		"'context'":                      true,
	} {
		if got := readsWholeStates(src); got != want {
			t.Errorf("readsWholeStates(%q) = %v; want %v", src, got, want)
		}
	}
}
