package statelang

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"
	"time"
)

// allocated returns the bytes f allocates. Tests using it do not call
// t.Parallel, so no parallel test allocates meanwhile.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// nested wraps inner in n levels of open…close.
func nested(open, inner, close string, n int) string {
	return strings.Repeat(open, n) + inner + strings.Repeat(close, n)
}

func choiceDef(rule string) string {
	return `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[` + rule + `]},"E":{"Type":"Succeed"}}}`
}

func passDef(field, value string) string {
	return `{"StartAt":"P","States":{"P":{"Type":"Pass",` + field + `:` + value + `,"End":true}}}`
}

func jsonataPassDef(field, value string) string {
	return `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass",` + field + `:` + value + `,"End":true}}}`
}

// parallelDef nests n Parallel states, each with a Comment of pad bytes.
func parallelDef(n, pad int) string {
	def := `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`
	comment := strings.Repeat("c", pad)
	for i := 0; i < n; i++ {
		def = `{"StartAt":"P","States":{"P":{"Type":"Parallel","Comment":"` + comment + `","End":true,"Branches":[` + def + `]}}}`
	}
	return def
}

// TestParseNestingDepth: a definition nested deeper than MaxNestingDepth
// is rejected with one diagnostic naming where the limit is passed; one at
// the limit parses.
func TestParseNestingDepth(t *testing.T) {
	tests := []struct {
		name, def string
		want      string // location prefix; "" when the definition is valid
	}{
		{"deep Not", choiceDef(`{"Next":"E","Not":` + nested(`{"Not":`, `{"Variable":"$.a","IsPresent":true}`, `}`, 5000) + `}`),
			"/States/C/Choices/0/Not/Not/Not/"},
		{"deep Parameters", passDef(`"Parameters"`, nested(`{"a":`, `1`, `}`, 5000)), "/States/P/Parameters/a/a/"},
		{"deep arrays", passDef(`"Result"`, nested(`[`, `1`, `]`, 5000)), "/States/P/Result/0/0/"},
		{"deep JSONata Output", jsonataPassDef(`"Output"`, nested(`{"a":`, `"{% 1 %}"`, `}`, 5000)), "/States/P/Output/a/a/"},
		{"deep Parallel", parallelDef(200, 0), "/States/P/Branches/0/States/P/Branches/0/"},
		// The top object, States, P, Parameters: 4 levels, then 496 more.
		{"at the limit", passDef(`"Parameters"`, nested(`{"a":`, `1`, `}`, MaxNestingDepth-3)), ""},
		{"one past the limit", passDef(`"Parameters"`, nested(`{"a":`, `1`, `}`, MaxNestingDepth-2)),
			"/States/P/Parameters" + strings.Repeat("/a", MaxNestingDepth-3)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.def))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Parse = %v; want no error", err)
				}
				return
			}
			var ds Diagnostics
			if !errors.As(err, &ds) || len(ds) != 1 {
				t.Fatalf("Parse = %.300v; want one diagnostic", err)
			}
			d := ds[0]
			if !strings.HasPrefix(d.Location, tt.want) || !strings.Contains(d.Message, fmt.Sprintf("more than %d levels deep", MaxNestingDepth)) {
				t.Errorf("Parse diagnostic = %.200q at %.200q; want the nesting limit at %.200q", d.Message, d.Location, tt.want)
			}
			if got := strings.Count(d.Location, "/"); got != MaxNestingDepth {
				t.Errorf("Parse diagnostic location has %d tokens; want %d (the first level past the limit)", got, MaxNestingDepth)
			}
		})
	}
}

// TestParseLinear: parsing costs memory in proportion to the definition,
// however its size is spread: long keys above many fields (each field's
// location once copied the whole path), deeply nested Parallel states (each
// state once re-serialised its whole subtree), many problems under a long
// path (only MaxDiagnostics of them are spelled out).
func TestParseLinear(t *testing.T) {
	longKey := strings.Repeat("k", 100_000)
	var fields []string
	for i := 0; i < 20_000; i++ {
		fields = append(fields, fmt.Sprintf(`"f%d":1`, i))
	}
	var bad []string
	for i := 0; i < 20_000; i++ {
		bad = append(bad, fmt.Sprintf(`"b%d.$":1`, i))
	}
	tests := []struct {
		name, def string
	}{
		{"long key over many fields", passDef(`"Parameters"`, `{"`+longKey+`":{`+strings.Join(fields, ",")+`}}`)},
		{"long key over many JSONata fields", jsonataPassDef(`"Output"`, `{"`+longKey+`":{`+strings.Join(fields, ",")+`}}`)},
		{"long key over many problems", passDef(`"Parameters"`, `{"`+longKey[:20_000]+`":{`+strings.Join(bad, ",")+`}}`)},
		{"nested Parallel", parallelDef(120, 4000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := allocated(func() { _, _ = Parse([]byte(tt.def)) })
			if limit := uint64(40*len(tt.def) + 4<<20); n > limit {
				t.Errorf("Parse of %d bytes allocated %d bytes; want at most %d", len(tt.def), n, limit)
			}
		})
	}
}

// TestPayloadSize: sizes are measured as the length of the JSON text
// MarshalJSON writes, to the byte.
func TestPayloadSize(t *testing.T) {
	t.Parallel()
	values := []any{
		nil, true, false, int64(0), int64(-7), int64(math.MaxInt64), int64(math.MinInt64), 1.0, -2.5e-9, 1e300, 12345678.9,
		json.Number("123456789012345678901234567890"), "", "plain", "quote\" back\\ nl\n tab\t cr\r bs\b ff\f", "\x00\x01\x1f",
		"é€😀", "bad \xff utf-8", []any{}, map[string]any{}, []any{int64(1), "a", nil},
		map[string]any{"k\n": []any{map[string]any{"é": 1.5}}, "": false},
		make([]any, 30_000),
	}
	for _, v := range values {
		want := len(MarshalJSON(v))
		if got := jsonLen(v, 1<<30); got != want {
			t.Errorf("jsonLen(%.60s) = %d; want %d", MarshalString(v), got, want)
		}
		if sizeOver(v, want) || !sizeOver(v, want-1) {
			t.Errorf("sizeOver(%.60s, %d or %d) = %v, %v; want false, true", MarshalString(v), want, want-1, sizeOver(v, want), sizeOver(v, want-1))
		}
	}
}

// TestPassNearPayloadLimit: a Pass state passes on an input just under
// 256 KiB made of many small values (a size estimate once counted each 0
// as 8 bytes) and fails with States.DataLimitExceeded just over it.
func TestPassNearPayloadLimit(t *testing.T) {
	t.Parallel()
	m := mustParse(t, `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)
	zeros := func(n int) []any {
		a := make([]any, n)
		for i := range a {
			a[i] = int64(0)
		}
		return a
	}
	tests := []struct {
		input any
		fail  bool
	}{
		{zeros(30_000), false},                       // 60 KB
		{zeros(MaxPayloadBytes/2 - 1), false},        // 262,143 bytes: n zeros take 2n+1
		{zeros(MaxPayloadBytes / 2), true},           // 262,145 bytes
		{[]any{strings.Repeat("é", 131_070)}, false}, // 262,144 bytes of UTF-8 text with quotes and brackets
		{[]any{strings.Repeat("é", 131_071)}, true},
	}
	for _, tt := range tests {
		step := m.Start().Enter(tt.input, &Context{StateName: "P"}, &Env{})
		failed := step.Failure != nil && step.Failure.Name == ErrDataLimitExceeded
		if failed != tt.fail || (step.Failure != nil && !failed) {
			t.Errorf("Pass of %d bytes: failure = %v; want DataLimitExceeded %v", len(MarshalJSON(tt.input)), step.Failure, tt.fail)
		}
	}
}

// TestTemplateResultBounds: payload templates and intrinsic functions
// fail with States.DataLimitExceeded while building a result larger than
// the payload limit, in bounded memory, however much their paths select
// (a descent copied every subtree) or their calls repeat the input.
func TestTemplateResultBounds(t *testing.T) {
	deep := any(int64(1))
	for i := 0; i < 3000; i++ {
		deep = map[string]any{"a": deep}
	}
	big := map[string]any{"big": strings.Repeat("x", 200_000), "small": "s", "deep": deep}
	args := strings.Repeat(", $.big", 300)
	var keys []string
	for i := 0; i < 600; i++ {
		keys = append(keys, fmt.Sprintf(`"k%d.$":"States.Format('{}', $.big)"`, i))
	}
	tests := []struct {
		name, params string
		fail         bool
	}{
		{"descent on a deep input", `{"x.$":"$..a"}`, true},
		{"wildcard descent on a deep input", `{"x.$":"$.deep..*"}`, true},
		{"descent as an argument", `{"x.$":"States.ArrayLength($..a)"}`, true},
		{"a long Format", `{"x.$":"States.Format('` + strings.Repeat("{}", 300) + `'` + args + `)"}`, true},
		{"many Formats", `{` + strings.Join(keys, ",") + `}`, true},
		{"a long Array", `{"x.$":"States.JsonToString(States.Array(` + args[2:] + `))"}`, true},
		{"a Format within the limit", `{"x.$":"States.Format('{}', $.big)", "n.$":"States.ArrayLength($..small)"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustParse(t, passDef(`"Parameters"`, tt.params))
			var step Step
			n := allocated(func() { step = m.Start().Enter(big, &Context{StateName: "P"}, &Env{}) })
			failed := step.Failure != nil && step.Failure.Name == ErrDataLimitExceeded
			if failed != tt.fail || (step.Failure != nil && !failed) {
				t.Errorf("Enter: failure = %.300v; want DataLimitExceeded %v", step.Failure, tt.fail)
			}
			if n > 64<<20 {
				t.Errorf("Enter allocated %d MB; want at most 64 MB", n>>20)
			}
		})
	}
}

// TestWaitTimestampRange: a Wait until a timestamp more than a year
// (maxWait) after the state is entered fails with "Wait state delay is
// too long.", as SecondsPath does; one within the year waits.
func TestWaitTimestampRange(t *testing.T) {
	t.Parallel()
	entered := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name, def string
		input     any
		fail      string // the failure's name, or "" for a wait
	}{
		{"Timestamp in 9999", `"Timestamp":"9999-12-31T23:59:59Z"`, nil, ErrRuntime},
		{"Timestamp in a month", `"Timestamp":"2025-02-01T00:00:00Z"`, nil, ""},
		{"Timestamp in the past", `"Timestamp":"2000-01-01T00:00:00Z"`, nil, ""},
		{"TimestampPath in 9999", `"TimestampPath":"$.t"`, map[string]any{"t": "9999-01-01T00:00:00Z"}, ErrRuntime},
		{"TimestampPath two years on", `"TimestampPath":"$.t"`, map[string]any{"t": "2027-01-01T00:00:00Z"}, ErrRuntime},
		{"JSONata Timestamp in 9999", `"QueryLanguage":"JSONata","Timestamp":"{% '9999-01-01T00:00:00Z' %}"`, nil, ErrQueryEvaluationError},
		{"JSONata literal Timestamp in 9999", `"QueryLanguage":"JSONata","Timestamp":"9999-01-01T00:00:00Z"`, nil, ErrQueryEvaluationError},
	}
	for _, tt := range tests {
		m := mustParse(t, `{"StartAt":"W","States":{"W":{"Type":"Wait",`+tt.def+`,"End":true}}}`)
		step := m.Start().Enter(tt.input, &Context{StateName: "W", StateEnteredTime: entered}, &Env{})
		got := ""
		if step.Failure != nil {
			got = step.Failure.Name
			if !strings.Contains(step.Failure.Cause, "Wait state delay is too long.") {
				t.Errorf("%s: cause = %q; want the delay too long", tt.name, step.Failure.Cause)
			}
		}
		if got != tt.fail {
			t.Errorf("%s: Enter failure = %v; want %q", tt.name, step.Failure, tt.fail)
		}
	}
}

// TestParseJSONNumberRange: a number beyond float64's range is rejected
// with a clear error (it once became null); large integers and floats
// within the range keep their value.
func TestParseJSONNumberRange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want string // MarshalString of the value, or "" for an error
	}{
		{`1e400`, ""},
		{`{"a":[1,-1E+400]}`, ""},
		{`[1` + strings.Repeat("0", 400) + `.5]`, `[1` + strings.Repeat("0", 400) + `.5]`}, // kept as written
		{`"\ud83d\ude00 1e400"`, `"😀 1e400"`},
		{`[1e400, "\ud83d\ude00"]`, ""},
		{`1e308`, `1.0E308`},
		{`123456789012345678901234567890`, `123456789012345678901234567890`},
		{`{"e":"E"}`, `{"e":"E"}`},
	}
	for _, tt := range tests {
		v, err := ParseJSON([]byte(tt.in))
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("ParseJSON(%.40s) = %s; want an error", tt.in, MarshalString(v))
		case tt.want == "" && !strings.Contains(err.Error(), "outside the range"):
			t.Errorf("ParseJSON(%.40s) error = %v; want one naming the range", tt.in, err)
		case tt.want != "" && (err != nil || MarshalString(v) != tt.want):
			t.Errorf("ParseJSON(%.40s) = %s, %v; want %s", tt.in, MarshalString(v), err, tt.want)
		}
	}
}

// TestExprTimeShared: a state's JSONata expressions share the time
// Env.ExprTime gives them: with none left, a long expression fails with
// States.QueryEvaluationError as one past its own 2 s does; a short one
// with time left succeeds.
func TestExprTimeShared(t *testing.T) {
	m := mustParse(t, jsonataPassDef(`"Output"`, `"{% $count([1..500000].($ * 2)) %}"`))
	spent := &Env{ExprTime: func() time.Duration { return 0 }}
	step := m.Start().Enter(nil, &Context{StateName: "P"}, spent)
	if step.Failure == nil || step.Failure.Name != ErrQueryEvaluationError {
		t.Errorf("Enter with no time left: failure = %v; want %s", step.Failure, ErrQueryEvaluationError)
	}
	left := &Env{ExprTime: func() time.Duration { return time.Minute }}
	small := mustParse(t, jsonataPassDef(`"Output"`, `"{% $count([1..10]) %}"`))
	if step := small.Start().Enter(nil, &Context{StateName: "P"}, left); step.Failure != nil || step.Output != int64(10) {
		t.Errorf("Enter with time left: %v %v; want 10", step.Output, step.Failure)
	}
}
