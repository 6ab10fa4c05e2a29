package statelang

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// awsIntrinsicCases were recorded on AWS Step Functions: the JSONPath
// scenarios of the conformance corpus in category "intrinsic_functions"
// (../../shared/conformance/corpus.json), each a Pass state whose
// Parameters hold "FunctionResult.$": expr. want is the recorded
// FunctionResult; the state machine name placeholder is
// "statemachine_sw000002", as in the recording.
var awsIntrinsicCases = []struct{ name, expr, input, want string }{
	{`TestArray::test_array_0_0`, `States.Array()`, `{"FunctionInput": "HelloWorld"}`, `[]`},
	{`TestArray::test_array_2_1`, `States.Array($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput": {"fst": " ", "snd": " "}}`, `[" "," "]`},
	{`TestArray::test_array_2_2`, `States.Array($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput": {"fst": "HelloWorld", "snd": "HelloWorld"}}`, `["HelloWorld","HelloWorld"]`},
	{`TestArray::test_array_2_5`, `States.Array($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput": {"fst": 1.1, "snd": 1.1}}`, `[1.1,1.1]`},
	{`TestArray::test_array_partition_0`, `States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput": {"fst": [], "snd": 1}}`, `[]`},
	{`TestArray::test_array_partition_1`, `States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput": {"fst": [], "snd": 2}}`, `[]`},
	{`TestArray::test_array_partition_4`, `States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput": {"fst": [], "snd": 5}}`, `[]`},
	{`TestArray::test_array_partition_7`, `States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput": {"fst": [0], "snd": 3}}`, `[[0]]`},
	{`TestArray::test_array_partition_10`, `States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput": {"fst": [0, 1], "snd": 1}}`, `[[0],[1]]`},
	{`TestArray::test_array_partition_11`, `States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput": {"fst": [0, 1], "snd": 2}}`, `[[0,1]]`},
	{`TestArray::test_array_partition_12`, `States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput": {"fst": [0, 1], "snd": 3}}`, `[[0,1]]`},
	{`TestArray::test_array_partition_13`, `States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput": {"fst": [0, 1], "snd": 4}}`, `[[0,1]]`},
	{`TestArray::test_array_partition_15`, `States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput": {"fst": [0, 1, 2], "snd": 1}}`, `[[0],[1],[2]]`},
	{`TestArray::test_array_partition_16`, `States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput": {"fst": [0, 1, 2], "snd": 2}}`, `[[0,1],[2]]`},
	{`TestArray::test_array_partition_19`, `States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput": {"fst": [0, 1, 2], "snd": 5}}`, `[[0,1,2]]`},
	{`TestArray::test_array_contains_0`, `States.ArrayContains($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput": {"fst": [], "snd": null}}`, `false`},
	{`TestArray::test_array_contains_6`, `States.ArrayContains($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput": {"fst": [{"1": 2, "2": []}], "snd": {"1": 2, "2": []}}}`, `true`},
	{`TestArray::test_array_contains_7`, `States.ArrayContains($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput": {"fst": [true, false], "snd": true}}`, `true`},
	{`TestArray::test_array_range_1`, `States.ArrayRange($.FunctionInput.fst, $.FunctionInput.snd, $.FunctionInput.trd)`, `{"FunctionInput": {"fst": 0, "snd": 10, "trd": 3}}`, `[0,3,6,9]`},
	{`TestArray::test_array_range_3`, `States.ArrayRange($.FunctionInput.fst, $.FunctionInput.snd, $.FunctionInput.trd)`, `{"FunctionInput": {"fst": 1, "snd": 9, "trd": 2}}`, `[1,3,5,7,9]`},
	{`TestEncodeDecode::test_base_64_encode_1`, `States.Base64Encode($.FunctionInput)`, `{"FunctionInput": "Data to encode"}`, `"RGF0YSB0byBlbmNvZGU="`},
	{`TestEncodeDecode::test_base_64_decode_0`, `States.Base64Decode($.FunctionInput)`, `{"FunctionInput": ""}`, `""`},
	{`TestEncodeDecode::test_base_64_decode_1`, `States.Base64Decode($.FunctionInput)`, `{"FunctionInput": "RGF0YSB0byBlbmNvZGU="}`, `"Data to encode"`},
	{`TestGeneric::test_format_1_1`, `States.Format('Formatting argument {}.', $.FunctionInput)`, `{"FunctionInput": " "}`, `"Formatting argument  ."`},
	{`TestGeneric::test_format_1_2`, `States.Format('Formatting argument {}.', $.FunctionInput)`, `{"FunctionInput": "HelloWorld"}`, `"Formatting argument HelloWorld."`},
	{`TestGeneric::test_format_1_5`, `States.Format('Formatting argument {}.', $.FunctionInput)`, `{"FunctionInput": 1.1}`, `"Formatting argument 1.1."`},
	{`TestGeneric::test_format_2_3`, `States.Format('Formatting arguments fst={} and snd={}.', $.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput": {"fst": null, "snd": null}}`, `"Formatting arguments fst=null and snd=null."`},
	{`TestGeneric::test_format_2_4`, `States.Format('Formatting arguments fst={} and snd={}.', $.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput": {"fst": 1, "snd": 1}}`, `"Formatting arguments fst=1 and snd=1."`},
	{`TestGeneric::test_format_2_6`, `States.Format('Formatting arguments fst={} and snd={}.', $.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput": {"fst": "{\"Arg1\": 1, \"Arg2\": []}", "snd": "{\"Arg1\": 1, \"Arg2\": []}"}}`, `"Formatting arguments fst={\"Arg1\": 1, \"Arg2\": []} and snd={\"Arg1\": 1, \"Arg2\": []}."`},
	{`TestGeneric::test_nested_calls_1_0`, `States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), 0)`, `{"FunctionInput": null}`, `"statemachine_sw000002"`},
	{`TestGeneric::test_nested_calls_2_0`, `States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), States.MathAdd(States.ArrayLength(States.StringSplit($$.StateMachine.Name, '-')), -1))`, `{"FunctionInput": null}`, `"statemachine_sw000002"`},
	{`TestGeneric::test_escape_sequence_0`, "States.StringSplit('Hello\nWorld', '\n')", `{"FunctionInput": null}`, `["Hello","World"]`},
	{`TestHashCalculations::test_hash_1`, `States.Hash($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput": {"fst": "input data", "snd": "SHA-1"}}`, `"aaff4a450a104cd177d28d18d74485e8cae074b7"`},
	{`TestHashCalculations::test_hash_2`, `States.Hash($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput": {"fst": "input data", "snd": "SHA-256"}}`, `"b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3"`},
	{`TestHashCalculations::test_hash_3`, `States.Hash($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput": {"fst": "input data", "snd": "SHA-384"}}`, `"d28a7d5cf25a74f11a50a18452b75e04bb3d70c9dd0510d6123aa008c756511b87525bdc835ebb27e1fb9e9374a15562"`},
	{`TestJsonManipulation::test_string_to_json_1`, `States.StringToJson($.FunctionInput)`, `{"FunctionInput": " "}`, `null`},
	{`TestJsonManipulation::test_string_to_json_5`, `States.StringToJson($.FunctionInput)`, `{"FunctionInput": "1.1"}`, `1.1`},
	{`TestJsonManipulation::test_string_to_json_7`, `States.StringToJson($.FunctionInput)`, `{"FunctionInput": "\"HelloWorld\""}`, `"HelloWorld"`},
	{`TestJsonManipulation::test_string_to_json_8`, `States.StringToJson($.FunctionInput)`, `{"FunctionInput": "[1, 2, \"HelloWorld\"]"}`, `[1,2,"HelloWorld"]`},
	{`TestJsonManipulation::test_string_to_json_9`, `States.StringToJson($.FunctionInput)`, `{"FunctionInput": "{\"Arg1\": 1, \"Arg2\": []}"}`, `{"Arg1":1,"Arg2":[]}`},
	{`TestJsonManipulation::test_json_to_string_1`, `States.JsonToString($.FunctionInput)`, `{"FunctionInput": 0}`, `"0"`},
	{`TestJsonManipulation::test_json_to_string_4`, `States.JsonToString($.FunctionInput)`, `{"FunctionInput": true}`, `"true"`},
	{`TestJsonManipulation::test_json_to_string_5`, `States.JsonToString($.FunctionInput)`, `{"FunctionInput": "HelloWorld"}`, `"\"HelloWorld\""`},
	{`TestJsonManipulation::test_json_to_string_7`, `States.JsonToString($.FunctionInput)`, `{"FunctionInput": {"Arg1": 1, "Arg2": []}}`, `"{\"Arg1\":1,\"Arg2\":[]}"`},
	{`TestMathOperations::test_math_add_1`, `States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput": {"fst": 1.49, "snd": 1.5}}`, `3`},
	{`TestMathOperations::test_math_add_2`, `States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput": {"fst": 1.5, "snd": 1.51}}`, `4`},
	{`TestMathOperations::test_math_add_3`, `States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput": {"fst": -1.49, "snd": -1.5}}`, `-2`},
	{`TestMathOperations::test_math_add_4`, `States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput": {"fst": -1.5, "snd": -1.51}}`, `-3`},
	{`TestMathOperations::test_math_add_11`, `States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput": {"fst": -1.51, "snd": 0}}`, `-2`},
	{`TestMathOperations::test_math_add_13`, `States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput": {"fst": 1.5, "snd": 0}}`, `2`},
	{`TestMathOperations::test_math_add_17`, `States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput": {"fst": -0.5, "snd": 0}}`, `0`},
	{`TestMathOperations::test_math_add_20`, `States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput": {"fst": -3.5, "snd": 0}}`, `-3`},
	{`TestStringOperations::test_string_split_3`, `States.StringSplit($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput": {"fst": ",,,,", "snd": ","}}`, `[]`},
	{`TestStringOperations::test_string_split_4`, `States.StringSplit($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput": {"fst": "1,2,3,4,5", "snd": ","}}`, `["1","2","3","4","5"]`},
	{`TestStringOperations::test_string_split_5`, `States.StringSplit($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput": {"fst": "This.is+a,test=string", "snd": ".+,="}}`, `["This","is","a","test","string"]`},
	{`TestStringOperations::test_string_split_6`, `States.StringSplit($.FunctionInput.fst, $.FunctionInput.snd)`, `{"FunctionInput": {"fst": "split on T and \nnew line", "snd": "T\n"}}`, `["split on "," and ","new line"]`},
	{`TestStringOperations::test_string_split_context_object_0`, `States.StringSplit($$.Execution.Input.FunctionInput, ',')`, `{"FunctionInput": "Value1,Value2,Value3\nValue4,Value5,Value6\n,,,\ntrue,1,'HelloWorld'\nNull,None,\n   \n"}`, `["Value1","Value2","Value3\nValue4","Value5","Value6\n","\ntrue","1","'HelloWorld'\nNull","None","\n   \n"]`},
}

const intrinsicTestMachine = "statemachine_sw000002"

// intrinsicTestContext is a context object for the input, as $$ shows it.
func intrinsicTestContext(input any) map[string]any {
	return map[string]any{
		"Execution": map[string]any{
			"Id":    "arn:aws:states:us-east-1:111111111111:execution:" + intrinsicTestMachine + ":exec1",
			"Input": input,
			"Name":  "exec1",
		},
		"StateMachine": map[string]any{
			"Id":   "arn:aws:states:us-east-1:111111111111:stateMachine:" + intrinsicTestMachine,
			"Name": intrinsicTestMachine,
		},
		"State": map[string]any{"Name": "State_0", "RetryCount": int64(0)},
	}
}

func intrinsicJSON(t *testing.T, s string) any {
	t.Helper()
	v, err := ParseJSON([]byte(s))
	if err != nil {
		t.Fatalf("ParseJSON(%q): %v", s, err)
	}
	return v
}

// sameTypedJSON compares two values as JSON text, so that numbers must agree in
// kind as well as value (1 is not 1.0).
func sameTypedJSON(a, b any) bool { return MarshalString(a) == MarshalString(b) }

func intrinsicTestEnv() *Env {
	n := 0
	return &Env{
		Random: func() float64 { return 0.25 },
		UUID: func() string {
			n++
			return "5e7e0000-0000-4000-8000-00000000000" + string(rune('0'+n))
		},
	}
}

func runIntrinsic(t *testing.T, expr string, input any) (any, *Failure) {
	t.Helper()
	c, err := parseIntrinsic(expr)
	if err != nil {
		t.Fatalf("parseIntrinsic(%q): %v", expr, err)
	}
	return c.eval(input, intrinsicTestContext(input), intrinsicTestEnv(), newBudget())
}

func TestIntrinsicAWS(t *testing.T) {
	t.Parallel()
	for _, tc := range awsIntrinsicCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			input := intrinsicJSON(t, tc.input)
			want := intrinsicJSON(t, tc.want)
			got, f := runIntrinsic(t, tc.expr, input)
			if f != nil {
				t.Fatalf("%s = failure %v; want %s", tc.expr, f, tc.want)
			}
			if !sameTypedJSON(got, want) {
				t.Errorf("%s = %s; want %s", tc.expr, MarshalString(got), tc.want)
			}
		})
	}
}

// TestIntrinsicCorpus runs every JSONPath intrinsic scenario of the shared
// corpus, so that new recordings are checked too. It skips when the corpus
// is absent (a fresh clone).
func TestIntrinsicCorpus(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../shared/conformance/corpus.json")
	if err != nil {
		t.Skipf("conformance corpus not available: %v", err)
	}
	var corpus struct {
		Scenarios []struct {
			ID           string   `json:"id"`
			Category     string   `json:"category"`
			Definition   string   `json:"definition"`
			Input        *string  `json:"input"`
			Placeholders []string `json:"placeholders"`
			Expected     struct {
				Status string          `json:"status"`
				Output json.RawMessage `json:"output"`
			} `json:"expected"`
		} `json:"scenarios"`
	}
	if err := json.Unmarshal(b, &corpus); err != nil {
		t.Fatalf("corpus: %v", err)
	}
	ran := 0
	for _, sc := range corpus.Scenarios {
		if sc.Category != "intrinsic_functions" || sc.Expected.Status != "SUCCEEDED" || sc.Input == nil {
			continue
		}
		def := intrinsicJSON(t, sc.Definition).(map[string]any)
		var expr string
		for _, st := range def["States"].(map[string]any) {
			if p, ok := st.(map[string]any)["Parameters"].(map[string]any); ok {
				expr, _ = p["FunctionResult.$"].(string)
			}
		}
		if expr == "" {
			continue // a JSONata scenario
		}
		ran++
		input := intrinsicJSON(t, *sc.Input)
		got, f := runIntrinsic(t, expr, input)
		if f != nil {
			t.Errorf("%s: %s = failure %v; want success", sc.ID, expr, f)
			continue
		}
		want := intrinsicJSON(t, string(sc.Expected.Output)).(map[string]any)["FunctionResult"]
		if len(sc.Placeholders) > 0 {
			// The recorded value stands for a run-dependent one: the state
			// machine's name, or a random number.
			if s, ok := want.(string); ok && s == "RandomNumberGenerated" {
				if _, ok := got.(int64); !ok {
					t.Errorf("%s: %s = %s; want an integer", sc.ID, expr, MarshalString(got))
				}
				continue
			}
			want = intrinsicJSON(t, strings.ReplaceAll(MarshalString(want), "<ArnPart_0idx>", intrinsicTestMachine))
		}
		if !sameTypedJSON(got, want) {
			t.Errorf("%s: %s = %s; want %s", sc.ID, expr, MarshalString(got), MarshalString(want))
		}
	}
	if ran < 50 {
		t.Errorf("ran %d corpus scenarios; want at least 50", ran)
	}
}

func TestIntrinsicEval(t *testing.T) {
	t.Parallel()
	const input = `{
		"s": "HelloWorld", "n": 3, "f": 2.5, "neg": -7, "t": true, "z": null,
		"arr": [1, 2, 3, 4, 5, 6, 7, 8, 9], "empty": [], "strs": ["a", "b"],
		"obj": {"Arg1": 1, "Arg2": [], "Arg3": {"x": "y", "f": 1.0}},
		"tmpl": "Hello, my name is {}.", "name": "Arnav",
		"json": "{\"foo\": \"bar\"}",
		"uniq": [null, null, true, true, false, false, 1, 1, 1.1, 0, 1.0, "HelloWorld", "HelloWorld", [], [], [null], [null], {"a": 1, "b": 2}, {"b": 2, "a": 1}, {"a": 1, "b": 1}],
		"m1": {"a": {"a1": 1, "a2": 2}, "b": 2}, "m2": {"a": {"a3": 1, "a4": 2}, "c": 3},
		"big": 2147483648, "a b": "sp"
	}`
	tests := []struct {
		name, expr string
		want       string // JSON; "" when a failure is wanted
		fail       string // the failure's name
		cause      string // a part of the failure's cause
	}{
		// States.Format
		{"format docs", `States.Format('Hello, my name is {}.', $.name)`, `"Hello, my name is Arnav."`, "", ""},
		{"format path template", `States.Format($.tmpl, $.name)`, `"Hello, my name is Arnav."`, "", ""},
		{"format no placeholder", `States.Format('plain')`, `"plain"`, "", ""},
		// AWS prints objects and arrays as Java's Map/List toString.
		{"format object", `States.Format('fst={} and snd={}.', $.obj, $.obj)`, `"fst={Arg1=1, Arg2=[], Arg3={f=1.0, x=y}} and snd={Arg1=1, Arg2=[], Arg3={f=1.0, x=y}}."`, "", ""},
		{"format array", `States.Format('{}', $.strs)`, `"[a, b]"`, "", ""},
		{"format context", `States.Format('fst={} and snd={}.', $$.Execution.Name, $$.StateMachine)`, `"fst=exec1 and snd={Id=arn:aws:states:us-east-1:111111111111:stateMachine:statemachine_sw000002, Name=statemachine_sw000002}."`, "", ""},
		{"format literals", `States.Format('{} {} {} {} {} {}', 1, -2.5, true, null, 'x', 1.25e2)`, `"1 -2.5 true null x 125.0"`, "", ""},
		{"format escapes", `States.Format('\{\} {} \'q\' a\\b', $.n)`, `"{} 3 'q' a\\b"`, "", ""},
		{"format lone brace", `States.Format('{ x } {}', $.n)`, `"{ x } 3"`, "", ""},
		{"format nested", `States.Format('{}-{}', States.ArrayLength($.arr), States.MathAdd($.n, 1))`, `"9-4"`, "", ""},
		{"format too few", `States.Format('{} {}', $.n)`, "", ErrIntrinsicFailure, "States.Format"},
		{"format too many", `States.Format('{}', $.n, $.n)`, "", ErrIntrinsicFailure, "States.Format"},
		{"format template not string", `States.Format($.n)`, "", ErrIntrinsicFailure, "string"},

		// States.StringToJson / States.JsonToString
		{"string to json docs", `States.StringToJson($.json)`, `{"foo":"bar"}`, "", ""},
		{"string to json empty", `States.StringToJson('')`, `null`, "", ""},
		{"string to json int", `States.StringToJson('12')`, `12`, "", ""},
		{"string to json float", `States.StringToJson('12.0')`, `12.0`, "", ""},
		{"string to json invalid", `States.StringToJson('{x')`, "", ErrIntrinsicFailure, "States.StringToJson"},
		{"string to json not string", `States.StringToJson($.obj)`, "", ErrIntrinsicFailure, "string"},
		{"json to string object", `States.JsonToString($.obj)`, `"{\"Arg1\":1,\"Arg2\":[],\"Arg3\":{\"f\":1.0,\"x\":\"y\"}}"`, "", ""},
		{"json to string float", `States.JsonToString($.f)`, `"2.5"`, "", ""},
		{"json to string null", `States.JsonToString($.z)`, `"null"`, "", ""},

		// States.Array
		{"array literals", `States.Array(1, 'a', 1.5, true, false, null, $.strs, $$.State.Name)`, `[1,"a",1.5,true,false,null,["a","b"],"State_0"]`, "", ""},
		{"array docs", `States.Array($.n)`, `[3]`, "", ""},
		{"array spaces", `States.Array(  1 ,2,  'x'  )`, `[1,2,"x"]`, "", ""},

		// States.ArrayPartition
		{"partition docs", `States.ArrayPartition($.arr, 4)`, `[[1,2,3,4],[5,6,7,8],[9]]`, "", ""},
		{"partition zero", `States.ArrayPartition($.arr, 0)`, "", ErrIntrinsicFailure, "States.ArrayPartition"},
		{"partition negative", `States.ArrayPartition($.arr, -1)`, "", ErrIntrinsicFailure, "States.ArrayPartition"},
		{"partition float", `States.ArrayPartition($.arr, 2.5)`, "", ErrIntrinsicFailure, "integer"},
		{"partition not array", `States.ArrayPartition($.s, 2)`, "", ErrIntrinsicFailure, "array"},

		// States.ArrayContains
		{"contains docs", `States.ArrayContains($.arr, 5)`, `true`, "", ""},
		{"contains missing", `States.ArrayContains($.arr, 10)`, `false`, "", ""},
		{"contains array", `States.ArrayContains($.uniq, $.empty)`, `true`, "", ""},
		{"contains object", `States.ArrayContains($.uniq, $.m1)`, `false`, "", ""},
		{"contains not array", `States.ArrayContains($.obj, 1)`, "", ErrIntrinsicFailure, "array"},

		// States.ArrayRange
		{"range docs", `States.ArrayRange(1, 9, 2)`, `[1,3,5,7,9]`, "", ""},
		{"range step too big", `States.ArrayRange(1, 9, 9)`, `[1]`, "", ""},
		{"range negative step", `States.ArrayRange(10, 1, -3)`, `[10,7,4,1]`, "", ""},
		{"range wrong direction", `States.ArrayRange(1, 10, -1)`, `[]`, "", ""},
		{"range 1000 items", `States.ArrayLength(States.ArrayRange(0, 999, 1))`, `1000`, "", ""},
		{"range 1001 items", `States.ArrayRange(0, 1000, 1)`, "", ErrIntrinsicFailure, "1000"},
		{"range zero step", `States.ArrayRange(0, 10, 0)`, "", ErrIntrinsicFailure, "States.ArrayRange"},
		{"range float", `States.ArrayRange(0, 10.5, 1)`, "", ErrIntrinsicFailure, "integer"},
		{"range beyond int32", `States.ArrayRange($.big, 1, 1)`, "", ErrIntrinsicFailure, "integer"},

		// States.ArrayGetItem / ArrayLength / ArrayUnique
		{"get item docs", `States.ArrayGetItem($.arr, 5)`, `6`, "", ""},
		{"get item last", `States.ArrayGetItem($.arr, 8)`, `9`, "", ""},
		{"get item out of range", `States.ArrayGetItem($.arr, 9)`, "", ErrIntrinsicFailure, "States.ArrayGetItem"},
		{"get item negative", `States.ArrayGetItem($.arr, -1)`, "", ErrIntrinsicFailure, "States.ArrayGetItem"},
		{"length", `States.ArrayLength($.arr)`, `9`, "", ""},
		{"length empty", `States.ArrayLength($.empty)`, `0`, "", ""},
		{"length not array", `States.ArrayLength($.s)`, "", ErrIntrinsicFailure, "array"},
		{"unique", `States.ArrayUnique($.uniq)`, `[null,true,false,1,1.1,0,1.0,"HelloWorld",[],[null],{"a":1,"b":2},{"a":1,"b":1}]`, "", ""},
		{"unique docs", `States.ArrayUnique(States.Array(1,2,3,3,3,3,3,3,4))`, `[1,2,3,4]`, "", ""},

		// States.Base64Encode / Base64Decode
		{"base64 utf8", `States.Base64Encode('héllo €')`, `"aMOpbGxvIOKCrA=="`, "", ""},
		{"base64 round trip", `States.Base64Decode(States.Base64Encode('héllo €'))`, `"héllo €"`, "", ""},
		{"base64 decode invalid", `States.Base64Decode('***')`, "", ErrIntrinsicFailure, "States.Base64Decode"},
		{"base64 not string", `States.Base64Encode($.n)`, "", ErrIntrinsicFailure, "string"},
		{"base64 encode at limit", `States.ArrayLength(States.StringSplit(States.Base64Encode($.max), '='))`, `1`, "", ""},
		{"base64 encode limit", `States.Base64Encode($.long)`, "", ErrIntrinsicFailure, "10000"},
		{"base64 decode limit", `States.Base64Decode($.long)`, "", ErrIntrinsicFailure, "10000"},
		{"hash limit", `States.Hash($.long, 'MD5')`, "", ErrIntrinsicFailure, "10000"},
		{"hash at limit", `States.ArrayLength(States.StringSplit(States.Hash($.max, 'SHA-1'), ''))`, `1`, "", ""},

		// States.Hash
		{"hash md5", `States.Hash('input data', 'MD5')`, `"812f45842bc6d66ee14572ce20db8e86"`, "", ""},
		{"hash sha512", `States.Hash('input data', 'SHA-512')`, `"6ce4adb348546d4f449c4d25aad9a7c9cb711d9e91982d3f0b29ca2f3f47d4ce2deba23bf2954f0f1d593fc50283731a533d30d425402d4f91316d871303aac4"`, "", ""},
		{"hash unknown", `States.Hash('input data', 'SHA-3')`, "", ErrIntrinsicFailure, "SHA-3"},
		{"hash not string", `States.Hash($.obj, 'MD5')`, "", ErrIntrinsicFailure, "string"},

		// States.JsonMerge
		{"merge docs", `States.JsonMerge($.m1, $.m2, false)`, `{"a":{"a3":1,"a4":2},"b":2,"c":3}`, "", ""},
		{"merge deep", `States.JsonMerge($.m1, $.m2, true)`, "", ErrIntrinsicFailure, "States.JsonMerge"},
		{"merge not object", `States.JsonMerge($.arr, $.m2, false)`, "", ErrIntrinsicFailure, "object"},
		{"merge flag not boolean", `States.JsonMerge($.m1, $.m2, 'false')`, "", ErrIntrinsicFailure, "boolean"},

		// States.MathAdd: arguments are rounded like Java's Math.round.
		{"add docs", `States.MathAdd($.n, 1)`, `4`, "", ""},
		{"add negative literal", `States.MathAdd($.neg, -1)`, `-8`, "", ""},
		{"add rounds", `States.MathAdd($.f, 0.4)`, `3`, "", ""},
		{"add not number", `States.MathAdd($.s, 1)`, "", ErrIntrinsicFailure, "number"},
		{"add beyond int32", `States.MathAdd($.big, 1)`, "", ErrIntrinsicFailure, "2147483647"},

		// States.MathRandom with a seed is java.util.Random(seed).nextInt(end - start).
		{"random seeded 42", `States.MathRandom(0, 10, 42)`, `0`, "", ""},
		{"random seeded 0", `States.MathRandom(0, 16, 0)`, `11`, "", ""},
		{"random seeded offset", `States.MathRandom(5, 15, 42)`, `5`, "", ""},
		{"random env", `States.MathRandom(0, 100)`, `25`, "", ""},
		{"random rounds", `States.MathRandom(12.5, 44.51)`, `21`, "", ""},
		{"random empty range", `States.MathRandom(5, 5)`, "", ErrIntrinsicFailure, "States.MathRandom"},
		{"random not number", `States.MathRandom('a', 5)`, "", ErrIntrinsicFailure, "number"},

		// States.StringSplit splits on every character of the delimiter.
		{"split docs", `States.StringSplit('1,2,3,4,5', ',')`, `["1","2","3","4","5"]`, "", ""},
		{"split many", `States.StringSplit('a.b+c', '.+')`, `["a","b","c"]`, "", ""},
		{"split empty delimiter", `States.StringSplit('abc', '')`, `["abc"]`, "", ""},
		{"split empty", `States.StringSplit('', ',')`, `[]`, "", ""},
		{"split not string", `States.StringSplit($.arr, ',')`, "", ErrIntrinsicFailure, "string"},

		// States.UUID
		{"uuid", `States.UUID()`, `"5e7e0000-0000-4000-8000-000000000001"`, "", ""},

		// Paths
		{"path whole input", `States.ArrayLength(States.Array($, $))`, `2`, "", ""},
		{"path bracket", `States.ArrayGetItem($['arr'], 0)`, `1`, "", ""},
		{"path filter", `States.ArrayLength($.arr[?(@ > 4)])`, `5`, "", ""},
		{"path filter quoted", `States.Array($.arr[?(@ == ')')], 'x')`, `[[],"x"]`, "", ""},
		{"path key with space", `States.Array($['a b'], $.a b , 1)`, `["sp","sp",1]`, "", ""},
		{"path missing", `States.Format('{}', $.nope)`, "", ErrRuntime, "$.nope"},
		{"context path missing", `States.Format('{}', $$.Map.Item.Value)`, "", ErrRuntime, "$$.Map.Item.Value"},
	}
	in := intrinsicJSON(t, input).(map[string]any)
	in["max"] = strings.Repeat("a", maxEncodedInput)
	in["long"] = strings.Repeat("a", maxEncodedInput+1)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			before := MarshalString(in)
			got, f := runIntrinsic(t, tc.expr, in)
			if after := MarshalString(in); after != before {
				t.Errorf("%s changed its input to %s", tc.expr, after)
			}
			if tc.fail != "" {
				if f == nil {
					t.Fatalf("%s = %s; want failure %s", tc.expr, MarshalString(got), tc.fail)
				}
				if f.Name != tc.fail || !strings.Contains(f.Cause, tc.cause) {
					t.Errorf("%s = failure %v; want %s with a cause containing %q", tc.expr, f, tc.fail, tc.cause)
				}
				return
			}
			if f != nil {
				t.Fatalf("%s = failure %v; want %s", tc.expr, f, tc.want)
			}
			if want := intrinsicJSON(t, tc.want); !sameTypedJSON(got, want) {
				t.Errorf("%s = %s; want %s", tc.expr, MarshalString(got), tc.want)
			}
		})
	}
}

func TestIntrinsicMathRandom(t *testing.T) {
	t.Parallel()
	in := intrinsicJSON(t, `{"start": 12.5, "end": 44.51, "seed": 3}`)
	c, err := parseIntrinsic(`States.MathRandom($.start, $.end)`)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []float64{0, 0.5, 0.999999999} {
		env := &Env{Random: func() float64 { return r }}
		got, f := c.eval(in, nil, env, newBudget())
		n, ok := got.(int64)
		if f != nil || !ok || n < 13 || n >= 45 {
			t.Errorf("MathRandom(12.5, 44.51) with random %v = %v, %v; want an integer in [13, 45)", r, got, f)
		}
	}
	seeded, err := parseIntrinsic(`States.MathRandom(0, 999, $.seed)`)
	if err != nil {
		t.Fatal(err)
	}
	first, f := seeded.eval(in, nil, nil, newBudget())
	if f != nil {
		t.Fatalf("seeded MathRandom: %v", f)
	}
	for range 3 {
		if again, _ := seeded.eval(in, nil, intrinsicTestEnv(), newBudget()); !sameTypedJSON(again, first) {
			t.Errorf("seeded MathRandom = %v then %v; want the same number", first, again)
		}
	}
}

func TestIntrinsicNesting(t *testing.T) {
	t.Parallel()
	nest := func(n int) string {
		return strings.Repeat("States.Array(", n) + "1" + strings.Repeat(")", n)
	}
	got, f := runIntrinsic(t, nest(10), nil)
	if f != nil || MarshalString(got) != "[[[[[[[[[[1]]]]]]]]]]" {
		t.Errorf("%s = %v, %v; want 10 nested arrays", nest(10), MarshalString(got), f)
	}
	if _, err := parseIntrinsic(nest(11)); err == nil || !strings.Contains(err.Error(), "10") {
		t.Errorf("parseIntrinsic(%q) = %v; want an error about nesting more than 10 deep", nest(11), err)
	}
}

func TestIntrinsicParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr string
		want string // part of the error
	}{
		{`States.Nope(1)`, `unknown intrinsic function "States.Nope" at offset 0`},
		{`States.Format`, `expected '(' after States.Format`},
		{`States.Format('{}', $.a`, `missing ')'`},
		{`States.Format('abc`, `unterminated string literal at offset 14`},
		{`States.Array(1 2)`, `expected ',' or ')'`},
		{`States.Array(1,)`, `offset 15`},
		{`States.Array(foo)`, `unexpected 'f' where an argument`},
		{`States.Array(1) x`, `after the end of the call at offset 16`},
		{`States.Array(1.)`, `malformed number`},
		{`States.Array(-)`, `malformed number`},
		{`States.Array(12abc)`, `malformed number`},
		{`States.Array($.a[0)`, `unbalanced ')' in path at offset 18`},
		{`States.Array($.a['x)`, `unterminated path at offset 13`},
		{`States.Array($.a[0, 1)`, `unbalanced ')'`},
		{`States.Array($1x)`, `does not name a valid variable`},
		{`States.ArrayLength()`, `States.ArrayLength takes 1 argument but was given 0`},
		{`States.ArrayRange(1, 2)`, `takes 3 arguments`},
		{`States.MathRandom(1)`, `takes 2 or 3 arguments`},
		{`States.Format()`, `takes at least 1 argument`},
		{`States.UUID(1)`, `takes 0 arguments`},
		{`States.Array(States.ArrayLength(1, 2))`, `at offset 13`},
		{`$.a`, `expected an intrinsic function call`},
		{``, `expected an intrinsic function call`},
	}
	for _, tc := range tests {
		_, err := parseIntrinsic(tc.expr)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parseIntrinsic(%q) = %v; want an error containing %q", tc.expr, err, tc.want)
		}
	}
}
