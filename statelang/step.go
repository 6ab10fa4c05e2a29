package statelang

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
)

// MaxPayloadBytes is the largest input or output a state or execution may
// carry (256 KiB), as on AWS.
const MaxPayloadBytes = 256 * 1024

// StepKind says what a state wants to happen next.
type StepKind int

const (
	// StepNext: go to Step.Next with Step.Output.
	StepNext StepKind = iota
	// StepSucceed: the machine (or branch/iteration) ends with Step.Output.
	StepSucceed
	// StepFail: the state failed with Step.Failure. Give it to
	// State.Recover when the state has Retry or Catch.
	StepFail
	// StepTask: run Step.Task, then call State.Complete or State.Recover.
	StepTask
	// StepWait: wait until Step.WaitUntil, then go on as Step.Next/Step.End
	// with Step.Output.
	StepWait
	// StepParallel: run each branch of the state with Step.Inputs[i], then
	// call State.Complete with the branches' outputs in order.
	StepParallel
	// StepMap: run the state's Processor once per Step.Inputs item, at most
	// Step.MaxConcurrency at a time (0: no limit), then call State.Complete
	// with the outputs in item order. When Step.Failure is set, the Map
	// started (record MapStateStarted) and failed at once: a distributed
	// Map checks its tolerance only after it started.
	StepMap
)

// Step is the answer of the step API: what one state does.
type Step struct {
	Kind    StepKind
	Next    string // StepNext, and StepWait when not End
	End     bool   // StepWait: the state ends the machine after the wait
	Output  any
	Failure *Failure

	Task      *TaskCall
	WaitUntil time.Time

	// Assign holds the variables the state sets (its Assign field), to be
	// applied to the current scope (Context.Vars) when the state is left:
	// with StepNext and StepSucceed at once, with StepWait after the wait.
	// StepTask, StepParallel and StepMap carry none; Complete returns
	// theirs.
	Assign map[string]any

	Inputs         []any
	MaxConcurrency int64
	// Read, for a Map with an ItemReader, is the read that gives its
	// items (see MapItems); Inputs is then nil.
	Read *ReadCall
	// ToleratedFailureCount and ToleratedFailurePercentage are the Map's
	// tolerance; -1 means not set.
	ToleratedFailureCount      int64
	ToleratedFailurePercentage float64
}

// TaskCall is a task to run: the resource and the input it gets.
type TaskCall struct {
	Resource         Resource
	Input            any
	TimeoutSeconds   int64 // 0: none (AWS's default is effectively unbounded)
	HeartbeatSeconds int64 // 0: none
	Credentials      any
}

func next(s *State, out any) Step {
	if s.End || s.Type == TypeSucceed {
		return Step{Kind: StepSucceed, Output: out}
	}
	return Step{Kind: StepNext, Next: s.Next, Output: out}
}

func fail(f *Failure) Step { return Step{Kind: StepFail, Failure: f} }

// runtimeFailure is a failure raised by the interpreter itself while it
// executes a state; AWS prefixes its cause with where it happened.
func (s *State) runtimeFailure(c *Context, name, cause string) *Failure {
	return &Failure{Name: name, Cause: fmt.Sprintf(
		"An error occurred while executing the state '%s' (entered at the event id #%d). %s", s.Name, c.EnteredEventID, cause)}
}

func (s *State) pathFailure(c *Context, err error, p *Path) *Failure {
	return s.runtimeFailure(c, ErrRuntime, fmt.Sprintf("Invalid path '%s' : %s", p, err))
}

// applyPath applies InputPath or OutputPath.
func (s *State) applyPath(pf pathField, v any, c *Context, ctxObj any) (any, *Failure) {
	switch {
	case pf.Null:
		return map[string]any{}, nil
	case pf.Path == nil:
		return v, nil
	}
	out, err := pf.Path.Get(v, ctxObj)
	if err != nil {
		return nil, s.pathFailure(c, err, pf.Path)
	}
	return out, nil
}

// applyResultPath merges a result into the raw state input.
func (s *State) applyResultPath(pf pathField, input, result any, c *Context) (any, *Failure) {
	switch {
	case pf.Null:
		return input, nil
	case pf.Path == nil:
		return result, nil
	}
	out, err := pf.Path.Set(input, result)
	if err != nil {
		return nil, s.runtimeFailure(c, ErrResultPathMatchFailure, err.Error())
	}
	return out, nil
}

func checkSize(v any) bool {
	return !sizeOver(v, MaxPayloadBytes)
}

// Enter computes what a state does with its raw input. c describes the
// execution and this entry of the state.
func (s *State) Enter(input any, c *Context, env *Env) Step {
	if s.IsJSONata() {
		return s.enterJSONata(input, c, env)
	}
	ctxObj := s.contextObject(c)
	if s.Type == TypeFail {
		return fail(s.failOf(input, c, ctxObj, env))
	}
	eff, f := s.applyPath(s.InputPath, input, c, ctxObj)
	if f != nil {
		return fail(f)
	}
	switch s.Type {
	case TypePass:
		result := eff
		if s.HasResult {
			result = Clone(s.Result)
		} else if s.Parameters != nil {
			if result, f = s.Parameters.Eval(eff, ctxObj, env); f != nil {
				return fail(s.asRuntime(c, f))
			}
		}
		assign, f := s.evalAssign(s.assign, result, ctxObj, nil, env, c)
		if f != nil {
			return fail(f)
		}
		st := s.finish(input, result, c, ctxObj)
		st.Assign = assign
		return st
	case TypeSucceed:
		out, f := s.applyPath(s.OutputPath, eff, c, ctxObj)
		if f != nil {
			return fail(f)
		}
		return Step{Kind: StepSucceed, Output: out}
	case TypeChoice:
		target := ""
		assign := s.assign
		for _, r := range s.Choices {
			ok, f := r.eval(eff, ctxObj)
			if f != nil {
				return fail(s.runtimeFailure(c, f.Name, f.Cause))
			}
			if ok {
				target = r.Next
				if r.assign != nil {
					assign = r.assign
				}
				break
			}
		}
		if target == "" {
			target = s.Default
		}
		if target == "" {
			return fail(s.runtimeFailure(c, ErrNoChoiceMatched, "No Matches!"))
		}
		vals, f := s.evalAssign(assign, eff, ctxObj, nil, env, c)
		if f != nil {
			return fail(f)
		}
		out, f := s.applyPath(s.OutputPath, eff, c, ctxObj)
		if f != nil {
			return fail(f)
		}
		return Step{Kind: StepNext, Next: target, Output: out, Assign: vals}
	case TypeWait:
		until, f := s.waitUntil(eff, c, ctxObj)
		if f != nil {
			return fail(f)
		}
		if (s.Timestamp != nil || s.TimestampPath != nil) && tooLongWait(until, c) {
			return fail(s.runtimeFailure(c, ErrRuntime, "Wait state delay is too long."))
		}
		vals, f := s.evalAssign(s.assign, eff, ctxObj, nil, env, c)
		if f != nil {
			return fail(f)
		}
		out, f := s.applyPath(s.OutputPath, eff, c, ctxObj)
		if f != nil {
			return fail(f)
		}
		return Step{Kind: StepWait, WaitUntil: until, Next: s.Next, End: s.End, Output: out, Assign: vals}
	case TypeTask:
		call := &TaskCall{Resource: s.Resource, Input: eff}
		if s.Parameters != nil {
			if call.Input, f = s.Parameters.Eval(eff, ctxObj, env); f != nil {
				return fail(s.asRuntime(c, f))
			}
		}
		if call.TimeoutSeconds, f = s.seconds(s.TimeoutSeconds, s.TimeoutSecondsPath, "TimeoutSecondsPath", eff, c, ctxObj); f != nil {
			return fail(f)
		}
		if call.HeartbeatSeconds, f = s.seconds(s.HeartbeatSeconds, s.HeartbeatSecondsPath, "HeartbeatSecondsPath", eff, c, ctxObj); f != nil {
			return fail(f)
		}
		if s.Credentials != nil {
			if call.Credentials, f = s.Credentials.Eval(eff, ctxObj, env); f != nil {
				return fail(s.asRuntime(c, f))
			}
		}
		return Step{Kind: StepTask, Task: call}
	case TypeParallel:
		in := eff
		if s.Parameters != nil {
			if in, f = s.Parameters.Eval(eff, ctxObj, env); f != nil {
				return fail(s.asRuntime(c, f))
			}
		}
		inputs := make([]any, len(s.Branches))
		for i := range inputs {
			inputs[i] = Clone(in)
		}
		return Step{Kind: StepParallel, Inputs: inputs}
	case TypeMap:
		return s.enterMap(eff, c, ctxObj, env)
	}
	return fail(s.runtimeFailure(c, ErrRuntime, "unknown state type "+string(s.Type)))
}

// contextObject returns what JSONPath fields of the state read besides
// the input: the variables, and the context object for a state that reads
// it (the others get none, which spares a map per step).
func (s *State) contextObject(c *Context) *refs {
	r := &refs{vars: c.Vars}
	if s.readsContext {
		r.obj = c.Object()
	}
	return r
}

// asRuntime prefixes a runtime failure raised while evaluating a payload
// template with where it happened, as AWS does.
func (s *State) asRuntime(c *Context, f *Failure) *Failure {
	if f.Name == ErrRuntime {
		return s.runtimeFailure(c, ErrRuntime, f.Cause)
	}
	return f
}

// finish applies ResultPath and OutputPath to a result and moves on.
func (s *State) finish(input, result any, c *Context, ctxObj any) Step {
	out, f := s.applyResultPath(s.ResultPath, input, result, c)
	if f != nil {
		return fail(f)
	}
	out, f = s.applyPath(s.OutputPath, out, c, ctxObj)
	if f != nil {
		return fail(f)
	}
	if !checkSize(out) {
		return fail(&Failure{Name: ErrDataLimitExceeded, Cause: fmt.Sprintf(
			"The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit.", s.Name)})
	}
	return next(s, out)
}

// Complete folds the result of a Task (or the array of branch or iteration
// outputs of a Parallel or Map) into the raw state input: ResultSelector,
// ResultPath, OutputPath.
func (s *State) Complete(input, result any, c *Context, env *Env) Step {
	if !checkSize(result) {
		return fail(&Failure{Name: ErrDataLimitExceeded, Cause: fmt.Sprintf(
			"The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit.", s.Name)})
	}
	if s.IsJSONata() {
		return s.completeJSONata(input, result, c, env)
	}
	ctxObj := s.contextObject(c)
	if s.ResultSelector != nil {
		var f *Failure
		if result, f = s.ResultSelector.Eval(result, ctxObj, env); f != nil {
			return fail(s.asRuntime(c, f))
		}
	}
	assign, f := s.evalAssign(s.assign, result, ctxObj, nil, env, c)
	if f != nil {
		return fail(f)
	}
	st := s.finish(input, result, c, ctxObj)
	st.Assign = assign
	return st
}

// RecoveryKind says how a failed state goes on.
type RecoveryKind int

const (
	// RecoverFail: no retrier or catcher applies; the state fails with
	// Recovery.Failure.
	RecoverFail RecoveryKind = iota
	// RecoverRetry: run the state again after Recovery.Delay; count the
	// attempt against Retry[Recovery.Retrier].
	RecoverRetry
	// RecoverCatch: go to Recovery.Next with Recovery.Output.
	RecoverCatch
)

// Recovery is the answer of State.Recover.
type Recovery struct {
	Kind    RecoveryKind
	Retrier int
	Delay   time.Duration
	Next    string
	Output  any
	Failure *Failure
	// Assign holds the variables the catcher sets (RecoverCatch), to be
	// applied to the current scope when the state is left.
	Assign map[string]any
}

// Recover decides what a failure of this state leads to. attempts[i] is how
// many retries Retry[i] has already made in this entry of the state (nil
// means none); random is a number in [0, 1) for FULL jitter.
//
// Recover knows nothing of the execution: a catcher with Assign, or any
// catcher of a JSONata state, needs RecoverWith.
func (s *State) Recover(input any, f *Failure, attempts []int64, random float64) Recovery {
	return s.RecoverWith(input, f, attempts, random, &Context{}, nil)
}

// RecoverWith is Recover with the context (and its variables) and the
// environment a catcher's Assign and JSONata Output read.
func (s *State) RecoverWith(input any, f *Failure, attempts []int64, random float64, c *Context, env *Env) Recovery {
	for i, r := range s.Retry {
		if !MatchError(r.ErrorEquals, f.Name) {
			continue
		}
		var n int64
		if i < len(attempts) {
			n = attempts[i]
		}
		if n < r.MaxAttempts {
			return Recovery{Kind: RecoverRetry, Retrier: i, Delay: r.Delay(n, random)}
		}
		break
	}
	for _, cat := range s.Catch {
		if !MatchError(cat.ErrorEquals, f.Name) {
			continue
		}
		if s.IsJSONata() {
			return s.catchJSONata(cat, input, f, c, env)
		}
		errOut := f.Output()
		out, err := catchOutput(cat.ResultPath, input, errOut)
		if err != nil {
			return Recovery{Kind: RecoverFail, Failure: &Failure{Name: ErrResultPathMatchFailure, Cause: err.Error()}}
		}
		assign, af := s.evalAssign(cat.assign, errOut, s.contextObject(c), nil, env, c)
		if af != nil {
			return Recovery{Kind: RecoverFail, Failure: af}
		}
		return Recovery{Kind: RecoverCatch, Next: cat.Next, Output: out, Assign: assign}
	}
	return Recovery{Kind: RecoverFail, Failure: f}
}

func catchOutput(pf pathField, input any, errOut map[string]any) (any, error) {
	switch {
	case pf.Null:
		return input, nil
	case pf.Path == nil:
		return errOut, nil
	}
	return pf.Path.Set(input, errOut)
}

// Delay is the wait before retry number attempt+1: IntervalSeconds ×
// BackoffRate^attempt, capped by MaxDelaySeconds, and with FULL jitter a
// random share of that.
func (r *Retrier) Delay(attempt int64, random float64) time.Duration {
	secs := float64(r.IntervalSeconds) * math.Pow(r.BackoffRate, float64(attempt))
	if r.MaxDelaySeconds > 0 && secs > float64(r.MaxDelaySeconds) {
		secs = float64(r.MaxDelaySeconds)
	}
	if r.JitterFull {
		secs *= random
	}
	if secs > float64(math.MaxInt64/int64(time.Second)) {
		secs = float64(math.MaxInt64 / int64(time.Second))
	}
	return time.Duration(secs * float64(time.Second))
}

// failOf computes the error and cause of a Fail state.
func (s *State) failOf(input any, c *Context, ctxObj any, env *Env) *Failure {
	out := &Failure{Name: s.Error, Cause: s.Cause}
	get := func(p *Path, call *intrinsic, field string) (string, *Failure) {
		var v any
		if call != nil {
			r, f := call.eval(input, ctxObj, env, newBudget())
			if f != nil {
				return "", f
			}
			v = r
		} else {
			r, err := p.Get(input, ctxObj)
			if err != nil {
				return "", s.runtimeFailure(c, ErrRuntime, fmt.Sprintf(
					"The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'", p, field, MarshalString(input)))
			}
			if sizeOver(r, MaxPayloadBytes) { // $..* selects far more than the input
				return "", dataLimit(fmt.Sprintf("JSONPath '%s' specified for the field '%s'", p, field))
			}
			v = r
		}
		if str, ok := v.(string); ok {
			return str, nil
		}
		return MarshalString(v), nil
	}
	var f *Failure
	if s.ErrorPath != nil || s.errorPathIntrinsic != nil {
		if out.Name, f = get(s.ErrorPath, s.errorPathIntrinsic, "ErrorPath"); f != nil {
			return f
		}
	}
	if s.CausePath != nil || s.causePathIntrinsic != nil {
		if out.Cause, f = get(s.CausePath, s.causePathIntrinsic, "CausePath"); f != nil {
			return f
		}
	}
	return out
}

// seconds resolves TimeoutSeconds/HeartbeatSeconds or their Path twin.
func (s *State) seconds(fixed int64, p *Path, field string, eff any, c *Context, ctxObj any) (int64, *Failure) {
	if p == nil {
		return fixed, nil
	}
	v, err := p.Get(eff, ctxObj)
	if err != nil {
		return 0, s.pathFailure(c, err, p)
	}
	n, ok := asInteger(v)
	if !ok || n <= 0 {
		return 0, s.runtimeFailure(c, ErrRuntime, fmt.Sprintf(
			"The %s field refers to value \"%s\" which is not a valid positive integer: %s", field, rawText(v), p))
	}
	return n, nil
}

// integerText reads a string that holds a whole number ("1", "-2") as that
// number, as AWS does for MaxConcurrencyPath and ToleratedFailureCountPath;
// any other value is returned as it is. "1.5" or "1e2" stay strings: AWS
// parses them as a Java long, which takes digits only.
func integerText(v any) any {
	if str, isStr := v.(string); isStr {
		if i, err := strconv.ParseInt(str, 10, 64); err == nil {
			return i
		}
	}
	return v
}

// floatText reads a string that holds a decimal number ("12.5", "50") as
// that number, as AWS does for ToleratedFailurePercentagePath (a Java
// double); any other value is returned as it is.
func floatText(v any) any {
	if str, isStr := v.(string); isStr {
		if f, err := strconv.ParseFloat(str, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return f
		}
	}
	return v
}

// rawText prints a value as AWS quotes it in causes: strings as they are,
// everything else as JSON.
func rawText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return MarshalString(v)
}

// asInteger reads a JSON number that holds a whole value.
func asInteger(v any) (int64, bool) {
	switch t := v.(type) {
	case int64:
		return t, true
	case float64:
		if t == math.Trunc(t) && math.Abs(t) < 1<<62 {
			return int64(t), true
		}
	case json.Number:
		n, err := strconv.ParseInt(string(t), 10, 64)
		return n, err == nil
	}
	return 0, false
}

// maxWait is the longest a Wait state may wait: AWS's execution limit of
// one year.
const maxWait = 366 * 24 * time.Hour

// tooLongWait reports whether a Wait state entered as c says would end
// more than maxWait later. It applies to Timestamp and TimestampPath as
// it does to SecondsPath: a timestamp in the year 9999 is an end no
// execution reaches, and one a timer store may not hold.
func tooLongWait(until time.Time, c *Context) bool {
	return until.Sub(c.StateEnteredTime) > maxWait
}

func (s *State) waitUntil(eff any, c *Context, ctxObj any) (time.Time, *Failure) {
	switch {
	case s.Seconds != nil:
		return c.StateEnteredTime.Add(time.Duration(*s.Seconds) * time.Second), nil
	case s.Timestamp != nil:
		return *s.Timestamp, nil
	case s.SecondsPath != nil:
		v, err := s.SecondsPath.Get(eff, ctxObj)
		if err != nil {
			return time.Time{}, s.runtimeFailure(c, ErrRuntime, fmt.Sprintf(
				"The SecondsPath parameter does not reference an input value: %s", s.SecondsPath))
		}
		n, ok := v.(int64)
		if !ok {
			if jn, isNum := v.(json.Number); isNum {
				if _, err := strconv.ParseInt(string(jn), 10, 64); err != nil {
					return time.Time{}, s.runtimeFailure(c, ErrRuntime, "Wait state delay is too long.")
				}
			}
			return time.Time{}, s.runtimeFailure(c, ErrRuntime, fmt.Sprintf(
				"The SecondsPath parameter cannot be parsed as a long value: %s == %s", s.SecondsPath, MarshalString(v)))
		}
		if n < 0 {
			return time.Time{}, s.runtimeFailure(c, ErrRuntime, fmt.Sprintf(
				"The SecondsPath parameter references a negative value: %s == %d", s.SecondsPath, n))
		}
		if time.Duration(n) > maxWait/time.Second {
			return time.Time{}, s.runtimeFailure(c, ErrRuntime, "Wait state delay is too long.")
		}
		return c.StateEnteredTime.Add(time.Duration(n) * time.Second), nil
	case s.TimestampPath != nil:
		v, err := s.TimestampPath.Get(eff, ctxObj)
		if err != nil {
			return time.Time{}, s.runtimeFailure(c, ErrRuntime, fmt.Sprintf(
				"The TimestampPath parameter does not reference an input value: %s", s.TimestampPath))
		}
		str, _ := v.(string)
		t, ok := ParseTimestamp(str)
		if !ok {
			shown := str
			if _, isStr := v.(string); !isStr {
				shown = MarshalString(v)
			}
			return time.Time{}, s.runtimeFailure(c, ErrRuntime, fmt.Sprintf(
				"The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: %s == %s", s.TimestampPath, shown))
		}
		return t, nil
	}
	return c.StateEnteredTime, nil
}

// ParseTimestamp parses a timestamp as AWS does for Wait and Choice: an
// RFC 3339 date-time with a zone offset (Z or ±hh:mm), with optional
// fractional seconds.
func ParseTimestamp(s string) (time.Time, bool) {
	if len(s) < 20 || (s[10] != 'T' && s[10] != 't') {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

func (s *State) enterMap(eff any, c *Context, ctxObj any, env *Env) Step {
	var arr []any
	if s.Reader == nil { // a reader's items ignore ItemsPath, as on AWS
		items := eff
		if s.ItemsPath.Path != nil {
			v, err := s.ItemsPath.Path.Get(eff, ctxObj)
			if err != nil {
				return fail(s.pathFailure(c, err, s.ItemsPath.Path))
			}
			items = v
		}
		a, ok := items.([]any)
		if !ok {
			return fail(s.runtimeFailure(c, ErrRuntime, fmt.Sprintf(
				"Map state input must be an array but was: %s", MarshalString(items))))
		}
		arr = a
	}
	st := Step{Kind: StepMap, MaxConcurrency: s.MaxConcurrency, ToleratedFailureCount: -1, ToleratedFailurePercentage: -1}
	if s.MaxConcurrencyPath != nil {
		v, err := s.MaxConcurrencyPath.Get(eff, ctxObj)
		if err != nil {
			return fail(s.pathFailure(c, err, s.MaxConcurrencyPath))
		}
		n, ok := asInteger(integerText(v))
		if !ok || n < 0 {
			return fail(s.runtimeFailure(c, ErrRuntime, fmt.Sprintf(
				"The MaxConcurrencyPath field refers to value \"%s\" which is not a valid integer: %s", rawText(v), s.MaxConcurrencyPath)))
		}
		st.MaxConcurrency = n
	}
	if f := s.tolerance(&st, eff, c, ctxObj); f != nil {
		if s.ProcessorMode == "DISTRIBUTED" {
			return Step{Kind: StepMap, Failure: f}
		}
		return fail(f)
	}
	if s.Reader != nil {
		rc, f := s.readCall(eff, c, ctxObj, env)
		if f != nil {
			return fail(f)
		}
		st.Read = rc
		return st
	}
	return s.selectItems(st, arr, eff, c, env)
}

// selectItems sets st's Inputs: the items through the ItemSelector.
func (s *State) selectItems(st Step, arr []any, eff any, c *Context, env *Env) Step {
	sel := s.ItemSelector
	if sel == nil {
		sel = s.Parameters
	}
	st.Inputs = make([]any, len(arr))
	for i, item := range arr {
		if sel == nil {
			st.Inputs[i] = item
			continue
		}
		ic := *c
		ic.MapItem = &MapItem{Index: int64(i), Value: item}
		v, f := sel.Eval(eff, &refs{obj: ic.Object(), vars: c.Vars}, env)
		if f != nil {
			return fail(s.asRuntime(c, f))
		}
		st.Inputs[i] = v
	}
	if s.Batcher != nil {
		var f *Failure
		if st.Inputs, f = s.batchJSONPath(st.Inputs, eff, c, env); f != nil {
			return fail(f)
		}
	}
	return st
}

// tolerance reads the Map's ToleratedFailureCount/Percentage (or their
// Path twins) into st.
func (s *State) tolerance(st *Step, eff any, c *Context, ctxObj any) *Failure {
	if s.ToleratedFailureCount != nil {
		st.ToleratedFailureCount = *s.ToleratedFailureCount
	}
	if s.ToleratedFailureCountPath != nil {
		v, err := s.ToleratedFailureCountPath.Get(eff, ctxObj)
		if err != nil {
			return s.pathFailure(c, err, s.ToleratedFailureCountPath)
		}
		n, ok := asInteger(integerText(v))
		if !ok {
			return s.runtimeFailure(c, ErrRuntime, fmt.Sprintf(
				"The ToleratedFailureCountPath field refers to value \"%s\" which is not a valid integer: %s", rawText(v), s.ToleratedFailureCountPath))
		}
		if n < 0 {
			return s.runtimeFailure(c, ErrRuntime, "ToleratedFailureCount cannot be negative.")
		}
		st.ToleratedFailureCount = n
	}
	if s.ToleratedFailurePercentage != nil {
		st.ToleratedFailurePercentage = *s.ToleratedFailurePercentage
	}
	if s.ToleratedFailurePercentagePath != nil {
		v, err := s.ToleratedFailurePercentagePath.Get(eff, ctxObj)
		if err != nil {
			return s.pathFailure(c, err, s.ToleratedFailurePercentagePath)
		}
		pct, ok := toFloat(floatText(v))
		if !ok || math.IsNaN(pct) {
			return s.runtimeFailure(c, ErrRuntime, fmt.Sprintf(
				"The ToleratedFailurePercentagePath field refers to value \"%s\" which is not a valid float: %s", rawText(v), s.ToleratedFailurePercentagePath))
		}
		if pct < 0 || pct > 100 {
			return s.runtimeFailure(c, ErrRuntime, "ToleratedFailurePercentage must be between 0 and 100.")
		}
		st.ToleratedFailurePercentage = pct
	}
	return nil
}

// Tolerates reports whether a Map with the given tolerance survives failed
// iterations out of total.
func (st *Step) Tolerates(failed, total int) bool {
	if failed == 0 {
		return true
	}
	ok := false
	if st.ToleratedFailureCount >= 0 && int64(failed) <= st.ToleratedFailureCount {
		ok = true
	}
	if st.ToleratedFailurePercentage >= 0 && total > 0 &&
		float64(failed)*100/float64(total) <= st.ToleratedFailurePercentage {
		ok = true
	}
	return ok
}
