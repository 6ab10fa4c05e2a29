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
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/workers/wire"
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
// The execution's span is an SDK span: its start asks the provider's
// sampler, and a sampled-out execution gets no other span. The state and
// task spans, whose start and end are both read from commits, are not
// made with the SDK's Tracer.Start and Span.End (a span processor chain,
// an attribute set deduplicated per call, a snapshot copied at the end):
// each is one record of this package, written as the commits come and
// handed to the batch span processor as it is when it ends (see [span]).
// They cost less than half of what the SDK's spans did (docs/performance.md).
//
// The spans of an execution live in this process's memory from its start
// to its end: an execution started by another replica, or before a
// restart, is not traced by this process, and at most
// MaxTracedExecutions are followed at once.
type Tracer struct {
	tracer trace.Tracer           // the execution spans
	out    sdktrace.SpanProcessor // where state and task spans go when they end
	close  func(context.Context) error

	mu    sync.Mutex
	execs map[int64]*execSpans
	tasks map[string]*span      // open task attempts by token
	names map[string]*[2]string // span names "state <name>", "task <name>" by state name
}

// MaxTracedExecutions bounds the executions a Tracer follows at once; past
// it, starting to follow one drops another (its spans end there).
const MaxTracedExecutions = 100_000

// maxSpanNames bounds Tracer.names; past it, it starts again.
const maxSpanNames = 10_000

// scopeName is the instrumentation scope of the engine's spans.
const scopeName = "github.com/stepwise-dev/stepwise/engine"

type execSpans struct {
	span  trace.Span        // the SDK's
	sc    trace.SpanContext // span's
	state string            // sc's tracestate header ("" mostly)
	// The attributes every state and task span repeats.
	machine, arn attribute.KeyValue
	// res and scope are the execution span's, for the others.
	res   *resource.Resource
	scope instrumentation.Scope
	// states are the open state spans by name, each a queue oldest
	// first (span.next); tasks are the open task spans (span.prev, next).
	states map[string]stateQueue
	tasks  *span
}

type stateQueue struct{ head, tail *span }

// NewTracer returns a Tracer whose spans go to exp through a batch span
// processor (configured by the OTEL_BSP_* variables), and the provider of
// that pipeline for the process's other spans (the worker SDK's, when
// workers run in the process); opts configure it (resource, sampler).
// Shutdown ends the open spans, then flushes and stops both.
func NewTracer(exp sdktrace.SpanExporter, opts ...sdktrace.TracerProviderOption) (*Tracer, *sdktrace.TracerProvider) {
	bsp := sdktrace.NewBatchSpanProcessor(exp)
	tp := sdktrace.NewTracerProvider(append(opts[:len(opts):len(opts)], sdktrace.WithSpanProcessor(bsp))...)
	return &Tracer{tracer: tp.Tracer(scopeName), out: bsp, close: tp.Shutdown,
		execs: map[int64]*execSpans{}, tasks: map[string]*span{}, names: map[string]*[2]string{}}, tp
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
// timeout, compression, certificates; see [otlpExporter], which writes
// the protobuf without the SDK exporter's proto messages; with
// OTEL_EXPORTER_OTLP_PROTOCOL=http/json, the SDK's exporter), with the service name
// OTEL_SERVICE_NAME (default service), and the provider it made, for the
// process's other spans (the worker SDK's, when workers run in the
// process). It returns nil, nil when TracingEnabled is false. Shutdown
// flushes and stops the exporter.
func NewOTLPTracer(ctx context.Context, service string) (*Tracer, *sdktrace.TracerProvider, error) {
	if !TracingEnabled() {
		return nil, nil, nil
	}
	var exp sdktrace.SpanExporter
	var err error
	if v, _ := otlpEnv("PROTOCOL"); v == "http/json" {
		exp, err = otlptracehttp.New(ctx) // the SDK's, which speaks JSON
	} else {
		exp, err = newOTLPExporter()
	}
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
	t, tp := NewTracer(exp, sdktrace.WithResource(res))
	return t, tp, nil
}

// Shutdown ends the spans still open (executions still running, as
// seen by this process, are marked so), then flushes and stops the span
// processor and the exporter.
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
// attempt is not traced. The header is made once, when the span starts.
func (t *Tracer) TaskTrace(token string) (parent, state string) {
	if t == nil {
		return "", ""
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if ts := t.tasks[token]; ts != nil {
		return ts.header, ts.x.state
	}
	return "", ""
}

// The attributes of the links Tracer adds, shared (read only).
var (
	resultLink   = []attribute.KeyValue{attribute.String("stepwise.link", "worker result")}
	callbackLink = []attribute.KeyValue{attribute.String("stepwise.link", "callback")}
	startLink    = []attribute.KeyValue{attribute.String("stepwise.link", "start")}
)

// ResultTrace links a task attempt's span to the span a worker's result
// names (its traceparent header, the worker's handler span).
func (t *Tracer) ResultTrace(token, parent string) {
	if t == nil || parent == "" {
		return
	}
	sc, ok := wire.TraceContext{Parent: parent}.SpanContext()
	if !ok {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if ts := t.tasks[token]; ts != nil {
		ts.links = append(ts.links, sdktrace.Link{SpanContext: sc, Attributes: resultLink})
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
		ts.links = append(ts.links, sdktrace.Link{SpanContext: sc, Attributes: callbackLink})
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
		x.span.AddLink(trace.Link{SpanContext: sc, Attributes: startLink})
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
			if typ, ok := strings.CutSuffix(string(ev.Type), "StateEntered"); ok {
				if x != nil {
					t.enterState(x, str(ev.Details, "name"), typ, ev.Timestamp)
				}
			} else if strings.HasSuffix(string(ev.Type), "StateExited") {
				if x != nil {
					t.exitState(x, str(ev.Details, "name"), ev.Timestamp)
				}
			} else if strings.HasSuffix(string(ev.Type), "Failed") || strings.HasSuffix(string(ev.Type), "TimedOut") {
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
			ts.attr(attribute.String("stepwise.task.status", u.Status))
			if u.Status == engine.TaskFailed || u.Status == engine.TaskTimedOut {
				var d map[string]any
				if len(failures) > 0 {
					d, failures = failures[0], failures[1:]
				}
				ts.fail(str(d, "error"), str(d, "cause"))
			}
			t.endTask(ts, now)
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
	for x.tasks != nil {
		ts := x.tasks
		delete(t.tasks, ts.token)
		t.endTask(ts, at)
	}
	for name, q := range x.states {
		for s := q.head; s != nil; {
			next := s.next
			s.next = nil
			t.end(s, at)
			s = next
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
	machine := attribute.String("stepwise.state_machine", row.StateMachine)
	arn := attribute.String("stepwise.execution_arn", row.ARN)
	_, sp := t.tracer.Start(context.Background(), "execution "+row.StateMachine,
		trace.WithNewRoot(), trace.WithSpanKind(trace.SpanKindInternal), trace.WithTimestamp(row.StartDate),
		trace.WithAttributes(machine, arn, attribute.String("stepwise.execution_name", row.Name)))
	if !sp.IsRecording() {
		return nil // sampled out: no state or task spans, no trace headers
	}
	x := &execSpans{span: sp, sc: sp.SpanContext(), machine: machine, arn: arn, states: map[string]stateQueue{}}
	if ts := x.sc.TraceState(); ts.Len() > 0 {
		x.state = ts.String()
	}
	if ro, ok := sp.(sdktrace.ReadOnlySpan); ok {
		x.res, x.scope = ro.Resource(), ro.InstrumentationScope()
	} else {
		x.scope = instrumentation.Scope{Name: scopeName}
	}
	t.execs[id] = x
	return x
}

// spanNames returns the names of a state's span and of its tasks' spans.
func (t *Tracer) spanNames(state string) *[2]string {
	if n := t.names[state]; n != nil {
		return n
	}
	if len(t.names) >= maxSpanNames {
		clear(t.names)
	}
	n := &[2]string{"state " + state, "task " + state}
	t.names[state] = n
	return n
}

func (t *Tracer) enterState(x *execSpans, name, typ string, at time.Time) {
	s := x.newSpan(t.spanNames(name)[0], x.sc, trace.SpanKindInternal, at)
	s.attr(x.machine, x.arn, attribute.String("stepwise.state_name", name), attribute.String("stepwise.state_type", typ))
	q := x.states[name]
	if q.head == nil {
		q.head = s
	} else {
		q.tail.next = s
	}
	q.tail = s
	x.states[name] = q
}

func (t *Tracer) exitState(x *execSpans, name string, at time.Time) {
	q, ok := x.states[name]
	if !ok {
		return
	}
	s := q.head
	if q.head = s.next; q.head == nil {
		delete(x.states, name)
	} else {
		x.states[name] = q
	}
	s.next = nil
	t.end(s, at)
}

func (t *Tracer) startTask(x *execSpans, tk *engine.Task, now time.Time) {
	parent := x.sc
	if q := x.states[tk.StateName]; q.tail != nil {
		parent = q.tail.sc // the newest open state of that name
	}
	s := x.newSpan(t.spanNames(tk.StateName)[1], parent, trace.SpanKindProducer, now)
	s.attr(x.arn, attribute.String("stepwise.state_name", tk.StateName),
		attribute.Int64("stepwise.task.attempt", tk.Attempt+1),
		attribute.String("stepwise.task.resource", tk.Resource),
		attribute.String("stepwise.task.ref", engine.TaskRef(tk.Token)), x.machine)
	s.token = tk.Token
	s.header = wire.TraceContextOf(s.sc).Parent
	if s.next = x.tasks; s.next != nil {
		s.next.prev = s
	}
	x.tasks = s
	t.tasks[tk.Token] = s
}

// endTask unlinks an open task span from its execution's and ends it.
func (t *Tracer) endTask(s *span, at time.Time) {
	x := s.x
	if s.prev != nil {
		s.prev.next = s.next
	} else {
		x.tasks = s.next
	}
	if s.next != nil {
		s.next.prev = s.prev
	}
	s.prev, s.next = nil, nil
	t.end(s, at)
}

// end ends a state or task span at at and hands it to the span
// processor; it is not changed after.
func (t *Tracer) end(s *span, at time.Time) {
	s.endTime = at
	t.out.OnEnd(s)
}

func setError(span trace.Span, name, cause string) {
	if name != "" {
		span.SetAttributes(attribute.String("error.type", name))
	}
	span.SetStatus(codes.Error, errorDescription(name, cause))
}

func errorDescription(name, cause string) string {
	if cause != "" {
		return name + ": " + cause
	}
	return name
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
