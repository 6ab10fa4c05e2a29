package statelang

import "fmt"

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
// AWS omits Cause when there is none.
func (f *Failure) Output() map[string]any {
	out := map[string]any{"Error": f.Name}
	if f.Cause != "" {
		out["Cause"] = f.Cause
	}
	return out
}

func failf(name, format string, args ...any) *Failure {
	return &Failure{Name: name, Cause: fmt.Sprintf(format, args...)}
}

// MatchError reports whether the error name matches one entry of an
// ErrorEquals list, following the ASL specification and AWS:
//   - names match exactly;
//   - States.ALL matches every error except States.DataLimitExceeded and
//     States.Runtime, which are terminal;
//   - States.TaskFailed matches every error except States.Timeout (and the
//     terminal ones above).
func MatchError(errorEquals []string, name string) bool {
	for _, e := range errorEquals {
		switch {
		case e == name:
			return true
		case e == ErrAll:
			if !isTerminalError(name) {
				return true
			}
		case e == ErrTaskFailed:
			if !isTerminalError(name) && name != ErrTimeout {
				return true
			}
		}
	}
	return false
}

func isTerminalError(name string) bool {
	return name == ErrDataLimitExceeded || name == ErrRuntime
}
