package awsjson

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/stepwise-dev/stepwise/engine"
)

// APIError is an error as the AWS API answers it: a code (the __type), a
// message and an HTTP status (0 means 400).
type APIError struct {
	Code    string
	Message string
	Status  int
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

func apiErr(code, msg string) *APIError { return &APIError{Code: code, Message: msg} }

// AWS's error codes and messages, in one place.
func errStateMachineDoesNotExist(arn string) *APIError {
	return apiErr("StateMachineDoesNotExist", "State Machine Does Not Exist: '"+arn+"'")
}

func errStateMachineAlreadyExists(arn string) *APIError {
	return apiErr("StateMachineAlreadyExists", "State Machine Already Exists: '"+arn+"'")
}

func errExecutionDoesNotExist(arn string) *APIError {
	return apiErr("ExecutionDoesNotExist", "Execution Does Not Exist: '"+arn+"'")
}

func errExecutionAlreadyExists(arn string) *APIError {
	return apiErr("ExecutionAlreadyExists", "Execution Already Exists: '"+arn+"'")
}

func errActivityDoesNotExist(arn string) *APIError {
	return apiErr("ActivityDoesNotExist", "Activity Does Not Exist: '"+arn+"'")
}

func errResourceNotFound(arn string) *APIError {
	return apiErr("ResourceNotFound", "Resource not found: '"+arn+"'")
}

func errInvalidArn(why string) *APIError {
	return apiErr("InvalidArn", "Invalid Arn: '"+why+"'")
}

func errInvalidName(name string) *APIError {
	return apiErr("InvalidName", "Invalid Name: '"+name+"'")
}

func errInvalidToken() *APIError {
	return apiErr("InvalidToken", "Invalid Token: 'Invalid token'")
}

func errTaskTimedOut() *APIError {
	return apiErr("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'")
}

func errInvalidExecutionInput(why string) *APIError {
	return apiErr("InvalidExecutionInput", "Invalid State Machine Execution Input: '"+why+"'")
}

func errInvalidOutput(why string) *APIError {
	return apiErr("InvalidOutput", "Invalid Output: '"+why+"'")
}

func errUnsupported(what string) *APIError {
	return apiErr("UnsupportedOperation", what)
}

// toAPIError maps any error to the AWS error the client sees: an *APIError
// as it is, the engine's sentinels to their AWS codes (callers that know the
// ARN involved map ErrNotFound themselves), anything else to InternalFailure.
func toAPIError(err error) *APIError {
	var ae *APIError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.Is(err, engine.ErrTaskClosed):
		return errTaskTimedOut()
	case errors.Is(err, engine.ErrInvalidToken):
		return errInvalidToken()
	case errors.Is(err, engine.ErrElsewhere):
		return apiErr("InvalidToken", "Invalid Token: the task belongs to an express execution that runs in another Stepwise process: send the callback there, or through NATS")
	case errors.Is(err, engine.ErrPayloadTooLarge):
		return apiErr("ValidationException", "1 validation error detected: a payload failed to satisfy constraint: Member must have length less than or equal to 262144")
	case errors.Is(err, engine.ErrInvalidInput):
		return apiErr("ValidationException", strings.TrimPrefix(err.Error(), engine.ErrInvalidInput.Error()+": "))
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &APIError{Code: "RequestCanceled", Message: "the request was canceled", Status: 499}
	}
	return &APIError{Code: "InternalFailure", Message: fmt.Sprintf("internal error: %v", err), Status: http.StatusInternalServerError}
}

// violations collects AWS request-constraint violations and reports them as
// one ValidationException, worded as AWS words them.
type violations []string

func (v *violations) add(value any, field, constraint string) {
	val := "null"
	if value != nil {
		// A long value (a megabyte definition) is not echoed whole.
		v := []rune(fmt.Sprint(value))
		if len(v) > 256 {
			v = append(v[:256:256], []rune("…")...)
		}
		val = "'" + string(v) + "'"
	}
	*v = append(*v, "Value "+val+" at '"+field+"' failed to satisfy constraint: Member must "+constraint)
}

// length checks a string's length in characters (as AWS counts: UTF-16 is
// close enough to runes for these limits).
func (v *violations) length(s *string, field string, minLen, maxLen int, required bool) {
	if s == nil {
		if required {
			v.add(nil, field, "not be null")
		}
		return
	}
	n := len([]rune(*s))
	switch {
	case n < minLen:
		v.add(*s, field, fmt.Sprintf("have length greater than or equal to %d", minLen))
	case maxLen > 0 && n > maxLen:
		v.add(*s, field, fmt.Sprintf("have length less than or equal to %d", maxLen))
	}
}

func (v *violations) maxResults(n *int, field string, maxN int) {
	if n == nil {
		return
	}
	if *n < 0 {
		v.add(*n, field, "have value greater than or equal to 0")
	} else if *n > maxN {
		v.add(*n, field, fmt.Sprintf("have value less than or equal to %d", maxN))
	}
}

func (v *violations) nonNegative(n *int64, field string) {
	if n != nil && *n < 0 {
		v.add(*n, field, "have value greater than or equal to 0")
	}
}

func (v *violations) enum(s *string, field string, values ...string) {
	if s == nil {
		return
	}
	for _, x := range values {
		if *s == x {
			return
		}
	}
	v.add(*s, field, "satisfy enum value set: ["+strings.Join(values, ", ")+"]")
}

func (v violations) err() error {
	switch len(v) {
	case 0:
		return nil
	case 1:
		return apiErr("ValidationException", "1 validation error detected: "+v[0])
	}
	return apiErr("ValidationException", fmt.Sprintf("%d validation errors detected: %s", len(v), strings.Join(v, "; ")))
}
