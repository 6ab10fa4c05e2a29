package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/statelang"
)

// The language's whole-execution tests: each machine runs in memory on the
// decider (engine.RunLocal), as `stepwise run` runs it.

func mustParse(t *testing.T, def string) *statelang.Machine {
	t.Helper()
	m, err := statelang.Parse([]byte(def))
	if err != nil {
		t.Fatalf("Parse(%s) = %v", def, err)
	}
	return m
}

// passChain is a machine of n Pass states in sequence.
func passChain(n int) []byte {
	states := map[string]any{}
	for i := range n {
		s := map[string]any{"Type": "Pass"}
		if i == n-1 {
			s["End"] = true
		} else {
			s["Next"] = "P" + strconv.Itoa(i+1)
		}
		states["P"+strconv.Itoa(i)] = s
	}
	b, _ := json.Marshal(map[string]any{"StartAt": "P0", "States": states})
	return b
}

// TestRunTaskRetryCatch runs a machine whose task fails twice, is retried
// with backoff on the fake clock, then succeeds.
func TestRunTaskRetryCatch(t *testing.T) {
	m := mustParse(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:flaky",
	  "Retry":[{"ErrorEquals":["Flaky"],"IntervalSeconds":2,"BackoffRate":3}],"End":true}}}`)
	calls := 0
	res := engine.RunLocal(m, map[string]any{}, engine.LocalOptions{Task: func(t engine.Task, _ any) (any, *statelang.Failure) {
		calls++
		if calls < 3 {
			return nil, &statelang.Failure{Name: "Flaky", Cause: "try again"}
		}
		return map[string]any{"retries": t.Attempt}, nil
	}})
	if res.Status != engine.StatusSucceeded || statelang.MarshalString(res.Output) != `{"retries":2}` {
		t.Fatalf("Run = %s %v %s; want SUCCEEDED {retries:2}", res.Status, res.Failure, statelang.MarshalString(res.Output))
	}
	last := res.Events[len(res.Events)-1]
	if got := last.Timestamp.Sub(res.Events[0].Timestamp); got != 8*time.Second {
		t.Errorf("elapsed on the fake clock = %v; want 2s + 6s", got)
	}
	var types []string
	for _, e := range res.Events {
		types = append(types, string(e.Type))
	}
	want := "ExecutionStarted TaskStateEntered LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionFailed LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionFailed LambdaFunctionScheduled LambdaFunctionStarted LambdaFunctionSucceeded TaskStateExited ExecutionSucceeded"
	if got := strings.Join(types, " "); got != want {
		t.Errorf("events = %s; want %s", got, want)
	}
}

// TestItemBatcher: a distributed Map's ItemBatcher hands its iterations
// the selected items in batches, bounded by count and by JSON bytes, with
// the BatchInput; the Path twins read their bounds from the input or a
// variable; bad bounds and an item too big for a batch fail the state.
func TestItemBatcher(t *testing.T) {
	const proc = `"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`
	tests := []struct {
		name, def, input string
		output, err      string
	}{
		{name: "count and BatchInput",
			def:    `{"StartAt":"M","States":{"M":{"Type":"Map","ItemSelector":{"v.$":"$$.Map.Item.Value"},"ItemBatcher":{"MaxItemsPerBatch":2,"BatchInput":{"run.$":"$.run"}},"ItemsPath":"$.items",` + proc + `,"End":true}}}`,
			input:  `{"run":"r1","items":[1,2,3,4,5]}`,
			output: `[{"BatchInput":{"run":"r1"},"Items":[{"v":1},{"v":2}]},{"BatchInput":{"run":"r1"},"Items":[{"v":3},{"v":4}]},{"BatchInput":{"run":"r1"},"Items":[{"v":5}]}]`},
		{name: "bytes",
			def:    `{"StartAt":"M","States":{"M":{"Type":"Map","ItemBatcher":{"MaxInputBytesPerBatch":12},` + proc + `,"End":true}}}`,
			input:  `["aa","bb","cc"]`,
			output: `[{"Items":["aa","bb"]},{"Items":["cc"]}]`},
		{name: "paths from a variable and the input",
			def: `{"StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"per":"3"},"Next":"M"},"M":{"Type":"Map","ItemsPath":"$.items",
				"ItemBatcher":{"MaxItemsPerBatchPath":"$per","MaxInputBytesPerBatchPath":"$.bytes"},` + proc + `,"End":true}}}`,
			input:  `{"bytes":1000,"items":[1,2,3,4]}`,
			output: `[{"Items":[1,2,3]},{"Items":[4]}]`},
		{name: "JSONata",
			def:    `{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map","Items":"{% $states.input %}","ItemBatcher":{"MaxItemsPerBatch":"{% 1 + 1 %}","BatchInput":{"n":"{% $count($states.input) %}"}},` + proc + `,"End":true}}}`,
			input:  `[1,2,3]`,
			output: `[{"BatchInput":{"n":3},"Items":[1,2]},{"BatchInput":{"n":3},"Items":[3]}]`},
		{name: "bad bound",
			def:   `{"StartAt":"M","States":{"M":{"Type":"Map","ItemBatcher":{"MaxItemsPerBatchPath":"$.n"},"ItemsPath":"$.items",` + proc + `,"End":true}}}`,
			input: `{"n":"x","items":[1]}`, err: statelang.ErrRuntime},
		{name: "item over the byte bound",
			def:   `{"StartAt":"M","States":{"M":{"Type":"Map","ItemBatcher":{"MaxInputBytesPerBatch":4},` + proc + `,"End":true}}}`,
			input: `["toolong"]`, err: statelang.ErrRuntime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := statelang.Parse([]byte(tt.def))
			if err != nil {
				t.Fatal(err)
			}
			in, err := statelang.ParseJSON([]byte(tt.input))
			if err != nil {
				t.Fatal(err)
			}
			res := engine.RunLocal(m, in, engine.LocalOptions{})
			if tt.err != "" {
				if res.Failure == nil || res.Failure.Name != tt.err {
					t.Fatalf("result = %s %s %+v; want %s", res.Status, statelang.MarshalString(res.Output), res.Failure, tt.err)
				}
				return
			}
			if got := statelang.MarshalString(res.Output); res.Status != "SUCCEEDED" || got != tt.output {
				t.Errorf("result = %s %s %+v; want %s", res.Status, got, res.Failure, tt.output)
			}
		})
	}
	if _, err := statelang.Parse([]byte(`{"StartAt":"M","States":{"M":{"Type":"Map","ItemBatcher":{},` + proc + `,"End":true}}}`)); err == nil {
		t.Error("an ItemBatcher without a bound parsed")
	}
}

// TestRunRecordedDifferences: four behaviours AWS recordings showed and
// Stepwise once did otherwise (issue 14), each run through Run.
func TestRunRecordedDifferences(t *testing.T) {
	mapDef := func(field string) string {
		return `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","` + field + `":"$.tol",
		"ItemProcessor":{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E"}}},"End":true}}}`
	}
	tests := []struct {
		name, def, input string
		status, err      string
		cause, output    string // cause: a fragment; output: the whole JSON
	}{
		{name: "ToleratedFailureCountPath numeric string", def: mapDef("ToleratedFailureCountPath"),
			input: `{"items":[1,2],"tol":"2"}`, status: engine.StatusSucceeded, output: `[null,null]`},
		{name: "ToleratedFailureCountPath numeric string too low", def: mapDef("ToleratedFailureCountPath"),
			input: `{"items":[1,2],"tol":"1"}`, status: engine.StatusFailed, err: statelang.ErrExceedToleratedFailureThresh},
		{name: "ToleratedFailureCountPath decimal string", def: mapDef("ToleratedFailureCountPath"),
			input: `{"items":[1],"tol":"1.5"}`, status: engine.StatusFailed, err: statelang.ErrRuntime,
			cause: `The ToleratedFailureCountPath field refers to value "1.5" which is not a valid integer: $.tol`},
		{name: "ToleratedFailureCountPath negative string", def: mapDef("ToleratedFailureCountPath"),
			input: `{"items":[1],"tol":"-1"}`, status: engine.StatusFailed, err: statelang.ErrRuntime, cause: "ToleratedFailureCount cannot be negative."},
		{name: "ToleratedFailurePercentagePath numeric string", def: mapDef("ToleratedFailurePercentagePath"),
			input: `{"items":[1,2],"tol":"50"}`, status: engine.StatusFailed, err: statelang.ErrExceedToleratedFailureThresh},
		{name: "ToleratedFailurePercentagePath decimal string", def: mapDef("ToleratedFailurePercentagePath"),
			input: `{"items":[1,2],"tol":"100.0"}`, status: engine.StatusSucceeded, output: `[null,null]`},
		{name: "ToleratedFailurePercentagePath word", def: mapDef("ToleratedFailurePercentagePath"),
			input: `{"items":[1],"tol":"NaN"}`, status: engine.StatusFailed, err: statelang.ErrRuntime,
			cause: `The ToleratedFailurePercentagePath field refers to value "NaN" which is not a valid float: $.tol`},
		{name: "negative SecondsPath",
			def:   `{"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.s","End":true}}}`,
			input: `{"s":-1}`, status: engine.StatusFailed, err: statelang.ErrRuntime,
			cause: "An error occurred while executing the state 'W' (entered at the event id #2). The SecondsPath parameter references a negative value: $.s == -1"},
		{name: "zero SecondsPath",
			def:   `{"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.s","End":true}}}`,
			input: `{"s":0}`, status: engine.StatusSucceeded, output: `{"s":0}`},
		{name: "bracketed key with escaped quotes and backslash",
			def:   `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"value.$":"$['Test\\\"\"Name\"']"},"End":true}}}`,
			input: `{"Test\\\"\"Name\"":"Value\"\\"}`, status: engine.StatusSucceeded, output: `{"value":"Value\"\\"}`},
		{name: "bracketed key with an escaped delimiter",
			def:   `{"StartAt":"P","States":{"P":{"Type":"Pass","OutputPath":"$['a\\'b']","End":true}}}`,
			input: `{"a\\'b":1}`, status: engine.StatusSucceeded, output: `1`},
		{name: "bracketed key holding a bracket",
			def:   `{"StartAt":"P","States":{"P":{"Type":"Pass","OutputPath":"$['a]b'].c","End":true}}}`,
			input: `{"a]b":{"c":2}}`, status: engine.StatusSucceeded, output: `2`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := statelang.ParseJSON([]byte(tt.input))
			if err != nil {
				t.Fatal(err)
			}
			res := engine.RunLocal(mustParse(t, tt.def), in, engine.LocalOptions{})
			if res.Status != tt.status {
				t.Fatalf("Run status = %s (%+v); want %s", res.Status, res.Failure, tt.status)
			}
			if tt.err != "" && (res.Failure == nil || res.Failure.Name != tt.err || !strings.Contains(res.Failure.Cause, tt.cause)) {
				t.Errorf("Run failure = %+v; want %s with cause containing %q", res.Failure, tt.err, tt.cause)
			}
			if tt.output != "" {
				if got := statelang.MarshalString(res.Output); got != tt.output {
					t.Errorf("Run output = %s; want %s", got, tt.output)
				}
			}
		})
	}
}

// TestRunNestedParallelEvents: a Parallel ending a Parallel's branch is
// exited like any state, so the history has two ParallelStateExited. The
// recordings that show one (and no ParallelStateSucceeded) went through
// the recorder's normalisation of Parallel events, which replaces the
// span from a ParallelStateStarted to the next ParallelState{Succeeded,
// Exited,Failed,Aborted} by the sorted events in between: it is not
// recursive, so an inner Parallel's end shortens the outer span.
func TestRunNestedParallelEvents(t *testing.T) {
	m := mustParse(t, `{"StartAt":"L1","States":{"L1":{"Type":"Parallel","End":true,"Branches":[{"StartAt":"L2","States":{
		"L2":{"Type":"Parallel","End":true,"Branches":[{"StartAt":"B","States":{"B":{"Type":"Pass","End":true}}}]}}}]}}}`)
	res := engine.RunLocal(m, map[string]any{}, engine.LocalOptions{})
	var got []string
	for _, e := range res.Events {
		got = append(got, string(e.Type))
	}
	want := "ExecutionStarted ParallelStateEntered ParallelStateStarted ParallelStateEntered ParallelStateStarted " +
		"PassStateEntered PassStateExited ParallelStateExited ParallelStateExited ExecutionSucceeded"
	if strings.Join(got, " ") != want {
		t.Errorf("Run events = %s; want %s", strings.Join(got, " "), want)
	}
}

// TestVariables runs machines in memory and checks how variables are
// assigned and scoped.
func TestVariables(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		def    string
		input  string
		output string // want SUCCEEDED with this output
		fail   string // or FAILED with an error:cause containing this
	}{
		{"assigned on exit", `{"QueryLanguage":"JSONata","StartAt":"A","States":{
			"A":{"Type":"Pass","Assign":{"x":1},"Next":"B"},
			"B":{"Type":"Pass","Assign":{"x":"{% $x + 1 %}"},"Output":{"before":"{% $x %}"},"Next":"C"},
			"C":{"Type":"Pass","Output":{"after":"{% $x %}","input":"{% $states.input %}"},"End":true}}}`,
			`{}`, `{"after":2,"input":{"before":1}}`, ""},
		{"JSONPath reads variables", `{"StartAt":"A","States":{
			"A":{"Type":"Pass","Result":{"n":3,"l":[7,8]},"Assign":{"r.$":"$","k":"v"},"Next":"C"},
			"C":{"Type":"Choice","Choices":[{"Variable":"$r.n","NumericEqualsPath":"$r.n","Assign":{"hit.$":"$r.l[1]"},"Next":"D"}],"Default":"D"},
			"D":{"Type":"Pass","Parameters":{"hit.$":"$hit","k.$":"$k","f.$":"States.Format('{}-{}', $k, $r.n)"},"End":true}}}`,
			`{}`, `{"f":"v-3","hit":8,"k":"v"}`, ""},
		{"Choice rule Assign wins over the state's", `{"StartAt":"C","States":{
			"C":{"Type":"Choice","Choices":[{"Variable":"$.a","IsPresent":true,"Assign":{"w":"rule"},"Next":"D"}],"Assign":{"w":"state"},"Default":"D"},
			"D":{"Type":"Pass","Parameters":{"w.$":"$w"},"End":true}}}`,
			`{"a":1}`, `{"w":"rule"}`, ""},
		{"branch reads outer, writes its own scope", `{"QueryLanguage":"JSONata","StartAt":"A","States":{
			"A":{"Type":"Pass","Assign":{"x":10},"Next":"P"},
			"P":{"Type":"Parallel","Branches":[
				{"StartAt":"B1","States":{"B1":{"Type":"Pass","Assign":{"y":"{% $x + 1 %}"},"Next":"B2"},"B2":{"Type":"Pass","Output":"{% $y %}","End":true}}},
				{"StartAt":"C1","States":{"C1":{"Type":"Pass","Assign":{"y":"{% $x + 2 %}"},"Next":"C2"},"C2":{"Type":"Pass","Output":"{% $y %}","End":true}}}],
				"Assign":{"z":"{% $states.result %}"},"Next":"D"},
			"D":{"Type":"Pass","Output":{"z":"{% $z %}","x":"{% $x %}"},"End":true}}}`,
			`{}`, `{"x":10,"z":[11,12]}`, ""},
		{"an inner assignment hides the outer variable in its scope only", `{"QueryLanguage":"JSONata","StartAt":"A","States":{
			"A":{"Type":"Pass","Assign":{"x":1},"Next":"P"},
			"P":{"Type":"Parallel","Branches":[{"StartAt":"B","States":{
				"B":{"Type":"Pass","Assign":{"x":"{% $x + 1 %}"},"Next":"C"},
				"C":{"Type":"Pass","Output":"{% $x %}","End":true}}}],"Next":"D"},
			"D":{"Type":"Pass","Output":{"inner":"{% $states.input[0] %}","outer":"{% $x %}"},"End":true}}}`,
			`{}`, `{"inner":2,"outer":1}`, ""},
		{"branch variables do not leave the branch", `{"QueryLanguage":"JSONata","StartAt":"P","States":{
			"P":{"Type":"Parallel","Branches":[{"StartAt":"B","States":{"B":{"Type":"Pass","Assign":{"y":1},"End":true}}}],"Next":"D"},
			"D":{"Type":"Pass","Output":"{% $y %}","End":true}}}`,
			`{}`, "", "States.QueryEvaluationError:An error occurred while executing the state 'D' (entered at the event id #"},
		{"Map iterations each have a scope", `{"QueryLanguage":"JSONata","StartAt":"A","States":{
			"A":{"Type":"Pass","Assign":{"k":100},"Next":"M"},
			"M":{"Type":"Map","Items":"{% [1,2,3] %}","ItemProcessor":{"StartAt":"I","States":{
				"I":{"Type":"Pass","Assign":{"v":"{% $states.input + $k %}"},"Next":"J"},
				"J":{"Type":"Pass","Output":"{% $v %}","End":true}}},"End":true}}}`,
			`{}`, `[101,102,103]`, ""},
		{"distributed Map cannot read outer variables", `{"StartAt":"A","States":{
			"A":{"Type":"Pass","Assign":{"k":1},"Next":"M"},
			"M":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"I","States":{
				"I":{"Type":"Pass","Parameters":{"k.$":"$k"},"End":true}}},"End":true}}}`,
			`[1]`, "", "States.ExceedToleratedFailureThreshold"},
		{"Catch Output and Assign read the error", `{"QueryLanguage":"JSONata","StartAt":"T","States":{
			"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Assign":{"never":1},
				"Catch":[{"ErrorEquals":["States.ALL"],"Assign":{"e":"{% $states.errorOutput.Error %}"},"Output":{"in":"{% $states.input %}"},"Next":"D"}],"End":true},
			"D":{"Type":"Pass","Output":{"e":"{% $e %}","o":"{% $states.input %}","never":"{% $exists($never) %}"},"End":true}}}`,
			`{"a":1}`, `{"e":"States.TaskFailed","never":false,"o":{"in":{"a":1}}}`, ""},
		{"JSONPath catcher Assign reads the error output", `{"StartAt":"T","States":{
			"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
				"Catch":[{"ErrorEquals":["States.ALL"],"Assign":{"e.$":"$.Error"},"ResultPath":null,"Next":"D"}],"End":true},
			"D":{"Type":"Pass","Parameters":{"e.$":"$e"},"End":true}}}`,
			`{}`, `{"e":"States.TaskFailed"}`, ""},
		{"undefined variable in a JSONPath template", `{"StartAt":"D","States":{"D":{"Type":"Pass","Parameters":{"e.$":"$nope"},"End":true}}}`,
			`{}`, "", "States.Runtime:An error occurred while executing the state 'D'"},
		{"Assign over 256 KiB", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"big":"{% $pad('', 270000, 'x') %}"},"End":true}}}`,
			`{}`, "", "States.DataLimitExceeded"},
		{"JSONata integers print as integers", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Output":{"a":"{% 2 * 1.5 %}","b":"{% 1 / 4 %}","c":1.5},"End":true}}}`,
			`{}`, `{"a":3,"b":0.25,"c":1.5}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := statelang.Parse([]byte(tt.def))
			if err != nil {
				t.Fatalf("statelang.Parse: %v", err)
			}
			in, err := statelang.ParseJSON([]byte(tt.input))
			if err != nil {
				t.Fatal(err)
			}
			res := engine.RunLocal(m, in, engine.LocalOptions{})
			if tt.fail != "" {
				got := ""
				if res.Failure != nil {
					got = res.Failure.Name + ":" + res.Failure.Cause
				}
				if res.Status != engine.StatusFailed || !strings.Contains(got, tt.fail) {
					t.Fatalf("engine.RunLocal(%s) = %s %s %q; want FAILED with %q", tt.name, res.Status, statelang.MarshalString(res.Output), got, tt.fail)
				}
				return
			}
			if res.Status != engine.StatusSucceeded || statelang.MarshalString(res.Output) != tt.output {
				t.Fatalf("engine.RunLocal(%s) = %s %s %v; want SUCCEEDED %s", tt.name, res.Status, statelang.MarshalString(res.Output), res.Failure, tt.output)
			}
		})
	}
}

// TestEvaluationFailedEvent: a failed JSONata evaluation is recorded with
// the state and the field, before the execution fails.
func TestEvaluationFailedEvent(t *testing.T) {
	t.Parallel()
	m, err := statelang.Parse([]byte(`{"QueryLanguage":"JSONata","StartAt":"S","States":{"S":{"Type":"Pass","Output":{"result":"{% $nope %}"},"End":true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	res := engine.RunLocal(m, map[string]any{}, engine.LocalOptions{})
	var types []string
	var det map[string]any
	for _, e := range res.Events {
		types = append(types, string(e.Type))
		if e.Type == "EvaluationFailed" {
			det = e.Details
		}
	}
	if got, want := strings.Join(types, " "), "ExecutionStarted PassStateEntered EvaluationFailed ExecutionFailed"; got != want {
		t.Fatalf("events = %s; want %s", got, want)
	}
	want := "An error occurred while executing the state 'S' (entered at the event id #2). The JSONata expression '$nope' specified for the field 'Output/result' returned nothing (undefined)."
	if det["state"] != "S" || det["location"] != "Output/result" || det["error"] != statelang.ErrQueryEvaluationError || det["cause"] != want {
		t.Errorf("EvaluationFailed details = %v; want state S, location Output/result and the cause %q", det, want)
	}
}

// FuzzParse: statelang.Parse and statelang.Warnings never panic, and a machine statelang.Parse accepts
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
		_ = statelang.Warnings([]byte(def))
		m, err := statelang.Parse([]byte(def))
		if err != nil {
			if _, ok := err.(statelang.Diagnostics); !ok {
				t.Fatalf("statelang.Parse error is %T, want statelang.Diagnostics", err)
			}
			return
		}
		if strings.Contains(def, "{%") {
			// JSONata expressions may each run up to their time limit;
			// FuzzJSONata fuzzes the evaluator itself.
			return
		}
		in, err := statelang.ParseJSON([]byte(input))
		if err != nil {
			in = map[string]any{}
		}
		res := engine.RunLocal(m, in, engine.LocalOptions{
			MaxEvents: 500,
			Task:      func(_ engine.Task, in any) (any, *statelang.Failure) { return in, nil },
		})
		if res.Status == "" {
			t.Fatalf("Run returned no status")
		}
	})
}

// transitions counts state transitions (entered events) in a history.
func transitions(res *engine.LocalResult) int {
	n := 0
	for _, e := range res.Events {
		if strings.HasSuffix(string(e.Type), "StateEntered") {
			n++
		}
	}
	return n
}

func benchRun(b *testing.B, def []byte, input any) {
	m, err := statelang.Parse(def)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	total := 0
	for i := 0; i < b.N; i++ {
		res := engine.RunLocal(m, input, engine.LocalOptions{})
		if res.Status != engine.StatusSucceeded {
			b.Fatalf("status %s: %v", res.Status, res.Failure)
		}
		total += transitions(res)
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "transitions/s")
}

// BenchmarkPassChain100 runs a 100-state Pass chain through the in-memory
// runner, history events included.
func BenchmarkPassChain100(b *testing.B) {
	benchRun(b, passChain(100), map[string]any{"hello": "world", "n": int64(1)})
}

// BenchmarkChoiceHeavy runs a Choice loop of 50 rounds with And/Or/Not and
// an intrinsic in each round.
func BenchmarkChoiceHeavy(b *testing.B) {
	benchRun(b, choiceHeavy(), map[string]any{"i": int64(0), "tier": "platinum"})
}

// choiceHeavy builds a loop of Choice states that count $.i up to n with
// Pass states and intrinsic MathAdd.
func choiceHeavy() []byte {
	return []byte(`{"StartAt":"Check","States":{
	  "Check":{"Type":"Choice","Choices":[
	    {"And":[{"Variable":"$.i","IsNumeric":true},{"Variable":"$.i","NumericGreaterThanEquals":50}],"Next":"Done"},
	    {"Or":[{"Variable":"$.tier","StringEquals":"gold"},{"Variable":"$.tier","StringMatches":"plat*"}],"Next":"Inc"},
	    {"Not":{"Variable":"$.i","NumericLessThan":0},"Next":"Inc"}],"Default":"Done"},
	  "Inc":{"Type":"Pass","Parameters":{"i.$":"States.MathAdd($.i, 1)","tier.$":"$.tier"},"Next":"Check"},
	  "Done":{"Type":"Succeed"}}}`)
}

// TestRunWholeStates: a JSONata expression that reads $states as a whole
// sees its input and context (statelang binds the context only for them).
func TestRunWholeStates(t *testing.T) {
	m := mustParse(t, `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"v":1},"Next":"B"},
		"B":{"Type":"Pass","Output":{"k":"{% $keys($states) %}","s":"{% '$v' & $v %}","n":"{% $states.context.State.Name %}"},"End":true}}}`)
	res := engine.RunLocal(m, map[string]any{}, engine.LocalOptions{})
	if got, want := statelang.MarshalString(res.Output), `{"k":["input","context"],"n":"B","s":"$v1"}`; got != want {
		t.Errorf("RunLocal = %s %v; want %s", got, res.Failure, want)
	}
}

// localService answers the tasks of function fn: "ok" with {"got": its
// input}, "named" with a named failure, "plain" with another error, "bad"
// with an output that is not JSON.
type localService struct{ fn string }

func (s localService) Serves(r statelang.Resource) bool {
	return strings.HasSuffix(r.ARN, ":function:"+s.fn)
}

func (s localService) Invoke(_ context.Context, t engine.Task) (string, error) {
	switch s.fn {
	case "named":
		return "", &engine.TaskFailure{Name: "Svc.Refused", Cause: "no"}
	case "plain":
		return "", errors.New("broken")
	case "bad":
		return "{", nil
	}
	return `{"got":` + t.Input + `}`, nil
}

// TestLocalServices: LocalOptions.Services answer the tasks they serve as
// the engine's services do, the others go to Task; with no service for
// them, an ItemReader fails for want of an object store.
func TestLocalServices(t *testing.T) {
	t.Parallel()
	task := func(fn string) string {
		return `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:` + fn +
			`","Parameters":{"a":1},"End":true}}}`
	}
	services := []engine.Service{localService{"ok"}, localService{"named"}, localService{"plain"}, localService{"bad"}}
	echo := func(_ engine.Task, in any) (any, *statelang.Failure) { return map[string]any{"echo": in}, nil }
	tests := []struct {
		def, output, error, cause string
	}{
		{def: task("ok"), output: `{"got":{"a":1}}`},
		{def: task("other"), output: `{"echo":{"a":1}}`},
		{def: task("named"), error: "Svc.Refused", cause: "no"},
		{def: task("plain"), error: "States.TaskFailed", cause: "broken"},
		{def: task("bad"), error: "States.TaskFailed", cause: "output is not valid JSON"},
		{def: `{"StartAt":"M","States":{"M":{"Type":"Map","ItemReader":{"Resource":"arn:aws:states:::s3:getObject",
			"Parameters":{"Bucket":"b","Key":"k"},"ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"FIRST_ROW"}},
			"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},
			"End":true}}}`, error: "States.ItemReaderFailed", cause: "stepwise run --objects DIR"},
	}
	for _, tt := range tests {
		res := engine.RunLocal(mustParse(t, tt.def), map[string]any{}, engine.LocalOptions{Task: echo, Services: services})
		if tt.output != "" {
			if got := statelang.MarshalString(res.Output); res.Status != engine.StatusSucceeded || got != tt.output {
				t.Errorf("RunLocal(%s) = %s %s %v; want SUCCEEDED %s", tt.def, res.Status, got, res.Failure, tt.output)
			}
			continue
		}
		if res.Failure == nil || res.Failure.Name != tt.error || !strings.Contains(res.Failure.Cause, tt.cause) {
			t.Errorf("RunLocal(%s) = %s %v; want %s with %q", tt.def, res.Status, res.Failure, tt.error, tt.cause)
		}
	}
}
