package workers

import (
	"bytes"
	"context"
	"encoding/json"
	"time"
)

// Handler runs one task. input is the task's input, exact JSON text; the
// returned output must be valid JSON (nil means null). Return an error
// made with Fail (possibly wrapped) to fail the task with an ASL error
// name; any other error fails it with ErrorNameDefault.
//
// ctx is cancelled when the task's deadline passes (cause
// ErrTaskTimedOut), when the engine cancels the task (ErrTaskCanceled) or
// when the worker stops without waiting (ErrWorkerStopped); read the cause
// with context.Cause. TaskInfoFromContext(ctx) describes the task.
type Handler func(ctx context.Context, input json.RawMessage) (json.RawMessage, error)

// HandleFunc registers on w, under name, a handler with typed input and
// output. The input is decoded with encoding/json, numbers in `any`
// values as json.Number so that no digit is lost; a decode error fails
// the task with ErrorNameUnmarshal. The output is encoded with
// encoding/json; an encode error fails the task with ErrorNameMarshal.
// Like Register, it panics if name is empty or already registered, or if
// w has started.
func HandleFunc[In, Out any](w *Worker, name string, fn func(ctx context.Context, in In) (Out, error)) {
	if fn == nil {
		panic("workers: HandleFunc with a nil func for " + name)
	}
	w.Register(name, func(ctx context.Context, input json.RawMessage) (json.RawMessage, error) {
		var in In
		dec := json.NewDecoder(bytes.NewReader(input))
		dec.UseNumber()
		if err := dec.Decode(&in); err != nil {
			return nil, &Error{Name: ErrorNameUnmarshal, Cause: "decode input: " + err.Error()}
		}
		out, err := fn(ctx, in)
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(out)
		if err != nil {
			return nil, &Error{Name: ErrorNameMarshal, Cause: "encode output: " + err.Error()}
		}
		return b, nil
	})
}

// TaskInfo describes the task a handler is running.
type TaskInfo struct {
	// Token is the task token ($$.Task.Token).
	Token string
	// Attempt is the ASL attempt, 1 for the first.
	Attempt int
	// Execution is the execution ARN.
	Execution string
	// State is the Task state's name.
	State string
	// Resource is the state's Resource.
	Resource string
	// Name is the name the handler is registered under.
	Name string
	// TimeoutSeconds and HeartbeatSeconds are the state's, 0 when unset.
	TimeoutSeconds, HeartbeatSeconds int
	// Deadline is when the engine times the task out; zero when none.
	Deadline time.Time
	// Delivery counts deliveries of this task message, 1 for the first;
	// more means a worker took it before and did not finish (it died or
	// lost its connection), so the handler may be running it twice.
	Delivery int
}

type taskInfoKey struct{}

// TaskInfoFromContext returns the task a handler's ctx belongs to.
func TaskInfoFromContext(ctx context.Context) (TaskInfo, bool) {
	ti, ok := ctx.Value(taskInfoKey{}).(TaskInfo)
	return ti, ok
}
