package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/stepwise-dev/stepwise/statelang"
)

// Infrastructure errors. Stores return (or wrap) ErrNotFound and ErrConflict;
// the engine returns the others. Compare with errors.Is.
var (
	// ErrNotFound: no such state machine, version, execution or task.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a concurrent writer changed the row first (version
	// check failed) or a unique key is taken.
	ErrConflict = errors.New("conflict")
	// ErrExecutionAlreadyExists: StartExecution with a name already used
	// for this state machine and a different input.
	ErrExecutionAlreadyExists = errors.New("execution already exists")
	// ErrExecutionNotRunning: the execution has already ended.
	ErrExecutionNotRunning = errors.New("execution is not running")
	// ErrTaskClosed: the task token is unknown, already answered, timed out
	// or cancelled (AWS answers TaskTimedOut).
	ErrTaskClosed = errors.New("task is not open")
	// ErrPayloadTooLarge: an input or output exceeds 256 KiB.
	ErrPayloadTooLarge = errors.New("payload exceeds the maximum size")
	// ErrInvalidInput: the input is not valid JSON, or an argument is wrong.
	ErrInvalidInput = errors.New("invalid input")
	// ErrMapRunNotRunning: UpdateMapRun on a Map Run that has ended.
	ErrMapRunNotRunning = errors.New("map run is not running")
	// ErrStateMachineExists: CreateStateMachine with a name already taken
	// by a different definition.
	ErrStateMachineExists = errors.New("state machine already exists")
)

// Execution statuses, as on AWS.
const (
	StatusRunning   = "RUNNING"
	StatusSucceeded = "SUCCEEDED"
	StatusFailed    = "FAILED"
	StatusTimedOut  = "TIMED_OUT"
	StatusAborted   = "ABORTED"
)

// StateMachine is one version of a state machine. Versions are immutable;
// a new definition makes a new version.
type StateMachine struct {
	Name       string
	ARN        string
	Version    int
	Definition string
	RoleARN    string
	CreatedAt  time.Time
	// Deleted: the machine was deleted. Its versions stay readable for the
	// executions that run them; the engine reports it as not found.
	Deleted bool
	// Type is TypeStandard or TypeExpress (express.go), the machine's for
	// all its versions. "" reads as TypeStandard.
	Type string
	// Logging is where the machine's executions log their history events,
	// the machine's for all its versions. nil: they log nothing.
	Logging *Logging
}

// The types of state machines.
const (
	TypeStandard = "STANDARD"
	TypeExpress  = "EXPRESS"
)

// MachineType is a machine's type: typ, or TypeStandard for "".
func MachineType(typ string) string {
	if typ == "" {
		return TypeStandard
	}
	return typ
}

// EncodeLogging is how stores keep a Logging: JSON text, "" for none.
func EncodeLogging(l *Logging) string {
	if l == nil {
		return ""
	}
	b, _ := json.Marshal(l) // strings and a bool: cannot fail
	return string(b)
}

// DecodeLogging reads what EncodeLogging wrote.
func DecodeLogging(text string) (*Logging, error) {
	if text == "" {
		return nil, nil
	}
	l := &Logging{}
	if err := json.Unmarshal([]byte(text), l); err != nil {
		return nil, fmt.Errorf("stored logging configuration %q: %w", text, err)
	}
	return l, nil
}

// Logging is a machine's loggingConfiguration (AWS): which history events
// its executions log (Level: LogAll, LogError or LogFatal), with or
// without their input and output, to which log group.
type Logging struct {
	Level                string `json:"level"`
	IncludeExecutionData bool   `json:"includeExecutionData"`
	LogGroupARN          string `json:"logGroupArn"`
}

// The log levels of Logging; LogOff is stored as no Logging.
const (
	LogAll   = "ALL"
	LogError = "ERROR"
	LogFatal = "FATAL"
	LogOff   = "OFF"
)

// Execution is an execution's row: what DescribeExecution shows, plus the
// decider's state and the version guarding it.
type Execution struct {
	ID                  int64
	ARN                 string
	Name                string
	StateMachine        string
	StateMachineVersion int
	StateMachineARN     string
	Status              string
	Input               string // JSON text
	Output              string // JSON text; set when SUCCEEDED
	Error, Cause        string // set when FAILED, TIMED_OUT or ABORTED
	StartDate           time.Time
	StopDate            time.Time // zero while RUNNING
	// Version increases by one with every committed mutation.
	Version int64
	// LastEventID is the id of the last history event.
	LastEventID int64
	// State is the decider's State as JSON, without its parts.
	State []byte
	// Parts are the rest of the State (see StatePart); loaded only by
	// CommitGroup, for the executions whose state the engine does not hold.
	Parts []StatePart
	// ParentID and ParentToken name the execution and the task a child
	// execution runs for (zero for a top-level execution): when the child
	// ends, its outcome answers that task.
	ParentID    int64
	ParentToken string
	// RedriveCount and RedriveDate count the execution's redrives and
	// date the last one; RedriveUntil is when the frames it keeps for a
	// redrive expire (zero: it keeps none). See redrive.go.
	RedriveCount int64
	RedriveDate  time.Time
	RedriveUntil time.Time
}

// Task is an outbox row: a task to hand to a worker. Token is unique per
// attempt (a retry gets a new token).
type Task struct {
	Token            string
	ExecutionID      int64
	ExecutionARN     string
	StateName        string
	Attempt          int64 // the state's retry count when scheduled
	Resource         string
	Input            string // JSON text
	TimeoutSeconds   int64
	HeartbeatSeconds int64
	CreatedAt        time.Time
	// DispatchAfter is when the task is dispatched again unless a worker
	// acknowledged it (heartbeat) or answered it.
	DispatchAfter time.Time
}

// Task statuses in the store.
const (
	TaskScheduled = "SCHEDULED" // written, maybe not yet delivered
	TaskStarted   = "STARTED"   // a worker acknowledged it (heartbeat)
	TaskSucceeded = "SUCCEEDED"
	TaskFailed    = "FAILED"
	TaskTimedOut  = "TIMED_OUT"
	TaskCancelled = "CANCELLED"
)

// TaskUpdate closes an open task.
type TaskUpdate struct {
	Token  string
	Status string
	// Resource is the task's resource (not written: it tells the engine
	// what a task closed without a result was, e.g. a child execution).
	Resource statelang.Resource
}

// Timer is a timer row: at FireAt the engine applies a timer event with Key
// to the execution.
type Timer struct {
	ExecutionID int64
	Key         string
	FireAt      time.Time
}

// Mutation is everything one transition writes, committed atomically by
// Store.Commit: the execution's new row values (guarded by Version), history
// events, and outbox changes.
type Mutation struct {
	ExecutionID int64
	// Version is the version the decision was made from; the commit fails
	// with ErrConflict unless the row still has it, and sets Version+1.
	Version     int64
	Status      string
	Output      string
	Error       string
	Cause       string
	StopDate    time.Time // set when the execution ended
	LastEventID int64
	State       []byte
	// DropFrames are frames whose parts are deleted, before Parts are
	// upserted by (frame, slot). A terminal mutation deletes every part.
	DropFrames []int64
	Parts      []StatePart
	// DropParts: every part of the execution is deleted first (its state
	// is written whole in State again).
	DropParts bool

	Events       []statelang.HistoryEvent
	NewTasks     []Task
	CloseTasks   []TaskUpdate
	NewTimers    []Timer // upserted by (execution, key)
	DeleteTimers []string
	// Terminal: the execution ended; cancel its open tasks, drop its timers.
	Terminal bool
	// MapRuns are the rows of the execution's Map Runs this step started
	// or changed, upserted by ARN (a row's StartDate is kept once written).
	MapRuns []MapRun
	// Redrive, when set, is written to the execution's redrive columns
	// (Execution.RedriveCount, RedriveDate, RedriveUntil): by the step
	// that redrives it and by the one that ends it unsuccessfully.
	Redrive *RedriveRow
}

// Map Run statuses, as on AWS.
const (
	MapRunRunning   = "RUNNING"
	MapRunSucceeded = "SUCCEEDED"
	MapRunFailed    = "FAILED"
	MapRunAborted   = "ABORTED"
)

// MapRun is a distributed Map's Map Run (mapruns.go): the row its
// parent's steps write, and the counts of its children, derived when it is
// read.
type MapRun struct {
	ARN         string
	ExecutionID int64 // the parent execution
	// ExecutionARN is the parent's ARN (read, not written).
	ExecutionARN string
	StateName    string // the distributed Map state
	Status       string // MapRunRunning, ...
	// MaxConcurrency, ToleratedFailureCount and ToleratedFailurePercentage
	// are the Map's, as UpdateMapRun last set them; -1: no tolerance set.
	MaxConcurrency             int64
	ToleratedFailureCount      int64
	ToleratedFailurePercentage float64
	// Total is the number of child executions the run has to start (items,
	// or batches with an ItemBatcher); 0 until an ItemReader answered.
	Total int64
	// ResultsWritten is the number of results its ResultWriter wrote.
	ResultsWritten int64
	StartDate      time.Time
	StopDate       time.Time // zero while RUNNING
	// RedriveCount counts the run's redrives (its parent's redrives that
	// ran its unsuccessful children again, redrive.go) and RedriveDate
	// dates the last one (zero: never redriven).
	RedriveCount int64
	RedriveDate  time.Time
	// PendingRedrive is the number of unsuccessful children the run's
	// last redrive has yet to run again (0 once the run has ended).
	PendingRedrive int64
	// Running is the number of children of a RUNNING Map Run of EXPRESS
	// children that run now (its iterations waiting on their child): an
	// express child has no row until it ends, so Children cannot count
	// it. The parent's steps write it with the row when it changes; 0 for
	// a Map Run of STANDARD children (Children counts their rows) and once
	// the run has ended. Engine.DescribeMapRun adds it to
	// Children[StatusRunning].
	Running int64
	// Children counts the run's child executions by status (read, not
	// written).
	Children map[string]int64
	// NotRedrivable counts its FAILED, TIMED_OUT and ABORTED children
	// that cannot be redriven (Engine.DescribeMapRun sets it; read, not
	// written).
	NotRedrivable int64
}

// MapRunCounts are a Map Run's child executions by status, as AWS counts
// them: Pending have not started; Total is Pending plus the others.
// PendingRedrive and FailuresNotRedrivable are among the unsuccessful
// ones: those a redrive of the run is yet to run again, and those no
// redrive can run again.
type MapRunCounts struct {
	Pending, Running, Succeeded, Failed, TimedOut, Aborted, Total int64
	PendingRedrive, FailuresNotRedrivable                         int64
}

// Counts counts the run's children (Children) against its Total.
func (r MapRun) Counts() MapRunCounts {
	c := MapRunCounts{Running: r.Children[StatusRunning], Succeeded: r.Children[StatusSucceeded],
		Failed: r.Children[StatusFailed], TimedOut: r.Children[StatusTimedOut], Aborted: r.Children[StatusAborted]}
	started := c.Running + c.Succeeded + c.Failed + c.TimedOut + c.Aborted
	c.Total = max(r.Total, started)
	c.Pending = c.Total - started
	c.PendingRedrive, c.FailuresNotRedrivable = r.PendingRedrive, r.NotRedrivable
	return c
}

// MapRunStore keeps the Map Run rows that Mutation.MapRuns write.
type MapRunStore interface {
	// GetMapRun returns a Map Run by ARN with ExecutionARN and Children
	// set; ErrNotFound when there is none.
	GetMapRun(ctx context.Context, arn string) (MapRun, error)
	// ListMapRuns returns up to limit Map Runs of an execution after the
	// first offset, oldest first (Children not set).
	ListMapRuns(ctx context.Context, executionID int64, offset, limit int) ([]MapRun, error)
}

// Group is what one group commit reads before its decision.
type Group struct {
	// IDs are the existing executions to lock and load.
	IDs []int64
	// Starts are new executions (Version 0), inserted before the decision;
	// the store sets each one's ID. A start whose (state machine, name) is
	// taken is not inserted: the store puts the execution that holds the
	// name in Taken under the start's index. Names are distinct within
	// one group.
	Starts []*Execution
	Taken  map[int]*Execution
	// Cached maps executions of IDs to the version whose state the engine
	// holds: the store loads the Parts of the others, and of those whose
	// row has another version.
	Cached map[int64]int64
}

// Confirmation is a task the transport stored: Until is when it was
// stored plus ConfirmedDispatchHold.
type Confirmation struct {
	Token string
	Until time.Time
}

// GroupWrite is everything one group commit writes: the mutations of many
// executions (at most one per execution) and task bookkeeping that needs
// no decision.
type GroupWrite struct {
	Mutations []*Mutation
	// Confirmed tasks were stored by the transport (JetStream acknowledged
	// the publish): if still SCHEDULED, each one's dispatch deadline moves
	// to its Until, so the maintenance loop does not publish it again.
	Confirmed []Confirmation
	// Started tasks were taken by a worker (a .waitForTaskToken task
	// delivered): marked STARTED if still open.
	Started []string
	// Heartbeats: tasks whose worker reported progress at Now: marked
	// STARTED if still open, their heartbeat timer moved to Now plus
	// their HeartbeatSeconds.
	Heartbeats []string
	// Ended are the rows of ended EXPRESS child executions of distributed
	// Maps (mapruns.go), which run in memory and have no row until they
	// end: each is inserted as it is (terminal: Status, StopDate and
	// Output or Error and Cause set; ParentID, ParentToken; no State, no
	// history, Version 0), or replaces the row of the same StateMachine
	// and Name (the item run again: a redrive of its Map Run, a start
	// again after a lost process), keeping that row's ID. The ID of each
	// is not read.
	Ended []*Execution
	Now   time.Time
}

// GroupResult reports the task bookkeeping of a group commit.
type GroupResult struct {
	// Open holds the tokens of GroupWrite.Started and Heartbeats whose
	// task was open (and so was updated).
	Open map[string]bool
}

// ListFilter selects executions for ListExecutions.
type ListFilter struct {
	StateMachine string // "" for every machine
	Status       string // "" for all
	// ParentID: only the child executions of this execution (0: any).
	ParentID int64
	// Nested, with ParentID: only the children that are not a distributed
	// Map's, the nested executions of its states:startExecution tasks. A
	// Map's child runs the machine <machine>/<label>, and no machine name
	// holds a '/' (ValidName), so these are the children whose machine
	// has none; the SQL stores keep an index of them per parent.
	Nested bool
	// Conditions are ANDed tests on indexed columns, evaluated in the
	// store's query with their values bound as parameters.
	Conditions []Condition
	// BeforeID pages: only executions with ID < BeforeID (0: from the newest).
	BeforeID int64
	Limit    int
}

// HistoryFilter selects history events.
type HistoryFilter struct {
	// AfterID (forward) or BeforeID (reverse) pages; 0 starts at the end.
	AfterID  int64
	BeforeID int64
	Reverse  bool
	Limit    int
}

// Store persists state machines, executions, history and the outbox. All
// methods are safe for concurrent use. Implementations: store/postgres.
type Store interface {
	// CreateStateMachine stores a new machine and returns it with its
	// version: 1, or the next version when a deleted machine of that name
	// is created again. ErrConflict when the name is taken.
	CreateStateMachine(ctx context.Context, sm StateMachine) (StateMachine, error)
	// AddStateMachineVersion stores the next version of an existing
	// machine and returns it (with Version set); ErrNotFound when the
	// machine does not exist or was deleted.
	AddStateMachineVersion(ctx context.Context, name, definition string, now time.Time) (StateMachine, error)
	// GetStateMachine returns one version; version 0 means the latest.
	// Deleted machines are returned with Deleted set.
	GetStateMachine(ctx context.Context, name string, version int) (StateMachine, error)
	// ListStateMachines returns up to limit machines that are not deleted,
	// at their latest version, with names after afterName, by name.
	ListStateMachines(ctx context.Context, afterName string, limit int) ([]StateMachine, error)
	// DeleteStateMachine marks a machine deleted and drops its tags;
	// ErrNotFound when it does not exist or was already deleted.
	DeleteStateMachine(ctx context.Context, name string, now time.Time) error

	// TagResource upserts tags on a resource ARN; ErrTooManyTags (and no
	// change) when the resource would carry more than max.
	TagResource(ctx context.Context, arn string, tags []Tag, max int) error
	// UntagResource deletes tags by key.
	UntagResource(ctx context.Context, arn string, keys []string) error
	// ListTags returns a resource's tags, in any order.
	ListTags(ctx context.Context, arn string) ([]Tag, error)

	// CreateExecution inserts a new execution row (Version 0) and, in the
	// same transaction, commits the mutation first returns for its id.
	// When the (state machine, name) pair is taken it returns the existing
	// execution and ErrConflict.
	CreateExecution(ctx context.Context, e *Execution, first func(id int64) (*Mutation, error)) (*Execution, error)
	GetExecution(ctx context.Context, id int64) (*Execution, error)
	GetExecutionByARN(ctx context.Context, arn string) (*Execution, error)
	// ListExecutions returns executions newest first (State not loaded).
	ListExecutions(ctx context.Context, f ListFilter) ([]*Execution, error)
	History(ctx context.Context, executionID int64, f HistoryFilter) ([]statelang.HistoryEvent, error)

	// Commit applies one mutation atomically; ErrConflict if the
	// execution's version is no longer m.Version.
	Commit(ctx context.Context, m *Mutation) error
	// CommitGroup is one group commit (see Group and GroupWrite): in one
	// transaction it inserts g.Starts, locks and loads the executions
	// g.IDs (an id with no row is absent from the map), calls decide with
	// them, and writes what decide returns. Each mutation's Version is that
	// of the row decide saw (0 for a start), so it cannot conflict unless a
	// writer that does not lock (Commit) got there first, which fails the
	// whole group with ErrConflict. When decide fails nothing is written
	// and its error is returned.
	CommitGroup(ctx context.Context, g *Group, decide func(map[int64]*Execution) (*GroupWrite, error)) (GroupResult, error)

	// ClaimDueTimers returns up to limit timers due at now and pushes their
	// FireAt to now+lease so no other engine takes them meanwhile.
	ClaimDueTimers(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Timer, error)
	// ClaimUndispatched returns up to limit SCHEDULED tasks whose dispatch
	// deadline passed and pushes the deadline to now+lease.
	ClaimUndispatched(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Task, error)
	// EndedChildren returns up to limit child executions that ended while
	// their parent's task is still open (State not loaded).
	EndedChildren(ctx context.Context, limit int) ([]*Execution, error)
	// StrandedChildren returns up to limit RUNNING child executions whose
	// parent's .sync task for them was closed without a result (CANCELLED
	// or TIMED_OUT: the parent ended, or timed the task out, or left the
	// state), which the engine must stop (State not loaded).
	StrandedChildren(ctx context.Context, limit int) ([]*Execution, error)
	// GetTask returns a task row and its status.
	GetTask(ctx context.Context, token string) (Task, string, error)

	// VersionStore keeps revisions' roles, published versions and aliases
	// (versions.go).
	VersionStore
	// MapRunStore reads Map Runs (mapruns.go).
	MapRunStore
	// RedriveStore expires what ended executions keep for a redrive
	// (redrive.go).
	RedriveStore
	// TaskStore keeps activities and claims their tasks (activities.go).
	TaskStore
}

// Dispatcher hands a committed task to a worker. It is called only after the
// task's row is committed, and again by the maintenance loop when a task was
// not confirmed before its dispatch deadline, so a worker may see a task
// more than once; results are idempotent per token.
//
// Dispatch reports the publish's outcome; the engine acts on it. held:
// the transport keeps the task durably until a worker answers it (NATS
// JetStream stored it), so the engine confirms the dispatch and never
// sends it again; not held (an in-process transport): it is sent again
// after Config.DispatchTimeout unless a worker answered or heartbeated.
// An error: the publish failed, and it is sent again after
// DispatchTimeout; an *UndeliverableError: no worker can ever take it, and
// the engine fails the task.
type Dispatcher interface {
	Dispatch(ctx context.Context, t Task) (held bool, err error)
}

// UndeliverableError is what a Dispatcher returns for a task no worker
// can take (e.g. a Lambda invoke without a FunctionName): the engine fails
// the task with States.Runtime and Err's text as its cause, as AWS fails a
// task with a bad parameter.
type UndeliverableError struct{ Err error }

func (e *UndeliverableError) Error() string { return e.Err.Error() }
func (e *UndeliverableError) Unwrap() error { return e.Err }
