package statelang

import "time"

// HistoryEvent is one event of an execution's history, in the shape of
// AWS's GetExecutionHistory: an id, the previous event's id, a type such
// as "TaskStateEntered" and the type's details object.
type HistoryEvent struct {
	ID              int64
	PreviousEventID int64
	Timestamp       time.Time
	Type            EventType
	// Details is the content of the AWS details member for Type (e.g. for
	// TaskStateEntered the stateEnteredEventDetails object). Payloads in it
	// (input, output) are JSON text, as on AWS.
	Details map[string]any
}

// DetailsKey is the name of the member of an AWS HistoryEvent that holds
// the details of an event of the given type, e.g. "stateEnteredEventDetails",
// or "" for the types whose events AWS shows without details
// (ParallelStateStarted, MapStateFailed, ...; Stepwise keeps what it
// records for them, such as a failed Map's error, for its own API).
func DetailsKey(eventType EventType) string {
	switch eventType {
	case EventTypeLambdaFunctionStarted, EventTypeMapStateAborted, EventTypeMapStateFailed,
		EventTypeMapStateSucceeded, EventTypeParallelStateAborted, EventTypeParallelStateFailed,
		EventTypeParallelStateStarted, EventTypeParallelStateSucceeded, EventTypeTaskStateAborted,
		EventTypeWaitStateAborted, EventTypeMapRunAborted, EventTypeMapRunSucceeded:
		return ""
	}
	switch {
	case hasSuffix(string(eventType), "StateEntered"):
		return "stateEnteredEventDetails"
	case hasSuffix(string(eventType), "StateExited"):
		return "stateExitedEventDetails"
	}
	return lowerFirst(string(eventType)) + "EventDetails"
}

// StateEventPrefix is how the history names events of a state type:
// PassStateEntered, TaskStateExited, ...
func StateEventPrefix(t StateType) string { return string(t) + "State" }

// EnteredEventType is the type of the event recorded when a state of type
// t is entered (FailStateEntered for Fail, and so on).
func EnteredEventType(t StateType) EventType { return stateEvent(enteredTypes, t, "Entered") }

// ExitedEventType is the type of the event recorded when a state of type t
// is left. Fail states are never exited.
func ExitedEventType(t StateType) EventType { return stateEvent(exitedTypes, t, "Exited") }

// The Entered and Exited types of the state types, made once: a state's
// events are the most frequent the decider records.
var enteredTypes, exitedTypes = stateEvents("Entered"), stateEvents("Exited")

func stateEvents(suffix string) map[StateType]EventType {
	m := map[StateType]EventType{}
	for _, t := range []StateType{TypePass, TypeTask, TypeChoice, TypeWait, TypeSucceed, TypeFail, TypeParallel, TypeMap} {
		m[t] = EventType(StateEventPrefix(t) + suffix)
	}
	return m
}

func stateEvent(made map[StateType]EventType, t StateType, suffix string) EventType {
	if e, ok := made[t]; ok {
		return e
	}
	return EventType(StateEventPrefix(t) + suffix)
}

// FailedEventType is the type of the event a Map or Parallel state records
// when a branch or iteration failed it (MapStateFailed, ParallelStateFailed).
func FailedEventType(t StateType) EventType { return EventType(StateEventPrefix(t) + "Failed") }

func hasSuffix(s, suf string) bool { return len(s) >= len(suf) && s[len(s)-len(suf):] == suf }

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	b := []byte(s)
	if b[0] >= 'A' && b[0] <= 'Z' {
		b[0] += 'a' - 'A'
	}
	return string(b)
}
