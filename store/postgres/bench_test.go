package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
)

func passChain(n int) string {
	var sb strings.Builder
	sb.WriteString(`{"StartAt":"S0","States":{`)
	for i := range n {
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
	return sb.String()
}

// BenchmarkDurableTransitions measures durable state transitions per second
// for a 20-state Pass machine with 1, 16 and 64 executions started
// concurrently. Each execution's transitions are decided in one pass and
// committed with one batch (one round trip, one commit) together with its
// creation (one more transaction: insert row, batch, commit).
func BenchmarkDurableTransitions(b *testing.B) {
	for _, conc := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) {
			h := newHarness(b, nil, nil)
			h.machine("pass20", passChain(20))
			ctx := context.Background()
			var seq atomic.Int64
			run := func() {
				x, err := h.eng.StartExecution(ctx, engine.StartExecutionInput{StateMachine: "pass20", Name: fmt.Sprintf("e%d", seq.Add(1)), Input: `{"a":1}`})
				if err != nil {
					b.Error(err)
					return
				}
				if x.Status != engine.StatusSucceeded {
					b.Errorf("status %s", x.Status)
				}
			}
			b.ResetTimer()
			start := time.Now()
			if conc == 1 {
				for range b.N {
					run()
				}
			} else {
				b.SetParallelism(max(1, conc/runtimeProcs()))
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						run()
					}
				})
			}
			el := time.Since(start)
			b.ReportMetric(float64(b.N*20)/el.Seconds(), "transitions/s")
			b.ReportMetric(1.0/20, "commits/transition")
		})
	}
}
