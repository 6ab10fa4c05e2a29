package statelang

import (
	"fmt"
	"strings"
	"testing"
)

// passChain builds a machine of n Pass states in sequence.
func passChain(n int) []byte {
	var sb strings.Builder
	sb.WriteString(`{"StartAt":"S0","States":{`)
	for i := 0; i < n; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		if i == n-1 {
			fmt.Fprintf(&sb, `"S%d":{"Type":"Pass","End":true}`, i)
		} else {
			fmt.Fprintf(&sb, `"S%d":{"Type":"Pass","Next":"S%d"}`, i, i+1)
		}
	}
	sb.WriteString(`}}`)
	return []byte(sb.String())
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

// transitions counts state transitions (entered events) in a history.
func transitions(res *RunResult) int {
	n := 0
	for _, e := range res.Events {
		if strings.HasSuffix(e.Type, "StateEntered") {
			n++
		}
	}
	return n
}

func benchRun(b *testing.B, def []byte, input any) {
	m, err := Parse(def)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	total := 0
	for i := 0; i < b.N; i++ {
		res := Run(m, input, RunOptions{})
		if res.Status != StatusSucceeded {
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

// BenchmarkStepPass measures the step API alone (no runner, no history):
// State.Enter on a Pass state.
func BenchmarkStepPass(b *testing.B) {
	m, err := Parse(passChain(2))
	if err != nil {
		b.Fatal(err)
	}
	st := m.Start()
	in := map[string]any{"hello": "world"}
	c := &Context{StateName: st.Name}
	env := &Env{}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if s := st.Enter(in, c, env); s.Kind != StepNext {
			b.Fatal(s.Failure)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "transitions/s")
}

// BenchmarkStepJSONata measures one JSONata Pass step: an Output
// expression over $states.input and an Assign reading a variable.
func BenchmarkStepJSONata(b *testing.B) {
	m, err := Parse([]byte(`{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass",
		"Output":{"total":"{% $states.input.order.total * 1.2 %}"},"Assign":{"n":"{% $n + 1 %}"},"End":true}}}`))
	if err != nil {
		b.Fatal(err)
	}
	st := m.Start()
	in := map[string]any{"order": map[string]any{"total": int64(100), "items": []any{"a", "b"}}}
	c := &Context{StateName: st.Name, Vars: (&Vars{}).With(map[string]any{"n": int64(1)})}
	env := &Env{}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if s := st.Enter(in, c, env); s.Kind != StepSucceed {
			b.Fatal(s.Failure)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "transitions/s")
}
