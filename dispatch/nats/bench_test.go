package nats_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/workers"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// seqMachine is n Task states in a row, each a no-op Lambda function.
func seqMachine(n int) string {
	var b strings.Builder
	b.WriteString(`{"StartAt":"S0","States":{`)
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"S%d":{"Type":"Task","Resource":"%snoop",`, i, fnARN)
		if i == n-1 {
			b.WriteString(`"End":true}`)
		} else {
			fmt.Fprintf(&b, `"Next":"S%d"}`, i+1)
		}
	}
	b.WriteString("}}")
	return b.String()
}

// stepClock records, per execution, when the worker finished a step and
// when the next step reached it: the gap is the engine's overhead per Task
// step (result over NATS, its transaction, the next task's commit and
// publish, delivery).
type stepClock struct {
	mu   sync.Mutex
	last map[string]time.Time
	gaps []time.Duration
}

func (c *stepClock) handler(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
	info, _ := workers.TaskInfoFromContext(ctx)
	now := time.Now()
	c.mu.Lock()
	if t, ok := c.last[info.Execution]; ok {
		c.gaps = append(c.gaps, now.Sub(t))
	}
	c.last[info.Execution] = time.Now()
	c.mu.Unlock()
	return in, nil
}

func benchStack(b *testing.B, steps int) (*stack, *stepClock) {
	s := newStack(b, func(c *engine.Config) { c.Logger = quiet; c.DispatchTimeout = 30 * time.Second })
	clock := &stepClock{last: map[string]time.Time{}}
	s.worker(workers.Config{MaxConcurrency: 256, Logger: quiet}, func(w *workers.Worker) { w.Register("noop", clock.handler) })
	s.machine("m", seqMachine(steps))
	return s, clock
}

func (s *stack) runOne(ctx context.Context, b *testing.B, poll time.Duration) time.Duration {
	t0 := time.Now()
	x, err := s.eng.StartExecution(ctx, engine.StartExecutionInput{StateMachine: "m", Input: `{"v":1}`})
	if err != nil {
		b.Fatal(err)
	}
	for x.Status == engine.StatusRunning {
		time.Sleep(poll) // the harness polls; completion is not pushed
		if x, err = s.eng.DescribeExecution(ctx, x.ARN); err != nil {
			b.Fatal(err)
		}
	}
	if x.Status != engine.StatusSucceeded {
		b.Fatalf("execution %s: %s %s", x.ARN, x.Status, x.Error)
	}
	return time.Since(t0)
}

func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// BenchmarkSequential10 runs a 10-Task sequential machine with a no-op
// worker at several concurrencies and reports executions/s,
// transitions/s (one per state) and the engine overhead per Task step.
func BenchmarkSequential10(b *testing.B) {
	for _, conc := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) {
			s, clock := benchStack(b, 10)
			ctx := context.Background()
			s.runOne(ctx, b, time.Millisecond) // warm up: consumers, caches
			clock.mu.Lock()
			clock.gaps = nil
			clock.mu.Unlock()
			var next atomic.Int64
			b.ResetTimer()
			t0 := time.Now()
			var wg sync.WaitGroup
			for range conc {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						s.runOne(ctx, b, 5*time.Millisecond)
					}
				}()
			}
			wg.Wait()
			el := time.Since(t0)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/el.Seconds(), "executions/s")
			b.ReportMetric(float64(b.N*10)/el.Seconds(), "transitions/s")
			clock.mu.Lock()
			b.ReportMetric(ms(percentile(clock.gaps, 0.5)), "step-overhead-p50-ms")
			b.ReportMetric(ms(percentile(clock.gaps, 0.99)), "step-overhead-p99-ms")
			clock.mu.Unlock()
		})
	}
}

// BenchmarkSingleTaskLatency measures StartExecution to SUCCEEDED for a
// one-Task machine, one execution at a time.
func BenchmarkSingleTaskLatency(b *testing.B) {
	s, _ := benchStack(b, 1)
	ctx := context.Background()
	s.runOne(ctx, b, 200*time.Microsecond)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		lat = append(lat, s.runOne(ctx, b, 200*time.Microsecond))
	}
	b.StopTimer()
	b.ReportMetric(ms(percentile(lat, 0.5)), "p50-ms")
	b.ReportMetric(ms(percentile(lat, 0.99)), "p99-ms")
}
