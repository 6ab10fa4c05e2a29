package statelang

import (
	"strings"
	"testing"
)

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
			input: `{"items":[1,2],"tol":"2"}`, status: StatusSucceeded, output: `[null,null]`},
		{name: "ToleratedFailureCountPath numeric string too low", def: mapDef("ToleratedFailureCountPath"),
			input: `{"items":[1,2],"tol":"1"}`, status: StatusFailed, err: ErrExceedToleratedFailureThresh},
		{name: "ToleratedFailureCountPath decimal string", def: mapDef("ToleratedFailureCountPath"),
			input: `{"items":[1],"tol":"1.5"}`, status: StatusFailed, err: ErrRuntime,
			cause: `The ToleratedFailureCountPath field refers to value "1.5" which is not a valid integer: $.tol`},
		{name: "ToleratedFailureCountPath negative string", def: mapDef("ToleratedFailureCountPath"),
			input: `{"items":[1],"tol":"-1"}`, status: StatusFailed, err: ErrRuntime, cause: "ToleratedFailureCount cannot be negative."},
		{name: "ToleratedFailurePercentagePath numeric string", def: mapDef("ToleratedFailurePercentagePath"),
			input: `{"items":[1,2],"tol":"50"}`, status: StatusFailed, err: ErrExceedToleratedFailureThresh},
		{name: "ToleratedFailurePercentagePath decimal string", def: mapDef("ToleratedFailurePercentagePath"),
			input: `{"items":[1,2],"tol":"100.0"}`, status: StatusSucceeded, output: `[null,null]`},
		{name: "ToleratedFailurePercentagePath word", def: mapDef("ToleratedFailurePercentagePath"),
			input: `{"items":[1],"tol":"NaN"}`, status: StatusFailed, err: ErrRuntime,
			cause: `The ToleratedFailurePercentagePath field refers to value "NaN" which is not a valid float: $.tol`},
		{name: "negative SecondsPath",
			def:   `{"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.s","End":true}}}`,
			input: `{"s":-1}`, status: StatusFailed, err: ErrRuntime,
			cause: "An error occurred while executing the state 'W' (entered at the event id #2). The SecondsPath parameter references a negative value: $.s == -1"},
		{name: "zero SecondsPath",
			def:   `{"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.s","End":true}}}`,
			input: `{"s":0}`, status: StatusSucceeded, output: `{"s":0}`},
		{name: "bracketed key with escaped quotes and backslash",
			def:   `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"value.$":"$['Test\\\"\"Name\"']"},"End":true}}}`,
			input: `{"Test\\\"\"Name\"":"Value\"\\"}`, status: StatusSucceeded, output: `{"value":"Value\"\\"}`},
		{name: "bracketed key with an escaped delimiter",
			def:   `{"StartAt":"P","States":{"P":{"Type":"Pass","OutputPath":"$['a\\'b']","End":true}}}`,
			input: `{"a\\'b":1}`, status: StatusSucceeded, output: `1`},
		{name: "bracketed key holding a bracket",
			def:   `{"StartAt":"P","States":{"P":{"Type":"Pass","OutputPath":"$['a]b'].c","End":true}}}`,
			input: `{"a]b":{"c":2}}`, status: StatusSucceeded, output: `2`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := ParseJSON([]byte(tt.input))
			if err != nil {
				t.Fatal(err)
			}
			res := Run(mustParse(t, tt.def), in, RunOptions{})
			if res.Status != tt.status {
				t.Fatalf("Run status = %s (%+v); want %s", res.Status, res.Failure, tt.status)
			}
			if tt.err != "" && (res.Failure == nil || res.Failure.Name != tt.err || !strings.Contains(res.Failure.Cause, tt.cause)) {
				t.Errorf("Run failure = %+v; want %s with cause containing %q", res.Failure, tt.err, tt.cause)
			}
			if tt.output != "" {
				if got := MarshalString(res.Output); got != tt.output {
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
	res := Run(m, map[string]any{}, RunOptions{})
	var got []string
	for _, e := range res.Events {
		got = append(got, e.Type)
	}
	want := "ExecutionStarted ParallelStateEntered ParallelStateStarted ParallelStateEntered ParallelStateStarted " +
		"PassStateEntered PassStateExited ParallelStateExited ParallelStateExited ExecutionSucceeded"
	if strings.Join(got, " ") != want {
		t.Errorf("Run events = %s; want %s", strings.Join(got, " "), want)
	}
}
