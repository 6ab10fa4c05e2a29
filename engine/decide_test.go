package engine

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/statelang"
)

// stepper returns a function that decides one event of execution x on
// a state of its own, from the start, and round-trips the state through
// its JSON encoding after each event.
func stepper(t *testing.T, m *statelang.Machine, x execFacts, env *statelang.Env) func(event, time.Time) *decision {
	st := &execState{}
	return func(ev event, now time.Time) *decision {
		t.Helper()
		d, err := decideEvent(m, x, st, ev, now, env, decisionLimits{})
		if err != nil {
			t.Fatal(err)
		}
		if st, err = decodeState(encodeState(d.State)); err != nil {
			t.Fatal(err)
		}
		return d
	}
}

// TestDecideScripted drives the pure decider with scripted events on a
// fixed clock: a Wait becomes a timer, a Task an outbox row; a stale result
// changes nothing; the state survives a JSON round trip between events.
func TestDecideScripted(t *testing.T) {
	m, err := statelang.Parse([]byte(`{"StartAt":"W","States":{
		"W":{"Type":"Wait","Seconds":10,"Next":"T"},
		"T":{"Type":"Task","Resource":"arn:aws:states:us-east-1:111111111111:activity:a","TimeoutSeconds":5,"End":true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	env := &statelang.Env{Random: func() float64 { return 0.5 }, UUID: func() string { return "u" }}
	x := execFacts{ID: 7, ARN: "arn:x", Name: "x", Input: map[string]any{"n": int64(1)}, StartTime: t0, Region: "us-east-1"}
	step := stepper(t, m, x, env)
	d := step(event{Kind: evStart}, t0)
	if len(d.NewTimers) != 1 || !d.NewTimers[0].FireAt.Equal(t0.Add(10*time.Second)) {
		t.Fatalf("start: timers = %+v; want one at +10s", d.NewTimers)
	}
	d = step(event{Kind: evTimer, TimerKey: d.NewTimers[0].Key}, t0.Add(10*time.Second))
	if len(d.NewTasks) != 1 || d.NewTasks[0].Input != `{"n":1}` || len(d.NewTimers) != 1 {
		t.Fatalf("timer: tasks = %+v timers = %+v; want one task and its timeout", d.NewTasks, d.NewTimers)
	}
	token := d.NewTasks[0].Token
	if id, ok := ExecutionIDOfToken(token); !ok || id != 7 {
		t.Errorf("ExecutionIDOfToken(%q) = %d, %v; want 7", token, id, ok)
	}
	d = step(event{Kind: evTaskSucceeded, Token: token, Output: int64(2)}, t0.Add(11*time.Second))
	if !d.Terminal || d.Status != StatusSucceeded || d.Output != int64(2) {
		t.Fatalf("result: %+v; want SUCCEEDED 2", d)
	}
	if d := step(event{Kind: evTaskSucceeded, Token: token, Output: int64(3)}, t0.Add(12*time.Second)); d.Changed {
		t.Errorf("duplicate result changed the execution: %+v", d)
	}
	var got []string
	for _, e := range d.Events {
		got = append(got, string(e.Type))
	}
	if want := "ActivityStarted ActivitySucceeded TaskStateExited ExecutionSucceeded"; joined(got) != want { // an activity answered without GetActivityTask
		t.Errorf("events = %s; want %s", joined(got), want)
	}
}

func joined(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}

// TestDecideFailNUL: a Fail state whose ErrorPath or CausePath selects a
// string with a NUL (U+0000), which the store cannot keep, fails with
// States.Runtime quoting them escaped, at the top level and in a Parallel
// branch (terminal as every States.Runtime: States.ALL does not catch it);
// no event holds a NUL.
func TestDecideFailNUL(t *testing.T) {
	fail := `{"StartAt":"F","States":{"F":{"Type":"Fail","ErrorPath":"$.e","CausePath":"$.c"}}}`
	tests := []struct {
		name, def, status, err string
	}{
		{"top level", fail, StatusFailed, statelang.ErrRuntime},
		{"JSONata", `{"QueryLanguage":"JSONata","StartAt":"F","States":{"F":{"Type":"Fail","Error":"{% $states.input.e %}","Cause":"{% $states.input.c %}"}}}`,
			StatusFailed, statelang.ErrRuntime},
		{"Parallel branch", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[` + fail + `],"End":true}}}`, StatusFailed, statelang.ErrRuntime},
		{"not caught", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[` + fail + `],
			"Catch":[{"ErrorEquals":["States.ALL"],"Next":"S"}],"End":true},"S":{"Type":"Succeed"}}}`, StatusFailed, statelang.ErrRuntime},
	}
	for _, tt := range tests {
		m, err := statelang.Parse([]byte(tt.def))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		ds := runBudget(t, m, map[string]any{"e": "Bad\x00Name", "c": "a\x00b"}, decisionLimits{})
		d := ds[len(ds)-1]
		got := ""
		if d.Failure != nil {
			got = d.Failure.Name
			if !strings.Contains(d.Failure.Cause, `"Bad\u0000Name"`) || strings.ContainsRune(d.Failure.Cause, 0) {
				t.Errorf("%s: cause = %q; want the error quoted with the NUL escaped", tt.name, d.Failure.Cause)
			}
		}
		if d.Status != tt.status || got != tt.err {
			t.Errorf("%s: %s %v; want %s %q", tt.name, d.Status, d.Failure, tt.status, tt.err)
		}
		for _, e := range d.Events {
			if s := fmt.Sprint(e.Details); strings.ContainsRune(s, 0) {
				t.Errorf("%s: event %s holds a NUL: %q", tt.name, e.Type, s)
			}
		}
	}
}
