package telemetry

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// TestOTLPEncoding checks that otlpEncoder writes the request the SDK's
// OTLP/HTTP exporter sends for the same spans: every attribute type,
// events, links, statuses, kinds, remote and local parents, two
// resources and two scopes, and a span large enough for multi-byte
// lengths.
func TestOTLPEncoding(t *testing.T) {
	t.Parallel()
	tid, _ := trace.TraceIDFromHex("0af7651916cd43dd8448eb211c80319c")
	sc := func(id byte, remote bool, ts string) trace.SpanContext {
		st, _ := trace.ParseTraceState(ts)
		return trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: trace.SpanID{id, 1, 2, 3, 4, 5, 6, 7},
			TraceFlags: trace.FlagsSampled, TraceState: st, Remote: remote})
	}
	resA := resource.NewWithAttributes("https://schema/a", attribute.String("service.name", "a"), attribute.Int("n", 1))
	resB := resource.NewSchemaless(attribute.String("service.name", "b"))
	scopeA := instrumentation.Scope{Name: "engine", Version: "1.0", SchemaURL: "https://schema/s",
		Attributes: attribute.NewSet(attribute.Bool("x", true))}
	scopeB := instrumentation.Scope{Name: "workers"}
	long := make([]byte, 300)
	for i := range long {
		long[i] = 'a' + byte(i%26)
	}
	start := time.Date(2026, 12, 6, 20, 0, 0, 123, time.UTC)
	stubs := tracetest.SpanStubs{
		{Name: "every attribute", SpanContext: sc(1, false, "k=v"), Parent: sc(2, true, ""), SpanKind: trace.SpanKindProducer,
			StartTime: start, EndTime: start.Add(time.Second),
			Attributes: []attribute.KeyValue{
				attribute.String("s", "text"), attribute.String("long", string(long)), attribute.String("empty", ""),
				attribute.Bool("b", true), attribute.Bool("f", false), attribute.Int64("i", -42), attribute.Int64("zero", 0),
				attribute.Float64("d", 2.5), attribute.BoolSlice("bs", []bool{true, false}),
				attribute.Int64Slice("is", []int64{1, -2}), attribute.Float64Slice("ds", []float64{0.5, 0}),
				attribute.StringSlice("ss", []string{"x", ""}), attribute.ByteSlice("bytes", []byte{0, 1, 2}),
				attribute.Slice("any", attribute.StringValue("x"), attribute.Int64Value(3), attribute.SliceValue(attribute.BoolValue(true))),
				attribute.Map("map", attribute.String("k", "v"), attribute.Int("n", 7)),
				{Key: "none"},
			},
			Events: []sdktrace.Event{{Name: "ev", Time: start.Add(time.Millisecond), Attributes: []attribute.KeyValue{attribute.Int("a", 1)}, DroppedAttributeCount: 2}},
			Links: []sdktrace.Link{{SpanContext: sc(3, true, "l=1"), Attributes: []attribute.KeyValue{attribute.String("stepwise.link", "callback")}},
				{SpanContext: sc(4, false, "")}},
			Status:            sdktrace.Status{Code: codes.Error, Description: "Flaky: it broke"},
			DroppedAttributes: 1, DroppedEvents: 2, DroppedLinks: 3, ChildSpanCount: 4,
			Resource: resA, InstrumentationScope: scopeA},
		{Name: "root", SpanContext: sc(5, false, ""), SpanKind: trace.SpanKindInternal, StartTime: start, EndTime: start,
			Status: sdktrace.Status{Code: codes.Ok}, Resource: resA, InstrumentationScope: scopeB},
		{Name: "consumer", SpanContext: sc(6, false, ""), Parent: sc(5, false, ""), SpanKind: trace.SpanKindConsumer,
			StartTime: start, EndTime: start.Add(time.Hour), Resource: resB, InstrumentationScope: scopeB},
		{Name: "unspecified", SpanContext: sc(7, false, ""), StartTime: time.Unix(0, 0), Resource: resA, InstrumentationScope: scopeA},
		{Name: "no scope", SpanContext: sc(8, false, ""), SpanKind: trace.SpanKindServer, Resource: resB},
		{Name: "client", SpanContext: sc(9, false, ""), SpanKind: trace.SpanKindClient, Resource: resB, InstrumentationScope: scopeA},
	}
	spans := stubs.Snapshots()

	var got collectortrace.ExportTraceServiceRequest
	if err := proto.Unmarshal((&otlpEncoder{}).request(spans), &got); err != nil {
		t.Fatalf("otlpEncoder.request: unmarshal: %v", err)
	}

	bodies := make(chan []byte, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies <- b
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer srv.Close()
	exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(srv.URL+"/v1/traces"))
	if err != nil {
		t.Fatal(err)
	}
	if err := exp.ExportSpans(context.Background(), spans); err != nil {
		t.Fatal(err)
	}
	var want collectortrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(<-bodies, &want); err != nil {
		t.Fatal(err)
	}
	// The SDK orders resources and scopes by map iteration.
	for _, r := range []*collectortrace.ExportTraceServiceRequest{&got, &want} {
		sort.Slice(r.ResourceSpans, func(i, j int) bool {
			return r.ResourceSpans[i].Resource.String() < r.ResourceSpans[j].Resource.String()
		})
		for _, rs := range r.ResourceSpans {
			sort.Slice(rs.ScopeSpans, func(i, j int) bool { return rs.ScopeSpans[i].Scope.String() < rs.ScopeSpans[j].Scope.String() })
		}
	}
	if !proto.Equal(&got, &want) {
		t.Errorf("otlpEncoder.request =\n%v\nwant (the SDK exporter's)\n%v", &got, &want)
	}
}

// TestOTLPExporterEnv checks the exporter against what the standard
// variables ask: the base endpoint with /v1/traces appended, headers,
// gzip, and a 503 retried.
func TestOTLPExporterEnv(t *testing.T) {
	type got struct {
		path, auth, tenant, encoding string
		body                         []byte
	}
	reqs := make(chan got, 4)
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				t.Errorf("gzip: %v", err)
				return
			}
			body = zr
		}
		b, _ := io.ReadAll(body)
		reqs <- got{r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("X-Tenant"), r.Header.Get("Content-Encoding"), b}
		if calls == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL+"/base")
	t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "Authorization=Bearer%20abc, X-Tenant = t1,broken")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "gzip")
	e, err := newOTLPExporter()
	if err != nil {
		t.Fatal(err)
	}
	span := tracetest.SpanStub{Name: "s", SpanContext: trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}, TraceFlags: trace.FlagsSampled})}.Snapshot()
	if err := e.ExportSpans(context.Background(), []sdktrace.ReadOnlySpan{span}); err != nil {
		t.Fatalf("ExportSpans = %v; want nil after one retry", err)
	}
	for i := range 2 {
		r := <-reqs
		var req collectortrace.ExportTraceServiceRequest
		if err := proto.Unmarshal(r.body, &req); err != nil || len(req.ResourceSpans) != 1 {
			t.Errorf("request %d: %v, %d resource spans; want one", i, err, len(req.ResourceSpans))
		}
		if r.path != "/base/v1/traces" || r.auth != "Bearer abc" || r.tenant != "t1" || r.encoding != "gzip" {
			t.Errorf("request %d = %s, Authorization %q, X-Tenant %q, Content-Encoding %q; want /base/v1/traces, Bearer abc, t1, gzip",
				i, r.path, r.auth, r.tenant, r.encoding)
		}
	}
	if err := e.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := e.ExportSpans(context.Background(), []sdktrace.ReadOnlySpan{span}); err != nil || len(reqs) != 0 {
		t.Errorf("ExportSpans after Shutdown = %v, %d requests; want nil, none", err, len(reqs))
	}

	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", srv.URL+"/custom")
	if e, err := newOTLPExporter(); err != nil {
		t.Errorf("newOTLPExporter with OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: %v", err)
	} else if e.url != srv.URL+"/custom" {
		t.Errorf("newOTLPExporter with OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url %q; want %q, as it is", e.url, srv.URL+"/custom")
	}
}
