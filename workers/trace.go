package workers

import (
	"context"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/stepwise-dev/stepwise/workers/wire"
)

var traceContext = propagation.TraceContext{}

// startSpan starts the handler span of a task whose message carries the
// trace context tc, as a child of the engine's task attempt span.
func (w *Worker) startSpan(ctx context.Context, tc wire.TraceContext, name string, t *wire.Task, delivery int) (context.Context, trace.Span) {
	ctx = traceContext.Extract(ctx, propagation.MapCarrier{wire.TraceParentHeader: tc.Parent, wire.TraceStateHeader: tc.State})
	return w.cfg.TracerProvider.Tracer("github.com/stepwise-dev/stepwise/workers").Start(ctx, "handle "+name,
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(attribute.String("stepwise.task.name", name),
			attribute.String("stepwise.execution_arn", t.Execution),
			attribute.String("stepwise.state_name", t.State),
			attribute.Int("stepwise.task.attempt", t.Attempt),
			attribute.Int("messaging.delivery", delivery),
			attribute.String("messaging.system", "nats"),
			attribute.String("stepwise.worker", w.cfg.ID)))
}

// endSpan ends a handler span with the result it produced (nil: none was
// sent) and gives the result the span's trace context.
func endSpan(span trace.Span, res *wire.Result) {
	if span == nil {
		return
	}
	if res != nil {
		res.Trace = traceOf(trace.ContextWithSpan(context.Background(), span))
		if res.Kind == wire.KindFailure {
			span.SetAttributes(attribute.String("error.type", res.Error))
			span.SetStatus(codes.Error, res.Error+": "+res.Cause)
		}
		span.SetAttributes(attribute.String("stepwise.result", string(res.Kind)), attribute.String("stepwise.output_bytes", strconv.Itoa(len(res.Output))))
	}
	span.End()
}

// traceOf is the trace context of ctx's span, for a callback's headers:
// the engine links the callback to the task attempt's span.
func traceOf(ctx context.Context) wire.TraceContext {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return wire.TraceContext{}
	}
	c := propagation.MapCarrier{}
	traceContext.Inject(ctx, c)
	return wire.TraceContext{Parent: c[wire.TraceParentHeader], State: c[wire.TraceStateHeader]}
}
