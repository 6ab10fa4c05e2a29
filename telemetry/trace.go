package telemetry

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/stepwise-dev/stepwise/engine"
)

// Tracer makes OpenTelemetry spans of executions, states and task
// attempts from what the engine commits (see [Observe]):
//
//   - "execution <machine>": from the ExecutionStarted event to the
//     commit that ends it, the root of the execution's trace;
//   - "state <name>": from a state's …StateEntered event to its
//     …StateExited (or the end of the execution), a child of the
//     execution's span;
//   - "task <state>": one per task attempt, from the commit that
//     scheduled it to the commit of its outcome, a child of its state's
//     span. Its context travels to the worker in the NATS task message's
//     traceparent header (see [Tracer.TaskTrace]); the worker SDK's
//     handler span is its child, and the worker's result carries the
//     handler span back, which the task span gets as a link
//     ([Tracer.ResultTrace]). A callback (SendTaskSuccess, …) whose
//     request carries a traceparent is linked the same way
//     ([Tracer.Callback]).
//
// Spans carry stepwise.state_machine, stepwise.execution_arn,
// stepwise.state_name, stepwise.task.attempt, stepwise.task.resource and,
// for a failure, error.type (the ASL error name) with the cause as the
// status description.
//
// The spans of an execution live in this process's memory from its start
// to its end: an execution started by another replica, or before a
// restart, is not traced by this process, and at most
// MaxTracedExecutions are followed at once.
type Tracer struct {
	tp     trace.TracerProvider
	tracer trace.Tracer
	close  func(context.Context) error

	mu    sync.Mutex
	execs map[int64]*execSpans
	tasks map[string]*taskSpan // open task attempts by token
}

// MaxTracedExecutions bounds the executions a Tracer follows at once; past
// it, starting to follow one drops another (its spans end there).
const MaxTracedExecutions = 100_000

type execSpans struct {
	ctx     context.Context // carries the execution's span
	span    trace.Span
	machine string
	arn     string
	states  map[string][]stateSpan // open states by name, oldest first
	tasks   map[string]bool        // tokens of its open task spans
}

type stateSpan struct {
	ctx  context.Context
	span trace.Span
}

type taskSpan struct {
	x    *execSpans
	span trace.Span
	sc   trace.SpanContext
}

// NewTracer returns a Tracer that exports its spans with tp, or nil when
// tp is nil. Shutdown does not shut tp down.
func NewTracer(tp trace.TracerProvider) *Tracer {
	if tp == nil {
		return nil
	}
	return &Tracer{tp: tp, tracer: tp.Tracer("github.com/stepwise-dev/stepwise/engine"),
		execs: map[int64]*execSpans{}, tasks: map[string]*taskSpan{}}
}

// TracingEnabled reports whether the environment asks for OTLP trace
// export: OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
// set, and OTEL_SDK_DISABLED and OTEL_TRACES_EXPORTER not turning it off.
func TracingEnabled() bool {
	if strings.EqualFold(os.Getenv("OTEL_SDK_DISABLED"), "true") || strings.EqualFold(os.Getenv("OTEL_TRACES_EXPORTER"), "none") {
		return false
	}
	return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// NewOTLPTracer returns a Tracer exporting over OTLP/HTTP (protobuf) as
// the standard OTEL_EXPORTER_OTLP_* variables say (endpoint, headers,
// timeout, compression, certificates), with the service name
// OTEL_SERVICE_NAME (default service), and the provider it made, for the
// process's other spans (the worker SDK's, when workers run in the
// process). It returns nil, nil when TracingEnabled is false. Shutdown
// flushes and stops the exporter.
func NewOTLPTracer(ctx context.Context, service string) (*Tracer, *sdktrace.TracerProvider, error) {
	if !TracingEnabled() {
		return nil, nil, nil
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("otlp trace exporter: %w", err)
	}
	if v := os.Getenv("OTEL_SERVICE_NAME"); v != "" {
		service = v
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(semconv.ServiceName(service)))
	if err != nil {
		res = resource.Default()
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	t := NewTracer(tp)
	t.close = tp.Shutdown
	return t, tp, nil
}

// Shutdown ends the spans still open (executions still running, as
// seen by this process, are marked so) and, for a NewOTLPTracer, flushes
// and stops the exporter.
func (t *Tracer) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	for id := range t.execs {
		t.drop(id, time.Now(), "process stopped")
	}
	t.mu.Unlock()
	if t.close != nil {
		return t.close(ctx)
	}
	return nil
}

var traceContext = propagation.TraceContext{}

// TaskTrace returns the W3C trace context (traceparent, tracestate) of an
// open task attempt's span, for the task message's headers; "" when the
// attempt is not traced.
func (t *Tracer) TaskTrace(token string) (parent, state string) {
	if t == nil {
		return "", ""
	}
	t.mu.Lock()
	ts := t.tasks[token]
	t.mu.Unlock()
	if ts == nil {
		return "", ""
	}
	c := propagation.MapCarrier{}
	traceContext.Inject(trace.ContextWithSpanContext(context.Background(), ts.sc), c)
	return c["traceparent"], c["tracestate"]
}

// ResultTrace links a task attempt's span to the span a worker's result
// names (its traceparent header, the worker's handler span).
func (t *Tracer) ResultTrace(token, parent string) {
	if t == nil || parent == "" {
		return
	}
	sc := trace.SpanContextFromContext(traceContext.Extract(context.Background(), propagation.MapCarrier{"traceparent": parent}))
	if !sc.IsValid() {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if ts := t.tasks[token]; ts != nil {
		ts.span.AddLink(trace.Link{SpanContext: sc, Attributes: []attribute.KeyValue{attribute.String("stepwise.link", "worker result")}})
	}
}

// Callback links a task attempt's span to the span in ctx (the
// traceparent of a SendTaskSuccess, SendTaskFailure or
// SendTaskHeartbeat request).
func (t *Tracer) Callback(ctx context.Context, token string) {
	if t == nil {
		return
	}
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if ts := t.tasks[token]; ts != nil {
		ts.span.AddLink(trace.Link{SpanContext: sc, Attributes: []attribute.KeyValue{attribute.String("stepwise.link", "callback")}})
	}
}

type incomingKey struct{}

// Incoming returns ctx carrying the remote span a request's W3C
// traceparent (and tracestate) names, in which LinkCallback links a
// callback to t's task spans; ctx itself when t is nil or parent empty.
func (t *Tracer) Incoming(ctx context.Context, parent, state string) context.Context {
	if t == nil || parent == "" {
		return ctx
	}
	return context.WithValue(Extract(ctx, parent, state), incomingKey{}, t)
}

// LinkCallback links the span of the task attempt token names to the
// remote span of ctx, when ctx came through Tracer.Incoming: the API
// calls it for SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat.
func LinkCallback(ctx context.Context, token string) {
	if t, _ := ctx.Value(incomingKey{}).(*Tracer); t != nil {
		t.Callback(ctx, token)
	}
}

// LinkStart links the span of the execution a request started (by its
// id) to the remote span of ctx, when ctx came through Tracer.Incoming:
// the API calls it after StartExecution.
func LinkStart(ctx context.Context, executionID int64) {
	t, _ := ctx.Value(incomingKey{}).(*Tracer)
	if t == nil {
		return
	}
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if x := t.execs[executionID]; x != nil {
		x.span.AddLink(trace.Link{SpanContext: sc, Attributes: []attribute.KeyValue{attribute.String("stepwise.link", "start")}})
	}
}

// Extract returns ctx carrying the remote span a W3C traceparent (and
// tracestate) names; ctx itself when it names none.
func Extract(ctx context.Context, parent, state string) context.Context {
	if parent == "" {
		return ctx
	}
	return traceContext.Extract(ctx, propagation.MapCarrier{"traceparent": parent, "tracestate": state})
}

// committed makes and ends the spans of what one group commit wrote.
func (t *Tracer) committed(c *committed) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := c.w.Now
	for _, m := range c.w.Mutations {
		x := t.execs[m.ExecutionID]
		if x == nil && m.Version == 0 {
			if row := c.execution(m); row != nil {
				x = t.startExecution(m.ExecutionID, row)
			}
		}
		var failures []map[string]any // failure details of this mutation's task events, in order
		for i := range m.Events {
			ev := &m.Events[i]
			switch {
			case strings.HasSuffix(string(ev.Type), "StateEntered"):
				if x != nil {
					x.enterState(t.tracer, ev.Details, strings.TrimSuffix(string(ev.Type), "StateEntered"), ev.Timestamp)
				}
			case strings.HasSuffix(string(ev.Type), "StateExited"):
				if x != nil {
					x.exitState(ev.Details, ev.Timestamp)
				}
			case strings.HasSuffix(string(ev.Type), "Failed") || strings.HasSuffix(string(ev.Type), "TimedOut"):
				if _, ok := ev.Details["error"]; ok && !strings.HasPrefix(string(ev.Type), "Execution") {
					failures = append(failures, ev.Details)
				}
			}
		}
		if x == nil {
			continue // not followed: started by another process
		}
		for i := range m.NewTasks {
			t.startTask(x, &m.NewTasks[i], now)
		}
		for _, u := range m.CloseTasks {
			ts := t.tasks[u.Token]
			if ts == nil {
				continue
			}
			delete(t.tasks, u.Token)
			delete(x.tasks, u.Token)
			ts.span.SetAttributes(attribute.String("stepwise.task.status", u.Status))
			if u.Status == engine.TaskFailed || u.Status == engine.TaskTimedOut {
				var d map[string]any
				if len(failures) > 0 {
					d, failures = failures[0], failures[1:]
				}
				setError(ts.span, str(d, "error"), str(d, "cause"))
			}
			ts.span.End(trace.WithTimestamp(now))
		}
		if m.Terminal {
			x.span.SetAttributes(attribute.String("stepwise.status", m.Status))
			if m.Status != engine.StatusSucceeded {
				setError(x.span, m.Error, m.Cause)
			}
			t.drop(m.ExecutionID, m.StopDate, "")
		}
	}
}

// drop ends the spans of a followed execution at at and forgets it; a
// non-empty why says why it ended before the execution did.
func (t *Tracer) drop(id int64, at time.Time, why string) {
	x := t.execs[id]
	if x == nil {
		return
	}
	for tok := range x.tasks {
		t.tasks[tok].span.End(trace.WithTimestamp(at))
		delete(t.tasks, tok)
	}
	for name, open := range x.states {
		for _, s := range open {
			s.span.End(trace.WithTimestamp(at))
		}
		delete(x.states, name)
	}
	if why != "" {
		x.span.SetAttributes(attribute.String("stepwise.unfinished", why))
	}
	x.span.End(trace.WithTimestamp(at))
	delete(t.execs, id)
}

func (t *Tracer) startExecution(id int64, row *engine.Execution) *execSpans {
	if len(t.execs) >= MaxTracedExecutions {
		for old := range t.execs { // an arbitrary one (map order), likely ended elsewhere
			t.drop(old, time.Now(), "no longer followed")
			break
		}
	}
	ctx, span := t.tracer.Start(context.Background(), "execution "+row.StateMachine,
		trace.WithNewRoot(), trace.WithSpanKind(trace.SpanKindInternal), trace.WithTimestamp(row.StartDate),
		trace.WithAttributes(attribute.String("stepwise.state_machine", row.StateMachine),
			attribute.String("stepwise.execution_arn", row.ARN),
			attribute.String("stepwise.execution_name", row.Name)))
	if !span.IsRecording() {
		return nil // sampled out: no state or task spans, no trace headers
	}
	x := &execSpans{ctx: ctx, span: span, machine: row.StateMachine, arn: row.ARN,
		states: map[string][]stateSpan{}, tasks: map[string]bool{}}
	t.execs[id] = x
	return x
}

func (x *execSpans) enterState(tr trace.Tracer, d map[string]any, typ string, at time.Time) {
	name := str(d, "name")
	ctx, span := tr.Start(x.ctx, "state "+name, trace.WithTimestamp(at),
		trace.WithAttributes(attribute.String("stepwise.state_machine", x.machine),
			attribute.String("stepwise.execution_arn", x.arn),
			attribute.String("stepwise.state_name", name),
			attribute.String("stepwise.state_type", typ)))
	x.states[name] = append(x.states[name], stateSpan{ctx, span})
}

func (x *execSpans) exitState(d map[string]any, at time.Time) {
	name := str(d, "name")
	open := x.states[name]
	if len(open) == 0 {
		return
	}
	open[0].span.End(trace.WithTimestamp(at))
	if len(open) == 1 {
		delete(x.states, name)
	} else {
		x.states[name] = open[1:]
	}
}

func (t *Tracer) startTask(x *execSpans, tk *engine.Task, now time.Time) {
	opts := []trace.SpanStartOption{trace.WithTimestamp(now), trace.WithSpanKind(trace.SpanKindProducer)}
	attrs := []attribute.KeyValue{attribute.String("stepwise.execution_arn", tk.ExecutionARN),
		attribute.String("stepwise.state_name", tk.StateName),
		attribute.Int64("stepwise.task.attempt", tk.Attempt+1),
		attribute.String("stepwise.task.resource", tk.Resource),
		attribute.String("stepwise.task.ref", engine.TaskRef(tk.Token))}
	attrs = append(attrs, attribute.String("stepwise.state_machine", x.machine))
	parent := x.ctx
	if open := x.states[tk.StateName]; len(open) > 0 {
		parent = open[len(open)-1].ctx
	}
	_, span := t.tracer.Start(parent, "task "+tk.StateName, append(opts, trace.WithAttributes(attrs...))...)
	t.tasks[tk.Token] = &taskSpan{x: x, span: span, sc: span.SpanContext()}
	x.tasks[tk.Token] = true
}

func setError(span trace.Span, name, cause string) {
	if name != "" {
		span.SetAttributes(attribute.String("error.type", name))
	}
	desc := name
	if cause != "" {
		desc = name + ": " + cause
	}
	span.SetStatus(codes.Error, desc)
}

func str(d map[string]any, k string) string {
	switch v := d[k].(type) {
	case string:
		return v
	case nil:
		return ""
	case int64:
		return strconv.FormatInt(v, 10)
	default:
		return fmt.Sprint(v)
	}
}
