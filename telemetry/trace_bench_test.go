package telemetry_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/statelang"
	"github.com/stepwise-dev/stepwise/telemetry"
)

// commitStore is an engine.Store whose CommitGroup commits nothing: it
// hands the decision the executions it was given, as a store that loaded
// them would.
type commitStore struct {
	engine.Store
	xs map[int64]*engine.Execution
}

func (s *commitStore) CommitGroup(_ context.Context, _ *engine.Group, decide func(map[int64]*engine.Execution) (*engine.GroupWrite, error)) (engine.GroupResult, error) {
	_, err := decide(s.xs)
	return engine.GroupResult{}, err
}

// sequenceCommits are the group writes of one execution of `stepwise
// bench`'s sequence workload (ten Task states, one attempt each), as the
// engine commits them: the start with the first task, then one commit per
// task result that closes it and schedules the next, the last ending the
// execution.
func sequenceCommits(id int64, start time.Time) []*engine.GroupWrite {
	const n = 10
	arn := "arn:aws:states:us-east-1:123456789012:execution:sequence:" + strconv.FormatInt(id, 10)
	at := start
	tok := func(i int) string { return fmt.Sprintf("%d-%d-0123456789abcdef0123456789abcdef", id, i) }
	task := func(i int) engine.Task {
		name := "Step" + strconv.Itoa(i)
		return engine.Task{Token: tok(i), ExecutionID: id, ExecutionARN: arn, StateName: name,
			Resource: "arn:aws:states:::lambda:invoke", Input: `{}`, CreatedAt: at}
	}
	ev := func(typ statelang.EventType, d map[string]any) statelang.HistoryEvent {
		return statelang.HistoryEvent{Type: typ, Timestamp: at, Details: d}
	}
	entered := func(i int) []statelang.HistoryEvent {
		name := "Step" + strconv.Itoa(i)
		return []statelang.HistoryEvent{
			ev("TaskStateEntered", map[string]any{"name": name, "input": `{}`}),
			ev("TaskScheduled", map[string]any{"resource": "invoke", "resourceType": "lambda", "region": "us-east-1", "parameters": `{}`}),
		}
	}
	var ws []*engine.GroupWrite
	m := &engine.Mutation{ExecutionID: id, Version: 0, Status: engine.StatusRunning,
		Events:   append([]statelang.HistoryEvent{ev("ExecutionStarted", map[string]any{"input": `{}`})}, entered(1)...),
		NewTasks: []engine.Task{task(1)}}
	ws = append(ws, &engine.GroupWrite{Mutations: []*engine.Mutation{m}, Now: at})
	for i := 1; i <= n; i++ {
		at = at.Add(time.Millisecond)
		m := &engine.Mutation{ExecutionID: id, Version: int64(i), Status: engine.StatusRunning,
			Events: []statelang.HistoryEvent{
				ev("TaskSucceeded", map[string]any{"resource": "invoke", "resourceType": "lambda", "output": `{}`}),
				ev("TaskStateExited", map[string]any{"name": "Step" + strconv.Itoa(i), "output": `{}`}),
			},
			CloseTasks: []engine.TaskUpdate{{Token: tok(i), Status: engine.TaskSucceeded}}}
		if i < n {
			m.Events = append(m.Events, entered(i+1)...)
			m.NewTasks = []engine.Task{task(i + 1)}
		} else {
			m.Events = append(m.Events, ev("ExecutionSucceeded", map[string]any{"output": `{}`}))
			m.Status, m.Terminal, m.StopDate = engine.StatusSucceeded, true, at
		}
		ws = append(ws, &engine.GroupWrite{Mutations: []*engine.Mutation{m}, Now: at})
	}
	return ws
}

// BenchmarkTraceSequence is the engine side of tracing one sequence
// execution (an execution, ten states and ten task attempts: 21 spans):
// Tracer's work on each commit, the task message's trace context and the
// link to the worker's result, and the span processor and exporter. Per
// op: one execution. "none" is the harness alone (the commits made, no
// tracer): subtract it. "discard" drops the spans in the exporter;
// "otlp" adds the protobuf and HTTP export (NewOTLPTracer's exporter) to
// a discarding endpoint in this process, and "otlp-sdk" the same with
// the SDK's otlptracehttp exporter. The span processor is flushed every
// 50 executions, so the export is in the time per op.
func BenchmarkTraceSequence(b *testing.B) {
	for _, exp := range []string{"none", "discard", "otlp", "otlp-sdk"} {
		b.Run(exp, func(b *testing.B) {
			var (
				tr *telemetry.Tracer
				tp *sdktrace.TracerProvider
			)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/x-protobuf")
			}))
			defer srv.Close()
			switch exp {
			case "discard":
				tr, tp = telemetry.NewTracer(tracetest.NewNoopExporter())
			case "otlp": // Stepwise's exporter, as `stepwise server` makes it
				b.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
				var err error
				if tr, tp, err = telemetry.NewOTLPTracer(context.Background(), "bench"); err != nil {
					b.Fatal(err)
				}
			case "otlp-sdk": // the SDK's exporter, for comparison
				e, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(srv.URL+"/v1/traces"))
				if err != nil {
					b.Fatal(err)
				}
				tr, tp = telemetry.NewTracer(e)
			}
			if tr != nil {
				defer func() { _ = tr.Shutdown(context.Background()) }()
			}
			start := time.Now()
			const parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				id := int64(i + 1)
				ws := sequenceCommits(id, start)
				x := &engine.Execution{ID: id, ARN: ws[0].Mutations[0].NewTasks[0].ExecutionARN, Name: strconv.FormatInt(id, 10),
					StateMachine: "sequence", StartDate: start, Status: engine.StatusRunning}
				st := telemetry.Observe(&commitStore{xs: map[int64]*engine.Execution{id: x}}, nil, tr)
				for _, w := range ws {
					if _, err := st.CommitGroup(context.Background(), &engine.Group{IDs: []int64{id}}, func(map[int64]*engine.Execution) (*engine.GroupWrite, error) {
						return w, nil
					}); err != nil {
						b.Fatal(err)
					}
					for _, m := range w.Mutations {
						for _, tk := range m.NewTasks {
							if p, _ := tr.TaskTrace(tk.Token); p == "" && tr != nil {
								b.Fatalf("TaskTrace(%q) = \"\"; want a traceparent", tk.Token)
							}
							tr.ResultTrace(tk.Token, parent)
						}
					}
				}
				if tp != nil && i%50 == 49 {
					// Export what ended (about 1,000 spans) before the
					// span processor's queue (2,048) drops any.
					if err := tp.ForceFlush(context.Background()); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
