package statelang

import (
	"time"
)

// StateType is the Type of a state.
type StateType string

// The eight state types.
const (
	TypePass     StateType = "Pass"
	TypeTask     StateType = "Task"
	TypeChoice   StateType = "Choice"
	TypeWait     StateType = "Wait"
	TypeSucceed  StateType = "Succeed"
	TypeFail     StateType = "Fail"
	TypeParallel StateType = "Parallel"
	TypeMap      StateType = "Map"
)

// Machine is a validated state machine, or one Parallel branch or Map
// processor inside one. It is immutable once Parse returns it and safe for
// concurrent use.
type Machine struct {
	Comment        string
	StartAt        string
	Version        string
	TimeoutSeconds int64 // 0: none
	States         map[string]*State
	// Order lists the state names in definition order.
	Order []string
	// Definition is the JSON text the machine was parsed from (top level only).
	Definition string
	// QueryLanguage is the machine's default query language, JSONPath or
	// JSONata (top level only; branches and processors use the top level's).
	QueryLanguage string
}

// State is one state of a machine. Which fields are set depends on Type.
type State struct {
	Name    string
	Type    StateType
	Comment string
	Next    string // "" when End or when the type has no Next
	End     bool
	// QueryLanguage is JSONPath or JSONata: the state's own field, or the
	// machine's default.
	QueryLanguage string

	InputPath  pathField // absent: "$"; null: {}
	OutputPath pathField // absent: "$"; null: {}
	ResultPath pathField // absent: "$"; null: discard the result

	Parameters     *Template // Pass, Task, Parallel; Map's deprecated synonym of ItemSelector
	ResultSelector *Template // Task, Parallel, Map
	Result         any       // Pass
	HasResult      bool      // Pass: Result is set (it may be null)

	// Task
	Resource             Resource // parsed once, by Parse
	TimeoutSeconds       int64    // 0: none given
	TimeoutSecondsPath   *Path
	HeartbeatSeconds     int64
	HeartbeatSecondsPath *Path
	Credentials          *Template

	// Task, Parallel, Map
	Retry []*Retrier
	Catch []*Catcher

	// Choice
	Choices []*ChoiceRule
	Default string

	// Wait: exactly one of these four is set.
	Seconds       *int64
	SecondsPath   *Path
	Timestamp     *time.Time
	TimestampPath *Path

	// Fail
	Error     string
	ErrorPath *Path
	Cause     string
	CausePath *Path
	// errorPathIntrinsic and causePathIntrinsic hold ErrorPath/CausePath
	// given as intrinsic function calls.
	errorPathIntrinsic *intrinsic
	causePathIntrinsic *intrinsic

	// Parallel
	Branches []*Machine

	// Map
	Processor     *Machine
	ProcessorMode string // INLINE or DISTRIBUTED
	// ProcessorExecutionType is a distributed Map's children's type:
	// STANDARD or EXPRESS, as its ProcessorConfig.ExecutionType says
	// ("" when it says none).
	ProcessorExecutionType         string
	ItemsPath                      pathField
	ItemSelector                   *Template
	MaxConcurrency                 int64
	MaxConcurrencyPath             *Path
	ToleratedFailureCount          *int64
	ToleratedFailureCountPath      *Path
	ToleratedFailurePercentage     *float64
	ToleratedFailurePercentagePath *Path
	Label                          string
	Reader                         *ItemReader   // distributed Map's ItemReader
	Batcher                        *ItemBatcher  // distributed Map's ItemBatcher
	Writer                         *ResultWriter // distributed Map's ResultWriter

	owner        *Machine // the machine (top level, branch or processor) holding the state
	readsContext bool     // some field of the state reads the context object ($$)

	// assign is the state's Assign field (both query languages).
	assign *assignment
	// The JSONata-mode fields; each may hold "{% %}" expressions.
	arguments    *jvalue // Task, Parallel
	output       *jvalue // every type but Fail
	items        *jvalue // Map
	itemSelector *jvalue // Map
	credentials  *jvalue // Task
	jTimeout     *jvalue // Task TimeoutSeconds given as an expression
	jHeartbeat   *jvalue // Task HeartbeatSeconds given as an expression
	jSeconds     *jvalue // Wait Seconds given as an expression
	jTimestamp   *jvalue // Wait Timestamp given as an expression
	jError       *jvalue // Fail Error given as an expression
	jCause       *jvalue // Fail Cause given as an expression
	jMaxConc     *jvalue // Map MaxConcurrency given as an expression
	jTolCount    *jvalue // Map ToleratedFailureCount given as an expression
	jTolPct      *jvalue // Map ToleratedFailurePercentage given as an expression
}

// WaitsForCallback reports whether the state is a Task using the
// wait-for-callback pattern (.waitForTaskToken): it gets a task token in
// $$.Task.Token and ends only when SendTaskSuccess/Failure arrives.
func (s *State) WaitsForCallback() bool {
	return s.Type == TypeTask && s.Resource.WaitsForCallback()
}

// Machine returns the machine (the top level, a Parallel branch or a Map
// processor) that holds the state; Next targets name states of it.
func (s *State) Machine() *Machine { return s.owner }

// pathField is an optional path field that may also be given as null.
type pathField struct {
	Set  bool  // the field is present in the definition
	Null bool  // present and null
	Path *Path // present and a path
}

// Retrier is one entry of a state's Retry list.
type Retrier struct {
	ErrorEquals     []string
	IntervalSeconds int64   // default 1
	MaxAttempts     int64   // default 3; 0 never retries
	BackoffRate     float64 // default 2.0
	MaxDelaySeconds int64   // 0: no cap
	JitterFull      bool    // JitterStrategy FULL
}

// Catcher is one entry of a state's Catch list.
type Catcher struct {
	ErrorEquals []string
	Next        string
	ResultPath  pathField // absent: "$"; null: discard the error output

	output *jvalue     // JSONata: Output (default: $states.errorOutput)
	assign *assignment // Assign
}
