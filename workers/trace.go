package workers

import (
	"context"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/stepwise-dev/stepwise/workers/wire"
)

var natsSystem = attribute.String("messaging.system", "nats")

// startSpan starts the handler span of a task whose message carries the
// trace context tc, as a child of the engine's task attempt span.
func (w *Worker) startSpan(ctx context.Context, tc wire.TraceContext, name string, t *wire.Task, delivery int) (context.Context, trace.Span) {
	if sc, ok := tc.SpanContext(); ok {
		ctx = trace.ContextWithRemoteSpanContext(ctx, sc)
	}
	return w.tracer.Start(ctx, "handle "+name,
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(attribute.String("stepwise.task.name", name),
			attribute.String("stepwise.execution_arn", t.Execution),
			attribute.String("stepwise.state_name", t.State),
			attribute.Int("stepwise.task.attempt", t.Attempt),
			attribute.Int("messaging.delivery", delivery),
			natsSystem, w.workerAttr))
}

// endSpan ends a handler span with the result it produced (nil: none was
// sent) and gives the result the span's trace context.
func endSpan(span trace.Span, res *wire.Result) {
	if span == nil {
		return
	}
	if res != nil {
		res.Trace = wire.TraceContextOf(span.SpanContext())
		attrs := [3]attribute.KeyValue{attribute.String("stepwise.result", string(res.Kind)),
			attribute.String("stepwise.output_bytes", strconv.Itoa(len(res.Output)))}
		n := 2
		if res.Kind == wire.KindFailure {
			attrs[n] = attribute.String("error.type", res.Error)
			n++
			span.SetStatus(codes.Error, res.Error+": "+res.Cause)
		}
		span.SetAttributes(attrs[:n]...)
	}
	span.End()
}

// traceOf is the trace context of ctx's span, for a callback's headers:
// the engine links the callback to the task attempt's span.
func traceOf(ctx context.Context) wire.TraceContext {
	return wire.TraceContextOf(trace.SpanContextFromContext(ctx))
}
