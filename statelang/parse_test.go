package statelang

import (
	"errors"
	"strings"
	"testing"
)

// TestParseDiagnostics: each bad definition is rejected with a diagnostic at
// the right location, and Parse reports every problem at once.
func TestParseDiagnostics(t *testing.T) {
	tests := []struct {
		name string
		def  string
		want []string // "location: message fragment"
	}{
		{"missing States", `{"StartAt":"A"}`, []string{"/: These fields are required: [States]"}},
		{"missing StartAt and States", `{}`, []string{"/: These fields are required: [StartAt, States]"}},
		{"next to missing state", `{"StartAt":"Fetch","States":{"Fetch":{"Type":"Pass","Next":"Foo"}}}`,
			[]string{"/States/Fetch/Next: Missing 'Next' target: Foo"}},
		{"both Next and End", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B","End":true},"B":{"Type":"Succeed"}}}`,
			[]string{"/States/A: Only one of 'Next' or 'End'"}},
		{"neither Next nor End", `{"StartAt":"A","States":{"A":{"Type":"Pass"}}}`,
			[]string{"/States/A: These fields are required: [Next or End]"}},
		{"unknown field", `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true,"Bogus":1}}}`,
			[]string{"/States/A/Bogus: Field 'Bogus' is not supported"}},
		{"misplaced field", `{"StartAt":"A","States":{"A":{"Type":"Succeed","Resource":"arn:aws:lambda:x:1:function:f"}}}`,
			[]string{"/States/A/Resource: Field 'Resource' is not supported"}},
		{"unreachable", `{"StartAt":"A","States":{"A":{"Type":"Succeed"},"B":{"Type":"Succeed"}}}`,
			[]string{"/States/B: State \"B\" is not reachable."}},
		{"bad type", `{"StartAt":"A","States":{"A":{"Type":"Nope"}}}`, []string{"/States/A/Type: The state type 'Nope' is not valid"}},
		{"long name", `{"StartAt":"` + strings.Repeat("x", 81) + `","States":{"` + strings.Repeat("x", 81) + `":{"Type":"Succeed"}}}`,
			[]string{"exceeds the maximum length of 80"}},
		{"ResultPath with wildcard", `{"StartAt":"A","States":{"A":{"Type":"Pass","ResultPath":"$.a[*]","End":true}}}`,
			[]string{"/States/A/ResultPath: The value for the field 'ResultPath' must be a valid ReferencePath"}},
		{"bad JSONPath", `{"StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"foo","End":true}}}`,
			[]string{"/States/A/InputPath: The value for the field 'InputPath' must be a valid JSONPath"}},
		{"bad template path", `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x":{"y.$":"nope"}},"End":true}}}`,
			[]string{"/States/A/Parameters/x/y.$: The value for the field 'y.$'"}},
		{"bad intrinsic", `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"y.$":"States.Nope(1)"},"End":true}}}`,
			[]string{"/States/A/Parameters/y.$:"}},
		{"States.ALL not alone", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:x:1:function:f","Retry":[{"ErrorEquals":["States.ALL","X"]}],"End":true}}}`,
			[]string{"/States/A/Retry/0/ErrorEquals/0: States.ALL must appear alone"}},
		{"States.ALL not last", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:x:1:function:f","Catch":[{"ErrorEquals":["States.ALL"],"Next":"B"},{"ErrorEquals":["X"],"Next":"B"}],"End":true},"B":{"Type":"Succeed"}}}`,
			[]string{"/States/A/Catch/0/ErrorEquals/0: A catcher with States.ALL must be the last one"}},
		{"bad retry values", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:x:1:function:f","Retry":[{"ErrorEquals":["X"],"BackoffRate":0.5,"MaxAttempts":-1,"MaxDelaySeconds":0,"JitterStrategy":"SOME"}],"End":true}}}`,
			[]string{"/States/A/Retry/0/BackoffRate:", "/States/A/Retry/0/MaxAttempts:", "/States/A/Retry/0/MaxDelaySeconds:", "/States/A/Retry/0/JitterStrategy:"}},
		{"wait with two fields", `{"StartAt":"A","States":{"A":{"Type":"Wait","Seconds":1,"SecondsPath":"$.s","End":true}}}`,
			[]string{"/States/A: A Wait state must have exactly one of"}},
		{"wait with no field", `{"StartAt":"A","States":{"A":{"Type":"Wait","End":true}}}`,
			[]string{"/States/A: A Wait state must have exactly one of"}},
		{"bad timestamp", `{"StartAt":"A","States":{"A":{"Type":"Wait","Timestamp":"2016-13-05T21:29:29Z","End":true}}}`,
			[]string{"/States/A/Timestamp: String does not match RFC3339 timestamp"}},
		{"nested branch problem", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"X","States":{"X":{"Type":"Pass","Next":"Y"}}}],"End":true}}}`,
			[]string{"/States/P/Branches/0/States/X/Next: Missing 'Next' target: Y"}},
		{"nested map problem", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"X","States":{"X":{"Type":"Pass"}}},"End":true}}}`,
			[]string{"/States/M/ItemProcessor/States/X: These fields are required: [Next or End]"}},
		{"bad query language", `{"QueryLanguage":"XPath","StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`,
			[]string{"/QueryLanguage: The value of the field 'QueryLanguage' must be JSONPath or JSONata"}},
		{"credentials without RoleArn", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:x:1:function:f","Credentials":{},"End":true}}}`,
			[]string{"/States/A/Credentials: The field 'RoleArn' is required but was missing"}},
		{"unknown optimized action", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:query","End":true}}}`,
			[]string{"/States/A/Resource: The resource provided arn:aws:states:::dynamodb:query is not recognized"}},
		{"many at once", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Z","Foo":1},"B":{"Type":"Wait","End":true}}}`,
			[]string{"/States/A/Foo:", "/States/A/Next: Missing 'Next' target: Z", "/States/B: A Wait state", "/States/B: State \"B\" is not reachable."}},
		{"not JSON", `{"StartAt":`, []string{"/: The definition is not valid JSON"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, d := range rejected(t, tt.def) {
				got = append(got, d.Location+": "+d.Message)
			}
			for _, w := range tt.want {
				found := false
				for _, g := range got {
					if strings.Contains(g, w) {
						found = true
					}
				}
				if !found {
					t.Errorf("Parse diagnostics = %q; want one containing %q", got, w)
				}
			}
		})
	}
}

// rejected parses a definition that must be rejected and returns its
// diagnostics.
func rejected(t *testing.T, def string) Diagnostics {
	t.Helper()
	_, err := Parse([]byte(def))
	var ds Diagnostics
	if !errors.As(err, &ds) {
		t.Fatalf("Parse(%s) = %v; want Diagnostics", def, err)
	}
	return ds
}

// TestParseValid: definitions using every state type and field parse.
func TestParseValid(t *testing.T) {
	def := `{"Comment":"all","Version":"1.0","TimeoutSeconds":60,"StartAt":"P","States":{
	 "P":{"Type":"Pass","Comment":"c","InputPath":"$","Parameters":{"a.$":"$.x","b":[{"c.$":"$$.Execution.Id"}]},"ResultPath":"$.r","OutputPath":null,"Next":"T"},
	 "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken","Parameters":{"FunctionName":"f","Payload":{"token.$":"$$.Task.Token"}},
	      "ResultSelector":{"p.$":"$.Payload"},"ResultPath":null,"TimeoutSecondsPath":"$.t","HeartbeatSeconds":5,"Credentials":{"RoleArn":"arn:aws:iam::1:role/r"},
	      "Retry":[{"ErrorEquals":["States.Timeout"],"IntervalSeconds":2,"MaxAttempts":0,"BackoffRate":1.0,"MaxDelaySeconds":10,"JitterStrategy":"FULL","Comment":"x"},{"ErrorEquals":["States.ALL"]}],
	      "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"F"}],"Next":"C"},
	 "C":{"Type":"Choice","Choices":[{"Not":{"Variable":"$.x","IsPresent":true},"Next":"W"}],"Default":"Par"},
	 "W":{"Type":"Wait","TimestampPath":"$.when","Next":"Par"},
	 "Par":{"Type":"Parallel","Branches":[{"StartAt":"B","States":{"B":{"Type":"Succeed"}}}],"ResultSelector":{"x.$":"$[0]"},"Next":"M"},
	 "M":{"Type":"Map","ItemsPath":"$.items","ItemSelector":{"i.$":"$$.Map.Item.Index"},"MaxConcurrencyPath":"$.mc","ToleratedFailurePercentage":10,"Label":"items",
	      "ItemProcessor":{"ProcessorConfig":{"Mode":"INLINE"},"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"Next":"S"},
	 "S":{"Type":"Succeed","OutputPath":"$.r"},
	 "F":{"Type":"Fail","ErrorPath":"$.err.Error","CausePath":"States.Format('failed: {}', $.err.Cause)"}}}`
	m, err := Parse([]byte(def))
	if err != nil {
		t.Fatalf("Parse = %v", err)
	}
	if got := len(m.States); got != 8 {
		t.Errorf("len(States) = %d; want 8", got)
	}
	if m.TimeoutSeconds != 60 || m.Version != "1.0" {
		t.Errorf("TimeoutSeconds, Version = %d, %q; want 60, 1.0", m.TimeoutSeconds, m.Version)
	}
	task := m.Lookup("T")
	if task.Retry[0].MaxAttempts != 0 || !task.Retry[0].JitterFull || task.Retry[1].MaxAttempts != 3 || task.Retry[1].BackoffRate != 2.0 {
		t.Errorf("retriers = %+v %+v; want explicit then defaulted values", task.Retry[0], task.Retry[1])
	}
}
