package telemetry

import (
	"math/rand/v2"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// span is a state's or a task attempt's span, one allocation: Tracer
// writes it as the commits come (under Tracer.mu) and, when it ends,
// hands it to the batch span processor as the sdktrace.ReadOnlySpan it
// implements; from then on nothing changes it, and the exporter reads
// it. Its IDs are drawn as the SDK's default generator draws them (a
// pseudo-random span ID; the trace's ID is the execution's).
type span struct {
	// ReadOnlySpan is nil: embedded only for the SDK's unexported
	// method, as sdktrace/tracetest's snapshots do. Every exported
	// method is defined below.
	sdktrace.ReadOnlySpan

	x          *execSpans
	name       string
	sc, parent trace.SpanContext
	kind       trace.SpanKind
	start      time.Time
	endTime    time.Time
	attrs      []attribute.KeyValue // in buf, unless more are set
	buf        [8]attribute.KeyValue
	links      []sdktrace.Link
	status     sdktrace.Status

	// A task attempt's token and traceparent header; prev and next link
	// its execution's open tasks, next the queue of a state's name.
	token, header string
	prev, next    *span
}

// newSpan starts a span of x, a child of parent.
func (x *execSpans) newSpan(name string, parent trace.SpanContext, kind trace.SpanKind, at time.Time) *span {
	var id trace.SpanID
	for !id.IsValid() {
		u := rand.Uint64()
		for i := range id {
			id[i] = byte(u >> (8 * i))
		}
	}
	s := &span{x: x, name: name, parent: parent, kind: kind, start: at}
	s.sc = x.sc.WithSpanID(id).WithRemote(false)
	s.attrs = s.buf[:0]
	return s
}

func (s *span) attr(kv ...attribute.KeyValue) { s.attrs = append(s.attrs, kv...) }

// fail sets the span's status to Error with an ASL error.
func (s *span) fail(name, cause string) {
	if name != "" {
		s.attr(attribute.String("error.type", name))
	}
	s.status = sdktrace.Status{Code: codes.Error, Description: errorDescription(name, cause)}
}

func (s *span) Name() string                                { return s.name }
func (s *span) SpanContext() trace.SpanContext              { return s.sc }
func (s *span) Parent() trace.SpanContext                   { return s.parent }
func (s *span) SpanKind() trace.SpanKind                    { return s.kind }
func (s *span) StartTime() time.Time                        { return s.start }
func (s *span) EndTime() time.Time                          { return s.endTime }
func (s *span) Attributes() []attribute.KeyValue            { return s.attrs }
func (s *span) Links() []sdktrace.Link                      { return s.links }
func (s *span) Events() []sdktrace.Event                    { return nil }
func (s *span) Status() sdktrace.Status                     { return s.status }
func (s *span) Resource() *resource.Resource                { return s.x.res }
func (s *span) DroppedAttributes() int                      { return 0 }
func (s *span) DroppedLinks() int                           { return 0 }
func (s *span) DroppedEvents() int                          { return 0 }
func (s *span) ChildSpanCount() int                         { return 0 }
func (s *span) InstrumentationScope() instrumentation.Scope { return s.x.scope }

// InstrumentationLibrary is the deprecated name of InstrumentationScope.
//
//lint:ignore SA1019 part of sdktrace.ReadOnlySpan
func (s *span) InstrumentationLibrary() instrumentation.Library { //nolint:staticcheck // part of sdktrace.ReadOnlySpan
	return s.x.scope
}
