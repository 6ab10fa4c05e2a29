package engine

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/stepwise-dev/stepwise/statelang"
)

// jsonValue is a JSON value of statelang's value model that survives a JSON
// round trip with its exact types (integers stay integers, 1.0 stays a
// float): it is stored as the text statelang.MarshalJSON writes.
type jsonValue struct{ V any }

// MarshalJSON implements json.Marshaler.
func (v jsonValue) MarshalJSON() ([]byte, error) { return statelang.MarshalJSON(v.V), nil }

// UnmarshalJSON implements json.Unmarshaler.
func (v *jsonValue) UnmarshalJSON(b []byte) error {
	x, err := statelang.ParseJSON(b)
	if err != nil {
		return err
	}
	v.V = x
	return nil
}

// execState is the decider's persisted view of one execution: its frames (the
// top-level machine and every running Parallel branch and Map iteration) and
// counters. It is stored in parts (see StatePart): the counters as JSON in
// the execution row, each frame, each Parallel's or Map's inputs and each of
// their results as a row of its own, so that a step writes what it changed
// and not the whole execution.
type execState struct {
	Status      string `json:"status"`
	LastEventID int64  `json:"last_event_id"`
	// Frames are stored as parts; a state written whole in the execution
	// row (by an engine of an older build) still decodes.
	Frames    map[int64]*frame `json:"frames,omitempty"`
	NextFrame int64            `json:"next_frame"`
	NextTask  int64            `json:"next_task"`
	// Secret keys the execution's task tokens (see taskToken); drawn
	// from the random source when the first token is made.
	Secret string `json:"secret,omitempty"`
	// Deadline is when the execution times out (zero: never).
	Deadline time.Time `json:"deadline,omitzero"`
	// Cont is the key of the continuation timer while frames wait in
	// waitCont (see Limits): one per execution, due when it is set.
	Cont string `json:"cont,omitempty"`
	// Redrive is what RedriveExecution left (redrive.go); nil until the
	// execution is first redriven.
	Redrive *Redrive `json:"redrive,omitempty"`

	// tasks finds the frame waiting on a task token (see openTask);
	// built when first needed.
	tasks map[string]int64
	// inParts: the state is stored in parts (see write).
	inParts bool
	// dirty names the frames whose parts may have changed since the state
	// was last written (see delta).
	dirty map[int64]uint8
	// shadow is, in test binaries, every part as last written, which delta
	// checks against a full encoding (see checkDelta).
	shadow map[partKey]string
}

// Frame waits.
const (
	waitNone  = ""
	waitTask  = "task"
	waitTimer = "timer" // Wait state
	waitRetry = "retry" // Retry backoff
	waitKids  = "kids"  // Parallel branches or Map iterations
	waitEnd   = "end"   // blocked until the execution times out
	waitCont  = "cont"  // paused by the decision's work budget until State.Cont fires
)

// frame is one running machine: the top level (ID 0), a Parallel branch or a
// Map iteration.
type frame struct {
	ID     int64 `json:"id"`
	Parent int64 `json:"parent"` // -1 for the top level
	Index  int64 `json:"index"`  // branch or item index within the parent
	// Loc finds the frame's machine from the top level: one element per
	// nesting level, the state name and branch index (-1: Map processor).
	Loc   []frameLoc `json:"loc,omitempty"`
	Quiet bool       `json:"quiet,omitempty"` // distributed Map iteration: no events
	// Child: the frame is an iteration of a distributed Map, run as a
	// child execution; it only waits on that child's task (mapruns.go).
	Child bool `json:"child,omitempty"`

	State     string    `json:"state"`
	Input     jsonValue `json:"input"`
	Entered   int64     `json:"entered"`
	EnteredAt time.Time `json:"entered_at"`
	Attempts  []int64   `json:"attempts,omitempty"`
	Retries   int64     `json:"retries,omitempty"`
	// Fresh: the state is yet to be entered (no Entered event yet).
	Fresh bool `json:"fresh,omitempty"`

	Wait  string `json:"wait,omitempty"`
	Token string `json:"token,omitempty"`
	// TaskRef is Token without its MAC ("<execution id>-<task seq>") when
	// the decider made Token from the execution's Secret: the frame is
	// stored with the ref instead of the token (the MAC is most of what a
	// waiting frame stores that does not compress), and decodeState signs
	// it again.
	TaskRef  string             `json:"task,omitempty"`
	Resource statelang.Resource `json:"resource,omitzero"`
	// Started: the task's Started event is recorded (activities record it
	// when a worker takes the task).
	Started bool `json:"started,omitempty"`
	// Submitted: the TaskSubmitted event of a .sync or callback task whose
	// job (a child execution) started is recorded.
	Submitted bool   `json:"submitted,omitempty"`
	TimerKey  string `json:"timer,omitempty"`
	// Pending is the step a Wait state resumes with when its timer fires.
	PendingNext   string     `json:"pending_next,omitempty"`
	PendingEnd    bool       `json:"pending_end,omitempty"`
	PendingOutput *jsonValue `json:"pending_output,omitempty"`
	// PendingAssign is what the Wait state assigns when its timer fires.
	PendingAssign *jsonValue `json:"pending_assign,omitempty"`

	// Vars is the frame's own scope of workflow variables (an object);
	// the scopes around it are its ancestors' (none for a distributed Map
	// iteration). It is dropped with the frame.
	Vars *jsonValue `json:"vars,omitempty"`

	Kids *frameKids `json:"kids,omitempty"`
}

// frameLoc is one step from a machine to a nested one.
type frameLoc struct {
	State  string `json:"s"`
	Branch int    `json:"b"`
}

// frameKids tracks the branches of a Parallel or the iterations of a Map.
type frameKids struct {
	Map         bool `json:"map,omitempty"`
	Distributed bool `json:"distributed,omitempty"`
	// Run is a distributed Map's Map Run ARN.
	Run string `json:"run,omitempty"`
	// Inputs and Results are parts of their own (written once each), and
	// Running is rebuilt from the frames when the state is read: a frame's
	// part holds only the counters.
	Inputs  kidInputs   `json:"inputs,omitzero"`
	Results []jsonValue `json:"results,omitempty"`
	Next    int         `json:"next"` // next index to launch
	Running []int64     `json:"running,omitempty"`
	Failed  int         `json:"failed,omitempty"`
	First   *frameFail  `json:"first,omitempty"`
	// Abort is set when the state must fail (first branch failure, or the
	// Map's tolerance exceeded).
	Abort          *frameFail `json:"abort,omitempty"`
	MaxConcurrency int64      `json:"max,omitempty"`
	TolCount       int64      `json:"tol_count"`
	TolPct         float64    `json:"tol_pct"`
	// Total is a distributed Map's number of children once they are
	// done and its results are being written (Inputs are dropped then).
	Total int64 `json:"total,omitempty"`
	// Lost are the kids that ended without a result (failed), and Redo
	// the kids a redrive launches again before Next (redrive.go).
	Lost []int `json:"lost,omitempty"`
	Redo []int `json:"redo,omitempty"`
	// Redrives counts a distributed Map's Map Run's redrives and
	// RedrivenAt dates the last one (mapruns.go).
	Redrives   int64     `json:"redrives,omitempty"`
	RedrivenAt time.Time `json:"redriven_at,omitzero"`

	isDone  []bool // which Results are set (see result)
	written bool   // a ResultWriter wrote the Map Run's results (its row's ResultsWritten)
	fresh   []int  // Results set since the state was last written
	// shown is the MapRun.Running the Map Run's row last got from this
	// state, when shownSet (an EXPRESS Map's, mapruns.go showRunning);
	// not stored: a state read again writes the row at its next settle.
	shown    int64
	shownSet bool
}

// kidInputs are the inputs of a Parallel's branches or a Map's
// iterations: parsed values, or (a distributed Map's items, which are only
// passed on, each as a child's input) their JSON texts one after the other
// in one string, which costs the texts and 4 bytes an item rather than a
// value, a string header and an interface each. Either way it is stored
// as a JSON array.
type kidInputs struct {
	vals []jsonValue
	text string   // the texts, when vals is nil
	ends []uint32 // where each text ends in text
}

// valueInputs are inputs kept as values.
func valueInputs(vs []any) kidInputs {
	in := kidInputs{vals: make([]jsonValue, len(vs))}
	for i, v := range vs {
		in.vals[i] = jsonValue{v}
	}
	return in
}

// Len is the number of inputs.
func (in kidInputs) Len() int {
	if in.vals != nil {
		return len(in.vals)
	}
	return len(in.ends)
}

// IsZero (omitzero): no inputs, as an empty slice was omitted.
func (in kidInputs) IsZero() bool { return in.Len() == 0 }

// at is input i: a value, or a statelang.JSONText.
func (in kidInputs) at(i int) any {
	if in.vals != nil {
		return in.vals[i].V
	}
	start := uint32(0)
	if i > 0 {
		start = in.ends[i-1]
	}
	return statelang.JSONText(in.text[start:in.ends[i]])
}

// MarshalJSON writes the inputs as a JSON array.
func (in kidInputs) MarshalJSON() ([]byte, error) {
	if in.vals != nil {
		return json.Marshal(in.vals)
	}
	b := make([]byte, 0, len(in.text)+len(in.ends)+2)
	b = append(b, '[')
	start := uint32(0)
	for i, end := range in.ends {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, in.text[start:end]...)
		start = end
	}
	return append(b, ']'), nil
}

// UnmarshalJSON reads a JSON array of inputs as values (decodeInputs
// reads a distributed Map's as texts).
func (in *kidInputs) UnmarshalJSON(b []byte) error {
	var vals []jsonValue
	if err := json.Unmarshal(b, &vals); err != nil {
		return err
	}
	if vals == nil {
		vals = []jsonValue{}
	}
	*in = kidInputs{vals: vals}
	return nil
}

// frameFail is a statelang.Failure as stored.
type frameFail struct {
	Name  string `json:"error"`
	Cause string `json:"cause,omitempty"`
}

func toFail(f *statelang.Failure) *frameFail { return &frameFail{Name: f.Name, Cause: f.Cause} }
func (f *frameFail) failure() *statelang.Failure {
	return &statelang.Failure{Name: f.Name, Cause: f.Cause}
}

// machineAt resolves a frame's machine.
func machineAt(top *statelang.Machine, loc []frameLoc) (*statelang.Machine, error) {
	m := top
	for _, l := range loc {
		s := m.States[l.State]
		switch {
		case s == nil:
			return nil, fmt.Errorf("no state %q", l.State)
		case l.Branch < 0:
			if s.Processor == nil {
				return nil, fmt.Errorf("state %q has no processor", l.State)
			}
			m = s.Processor
		default:
			if l.Branch >= len(s.Branches) {
				return nil, fmt.Errorf("state %q has no branch %d", l.State, l.Branch)
			}
			m = s.Branches[l.Branch]
		}
	}
	return m, nil
}
