package wire

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Consumer names. A consumer belongs to its stream, so these are the same
// in every Namespace.
const (
	// ResultConsumer is the durable pull consumer the engine replicas
	// of one installation share on its result stream.
	ResultConsumer = "stepwise-engine"
	// TaskConsumerPrefix starts the name of every task consumer (see
	// TaskConsumerName).
	TaskConsumerPrefix = "stepwise-task-"
)

// Protocol tunables both sides rely on.
const (
	// DefaultAckWait is how long JetStream waits for a worker to ack or
	// extend (InProgress) a task before it redelivers the task. Workers
	// extend it every AckWait/3 while a handler runs, so it bounds how
	// long a task stays with a worker that died, not how long a task may
	// run.
	DefaultAckWait = 30 * time.Second
	// TaskMaxDeliver is how many times JetStream delivers one task
	// message. A task that kills every worker it reaches (a poison
	// message) stops after this many deliveries; the engine's task and
	// heartbeat timeouts then fail it from the database.
	TaskMaxDeliver = 5
	// DuplicateWindow is the stream deduplication window for Nats-Msg-Id
	// on both streams.
	DuplicateWindow = 2 * time.Minute
	// CallbackAttempt is the Attempt of a Result sent through a task
	// token callback (SendTaskSuccess/Failure/Heartbeat over NATS) rather
	// than by the worker that ran the task.
	CallbackAttempt = 0
)

// Task is the JSON body of one message on a task stream (Namespace.TaskStream): one attempt of one
// Task state (or activity) to run. Field names are the wire format.
// Readers ignore unknown fields, so fields may be added later; none may be
// renamed or change meaning.
type Task struct {
	// Token is the task token ($$.Task.Token): unguessable, bound to one
	// execution, state and attempt. Results name the task by it.
	Token string `json:"token"`
	// Attempt counts ASL attempts of the state: 1 for the first, +1 for
	// each Retry. 0 is reserved for callbacks (CallbackAttempt).
	Attempt int `json:"attempt"`
	// Execution is the execution ARN.
	Execution string `json:"execution"`
	// State is the name of the Task state.
	State string `json:"state"`
	// Resource is the state's Resource field as written in the definition.
	Resource string `json:"resource"`
	// Name is the worker name the task is for (a Lambda function name,
	// an activity name or an integration name such as "sqs:sendMessage");
	// the message subject is Namespace.TaskSubject(Name).
	Name string `json:"name"`
	// Input is the effective input of the task: JSON whose values are
	// kept exactly (digits, 1 vs 1.0, key order, escapes); insignificant
	// whitespace may be dropped.
	Input json.RawMessage `json:"input"`
	// TimeoutSeconds is the state's TimeoutSeconds (0: not set).
	TimeoutSeconds int `json:"timeout_seconds,omitempty"`
	// HeartbeatSeconds is the state's HeartbeatSeconds (0: not set). When
	// set, the worker sends a KindHeartbeat result at least this often.
	HeartbeatSeconds int `json:"heartbeat_seconds,omitempty"`
	// Deadline is when the engine times this attempt out (RFC 3339). The
	// worker cancels the handler then and drops a task whose deadline has
	// already passed. Zero: no deadline.
	Deadline time.Time `json:"deadline,omitzero"`
	// Trace is the W3C trace context of the task attempt's span, carried
	// in the message's traceparent and tracestate headers, not in its
	// body; the worker's handler span is its child.
	Trace TraceContext `json:"-"`
}

// Validate reports whether t has the fields a worker needs.
func (t *Task) Validate() error {
	var errs []error
	if t.Token == "" {
		errs = append(errs, errors.New("task has no token"))
	}
	if t.Attempt < 1 {
		errs = append(errs, fmt.Errorf("task attempt %d; want >= 1", t.Attempt))
	}
	if t.Name == "" {
		errs = append(errs, errors.New("task has no name"))
	}
	if len(t.Input) == 0 || !json.Valid(t.Input) {
		errs = append(errs, errors.New("task input is not valid JSON"))
	}
	if t.TimeoutSeconds < 0 || t.HeartbeatSeconds < 0 {
		errs = append(errs, errors.New("task has a negative timeout"))
	}
	return errors.Join(errs...)
}

// Kind says what a Result reports.
type Kind string

// The kinds of Result.
const (
	// KindSuccess: the task succeeded with Output.
	KindSuccess Kind = "success"
	// KindFailure: the task failed with Error and Cause.
	KindFailure Kind = "failure"
	// KindHeartbeat: the task is still being worked on.
	KindHeartbeat Kind = "heartbeat"
)

// Result is the JSON body of one message on a result subject (Namespace.ResultSubject). The engine
// applies it idempotently per (Token, Attempt): the first success or
// failure wins, later ones are ignored.
type Result struct {
	// Token is the task token from Task.Token (or from $$.Task.Token for
	// a callback).
	Token string `json:"token"`
	// Attempt is Task.Attempt for a result from the worker that ran the
	// task, CallbackAttempt (0) for a task token callback.
	Attempt int `json:"attempt"`
	// Kind is success, failure or heartbeat.
	Kind Kind `json:"kind"`
	// Output is the task output (success only), values kept exactly as
	// for Task.Input.
	Output json.RawMessage `json:"output,omitempty"`
	// Error is the ASL error name (failure only), e.g. "ValidationError".
	Error string `json:"error,omitempty"`
	// Cause is the human readable cause (failure only).
	Cause string `json:"cause,omitempty"`
	// Worker identifies the worker process that sent the result, for
	// logs and history; informational.
	Worker string `json:"worker,omitempty"`
	// Trace is the W3C trace context of the span that produced the
	// result (the worker's handler span), carried in the message's
	// traceparent and tracestate headers, not in its body.
	Trace TraceContext `json:"-"`
}

// TraceContext is a W3C trace context, carried in NATS message headers
// named as in HTTP ("traceparent", "tracestate"). Empty: no trace.
type TraceContext struct {
	Parent, State string
}

// Header names of TraceContext.
const (
	TraceParentHeader = "traceparent"
	TraceStateHeader  = "tracestate"
)

// TraceOf returns the trace context of a message's headers.
func TraceOf(h nats.Header) TraceContext {
	if h == nil {
		return TraceContext{}
	}
	return TraceContext{Parent: h.Get(TraceParentHeader), State: h.Get(TraceStateHeader)}
}

// header returns the headers carrying tc, or nil when it is empty.
func (tc TraceContext) header() nats.Header {
	if tc.Parent == "" {
		return nil
	}
	h := nats.Header{TraceParentHeader: {tc.Parent}}
	if tc.State != "" {
		h[TraceStateHeader] = []string{tc.State}
	}
	return h
}

// Validate reports whether r is well formed.
func (r *Result) Validate() error {
	var errs []error
	if r.Token == "" {
		errs = append(errs, errors.New("result has no token"))
	}
	if r.Attempt < 0 {
		errs = append(errs, fmt.Errorf("result attempt %d; want >= 0", r.Attempt))
	}
	switch r.Kind {
	case KindSuccess:
		if len(r.Output) == 0 || !json.Valid(r.Output) {
			errs = append(errs, errors.New("success result output is not valid JSON"))
		}
	case KindFailure, KindHeartbeat:
	default:
		errs = append(errs, fmt.Errorf("result kind %q; want success, failure or heartbeat", r.Kind))
	}
	return errors.Join(errs...)
}

// Cancel is the optional JSON body of a message on Namespace.CancelSubject(token).
// An empty body cancels every attempt running under the token.
type Cancel struct {
	// Token is the task token to cancel.
	Token string `json:"token"`
	// Attempt, when not 0, limits the cancel to that attempt.
	Attempt int `json:"attempt,omitempty"`
	// Reason is a short human readable reason for logs, e.g.
	// "execution stopped".
	Reason string `json:"reason,omitempty"`
}

// TaskMsgID is the Nats-Msg-Id of a task message: publishing the same
// (token, attempt) twice within DuplicateWindow stores it once.
func TaskMsgID(token string, attempt int) string {
	return token + ":" + strconv.Itoa(attempt)
}

// ResultMsgID is the Nats-Msg-Id of a success or failure result: the first
// final result for (token, attempt) within DuplicateWindow is stored, a
// duplicate (a redelivered task run twice, a retried publish) is dropped
// by the stream. Heartbeats carry no message id.
func ResultMsgID(token string, attempt int) string {
	return token + ":" + strconv.Itoa(attempt) + ":final"
}

var traceContext = propagation.TraceContext{}

// SpanContext returns the remote span context tc names, as the W3C
// TraceContext propagator reads it (the usual version-00 traceparent is
// parsed here without its allocations); false when tc names none.
func (tc TraceContext) SpanContext() (trace.SpanContext, bool) {
	if tc.Parent == "" {
		return trace.SpanContext{}, false
	}
	if sc, ok := parseParent(tc.Parent); ok {
		if tc.State != "" {
			ts, err := trace.ParseTraceState(tc.State)
			if err == nil {
				sc = sc.WithTraceState(ts)
			}
		}
		return sc, true
	}
	c := propagation.MapCarrier{TraceParentHeader: tc.Parent, TraceStateHeader: tc.State}
	sc := trace.SpanContextFromContext(traceContext.Extract(context.Background(), c))
	return sc, sc.IsValid()
}

// parseParent reads a version-00 traceparent, "00-<trace id>-<span
// id>-<flags>", all lowercase hex; false for anything else (the
// propagator decides those).
func parseParent(s string) (trace.SpanContext, bool) {
	if len(s) != 55 || s[0] != '0' || s[1] != '0' || s[2] != '-' || s[35] != '-' || s[52] != '-' {
		return trace.SpanContext{}, false
	}
	for i := 3; i < 55; i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') && i != 35 && i != 52 {
			return trace.SpanContext{}, false
		}
	}
	tid, err1 := trace.TraceIDFromHex(s[3:35])
	sid, err2 := trace.SpanIDFromHex(s[36:52])
	if err1 != nil || err2 != nil {
		return trace.SpanContext{}, false
	}
	flags := trace.TraceFlags(fromHex(s[53])<<4|fromHex(s[54])) & (trace.FlagsSampled | trace.FlagsRandom)
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: flags, Remote: true})
	return sc, sc.IsValid()
}

func fromHex(c byte) byte {
	if c >= 'a' {
		return c - 'a' + 10
	}
	return c - '0'
}

// TraceContextOf returns the W3C trace context of sc (what the
// TraceContext propagator injects); empty when sc is not valid.
func TraceContextOf(sc trace.SpanContext) TraceContext {
	if !sc.IsValid() {
		return TraceContext{}
	}
	var b [55]byte
	b[0], b[1], b[2] = '0', '0', '-'
	tid, sid := sc.TraceID(), sc.SpanID()
	hex.Encode(b[3:35], tid[:])
	b[35] = '-'
	hex.Encode(b[36:52], sid[:])
	b[52] = '-'
	hex.Encode(b[53:55], []byte{byte(sc.TraceFlags() & (trace.FlagsSampled | trace.FlagsRandom))})
	tc := TraceContext{Parent: string(b[:])}
	if ts := sc.TraceState(); ts.Len() > 0 {
		tc.State = ts.String()
	}
	return tc
}
