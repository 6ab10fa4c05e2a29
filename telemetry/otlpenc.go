package telemetry

import (
	"math"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/encoding/protowire"
)

// otlpEncoder writes an OTLP ExportTraceServiceRequest in the protobuf
// wire format straight from the spans, as the OTLP exporter's
// tracetransform and proto.Marshal would (TestOTLPEncoding compares
// them), without making the proto messages: that took most of the
// export's CPU. Its buffer is reused from one export to the next.
type otlpEncoder struct {
	b []byte
}

// Field numbers of opentelemetry/proto (collector/trace/v1, trace/v1,
// common/v1, resource/v1).
const (
	fRequestResourceSpans = 1

	fResourceSpansResource   = 1
	fResourceSpansScopeSpans = 2
	fResourceSpansSchemaURL  = 3
	fResourceAttributes      = 1

	fScopeSpansScope     = 1
	fScopeSpansSpans     = 2
	fScopeSpansSchemaURL = 3
	fScopeName           = 1
	fScopeVersion        = 2
	fScopeAttributes     = 3

	fSpanTraceID       = 1
	fSpanSpanID        = 2
	fSpanTraceState    = 3
	fSpanParentSpanID  = 4
	fSpanName          = 5
	fSpanKind          = 6
	fSpanStart         = 7
	fSpanEnd           = 8
	fSpanAttributes    = 9
	fSpanDroppedAttrs  = 10
	fSpanEvents        = 11
	fSpanDroppedEvents = 12
	fSpanLinks         = 13
	fSpanDroppedLinks  = 14
	fSpanStatus        = 15
	fSpanFlags         = 16

	fEventTime         = 1
	fEventName         = 2
	fEventAttributes   = 3
	fEventDroppedAttrs = 4

	fLinkTraceID      = 1
	fLinkSpanID       = 2
	fLinkAttributes   = 4
	fLinkDroppedAttrs = 5
	fLinkFlags        = 6

	fStatusMessage = 2
	fStatusCode    = 3

	fKeyValueKey   = 1
	fKeyValueValue = 2

	fAnyString = 1
	fAnyBool   = 2
	fAnyInt    = 3
	fAnyDouble = 4
	fAnyArray  = 5
	fAnyKVList = 6
	fAnyBytes  = 7

	fArrayValues  = 1
	fKVListValues = 1

	// SpanFlags bits besides the trace flags.
	flagHasIsRemote = 0x100
	flagIsRemote    = 0x200
)

// begin starts a length-delimited field num, reserving one byte for its
// length; end writes the length (moving the content when it needs more).
func (e *otlpEncoder) begin(num protowire.Number) int {
	e.b = protowire.AppendTag(e.b, num, protowire.BytesType)
	e.b = append(e.b, 0)
	return len(e.b)
}

func (e *otlpEncoder) end(start int) {
	n := len(e.b) - start
	if n < 0x80 {
		e.b[start-1] = byte(n)
		return
	}
	sz := protowire.SizeVarint(uint64(n))
	e.b = append(e.b, make([]byte, sz-1)...)
	copy(e.b[start-1+sz:], e.b[start:start+n])
	protowire.AppendVarint(e.b[start-1:start-1], uint64(n))
}

func (e *otlpEncoder) str(num protowire.Number, s string) {
	if s != "" {
		e.b = protowire.AppendTag(e.b, num, protowire.BytesType)
		e.b = protowire.AppendString(e.b, s)
	}
}

func (e *otlpEncoder) bytes(num protowire.Number, b []byte) {
	e.b = protowire.AppendTag(e.b, num, protowire.BytesType)
	e.b = protowire.AppendBytes(e.b, b)
}

func (e *otlpEncoder) uvarint(num protowire.Number, v uint64) {
	if v != 0 {
		e.b = protowire.AppendTag(e.b, num, protowire.VarintType)
		e.b = protowire.AppendVarint(e.b, v)
	}
}

func (e *otlpEncoder) fixed64(num protowire.Number, v uint64) {
	if v != 0 {
		e.b = protowire.AppendTag(e.b, num, protowire.Fixed64Type)
		e.b = protowire.AppendFixed64(e.b, v)
	}
}

func (e *otlpEncoder) fixed32(num protowire.Number, v uint32) {
	if v != 0 {
		e.b = protowire.AppendTag(e.b, num, protowire.Fixed32Type)
		e.b = protowire.AppendFixed32(e.b, v)
	}
}

// request encodes spans as one ExportTraceServiceRequest: their
// resources in order of first appearance, under each its scopes.
func (e *otlpEncoder) request(spans []sdktrace.ReadOnlySpan) []byte {
	e.b = e.b[:0]
	type scopeKey struct {
		r  attribute.Distinct
		is instrumentation.Scope
	}
	var (
		resources []*resource.Resource
		scopes    = map[attribute.Distinct][]scopeKey{}
		grouped   = map[scopeKey][]sdktrace.ReadOnlySpan{}
	)
	for _, s := range spans {
		if s == nil {
			continue
		}
		r := s.Resource()
		k := scopeKey{r.Equivalent(), s.InstrumentationScope()}
		if _, ok := scopes[k.r]; !ok {
			resources = append(resources, r)
		}
		if _, ok := grouped[k]; !ok {
			scopes[k.r] = append(scopes[k.r], k)
		}
		grouped[k] = append(grouped[k], s)
	}
	for _, r := range resources {
		rs := e.begin(fRequestResourceSpans)
		if r != nil {
			res := e.begin(fResourceSpansResource)
			for it := r.Iter(); it.Next(); {
				e.keyValue(fResourceAttributes, it.Attribute())
			}
			e.end(res)
		}
		for _, k := range scopes[r.Equivalent()] {
			ss := e.begin(fResourceSpansScopeSpans)
			if k.is != (instrumentation.Scope{}) {
				sc := e.begin(fScopeSpansScope)
				e.str(fScopeName, k.is.Name)
				e.str(fScopeVersion, k.is.Version)
				for it := k.is.Attributes.Iter(); it.Next(); {
					e.keyValue(fScopeAttributes, it.Attribute())
				}
				e.end(sc)
			}
			for _, s := range grouped[k] {
				e.span(s)
			}
			e.str(fScopeSpansSchemaURL, k.is.SchemaURL)
			e.end(ss)
		}
		e.str(fResourceSpansSchemaURL, r.SchemaURL())
		e.end(rs)
	}
	return e.b
}

func unixNano(t interface{ UnixNano() int64 }) uint64 { return uint64(max(0, t.UnixNano())) } //nolint:gosec // not negative

func clampUint32(v int) uint64 { return uint64(min(max(v, 0), math.MaxUint32)) } //nolint:gosec // clamped

// spanFlags are the SpanFlags of a span (or link) with trace flags tf
// and parent (or linked span) p.
func spanFlags(tf trace.TraceFlags, p trace.SpanContext) uint32 {
	f := uint32(tf) | flagHasIsRemote
	if p.IsRemote() {
		f |= flagIsRemote
	}
	return f
}

func (e *otlpEncoder) span(s sdktrace.ReadOnlySpan) {
	sc, parent := s.SpanContext(), s.Parent()
	tid, sid := sc.TraceID(), sc.SpanID()
	at := e.begin(fScopeSpansSpans)
	e.bytes(fSpanTraceID, tid[:])
	e.bytes(fSpanSpanID, sid[:])
	if ts := sc.TraceState(); ts.Len() > 0 {
		e.str(fSpanTraceState, ts.String())
	}
	if psid := parent.SpanID(); psid.IsValid() {
		e.bytes(fSpanParentSpanID, psid[:])
	}
	e.str(fSpanName, s.Name())
	e.uvarint(fSpanKind, uint64(spanKind(s.SpanKind())))
	e.fixed64(fSpanStart, unixNano(s.StartTime()))
	e.fixed64(fSpanEnd, unixNano(s.EndTime()))
	for _, kv := range s.Attributes() {
		e.keyValue(fSpanAttributes, kv)
	}
	e.uvarint(fSpanDroppedAttrs, clampUint32(s.DroppedAttributes()))
	for _, ev := range s.Events() {
		at := e.begin(fSpanEvents)
		e.fixed64(fEventTime, unixNano(ev.Time))
		e.str(fEventName, ev.Name)
		for _, kv := range ev.Attributes {
			e.keyValue(fEventAttributes, kv)
		}
		e.uvarint(fEventDroppedAttrs, clampUint32(ev.DroppedAttributeCount))
		e.end(at)
	}
	e.uvarint(fSpanDroppedEvents, clampUint32(s.DroppedEvents()))
	for _, l := range s.Links() {
		at := e.begin(fSpanLinks)
		tid, sid := l.SpanContext.TraceID(), l.SpanContext.SpanID()
		e.bytes(fLinkTraceID, tid[:])
		e.bytes(fLinkSpanID, sid[:])
		for _, kv := range l.Attributes {
			e.keyValue(fLinkAttributes, kv)
		}
		e.uvarint(fLinkDroppedAttrs, clampUint32(l.DroppedAttributeCount))
		e.fixed32(fLinkFlags, spanFlags(l.SpanContext.TraceFlags(), l.SpanContext))
		e.end(at)
	}
	e.uvarint(fSpanDroppedLinks, clampUint32(s.DroppedLinks()))
	st := s.Status()
	status := e.begin(fSpanStatus)
	e.str(fStatusMessage, st.Description)
	e.uvarint(fStatusCode, statusCode(st.Code))
	e.end(status)
	e.fixed32(fSpanFlags, spanFlags(sc.TraceFlags(), parent))
	e.end(at)
}

// spanKind is the OTLP Span.SpanKind of k.
func spanKind(k trace.SpanKind) int {
	switch k {
	case trace.SpanKindInternal:
		return 1
	case trace.SpanKindServer:
		return 2
	case trace.SpanKindClient:
		return 3
	case trace.SpanKindProducer:
		return 4
	case trace.SpanKindConsumer:
		return 5
	}
	return 0
}

// statusCode is the OTLP Status.StatusCode of c.
func statusCode(c codes.Code) uint64 {
	switch c {
	case codes.Ok:
		return 1
	case codes.Error:
		return 2
	}
	return 0
}

func (e *otlpEncoder) keyValue(num protowire.Number, kv attribute.KeyValue) {
	at := e.begin(num)
	e.str(fKeyValueKey, string(kv.Key))
	v := e.begin(fKeyValueValue)
	e.value(kv.Value)
	e.end(v)
	e.end(at)
}

// value writes the fields of an AnyValue.
func (e *otlpEncoder) value(v attribute.Value) {
	switch v.Type() {
	case attribute.BOOL:
		e.b = protowire.AppendTag(e.b, fAnyBool, protowire.VarintType)
		e.b = protowire.AppendVarint(e.b, protowire.EncodeBool(v.AsBool()))
	case attribute.INT64:
		e.b = protowire.AppendTag(e.b, fAnyInt, protowire.VarintType)
		e.b = protowire.AppendVarint(e.b, uint64(v.AsInt64())) //nolint:gosec // int64 as varint, as protobuf does
	case attribute.FLOAT64:
		e.b = protowire.AppendTag(e.b, fAnyDouble, protowire.Fixed64Type)
		e.b = protowire.AppendFixed64(e.b, math.Float64bits(v.AsFloat64()))
	case attribute.STRING:
		e.b = protowire.AppendTag(e.b, fAnyString, protowire.BytesType)
		e.b = protowire.AppendString(e.b, v.AsString())
	case attribute.BYTESLICE:
		e.bytes(fAnyBytes, v.AsByteSlice())
	case attribute.BOOLSLICE:
		elements(e, v.AsBoolSlice(), attribute.BoolValue)
	case attribute.INT64SLICE:
		elements(e, v.AsInt64Slice(), attribute.Int64Value)
	case attribute.FLOAT64SLICE:
		elements(e, v.AsFloat64Slice(), attribute.Float64Value)
	case attribute.STRINGSLICE:
		elements(e, v.AsStringSlice(), attribute.StringValue)
	case attribute.SLICE:
		elements(e, v.AsSlice(), func(x attribute.Value) attribute.Value { return x })
	case attribute.MAP:
		at := e.begin(fAnyKVList)
		for _, kv := range v.AsMap() {
			e.keyValue(fKVListValues, kv)
		}
		e.end(at)
	case attribute.EMPTY:
	default:
		e.b = protowire.AppendTag(e.b, fAnyString, protowire.BytesType)
		e.b = protowire.AppendString(e.b, "INVALID")
	}
}

// elements writes an AnyValue's ArrayValue of xs, each made a Value by
// value.
func elements[T any](e *otlpEncoder, xs []T, value func(T) attribute.Value) {
	at := e.begin(fAnyArray)
	for _, x := range xs {
		v := e.begin(fArrayValues)
		e.value(value(x))
		e.end(v)
	}
	e.end(at)
}
