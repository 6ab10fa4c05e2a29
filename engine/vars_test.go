package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/statelang"
)

// TestDecideVariables: workflow variables persist with the execution state
// (across a JSON round trip between events), a Wait state's Assign applies
// when its timer fires, a Map iteration reads the outer scope and writes its
// own, a task result reaches Assign through $states.result, and a catcher's
// Assign applies when it catches.
func TestDecideVariables(t *testing.T) {
	m, err := statelang.Parse([]byte(`{"QueryLanguage":"JSONata","StartAt":"A","States":{
		"A":{"Type":"Pass","Assign":{"k":10},"Next":"W"},
		"W":{"Type":"Wait","Seconds":5,"Assign":{"k":"{% $k + 1 %}"},"Next":"M"},
		"M":{"Type":"Map","Items":"{% [1,2] %}","ItemProcessor":{"StartAt":"I","States":{
			"I":{"Type":"Pass","Assign":{"v":"{% $states.input * $k %}"},"Next":"J"},
			"J":{"Type":"Pass","Output":"{% $v %}","End":true}}},
			"Assign":{"sum":"{% $sum($states.result) %}"},"Next":"T"},
		"T":{"Type":"Task","Resource":"arn:aws:states:us-east-1:111111111111:activity:a","Arguments":{"sum":"{% $sum %}"},
			"Assign":{"r":"{% $states.result.x %}"},
			"Catch":[{"ErrorEquals":["States.ALL"],"Assign":{"err":"{% $states.errorOutput.Error %}"},"Next":"T2"}],"Next":"T2"},
		"T2":{"Type":"Task","Resource":"arn:aws:states:us-east-1:111111111111:activity:a","Arguments":{"r":"{% $r %}"},
			"Catch":[{"ErrorEquals":["States.ALL"],"Assign":{"err":"{% $states.errorOutput.Error %}"},"Next":"E"}],"End":true},
		"E":{"Type":"Pass","Output":{"k":"{% $k %}","sum":"{% $sum %}","r":"{% $r %}","err":"{% $err %}","v":"{% $exists($v) %}"},"End":true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	env := &statelang.Env{Random: func() float64 { return 0.5 }, UUID: func() string { return "u" }}
	x := execFacts{ID: 7, ARN: "arn:x", Name: "x", Input: map[string]any{}, StartTime: t0, Region: "us-east-1"}
	step := stepper(t, m, x, env)
	d := step(event{Kind: evStart}, t0)
	if len(d.NewTimers) != 1 {
		t.Fatalf("start: timers = %+v; want the Wait's", d.NewTimers)
	}
	d = step(event{Kind: evTimer, TimerKey: d.NewTimers[0].Key}, t0.Add(5*time.Second))
	if len(d.NewTasks) != 1 || d.NewTasks[0].Input != `{"sum":33}` {
		t.Fatalf("after the Map: tasks = %+v; want one with sum 11+22", d.NewTasks)
	}
	d = step(event{Kind: evTaskSucceeded, Token: d.NewTasks[0].Token, Output: map[string]any{"x": "rx"}}, t0.Add(6*time.Second))
	if len(d.NewTasks) != 1 || d.NewTasks[0].Input != `{"r":"rx"}` {
		t.Fatalf("after T: tasks = %+v; want one with r from $states.result", d.NewTasks)
	}
	d = step(event{Kind: evTaskFailed, Token: d.NewTasks[0].Token, Error: "Boom"}, t0.Add(7*time.Second))
	if !d.Terminal || d.Status != StatusSucceeded {
		t.Fatalf("after T2: %+v; want SUCCEEDED", d)
	}
	if got, want := statelang.MarshalString(d.Output), `{"err":"Boom","k":11,"r":"rx","sum":33,"v":false}`; got != want {
		t.Errorf("output = %s; want %s", got, want)
	}
}

// TestDecideEvaluationFailed: a JSONata field that fails records
// EvaluationFailed, and a Map then fails with MapStateFailed, as on AWS.
func TestDecideEvaluationFailed(t *testing.T) {
	m, err := statelang.Parse([]byte(`{"QueryLanguage":"JSONata","StartAt":"M","States":{
		"M":{"Type":"Map","Items":"{% 1 %}","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	env := &statelang.Env{Random: func() float64 { return 0.5 }, UUID: func() string { return "u" }}
	d, err := decideEvent(m, execFacts{ID: 1, Input: map[string]any{}, StartTime: t0}, &execState{}, event{Kind: evStart}, t0, env, decisionLimits{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range d.Events {
		got = append(got, string(e.Type))
	}
	if want := "ExecutionStarted MapStateEntered EvaluationFailed MapStateFailed ExecutionFailed"; strings.Join(got, " ") != want {
		t.Errorf("events = %s; want %s", strings.Join(got, " "), want)
	}
	if d.Failure == nil || d.Failure.Name != statelang.ErrQueryEvaluationError {
		t.Errorf("failure = %+v; want States.QueryEvaluationError", d.Failure)
	}
}
