package engine

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/statelang"
)

// loopMachine counts $.i to n with a Pass and a Choice state, carrying
// $.big along, in every branch of a Parallel of the given width (state
// names are unique in a whole definition: each branch numbers its own).
func loopMachine(t *testing.T, n, width int) *statelang.Machine {
	t.Helper()
	loops := make([]string, width)
	for b := range loops {
		loops[b] = fmt.Sprintf(`{"StartAt":"Inc%[2]d","States":{
		"Inc%[2]d":{"Type":"Pass","Parameters":{"i.$":"States.MathAdd($.i, 1)","big.$":"$.big"},"Next":"More%[2]d"},
		"More%[2]d":{"Type":"Choice","Choices":[{"Variable":"$.i","NumericLessThan":%[1]d,"Next":"Inc%[2]d"}],"Default":"Done%[2]d"},
		"Done%[2]d":{"Type":"Pass","OutputPath":"$.i","End":true}}}`, n, b)
	}
	branches := strings.Join(loops, ",")
	m, err := statelang.Parse([]byte(`{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[` + branches + `],"End":true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// runBudget runs an execution of m to its end, following continuation
// timers, and returns its decisions.
func runBudget(t *testing.T, m *statelang.Machine, input any, lim decisionLimits) []*decision {
	t.Helper()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	env := &statelang.Env{Random: func() float64 { return 0.5 }, UUID: func() string { return "u" }}
	x := execFacts{ID: 7, ARN: "arn:x", Name: "x", Input: input, StartTime: t0, Region: "us-east-1"}
	st := &execState{}
	ev := event{Kind: evStart}
	var out []*decision
	for i := 0; ; i++ {
		if i > 10000 {
			t.Fatalf("no end after %d decisions", i)
		}
		d, err := decideEvent(m, x, st, ev, t0, env, lim)
		if err != nil {
			t.Fatal(err)
		}
		if st, err = decodeState(encodeState(d.State)); err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
		if d.Terminal {
			return out
		}
		if len(d.NewTimers) != 1 || !strings.HasPrefix(d.NewTimers[0].Key, "c:") || !d.NewTimers[0].FireAt.Equal(t0) {
			t.Fatalf("decision %d: timers = %+v; want one continuation due now", i, d.NewTimers)
		}
		ev = event{Kind: evTimer, TimerKey: d.NewTimers[0].Key}
	}
}

// checkHistory checks that the decisions' events number 1..n without a gap
// or duplicate.
func checkHistory(t *testing.T, ds []*decision) int {
	t.Helper()
	n := 0
	for _, d := range ds {
		for _, e := range d.Events {
			n++
			if e.ID != int64(n) {
				t.Fatalf("event %d has id %d", n, e.ID)
			}
		}
	}
	return n
}

// entered counts a decision's ...StateEntered events.
func entered(d *decision) int {
	n := 0
	for _, e := range d.Events {
		if strings.HasSuffix(string(e.Type), "StateEntered") {
			n++
		}
	}
	return n
}

// TestDecideBudgetStates: a decision runs at most MaxStates states; a
// Pass/Choice loop goes on in later decisions through one continuation
// timer and ends with the output and history it has in one decision.
func TestDecideBudgetStates(t *testing.T) {
	m := loopMachine(t, 100, 1)
	in := map[string]any{"i": int64(0), "big": "x"}
	whole := runBudget(t, m, in, decisionLimits{MaxStates: 1 << 30, MaxTime: time.Hour})
	if len(whole) != 1 {
		t.Fatalf("without a budget: %d decisions; want 1", len(whole))
	}
	ds := runBudget(t, m, in, decisionLimits{MaxStates: 10, MaxTime: time.Hour})
	if len(ds) < 20 {
		t.Errorf("MaxStates 10: %d decisions for 202 states; want at least 20", len(ds))
	}
	for i, d := range ds {
		if n := entered(d); n > 10 {
			t.Errorf("decision %d entered %d states; want at most 10", i, n)
		}
	}
	last := ds[len(ds)-1]
	if last.Status != StatusSucceeded || statelang.MarshalString(last.Output) != `[100]` {
		t.Errorf("output = %s %s; want SUCCEEDED [100]", last.Status, statelang.MarshalString(last.Output))
	}
	if n, want := checkHistory(t, ds), checkHistory(t, whole); n != want {
		t.Errorf("events = %d; want %d as in one decision", n, want)
	}
}

// TestDecideBudgetBytes: a loop over a 10 KB value records at most about
// MaxBytes (plus the state that passed it) per decision.
func TestDecideBudgetBytes(t *testing.T) {
	m := loopMachine(t, 50, 1)
	in := map[string]any{"i": int64(0), "big": strings.Repeat("b", 10000)}
	ds := runBudget(t, m, in, decisionLimits{MaxBytes: 50000, MaxTime: time.Hour})
	for i, d := range ds {
		n := 0
		for _, e := range d.Events {
			for _, k := range []string{"input", "output"} {
				if s, ok := e.Details[k].(string); ok {
					n += len(s)
				}
			}
		}
		if n > 50000+2*10100 {
			t.Errorf("decision %d recorded %d bytes; want at most MaxBytes and one state's", i, n)
		}
	}
	if last := ds[len(ds)-1]; len(ds) < 10 || statelang.MarshalString(last.Output) != `[50]` {
		t.Errorf("%d decisions, output %s; want at least 10 and [50]", len(ds), statelang.MarshalString(last.Output))
	}
}

// TestDecideBudgetTime: a decision past MaxTime runs no further state;
// with three Parallel branches paused together, one continuation timer
// resumes all of them.
func TestDecideBudgetTime(t *testing.T) {
	m := loopMachine(t, 5, 3)
	in := map[string]any{"i": int64(0), "big": "x"}
	ds := runBudget(t, m, in, decisionLimits{MaxTime: time.Millisecond, Elapsed: func() time.Duration { return time.Second }})
	for i, d := range ds {
		if n := entered(d); n > 1 {
			t.Errorf("decision %d entered %d states past its time; want 1", i, n)
		}
	}
	last := ds[len(ds)-1]
	if last.Status != StatusSucceeded || statelang.MarshalString(last.Output) != `[5,5,5]` {
		t.Errorf("output = %s %s; want SUCCEEDED [5,5,5]", last.Status, statelang.MarshalString(last.Output))
	}
	checkHistory(t, ds)
}

// TestDecideBudgetMap: a Map of 50 iterations of three Pass states each,
// at most 10 states per decision, pauses its iterations behind one
// continuation timer at a time and ends with every result in order.
func TestDecideBudgetMap(t *testing.T) {
	m, err := statelang.Parse([]byte(`{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","End":true,
		"ItemProcessor":{"StartAt":"A","States":{
			"A":{"Type":"Pass","Parameters":{"v.$":"$"},"Next":"B"},
			"B":{"Type":"Pass","Parameters":{"v.$":"States.MathAdd($.v, 1)"},"Next":"C"},
			"C":{"Type":"Pass","OutputPath":"$.v","End":true}}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	items, want := make([]any, 50), make([]string, 50)
	for i := range items {
		items[i] = int64(i)
		want[i] = fmt.Sprint(i + 1)
	}
	ds := runBudget(t, m, map[string]any{"items": items}, decisionLimits{MaxStates: 10, MaxTime: time.Hour})
	for i, d := range ds {
		if n := entered(d); n > 10 {
			t.Errorf("decision %d entered %d states; want at most 10", i, n)
		}
	}
	last := ds[len(ds)-1]
	if got := statelang.MarshalString(last.Output); last.Status != StatusSucceeded || got != "["+strings.Join(want, ",")+"]" {
		t.Errorf("output = %s %s; want SUCCEEDED 1..50", last.Status, got)
	}
	checkHistory(t, ds)
}
