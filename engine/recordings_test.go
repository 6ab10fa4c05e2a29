package engine

import (
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/statelang"
)

// TestDecideRecordedDifferences: the decider follows AWS where recordings
// showed Stepwise did otherwise (issue 14): a numeric string in
// ToleratedFailureCountPath, a negative SecondsPath, a bracketed key with
// escaped quotes, and a Parallel ending a Parallel's branch.
func TestDecideRecordedDifferences(t *testing.T) {
	tests := []struct {
		name, def, input string
		status, err      string
		cause, output    string
		events           string // when set, the history's event types
	}{
		{name: "ToleratedFailureCountPath numeric string",
			def: `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","ToleratedFailureCountPath":"$.tol",
			"ItemProcessor":{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E"}}},"End":true}}}`,
			input: `{"items":[1,2],"tol":"2"}`, status: StatusSucceeded, output: `[null,null]`},
		{name: "negative SecondsPath",
			def:   `{"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.s","End":true}}}`,
			input: `{"s":-5}`, status: StatusFailed, err: statelang.ErrRuntime,
			cause: "The SecondsPath parameter references a negative value: $.s == -5"},
		{name: "bracketed key with escaped quotes",
			def:   `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"value.$":"$['Test\\\"\"Name\"']"},"End":true}}}`,
			input: `{"Test\\\"\"Name\"":"Value\"\\"}`, status: StatusSucceeded, output: `{"value":"Value\"\\"}`},
		{name: "Parallel ending a Parallel branch",
			def: `{"StartAt":"L1","States":{"L1":{"Type":"Parallel","End":true,"Branches":[{"StartAt":"L2","States":{
			"L2":{"Type":"Parallel","End":true,"Branches":[{"StartAt":"B","States":{"B":{"Type":"Pass","End":true}}}]}}}]}}}`,
			input: `{}`, status: StatusSucceeded, output: `[[{}]]`,
			events: "ExecutionStarted ParallelStateEntered ParallelStateStarted ParallelStateEntered ParallelStateStarted " +
				"PassStateEntered PassStateExited ParallelStateExited ParallelStateExited ExecutionSucceeded"},
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
			ds := runBudget(t, m, in, Limits{})
			d := ds[len(ds)-1]
			if d.Status != tt.status {
				t.Fatalf("status = %s (%+v); want %s", d.Status, d.Failure, tt.status)
			}
			if tt.err != "" && (d.Failure == nil || d.Failure.Name != tt.err || !strings.Contains(d.Failure.Cause, tt.cause)) {
				t.Errorf("failure = %+v; want %s with cause containing %q", d.Failure, tt.err, tt.cause)
			}
			if tt.output != "" {
				if got := statelang.MarshalString(d.Output); got != tt.output {
					t.Errorf("output = %s; want %s", got, tt.output)
				}
			}
			if tt.events != "" {
				var got []string
				for _, d := range ds {
					for _, e := range d.Events {
						got = append(got, e.Type)
					}
				}
				if joined(got) != tt.events {
					t.Errorf("events = %s; want %s", joined(got), tt.events)
				}
			}
		})
	}
}
