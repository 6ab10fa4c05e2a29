package workers

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// Error names the SDK itself reports. A handler's own names are any other
// string; names beginning with "States." are reserved for the engine.
const (
	// ErrorNameDefault is the error name of a plain Go error returned by a
	// handler (one that wraps no *Error): the task fails with this name and
	// the error's text as cause. Like Lambda, the name is not derived from
	// the Go type.
	ErrorNameDefault = "Error"
	// ErrorNamePanic is the error name of a handler that panicked; the
	// cause is the panic value. The worker recovers and goes on.
	ErrorNamePanic = "Runtime.Panic"
	// ErrorNameUnmarshal is the error name of a HandleFunc handler whose
	// input does not decode into its input type.
	ErrorNameUnmarshal = "Runtime.UnmarshalError"
	// ErrorNameMarshal is the error name of a handler whose output is not
	// valid JSON or does not encode.
	ErrorNameMarshal = "Runtime.MarshalError"
	// ErrorNameDataLimit is the error name sent instead of an output too
	// large to publish on the NATS connection (AWS's name for a payload
	// over quota).
	ErrorNameDataLimit = "States.DataLimitExceeded"
)

// Limits on what a failure carries, as in AWS Step Functions.
const (
	maxErrorName = 256
	maxCause     = 32768
)

// Sentinel causes of a handler's context, read with context.Cause(ctx).
var (
	// ErrTaskTimedOut: the task's deadline (TimeoutSeconds) passed. The
	// engine times the task out on its own; the worker sends no failure.
	ErrTaskTimedOut = errors.New("workers: task timed out")
	// ErrTaskCanceled: the engine cancelled the task (the execution was
	// stopped, or the task timed out on its heartbeat). The worker sends
	// no failure.
	ErrTaskCanceled = errors.New("workers: task canceled")
	// ErrWorkerStopped: the worker is stopping and could not wait for the
	// handler. The task goes back to the queue for another worker unless
	// the handler still returns a success.
	ErrWorkerStopped = errors.New("workers: worker stopped")
)

// Error is a task failure with an ASL error name, which Retry and Catch
// match in ErrorEquals, and a human readable cause. Return one (possibly
// wrapped) from a handler; see Fail.
type Error struct {
	// Name is the ASL error name, e.g. "ValidationError".
	Name string
	// Cause is the human readable cause.
	Cause string
}

// Error returns "name: cause", or the name alone when there is no cause.
func (e *Error) Error() string {
	if e.Cause == "" {
		return e.Name
	}
	return e.Name + ": " + e.Cause
}

// Fail returns an error that fails the task with the ASL error name and
// cause. An empty name becomes ErrorNameDefault.
func Fail(name, cause string) error {
	return &Error{Name: name, Cause: cause}
}

// failure maps a handler's error to the (name, cause) reported to the
// engine: the first *Error in err's chain, else ErrorNameDefault and the
// error's text.
func failure(err error) (name, cause string) {
	var e *Error
	if errors.As(err, &e) {
		name, cause = e.Name, e.Cause
	} else {
		cause = err.Error()
	}
	if name == "" {
		name = ErrorNameDefault
	}
	return truncate(name, maxErrorName), truncate(cause, maxCause)
}

// truncate cuts s to at most n bytes, on a rune boundary, and drops
// invalid UTF-8.
func truncate(s string, n int) string {
	if len(s) > n {
		i := n
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		s = s[:i]
	}
	return strings.ToValidUTF8(s, "")
}
