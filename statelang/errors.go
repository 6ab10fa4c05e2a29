package statelang

import (
	"fmt"
	"strconv"
	"strings"
)

// The predefined error names of Amazon States Language.
const (
	ErrAll                          = "States.ALL"
	ErrDataLimitExceeded            = "States.DataLimitExceeded"
	ErrRuntime                      = "States.Runtime"
	ErrHeartbeatTimeout             = "States.HeartbeatTimeout"
	ErrTimeout                      = "States.Timeout"
	ErrTaskFailed                   = "States.TaskFailed"
	ErrPermissions                  = "States.Permissions"
	ErrResultPathMatchFailure       = "States.ResultPathMatchFailure"
	ErrParameterPathFailure         = "States.ParameterPathFailure"
	ErrQueryEvaluationError         = "States.QueryEvaluationError"
	ErrBranchFailed                 = "States.BranchFailed"
	ErrNoChoiceMatched              = "States.NoChoiceMatched"
	ErrIntrinsicFailure             = "States.IntrinsicFailure"
	ErrExceedToleratedFailureThresh = "States.ExceedToleratedFailureThreshold"
	ErrItemReaderFailed             = "States.ItemReaderFailed"
	ErrResultWriterFailed           = "States.ResultWriterFailed"
)

// Failure is an ASL error as data: a name such as States.Timeout or a
// worker's own error name, and a human-readable cause.
type Failure struct {
	Name  string
	Cause string

	// location is the field whose evaluation failed, for the
	// EvaluationFailed event of a States.QueryEvaluationError.
	location string
}

// Error makes a *Failure usable as a Go error.
func (f *Failure) Error() string {
	if f.Cause == "" {
		return f.Name
	}
	return f.Name + ": " + f.Cause
}

// Output is the error output a Catch passes on: {"Error": ..., "Cause": ...}.
func (f *Failure) Output() map[string]any {
	out := map[string]any{"Error": f.Name}
	// AWS omits an empty Cause, except for a task's States.Timeout, whose
	// error output carries "Cause": "" (scenario
	// TASK_SERVICE_LAMBDA_CATCH_TIMEOUT).
	if f.Cause != "" || f.Name == ErrTimeout {
		out["Cause"] = f.Cause
	}
	return out
}

// MaxCauseBytes is AWS's limit on a failure's cause.
const MaxCauseBytes = 32768

// Storable returns the failure name and cause as given, or, when either
// holds a NUL (U+0000), which a store's text cannot keep (PostgreSQL
// refuses it), States.Runtime with a cause saying so that quotes both with
// the NULs escaped as \u0000, cut to MaxCauseBytes. whose names where they
// came from ("the worker's", "the Fail state's").
func Storable(name, cause, whose string) (string, string) {
	if !strings.ContainsRune(name, 0) && !strings.ContainsRune(cause, 0) {
		return name, cause
	}
	quote := func(s string) string { return strings.ReplaceAll(strconv.Quote(s), `\x00`, `\u0000`) }
	c := whose + " error name or cause contains U+0000 (NUL), which cannot be stored; error " + quote(name) + ", cause " + quote(cause)
	if len(c) > MaxCauseBytes {
		c = strings.ToValidUTF8(c[:MaxCauseBytes-3], "") + "..."
	}
	return ErrRuntime, c
}

func failf(name, format string, args ...any) *Failure {
	return &Failure{Name: name, Cause: fmt.Sprintf(format, args...)}
}

// MatchError reports whether the error name matches one entry of an
// ErrorEquals list, following what AWS records (the AWS-recorded
// conformance scenarios are the oracle where they and the documentation
// differ):
//   - States.Runtime is terminal: nothing matches it, not even an explicit
//     "States.Runtime" (scenario CATCH_STATE_RUNTIME);
//   - other names match exactly;
//   - States.ALL matches every other error, States.DataLimitExceeded
//     included (scenario TASK_SERVICE_LAMBDA_INVOKE_CATCH_ALL, although the
//     documentation says otherwise);
//   - States.TaskFailed matches every error except States.Timeout,
//     States.Runtime and States.DataLimitExceeded.
func MatchError(errorEquals []string, name string) bool {
	if name == ErrRuntime {
		return false
	}
	for _, e := range errorEquals {
		switch {
		case e == name, e == ErrAll:
			return true
		case e == ErrTaskFailed:
			if name != ErrDataLimitExceeded && name != ErrTimeout {
				return true
			}
		}
	}
	return false
}
