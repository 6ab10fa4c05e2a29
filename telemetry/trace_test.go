package telemetry_test

import (
	"compress/gzip"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"sync"
	"testing"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/telemetry"
	"github.com/stepwise-dev/stepwise/workers"
)

// receiver is an OTLP/HTTP trace endpoint (POST /v1/traces, protobuf).
type receiver struct {
	mu    sync.Mutex
	spans []span
}

type span struct {
	service string
	*tracepb.Span
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost || req.URL.Path != "/v1/traces" {
		http.NotFound(w, req)
		return
	}
	var body io.Reader = req.Body
	if req.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(req.Body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	var in collectortrace.ExportTraceServiceRequest
	if err == nil {
		err = proto.Unmarshal(b, &in)
	}
	if err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	r.mu.Lock()
	for _, rs := range in.ResourceSpans {
		service := ""
		for _, a := range rs.GetResource().GetAttributes() {
			if a.Key == "service.name" {
				service = a.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				r.spans = append(r.spans, span{service, s})
			}
		}
	}
	r.mu.Unlock()
	out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

// attr is a span attribute's value as text.
func attr(s *tracepb.Span, key string) string {
	for _, a := range s.Attributes {
		if a.Key == key {
			if v, ok := a.GetValue().GetValue().(*commonpb.AnyValue_IntValue); ok {
				return strconv.FormatInt(v.IntValue, 10)
			}
			return a.GetValue().GetStringValue()
		}
	}
	return ""
}

// TestTrace runs one execution (a Pass, a Task whose first attempt fails
// and is retried, a Wait, a Succeed) with the engine and the worker each
// exporting over OTLP/HTTP to a receiver in the test, and checks its one
// trace: execution → states → task attempts → the worker's handler spans,
// with the results linked back.
func TestTrace(t *testing.T) {
	rcv := &receiver{}
	otlp := httptest.NewServer(rcv)
	defer otlp.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", otlp.URL)
	t.Setenv("OTEL_SERVICE_NAME", "")
	ctx := context.Background()
	tracer, _, err := telemetry.NewOTLPTracer(ctx, "stepwise")
	if err != nil || tracer == nil {
		t.Fatalf("NewOTLPTracer = %v, %v; want a tracer (OTEL_EXPORTER_OTLP_ENDPOINT is set)", tracer, err)
	}
	wt, wtp, err := telemetry.NewOTLPTracer(ctx, "worker") // the worker's process has its own
	if err != nil {
		t.Fatal(err)
	}
	s := newStack(t, tracer, func(c *workers.Config) { c.TracerProvider = wtp })
	x, err := s.eng.StartExecution(ctx, engine.StartExecutionInput{StateMachine: "flow", Name: "traced"})
	if err != nil {
		t.Fatal(err)
	}
	if x := s.wait(t, x.ARN); x.Status != "SUCCEEDED" {
		t.Fatalf("execution %s: %s", x.Status, x.Error)
	}
	waitTraced(t, tracer)
	if err := wt.Shutdown(ctx); err != nil { // flushes
		t.Fatal(err)
	}
	if err := tracer.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	rcv.mu.Lock()
	spans := rcv.spans
	rcv.mu.Unlock()
	byName := map[string][]span{}
	byID := map[string]span{}
	traces := map[string]bool{}
	for _, sp := range spans {
		byName[sp.Name] = append(byName[sp.Name], sp)
		byID[hex.EncodeToString(sp.SpanId)] = sp
		traces[hex.EncodeToString(sp.TraceId)] = true
	}
	var names []string
	for n, ss := range byName {
		names = append(names, n+" ×"+strconv.Itoa(len(ss)))
	}
	sort.Strings(names)
	t.Logf("spans: %v", names)
	if len(traces) != 1 {
		t.Errorf("spans are in %d traces; want 1", len(traces))
	}
	parent := func(sp span) span { return byID[hex.EncodeToString(sp.ParentSpanId)] }

	ex := byName["execution flow"]
	if len(ex) != 1 || len(ex[0].ParentSpanId) != 0 || ex[0].service != "stepwise" {
		t.Fatalf("execution spans = %v; want one root of service stepwise", ex)
	}
	if got := attr(ex[0].Span, "stepwise.execution_arn"); got != x.ARN {
		t.Errorf("execution span's stepwise.execution_arn = %q; want %q", got, x.ARN)
	}
	for _, st := range []string{"P", "T", "W", "Done"} {
		ss := byName["state "+st]
		if len(ss) != 1 || parent(ss[0]).Name != "execution flow" {
			t.Errorf("state %s spans = %d, parent %q; want one, child of the execution", st, len(ss), func() string {
				if len(ss) == 0 {
					return ""
				}
				return parent(ss[0]).Name
			}())
			continue
		}
		if got := attr(ss[0].Span, "stepwise.state_name"); got != st {
			t.Errorf("state %s span's stepwise.state_name = %q", st, got)
		}
	}
	tasks := byName["task T"]
	if len(tasks) != 2 {
		t.Fatalf("task T spans = %d; want 2 (an attempt that failed, its retry)", len(tasks))
	}
	sort.Slice(tasks, func(i, j int) bool { return tasks[i].StartTimeUnixNano < tasks[j].StartTimeUnixNano })
	for i, tk := range tasks {
		if p := parent(tk); p.Name != "state T" {
			t.Errorf("task attempt %d's parent = %q; want state T", i+1, p.Name)
		}
		if got, want := attr(tk.Span, "stepwise.task.attempt"), string(rune('1'+i)); got != want {
			t.Errorf("task attempt %d's stepwise.task.attempt = %q; want %s", i+1, got, want)
		}
		handlers := 0
		for _, h := range byName["handle work"] {
			if string(h.ParentSpanId) == string(tk.SpanId) {
				handlers++
				if h.service != "worker" {
					t.Errorf("handler span's service = %q; want worker", h.service)
				}
			}
		}
		if handlers != 1 {
			t.Errorf("task attempt %d has %d handler spans as children; want 1", i+1, handlers)
		}
		linked := false
		for _, l := range tk.Links {
			if h, ok := byID[hex.EncodeToString(l.SpanId)]; ok && h.Name == "handle work" {
				linked = true
			}
		}
		if !linked {
			t.Errorf("task attempt %d has no link to the worker's handler span (the result's traceparent)", i+1)
		}
	}
	if st := tasks[0].Status; st.GetCode() != tracepb.Status_STATUS_CODE_ERROR || attr(tasks[0].Span, "error.type") != "Flaky" {
		t.Errorf("the first attempt's status %v, error.type %q; want an error, Flaky", st, attr(tasks[0].Span, "error.type"))
	}
	if st := tasks[1].Status; st.GetCode() == tracepb.Status_STATUS_CODE_ERROR {
		t.Errorf("the retry's status = %v; want no error", st)
	}
}

// TestTraceCallback checks that requests carrying a traceparent are
// linked: StartExecution's to the execution span, and a task token
// callback's to its task attempt's span (an activity task answered by
// SendTaskSuccess over the AWS endpoint).
func TestTraceCallback(t *testing.T) {
	rcv := &receiver{}
	otlp := httptest.NewServer(rcv)
	defer otlp.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", otlp.URL)
	ctx := context.Background()
	tracer, _, err := telemetry.NewOTLPTracer(ctx, "stepwise")
	if err != nil || tracer == nil {
		t.Fatalf("NewOTLPTracer = %v, %v", tracer, err)
	}
	s := newStack(t, tracer, nil)
	act := s.aws(t, "CreateActivity", `{"name":"approve"}`)["activityArn"].(string)
	if _, err := s.eng.CreateStateMachine(ctx, "cb", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"`+act+`","End":true}}}`,
		"arn:aws:iam::111111111111:role/test"); err != nil {
		t.Fatal(err)
	}
	const starter = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	arn := s.aws(t, "StartExecution", `{"stateMachineArn":"arn:aws:states:us-east-1:111111111111:stateMachine:cb","name":"called-back"}`,
		"traceparent", starter)["executionArn"].(string)
	token, _ := s.aws(t, "GetActivityTask", `{"activityArn":"`+act+`"}`)["taskToken"].(string)
	if token == "" {
		t.Fatal("GetActivityTask answered no task")
	}
	const caller = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	b, _ := json.Marshal(map[string]string{"taskToken": token, "output": "{}"})
	s.aws(t, "SendTaskSuccess", string(b), "traceparent", caller)
	if x := s.wait(t, arn); x.Status != "SUCCEEDED" {
		t.Fatalf("execution %s: %s", x.Status, x.Error)
	}
	waitTraced(t, tracer)
	if err := tracer.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	var task, exec *tracepb.Span
	for _, sp := range rcv.spans {
		switch sp.Name {
		case "task A":
			task = sp.Span
		case "execution cb":
			exec = sp.Span
		}
	}
	if exec == nil || len(exec.Links) != 1 || hex.EncodeToString(exec.Links[0].SpanId) != "00f067aa0ba902b7" {
		t.Errorf("execution cb's span = %v; want one link, to the StartExecution caller's span 00f067aa0ba902b7", exec)
	}
	if task == nil {
		t.Fatalf("no span task A among %d", len(rcv.spans))
	}
	var links []string
	for _, l := range task.Links {
		links = append(links, hex.EncodeToString(l.TraceId)+"-"+hex.EncodeToString(l.SpanId))
	}
	if len(links) != 1 || links[0] != "0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331" {
		t.Errorf("task A's links = %v; want the caller's span 0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331", links)
	}
}
