package statelang

import (
	"testing"
	"time"
)

func mustParse(t *testing.T, def string) *Machine {
	t.Helper()
	m, err := Parse([]byte(def))
	if err != nil {
		t.Fatalf("Parse(%s) = %v", def, err)
	}
	return m
}

func TestMatchError(t *testing.T) {
	tests := []struct {
		list []string
		name string
		want bool
	}{
		{[]string{"States.ALL"}, "Custom", true},
		{[]string{"States.ALL"}, ErrTimeout, true},
		{[]string{"States.ALL"}, ErrRuntime, false},
		{[]string{"States.ALL"}, ErrDataLimitExceeded, true},
		{[]string{"States.TaskFailed"}, "Custom", true},
		{[]string{"States.TaskFailed"}, ErrTimeout, false},
		{[]string{"States.TaskFailed"}, ErrHeartbeatTimeout, true},
		{[]string{"States.Runtime"}, ErrRuntime, false},
		{[]string{"States.TaskFailed"}, ErrDataLimitExceeded, false},
		{[]string{"A", "B"}, "B", true},
		{[]string{"A"}, "a", false},
	}
	for _, tt := range tests {
		if got := MatchError(tt.list, tt.name); got != tt.want {
			t.Errorf("MatchError(%q, %q) = %v; want %v", tt.list, tt.name, got, tt.want)
		}
	}
}

func TestRetrierDelay(t *testing.T) {
	r := &Retrier{IntervalSeconds: 3, BackoffRate: 2, MaxDelaySeconds: 10}
	for attempt, want := range []time.Duration{3 * time.Second, 6 * time.Second, 10 * time.Second, 10 * time.Second} {
		if got := r.Delay(int64(attempt), 0.5); got != want {
			t.Errorf("Delay(%d) = %v; want %v", attempt, got, want)
		}
	}
	r.JitterFull = true
	if got := r.Delay(1, 0.25); got != 1500*time.Millisecond {
		t.Errorf("Delay with FULL jitter = %v; want 1.5s", got)
	}
}

// TestRecover: the first matching retrier decides; once it is exhausted the
// catchers apply, with the error output placed by the catcher's ResultPath.
func TestRecover(t *testing.T) {
	m := mustParse(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:x:1:function:f",
	  "Retry":[{"ErrorEquals":["A"],"MaxAttempts":2,"IntervalSeconds":1},{"ErrorEquals":["States.ALL"],"MaxAttempts":1}],
	  "Catch":[{"ErrorEquals":["A"],"ResultPath":"$.error","Next":"H"}],"End":true},"H":{"Type":"Succeed"}}}`)
	st := m.Lookup("T")
	in := map[string]any{"k": "v"}
	a := &Failure{Name: "A", Cause: "c"}
	if rec := st.Recover(in, a, []int64{0, 0}, 0); rec.Kind != RecoverRetry || rec.Retrier != 0 || rec.Delay != time.Second {
		t.Errorf("Recover(A, first) = %+v; want retry by retrier 0 after 1s", rec)
	}
	if rec := st.Recover(in, a, []int64{1, 0}, 0); rec.Kind != RecoverRetry || rec.Delay != 2*time.Second {
		t.Errorf("Recover(A, second) = %+v; want retry after 2s", rec)
	}
	rec := st.Recover(in, a, []int64{2, 0}, 0)
	if rec.Kind != RecoverCatch || rec.Next != "H" {
		t.Fatalf("Recover(A, exhausted) = %+v; want catch to H", rec)
	}
	want := map[string]any{"k": "v", "error": map[string]any{"Error": "A", "Cause": "c"}}
	if !Equal(rec.Output, want) {
		t.Errorf("catch output = %s; want %s", MarshalString(rec.Output), MarshalString(want))
	}
	if rec := st.Recover(in, &Failure{Name: "B"}, []int64{0, 1}, 0); rec.Kind != RecoverFail || rec.Failure.Name != "B" {
		t.Errorf("Recover(B, exhausted) = %+v; want fail with B", rec)
	}
	if rec := st.Recover(in, &Failure{Name: ErrRuntime}, nil, 0); rec.Kind != RecoverFail {
		t.Errorf("Recover(States.Runtime) = %+v; want fail: States.ALL does not retry it", rec)
	}
}

// TestTaskPipeline: InputPath → Parameters → task → ResultSelector →
// ResultPath → OutputPath, with the context object.
func TestTaskPipeline(t *testing.T) {
	m := mustParse(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:x:1:function:f",
	  "InputPath":"$.order","Parameters":{"id.$":"$.id","token.$":"$$.Task.Token","fixed":1.0},
	  "ResultSelector":{"total.$":"$.sum"},"ResultPath":"$.result","OutputPath":"$.result","TimeoutSeconds":30,"End":true}}}`)
	st := m.Start()
	in := map[string]any{"order": map[string]any{"id": int64(7)}}
	c := &Context{StateName: "T", TaskToken: "tok"}
	step := st.Enter(in, c, &Env{})
	if step.Kind != StepTask {
		t.Fatalf("Enter = %+v; want a task", step)
	}
	wantIn := map[string]any{"id": int64(7), "token": "tok", "fixed": 1.0}
	if !Equal(step.Task.Input, wantIn) || step.Task.TimeoutSeconds != 30 {
		t.Errorf("task input = %s, timeout %d; want %s, 30", MarshalString(step.Task.Input), step.Task.TimeoutSeconds, MarshalString(wantIn))
	}
	if got := MarshalString(step.Task.Input); got != `{"fixed":1.0,"id":7,"token":"tok"}` {
		t.Errorf("task input JSON = %s; want 1.0 kept as a float", got)
	}
	done := st.Complete(in, map[string]any{"sum": int64(42), "noise": true}, c, &Env{})
	if done.Kind != StepSucceed || !Equal(done.Output, map[string]any{"total": int64(42)}) {
		t.Errorf("Complete = %+v; want end with {total: 42}", done)
	}
	// The input is never changed by the step.
	if _, changed := in["result"]; changed {
		t.Errorf("Complete changed its input: %v", in)
	}
}

func TestResultPathFailures(t *testing.T) {
	m := mustParse(t, `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":1,"ResultPath":"$.a.b","End":true}}}`)
	step := m.Start().Enter(map[string]any{"a": "text"}, &Context{StateName: "P", EnteredEventID: 2}, &Env{})
	if step.Kind != StepFail || step.Failure.Name != ErrResultPathMatchFailure {
		t.Fatalf("Enter = %+v; want States.ResultPathMatchFailure", step)
	}
	step = m.Start().Enter(map[string]any{}, &Context{StateName: "P"}, &Env{})
	if step.Kind != StepSucceed || MarshalString(step.Output) != `{"a":{"b":1}}` {
		t.Errorf("Enter = %+v; want the missing object created", step)
	}
}

func TestMissingPathIsRuntimeError(t *testing.T) {
	m := mustParse(t, `{"StartAt":"P","States":{"P":{"Type":"Pass","OutputPath":"$.nope","End":true}}}`)
	step := m.Start().Enter(map[string]any{}, &Context{StateName: "P", EnteredEventID: 2}, &Env{})
	want := "An error occurred while executing the state 'P' (entered at the event id #2). Invalid path '$.nope' : No results for path: $['nope']"
	if step.Kind != StepFail || step.Failure.Name != ErrRuntime || step.Failure.Cause != want {
		t.Errorf("Enter = %+v; want States.Runtime %q", step.Failure, want)
	}
}

func TestDataLimit(t *testing.T) {
	m := mustParse(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:x:1:function:f","End":true}}}`)
	big := make([]byte, MaxPayloadBytes+1)
	for i := range big {
		big[i] = 'x'
	}
	step := m.Start().Complete(map[string]any{}, string(big), &Context{StateName: "T"}, &Env{})
	if step.Kind != StepFail || step.Failure.Name != ErrDataLimitExceeded {
		t.Errorf("Complete(257 KiB) = %+v; want States.DataLimitExceeded", step)
	}
}

func TestWaitUntil(t *testing.T) {
	entered := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := mustParse(t, `{"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.s","Next":"X"},"X":{"Type":"Succeed"}}}`)
	step := m.Start().Enter(map[string]any{"s": int64(90)}, &Context{StateName: "W", StateEnteredTime: entered}, &Env{})
	if step.Kind != StepWait || !step.WaitUntil.Equal(entered.Add(90*time.Second)) || step.Next != "X" {
		t.Errorf("Enter = %+v; want wait until +90s then X", step)
	}
	step = m.Start().Enter(map[string]any{"s": 1.5}, &Context{StateName: "W"}, &Env{})
	if step.Kind != StepFail || step.Failure.Name != ErrRuntime {
		t.Errorf("Enter(1.5) = %+v; want States.Runtime", step)
	}
}

func TestFormatFloat(t *testing.T) {
	for f, want := range map[float64]string{1: "1.0", 1.5: "1.5", 1e7: "1.0E7", 1e-4: "1.0E-4", 123456.789: "123456.789", -2.5e21: "-2.5E21"} {
		if got := formatFloat(f); got != want {
			t.Errorf("formatFloat(%v) = %q; want %q", f, got, want)
		}
	}
}

func TestParseJSON(t *testing.T) {
	v, err := ParseJSON([]byte(`{"a":1,"b":1.0,"c":123456789012345678901,"e":"\ud83d\ude00"}`))
	if err != nil {
		t.Fatal(err)
	}
	// An escaped surrogate pair is one character, as on AWS.
	if got, want := MarshalString(v), `{"a":1,"b":1.0,"c":123456789012345678901,"e":"😀"}`; got != want {
		t.Errorf("round trip = %s; want %s", got, want)
	}
	if _, err := ParseJSON([]byte(`{"":f,"":true0`)); err == nil {
		t.Errorf("ParseJSON(malformed) = nil error; want an error")
	}
	if _, err := ParseJSON([]byte(`{} x`)); err == nil {
		t.Errorf("ParseJSON(trailing data) = nil error; want an error")
	}
}
