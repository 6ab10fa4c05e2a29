package statelang

import "time"

// Env supplies what a step may need from outside the pure interpreter: the
// random numbers and UUIDs of States.MathRandom, States.UUID and FULL jitter.
// The caller records what it supplied when it needs to replay a step.
type Env struct {
	// Random returns a number in [0, 1). Defaults to a fixed 0.5 sequence
	// only in tests; the engine always sets it.
	Random func() float64
	// UUID returns a new random (version 4) UUID in canonical text form.
	UUID func() string
	// ExprTime, when set, is how much longer the JSONata expressions of
	// the current state may run together: each expression's own limit
	// (2 s) is cut to it, so a state of many expressions cannot take many
	// times that. Defaults to no shared limit.
	ExprTime func() time.Duration
}

// Context holds the facts the caller knows about the running execution and
// the current state entry. It is what `$$` reads.
type Context struct {
	ExecutionID        string
	ExecutionName      string
	ExecutionInput     any
	ExecutionStartTime time.Time
	RoleArn            string
	RedriveCount       int64
	// NoRedriveCount leaves Execution.RedriveCount out of the context
	// object (an express execution started by StartSyncExecution cannot be
	// redriven, and AWS shows none).
	NoRedriveCount bool
	// RedriveTime is when the execution was last redriven (zero: never).
	RedriveTime time.Time

	StateMachineID   string
	StateMachineName string

	StateName        string
	StateEnteredTime time.Time
	RetryCount       int64
	// Retryable is set for states that can retry (Task, Parallel, Map):
	// only their context object has State.RetryCount, as on AWS.
	Retryable bool
	// EnteredEventID is the id of the state's ...StateEntered history event;
	// AWS cites it in runtime error causes.
	EnteredEventID int64

	// TaskToken is set for a Task whose resource ends in .waitForTaskToken.
	TaskToken string

	// MapItem is set while ItemSelector runs for one Map item.
	MapItem *MapItem

	// Given, when set, is the whole context object as the caller gives it
	// (TestState's context field): Object returns it (with the Map item
	// when MapItem is set) instead of building one from the fields above.
	Given map[string]any

	// Vars are the workflow variables the state can read: the scope of the
	// machine (top level, branch or iteration) running it, and the scopes
	// around that. The step API never changes them; what a state assigns
	// comes back in Step.Assign or Recovery.Assign.
	Vars *Vars
}

// MapItem is the item a Map iteration works on.
type MapItem struct {
	Index int64
	Value any
}

// Object returns the context object as a JSON value.
func (c *Context) Object() map[string]any {
	if c.Given != nil {
		obj := Clone(c.Given).(map[string]any)
		if c.MapItem != nil {
			obj["Map"] = map[string]any{"Item": map[string]any{"Index": c.MapItem.Index, "Value": c.MapItem.Value}}
		}
		return obj
	}
	exec := map[string]any{
		"Id":           c.ExecutionID,
		"Input":        c.ExecutionInput,
		"Name":         c.ExecutionName,
		"RoleArn":      c.RoleArn,
		"StartTime":    FormatTime(c.ExecutionStartTime),
		"RedriveCount": c.RedriveCount,
	}
	if c.NoRedriveCount {
		delete(exec, "RedriveCount")
	}
	if !c.RedriveTime.IsZero() {
		exec["RedriveTime"] = FormatTime(c.RedriveTime)
	}
	state := map[string]any{
		"EnteredTime": FormatTime(c.StateEnteredTime),
		"Name":        c.StateName,
	}
	if c.Retryable {
		state["RetryCount"] = c.RetryCount
	}
	obj := map[string]any{
		"Execution":    exec,
		"State":        state,
		"StateMachine": map[string]any{"Id": c.StateMachineID, "Name": c.StateMachineName},
	}
	if c.TaskToken != "" {
		obj["Task"] = map[string]any{"Token": c.TaskToken}
	}
	if c.MapItem != nil {
		obj["Map"] = map[string]any{"Item": map[string]any{"Index": c.MapItem.Index, "Value": c.MapItem.Value}}
	}
	return obj
}

// FormatTime prints an instant as AWS does in the context object:
// RFC 3339 in UTC with milliseconds.
func FormatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}
