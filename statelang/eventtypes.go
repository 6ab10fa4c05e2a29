package statelang

// EventType is the type of a history event, one of AWS's HistoryEventType
// values. Every event Stepwise records has one of the constants below; the
// test of the AWS endpoint checks the list against the AWS SDK's enum.
type EventType string

// The history event types, named and ordered as AWS's HistoryEventType.
const (
	EventTypeActivityFailed               EventType = "ActivityFailed"
	EventTypeActivityScheduled            EventType = "ActivityScheduled"
	EventTypeActivityScheduleFailed       EventType = "ActivityScheduleFailed"
	EventTypeActivityStarted              EventType = "ActivityStarted"
	EventTypeActivitySucceeded            EventType = "ActivitySucceeded"
	EventTypeActivityTimedOut             EventType = "ActivityTimedOut"
	EventTypeChoiceStateEntered           EventType = "ChoiceStateEntered"
	EventTypeChoiceStateExited            EventType = "ChoiceStateExited"
	EventTypeExecutionAborted             EventType = "ExecutionAborted"
	EventTypeExecutionFailed              EventType = "ExecutionFailed"
	EventTypeExecutionStarted             EventType = "ExecutionStarted"
	EventTypeExecutionSucceeded           EventType = "ExecutionSucceeded"
	EventTypeExecutionTimedOut            EventType = "ExecutionTimedOut"
	EventTypeFailStateEntered             EventType = "FailStateEntered"
	EventTypeLambdaFunctionFailed         EventType = "LambdaFunctionFailed"
	EventTypeLambdaFunctionScheduled      EventType = "LambdaFunctionScheduled"
	EventTypeLambdaFunctionScheduleFailed EventType = "LambdaFunctionScheduleFailed"
	EventTypeLambdaFunctionStarted        EventType = "LambdaFunctionStarted"
	EventTypeLambdaFunctionStartFailed    EventType = "LambdaFunctionStartFailed"
	EventTypeLambdaFunctionSucceeded      EventType = "LambdaFunctionSucceeded"
	EventTypeLambdaFunctionTimedOut       EventType = "LambdaFunctionTimedOut"
	EventTypeMapIterationAborted          EventType = "MapIterationAborted"
	EventTypeMapIterationFailed           EventType = "MapIterationFailed"
	EventTypeMapIterationStarted          EventType = "MapIterationStarted"
	EventTypeMapIterationSucceeded        EventType = "MapIterationSucceeded"
	EventTypeMapStateAborted              EventType = "MapStateAborted"
	EventTypeMapStateEntered              EventType = "MapStateEntered"
	EventTypeMapStateExited               EventType = "MapStateExited"
	EventTypeMapStateFailed               EventType = "MapStateFailed"
	EventTypeMapStateStarted              EventType = "MapStateStarted"
	EventTypeMapStateSucceeded            EventType = "MapStateSucceeded"
	EventTypeParallelStateAborted         EventType = "ParallelStateAborted"
	EventTypeParallelStateEntered         EventType = "ParallelStateEntered"
	EventTypeParallelStateExited          EventType = "ParallelStateExited"
	EventTypeParallelStateFailed          EventType = "ParallelStateFailed"
	EventTypeParallelStateStarted         EventType = "ParallelStateStarted"
	EventTypeParallelStateSucceeded       EventType = "ParallelStateSucceeded"
	EventTypePassStateEntered             EventType = "PassStateEntered"
	EventTypePassStateExited              EventType = "PassStateExited"
	EventTypeSucceedStateEntered          EventType = "SucceedStateEntered"
	EventTypeSucceedStateExited           EventType = "SucceedStateExited"
	EventTypeTaskFailed                   EventType = "TaskFailed"
	EventTypeTaskScheduled                EventType = "TaskScheduled"
	EventTypeTaskStarted                  EventType = "TaskStarted"
	EventTypeTaskStartFailed              EventType = "TaskStartFailed"
	EventTypeTaskStateAborted             EventType = "TaskStateAborted"
	EventTypeTaskStateEntered             EventType = "TaskStateEntered"
	EventTypeTaskStateExited              EventType = "TaskStateExited"
	EventTypeTaskSubmitFailed             EventType = "TaskSubmitFailed"
	EventTypeTaskSubmitted                EventType = "TaskSubmitted"
	EventTypeTaskSucceeded                EventType = "TaskSucceeded"
	EventTypeTaskTimedOut                 EventType = "TaskTimedOut"
	EventTypeWaitStateAborted             EventType = "WaitStateAborted"
	EventTypeWaitStateEntered             EventType = "WaitStateEntered"
	EventTypeWaitStateExited              EventType = "WaitStateExited"
	EventTypeMapRunAborted                EventType = "MapRunAborted"
	EventTypeMapRunFailed                 EventType = "MapRunFailed"
	EventTypeMapRunStarted                EventType = "MapRunStarted"
	EventTypeMapRunSucceeded              EventType = "MapRunSucceeded"
	EventTypeExecutionRedriven            EventType = "ExecutionRedriven"
	EventTypeMapRunRedriven               EventType = "MapRunRedriven"
	EventTypeEvaluationFailed             EventType = "EvaluationFailed"
)

// EventTypes returns every history event type, in AWS's order.
func EventTypes() []EventType {
	return []EventType{
		EventTypeActivityFailed, EventTypeActivityScheduled, EventTypeActivityScheduleFailed,
		EventTypeActivityStarted, EventTypeActivitySucceeded, EventTypeActivityTimedOut,
		EventTypeChoiceStateEntered, EventTypeChoiceStateExited, EventTypeExecutionAborted,
		EventTypeExecutionFailed, EventTypeExecutionStarted, EventTypeExecutionSucceeded,
		EventTypeExecutionTimedOut, EventTypeFailStateEntered, EventTypeLambdaFunctionFailed,
		EventTypeLambdaFunctionScheduled, EventTypeLambdaFunctionScheduleFailed,
		EventTypeLambdaFunctionStarted, EventTypeLambdaFunctionStartFailed,
		EventTypeLambdaFunctionSucceeded, EventTypeLambdaFunctionTimedOut,
		EventTypeMapIterationAborted, EventTypeMapIterationFailed, EventTypeMapIterationStarted,
		EventTypeMapIterationSucceeded, EventTypeMapStateAborted, EventTypeMapStateEntered,
		EventTypeMapStateExited, EventTypeMapStateFailed, EventTypeMapStateStarted,
		EventTypeMapStateSucceeded, EventTypeParallelStateAborted, EventTypeParallelStateEntered,
		EventTypeParallelStateExited, EventTypeParallelStateFailed, EventTypeParallelStateStarted,
		EventTypeParallelStateSucceeded, EventTypePassStateEntered, EventTypePassStateExited,
		EventTypeSucceedStateEntered, EventTypeSucceedStateExited, EventTypeTaskFailed,
		EventTypeTaskScheduled, EventTypeTaskStarted, EventTypeTaskStartFailed,
		EventTypeTaskStateAborted, EventTypeTaskStateEntered, EventTypeTaskStateExited,
		EventTypeTaskSubmitFailed, EventTypeTaskSubmitted, EventTypeTaskSucceeded,
		EventTypeTaskTimedOut, EventTypeWaitStateAborted, EventTypeWaitStateEntered,
		EventTypeWaitStateExited, EventTypeMapRunAborted, EventTypeMapRunFailed,
		EventTypeMapRunStarted, EventTypeMapRunSucceeded, EventTypeExecutionRedriven,
		EventTypeMapRunRedriven, EventTypeEvaluationFailed,
	}
}

var knownEventTypes = func() map[EventType]bool {
	m := map[EventType]bool{}
	for _, t := range EventTypes() {
		m[t] = true
	}
	return m
}()

// Known reports whether t is one of AWS's history event types.
func (t EventType) Known() bool { return knownEventTypes[t] }
