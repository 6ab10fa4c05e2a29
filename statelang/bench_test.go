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
