package wire

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// TestTraceContext checks that the parsing and formatting done here
// without the propagator agree with it.
func TestTraceContext(t *testing.T) {
	t.Parallel()
	for _, tc := range []TraceContext{
		{Parent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
		{Parent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"},
		{Parent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-03"},
		{Parent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", State: "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"},
		{Parent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", State: "not a tracestate"},
		{Parent: "00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01"},
		{Parent: "00-00000000000000000000000000000000-b7ad6b7169203331-01"},
		{Parent: "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01"},
		{Parent: "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
		{Parent: "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra"},
		{Parent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0g"},
		{Parent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331"},
		{Parent: "garbage"},
		{},
	} {
		c := propagation.MapCarrier{TraceParentHeader: tc.Parent, TraceStateHeader: tc.State}
		want := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), c))
		got, ok := tc.SpanContext()
		if ok != want.IsValid() || !got.Equal(want) || got.IsRemote() != want.IsRemote() {
			t.Errorf("%+v.SpanContext() = %v, %v; want %v", tc, got, ok, want)
		}
		if !ok {
			continue
		}
		out := propagation.MapCarrier{}
		propagation.TraceContext{}.Inject(trace.ContextWithSpanContext(context.Background(), want), out)
		if back := TraceContextOf(got); back.Parent != out[TraceParentHeader] || back.State != out[TraceStateHeader] {
			t.Errorf("TraceContextOf(%v) = %+v; want %v", got, back, out)
		}
	}
	if got := TraceContextOf(trace.SpanContext{}); got != (TraceContext{}) {
		t.Errorf("TraceContextOf(invalid) = %+v; want none", got)
	}
}
