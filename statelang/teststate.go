package statelang

import (
	"fmt"
	"sort"
	"time"

	"github.com/stepwise-dev/stepwise/internal/arn"
)

// This file is the TestState operation of AWS Step Functions: one state
// run once, in memory, with a mocked task result or error standing in for
// whatever the state would call. Nothing is persisted and nothing waits:
// the answer says what the state did (its output and next state, or the
// error and whether a Retry or Catch of the state handles it) and, at the
// DEBUG and TRACE levels, the value after each step of its data flow.

// TestStateName is the name the tested state has in its context object
// ($$.State.Name), as on AWS, and the name a definition of a single state
// is given.
const TestStateName = "StateName"

// Test statuses (TestState's status field).
const (
	TestSucceeded   = "SUCCEEDED"
	TestFailed      = "FAILED"
	TestRetriable   = "RETRIABLE"
	TestCaughtError = "CAUGHT_ERROR"
)

// Inspection levels.
const (
	LevelInfo  = "INFO"
	LevelDebug = "DEBUG"
	LevelTrace = "TRACE"
)

// TestInput is one TestState call. JSON texts are given as the request
// carries them; TestState parses them.
type TestInput struct {
	// Definition is one state or, with StateName, a whole machine.
	Definition string
	// StateName names the state of Definition to test ("": Definition is
	// the state). It may name a state of a Parallel branch or a Map
	// processor.
	StateName string
	// Input is the state's input (JSON text); nil means {}.
	Input *string
	// Level is INFO (the default), DEBUG or TRACE.
	Level string
	// RevealSecrets is refused with a mock, as on AWS.
	RevealSecrets bool
	// Variables is a JSON object of the workflow variables the state reads.
	Variables *string
	// Context is the context object ($$) as JSON text; nil builds one for
	// an express execution started at Now.
	Context *string
	// RoleArn is the execution role; AWS requires it to test a Task
	// without a mock.
	RoleArn string
	// Mock stands in for what a Task, Parallel or Map state calls.
	Mock *TestMock
	// Config is the stateConfiguration: retries made, Map failures.
	Config TestConfig

	// Now is when the test runs (the context object's times).
	Now time.Time
	// Region and Account build the context object's ARNs.
	Region, Account string
}

// TestMock is the mocked outcome of a Task, Parallel or Map state: a
// Result (JSON text) or an Error.
type TestMock struct {
	Result *string
	Error  *Failure
	// FieldValidationMode is STRICT (the default), PRESENT or NONE: how a
	// Task's result is checked against the response shape of the API it
	// calls (teststate_shapes.go; a few integrations are known).
	FieldValidationMode string
}

// TestConfig is TestState's stateConfiguration.
type TestConfig struct {
	// RetrierRetryCount is how many retries the Retry entry matching the
	// error has made already.
	RetrierRetryCount *int64
	// ErrorCausedByState names the state of a Map or Parallel the mocked
	// error comes from.
	ErrorCausedByState string
	// MapIterationFailureCount is how many Map iterations failed; it is
	// checked against the Map's tolerated failures.
	MapIterationFailureCount *int64
	// MapItemReaderData is what a Map's ItemReader read (JSON text).
	MapItemReaderData *string
}

// TestResult is TestState's answer.
type TestResult struct {
	Status string
	// Output is set (HasOutput) when the state succeeded or a catcher
	// caught its error.
	Output    any
	HasOutput bool
	// Failure is the error when Status is not SUCCEEDED.
	Failure   *Failure
	NextState string
	// Inspection is nil at the INFO level.
	Inspection *Inspection
}

// Inspection is TestState's inspectionData: the values along the state's
// data flow. A nil field did not happen (or does not exist for the state).
type Inspection struct {
	Input               *Data
	AfterInputPath      *Data
	AfterParameters     *Data
	AfterArguments      *Data
	Result              *Data
	AfterResultSelector *Data
	AfterResultPath     *Data
	AfterItemsPath      *Data
	AfterItemSelector   *Data
	Variables           *Data
	ErrorDetails        *ErrorDetails

	MaxConcurrency             *int64
	ToleratedFailureCount      *int64
	ToleratedFailurePercentage *float64
}

// Data is one JSON value of an inspection (it may be null).
type Data struct{ V any }

// ErrorDetails says which Retry or Catch entry handled the error.
type ErrorDetails struct {
	CatchIndex                  *int64
	RetryIndex                  *int64
	RetryBackoffIntervalSeconds *int64
}

// TestError is a TestState request AWS refuses: Code is its AWS error
// code (ValidationException, InvalidDefinition, InvalidExecutionInput).
// An invalid definition is reported as Diagnostics instead.
type TestError struct {
	Code    string
	Message string
}

func (e *TestError) Error() string { return e.Code + ": " + e.Message }

func validation(format string, args ...any) *TestError {
	return &TestError{Code: "ValidationException", Message: fmt.Sprintf(format, args...)}
}

// TestState runs one state as AWS's TestState does. It returns a
// *TestError or Diagnostics for a request AWS refuses.
func TestState(in *TestInput, env *Env) (*TestResult, error) {
	t := &tester{in: in, env: env}
	if err := t.load(); err != nil {
		return nil, err
	}
	if err := t.check(); err != nil {
		return nil, err
	}
	return t.run(), nil
}

type tester struct {
	in  *TestInput
	env *Env

	s *State
	// reader and writer: the tested Map has an ItemReader or a
	// ResultWriter (removed before parsing, with any ItemBatcher: TestState
	// reads and writes nothing).
	reader, writer bool

	input  any
	c      *Context
	result any // the mocked result, parsed
	res    *TestResult
	ins    *Inspection
}

// mapIOFields are the distributed Map fields TestState leaves out: with a
// mock nothing is read or written.
var mapIOFields = []string{"ItemReader", "ItemBatcher", "ResultWriter"}

// load parses the definition and finds the tested state.
func (t *tester) load() error {
	raw, err := ParseJSON([]byte(t.in.Definition))
	if err != nil {
		return Diagnostics{{Code: "INVALID_JSON_DESCRIPTION", Location: "/", Message: "The definition is not valid JSON: " + err.Error()}}
	}
	top, ok := raw.(map[string]any)
	if !ok {
		return Diagnostics{{Code: "SCHEMA_VALIDATION_FAILED", Location: "/", Message: "The definition must be a JSON object"}}
	}
	name := t.in.StateName
	if name == "" {
		name = TestStateName
		top = wrapState(top)
	}
	if st := findRawState(top, name); st != nil {
		for _, k := range mapIOFields {
			if _, ok := st[k]; ok {
				t.reader = t.reader || k == "ItemReader"
				t.writer = t.writer || k == "ResultWriter"
			}
		}
	}
	stripMapIO(top)
	m, err := Parse(MarshalJSON(top))
	if err != nil {
		return err
	}
	if t.s = findState(m, name); t.s == nil {
		return validation("State not found in definition")
	}
	return nil
}

// wrapState makes a machine of a single state: the state, named
// TestStateName, and a Succeed state for each state it may go to.
func wrapState(st map[string]any) map[string]any {
	states := map[string]any{TestStateName: st}
	target := func(v any) {
		if n, ok := v.(string); ok && n != "" && n != TestStateName {
			states[n] = map[string]any{"Type": "Succeed"}
		}
	}
	target(st["Next"])
	target(st["Default"])
	for _, k := range []string{"Choices", "Catch"} {
		list, _ := st[k].([]any)
		for _, e := range list {
			if em, ok := e.(map[string]any); ok {
				target(em["Next"])
			}
		}
	}
	return map[string]any{"StartAt": TestStateName, "States": states}
}

// subMachines returns the branches and the processor of a state given as
// JSON.
func subMachines(st map[string]any) []map[string]any {
	var out []map[string]any
	branches, _ := st["Branches"].([]any)
	for _, b := range branches {
		if bm, ok := b.(map[string]any); ok {
			out = append(out, bm)
		}
	}
	for _, k := range []string{"ItemProcessor", "Iterator"} {
		if p, ok := st[k].(map[string]any); ok {
			out = append(out, p)
		}
	}
	return out
}

// findRawState finds a state by name in a machine given as JSON,
// including its branches and processors.
func findRawState(m map[string]any, name string) map[string]any {
	states, _ := m["States"].(map[string]any)
	if st, ok := states[name].(map[string]any); ok {
		return st
	}
	for _, v := range states {
		st, _ := v.(map[string]any)
		for _, sub := range subMachines(st) {
			if found := findRawState(sub, name); found != nil {
				return found
			}
		}
	}
	return nil
}

// stripMapIO removes mapIOFields from every Map state of a machine given
// as JSON.
func stripMapIO(m map[string]any) {
	states, _ := m["States"].(map[string]any)
	for _, v := range states {
		st, _ := v.(map[string]any)
		if st["Type"] == "Map" {
			for _, k := range mapIOFields {
				delete(st, k)
			}
		}
		for _, sub := range subMachines(st) {
			stripMapIO(sub)
		}
	}
}

// findState finds a state by name in m, its branches and processors.
func findState(m *Machine, name string) *State {
	if s := m.States[name]; s != nil {
		return s
	}
	for _, n := range m.Order {
		s := m.States[n]
		subs := s.Branches
		if s.Processor != nil {
			subs = append(subs[:len(subs):len(subs)], s.Processor)
		}
		for _, sub := range subs {
			if found := findState(sub, name); found != nil {
				return found
			}
		}
	}
	return nil
}

// check refuses what AWS refuses, in AWS's order, and parses the JSON
// texts of the request.
func (t *tester) check() error {
	in, s := t.in, t.s
	mock := in.Mock
	if mock != nil && in.RevealSecrets {
		return validation("TestState does not support RevealSecrets when a mock is specified.")
	}
	mockable := s.Type == TypeTask || s.Type == TypeParallel || s.Type == TypeMap
	if mock != nil && !mockable {
		return validation("State type '%s' is not supported when a mock is specified", s.Type)
	}
	if mock == nil && in.Config.MapIterationFailureCount != nil {
		return validation("TestState does not support MapIterationFailureCount when a mock is not specified.")
	}
	if mock == nil && (s.Type == TypeParallel || s.Type == TypeMap) {
		return &TestError{Code: "InvalidDefinition", Message: "TestState API does not support Map or Parallel states. Supported state types include: [Task, Wait, Pass, Succeed, Fail, Choice]"}
	}
	if mock == nil && s.Type == TypeTask {
		if in.RoleArn == "" {
			return validation("RoleArn must be specified when testing a Task state")
		}
		return validation("Stepwise does not call task resources from TestState: give a mock (result or errorOutput) to test a Task state")
	}
	if mock != nil && mock.Result == nil && mock.Error == nil {
		return validation("A mock must specify either a result or an errorOutput.")
	}
	if mock != nil && mock.Result != nil && mock.Error != nil {
		return validation("A mock cannot specify both a result and an errorOutput.")
	}
	t.input = map[string]any{}
	if in.Input != nil {
		v, err := ParseJSON([]byte(*in.Input))
		if err != nil {
			return &TestError{Code: "InvalidExecutionInput", Message: "Invalid State Machine Execution Input: '" + err.Error() + "'"}
		}
		t.input = v
	}
	if err := t.context(); err != nil {
		return err
	}
	if mock != nil && mock.Result != nil {
		v, err := ParseJSON([]byte(*mock.Result))
		if err != nil {
			return validation("Mocked result must be valid JSON: %v", err)
		}
		t.result = v
		arr, isArr := v.([]any)
		if (s.Type == TypeMap && !t.writer || s.Type == TypeParallel) && !isArr {
			return validation("Mocked result must be an array.")
		}
		if s.Type == TypeParallel && len(arr) != len(s.Branches) {
			return validation("Mocked result must contain the same number of items as number of Parallel branches.")
		}
		if s.Type == TypeTask {
			if msg := checkMockResult(s.Resource, v, mock.FieldValidationMode); msg != "" {
				return validation("%s", msg)
			}
		}
	}
	return nil
}

// context builds the state's context: the one given, or an express
// execution's started now with the state's input.
func (t *tester) context() error {
	in, s := t.in, t.s
	c := &Context{
		StateName:        TestStateName,
		StateEnteredTime: in.Now,
		// As in an execution whose first state it is: ExecutionStarted
		// is event 1. Runtime error causes cite it.
		EnteredEventID: 2,
		Retryable:      s.Type == TypeTask || s.Type == TypeParallel || s.Type == TypeMap,
	}
	if in.Variables != nil {
		v, err := ParseJSON([]byte(*in.Variables))
		vars, isObj := v.(map[string]any)
		if err != nil || !isObj {
			return validation("Invalid variables provided: the variables must be a JSON object")
		}
		c.Vars = &Vars{Values: vars}
	}
	t.c = c
	if in.Context != nil {
		v, err := ParseJSON([]byte(*in.Context))
		obj, isObj := v.(map[string]any)
		if err != nil || !isObj {
			return validation("Invalid Context object provided: the context must be a JSON object")
		}
		if msg := checkContext(obj, s); msg != "" {
			return validation("Invalid Context object provided: %s", msg)
		}
		c.Given = obj
		return nil
	}
	smName, execName := t.env.UUID(), t.env.UUID()
	arns := arn.In(in.Region, in.Account)
	var role any
	if in.RoleArn != "" {
		role = in.RoleArn
	}
	state := map[string]any{"EnteredTime": FormatTime(in.Now), "Name": TestStateName}
	if c.Retryable {
		state["RetryCount"] = int64(0)
	}
	c.Given = map[string]any{
		"Execution": map[string]any{
			"Id":        arns.TestStateExecution(smName, execName),
			"Input":     Clone(t.input),
			"Name":      execName,
			"RoleArn":   role,
			"StartTime": FormatTime(in.Now),
		},
		"State":        state,
		"StateMachine": map[string]any{"Id": arns.StateMachine(smName), "Name": smName},
	}
	if s.WaitsForCallback() {
		c.Given["Task"] = map[string]any{"Token": t.env.UUID()}
	}
	return nil
}

// contextFields are the fields a given context object may have, and their
// JSON types ("" : any).
var contextFields = map[string]map[string]string{
	"Execution":    {"Id": "string", "Input": "", "Name": "string", "RoleArn": "string", "StartTime": "string", "RedriveCount": "integer", "RedriveTime": "string"},
	"State":        {"EnteredTime": "string", "Name": "string", "RetryCount": "integer"},
	"StateMachine": {"Id": "string", "Name": "string"},
	"Task":         {"Token": "string"},
}

// checkContext returns what is wrong with a given context object, in
// AWS's words, or "".
func checkContext(obj map[string]any, s *State) string {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "Map" {
			return "'Map' field is not supported when mocking a Context object"
		}
		fields, ok := contextFields[k]
		if !ok {
			return fmt.Sprintf("Field '%s' is not allowed", k)
		}
		if k == "Task" && !(s.Type == TypeTask && (s.WaitsForCallback() || s.Resource.Syncs())) {
			return "Context object contains 'Task' when state is not a Task state with a '.sync' or '.waitForTaskToken' service integration pattern"
		}
		sub, isObj := obj[k].(map[string]any)
		if !isObj {
			return fmt.Sprintf("%s must be an object", k)
		}
		names := make([]string, 0, len(sub))
		for n := range sub {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			typ, ok := fields[n]
			if !ok {
				return fmt.Sprintf("Field '%s' is not allowed", n)
			}
			if typ == "" {
				continue
			}
			v := sub[n]
			if _, isStr := v.(string); typ == "string" && !isStr {
				return fmt.Sprintf("%s.%s must be a string", k, n)
			}
			if _, isInt := asInteger(v); typ == "integer" && !isInt {
				return fmt.Sprintf("%s.%s must be an integer", k, n)
			}
		}
	}
	return ""
}

// run runs the checked state.
func (t *tester) run() *TestResult {
	t.res = &TestResult{}
	if t.in.Level == LevelDebug || t.in.Level == LevelTrace {
		t.ins = &Inspection{}
		t.res.Inspection = t.ins
	}
	t.note(&t.insp().Input, t.input)
	var st Step
	if t.s.IsJSONata() {
		st = t.runJSONata()
	} else {
		st = t.runJSONPath()
	}
	t.finish(st)
	return t.res
}

// insp returns where inspection values go: a throwaway at the INFO level.
func (t *tester) insp() *Inspection {
	if t.ins == nil {
		return &Inspection{}
	}
	return t.ins
}

func (t *tester) note(field **Data, v any) { *field = &Data{V: v} }

// runJSONPath runs a JSONPath state, noting the values after InputPath,
// Parameters, the result, ResultSelector and ResultPath.
func (t *tester) runJSONPath() Step {
	s, c, ins := t.s, t.c, t.insp()
	ctxObj := s.contextObject(c)
	if s.Type == TypePass && s.HasResult {
		result := Clone(s.Result)
		t.note(&ins.Result, result)
		t.note(&ins.AfterResultSelector, result)
		t.afterResultPath(result)
		return s.Enter(t.input, c, t.env)
	}
	if s.Type == TypeParallel {
		// AWS shows neither InputPath nor Parameters of a mocked Parallel.
		st := s.Enter(t.input, c, t.env)
		if st.Kind == StepFail {
			return st
		}
		return t.complete()
	}
	eff, f := s.applyPath(s.InputPath, t.input, c, ctxObj)
	if f != nil {
		return fail(f)
	}
	t.note(&ins.AfterInputPath, eff)
	switch s.Type {
	case TypePass:
		params := eff
		if s.Parameters != nil {
			if params, f = s.Parameters.Eval(eff, ctxObj, t.env); f != nil {
				return fail(s.asRuntime(c, f))
			}
		}
		t.note(&ins.AfterParameters, params)
		t.note(&ins.AfterResultSelector, params)
		t.afterResultPath(params)
	case TypeTask:
		st := s.Enter(t.input, c, t.env)
		if st.Kind != StepTask {
			return st
		}
		t.note(&ins.AfterParameters, st.Task.Input)
		return t.complete()
	case TypeMap:
		if !t.reader {
			items := eff
			if p := s.ItemsPath.Path; p != nil {
				var err error
				if items, err = p.Get(eff, ctxObj); err != nil {
					return fail(s.pathFailure(c, err, p))
				}
			}
			t.note(&ins.AfterItemsPath, items)
		}
		st := t.enterMap()
		if st.Kind != StepMap {
			return st
		}
		if s.ItemSelector != nil || s.Parameters != nil {
			t.note(&ins.AfterItemSelector, st.Inputs)
		}
		return t.mapResult(st)
	}
	return s.Enter(t.input, c, t.env)
}

// afterResultPath notes the value after ResultPath of a JSONPath state.
func (t *tester) afterResultPath(result any) {
	if out, f := t.s.applyResultPath(t.s.ResultPath, t.input, result, t.c); f == nil {
		t.note(&t.insp().AfterResultPath, out)
	}
}

// runJSONata runs a JSONata state, noting its Arguments and result.
func (t *tester) runJSONata() Step {
	s, ins := t.s, t.insp()
	switch s.Type {
	case TypeTask:
		st := s.Enter(t.input, t.c, t.env)
		if st.Kind != StepTask {
			return st
		}
		t.note(&ins.AfterArguments, st.Task.Input)
		return t.complete()
	case TypeParallel:
		if st := s.Enter(t.input, t.c, t.env); st.Kind == StepFail {
			return st
		}
		return t.complete()
	case TypeMap:
		st := t.enterMap()
		if st.Kind != StepMap {
			return st
		}
		return t.mapResult(st)
	}
	return s.Enter(t.input, t.c, t.env)
}

// enterMap enters a Map state, whose items are the ItemReader's data when
// it has a reader, and notes its concurrency and tolerance.
func (t *tester) enterMap() Step {
	in := t.input
	if t.reader {
		in = []any{}
		if d := t.in.Config.MapItemReaderData; d != nil {
			if v, err := ParseJSON([]byte(*d)); err == nil {
				in = v
			}
		}
	}
	st := t.s.Enter(in, t.c, t.env)
	if st.Kind != StepMap {
		return st
	}
	ins := t.insp()
	mc := st.MaxConcurrency
	ins.MaxConcurrency = &mc
	if st.ToleratedFailureCount >= 0 {
		n := st.ToleratedFailureCount
		ins.ToleratedFailureCount = &n
	}
	if st.ToleratedFailurePercentage >= 0 {
		p := st.ToleratedFailurePercentage
		ins.ToleratedFailurePercentage = &p
	}
	if st.Failure != nil {
		return fail(st.Failure)
	}
	return st
}

// mapResult is the outcome of a Map state given its mocked result and
// failed iterations: past its tolerance it fails with
// States.ExceedToleratedFailureThreshold.
func (t *tester) mapResult(st Step) Step {
	if t.in.Mock.Error == nil && t.in.Config.MapIterationFailureCount != nil &&
		(st.ToleratedFailureCount >= 0 || st.ToleratedFailurePercentage >= 0) {
		total := len(st.Inputs)
		if arr, ok := t.result.([]any); ok && total == 0 {
			total = len(arr)
		}
		if !st.Tolerates(int(*t.in.Config.MapIterationFailureCount), total) {
			return fail(&Failure{Name: ErrExceedToleratedFailureThresh, Cause: "The specified tolerated failure threshold was exceeded"})
		}
	}
	return t.complete()
}

// complete folds the mocked result into the state, or fails with the
// mocked error.
func (t *tester) complete() Step {
	s, ins := t.s, t.insp()
	if e := t.in.Mock.Error; e != nil {
		return fail(&Failure{Name: e.Name, Cause: e.Cause})
	}
	result := Clone(t.result)
	if s.IsJSONata() {
		if s.Type == TypeTask {
			t.note(&ins.Result, result)
		}
		return s.Complete(t.input, result, t.c, t.env)
	}
	if s.Type == TypeTask {
		t.note(&ins.Result, result)
	}
	sel := result
	if s.ResultSelector != nil {
		var f *Failure
		if sel, f = s.ResultSelector.Eval(Clone(result), s.contextObject(t.c), t.env); f != nil {
			return fail(s.asRuntime(t.c, f))
		}
	}
	t.note(&ins.AfterResultSelector, sel)
	t.afterResultPath(sel)
	return s.Complete(t.input, result, t.c, t.env)
}

// finish turns the state's step into the answer, asking the state's Retry
// and Catch about a failure.
func (t *tester) finish(st Step) {
	res, s := t.res, t.s
	var assign map[string]any
	switch st.Kind {
	case StepNext, StepSucceed, StepWait:
		res.Status, res.Output, res.HasOutput, assign = TestSucceeded, st.Output, true, st.Assign
		if st.Kind != StepSucceed && !st.End {
			res.NextState = st.Next
		}
	default:
		f := st.Failure
		if f == nil {
			f = &Failure{Name: ErrRuntime, Cause: "the state did not complete"}
		}
		res.Status, res.Failure = TestFailed, f
		if s.Type == TypeFail {
			break
		}
		assign = t.recover(f)
	}
	if t.ins != nil && (t.c.Vars != nil || len(assign) > 0) {
		if vars := t.c.Vars.With(assign); vars != nil && len(vars.Values) > 0 {
			t.note(&t.ins.Variables, vars.Values)
		}
	}
}

// recover asks the state's Retry and Catch what a failure leads to and
// returns what a catcher assigns.
func (t *tester) recover(f *Failure) map[string]any {
	res, s := t.res, t.s
	count := int64(0)
	if n := t.in.Config.RetrierRetryCount; n != nil {
		count = *n
	}
	attempts := make([]int64, len(s.Retry))
	for i := range attempts {
		attempts[i] = count
	}
	random := 0.5
	if t.env.Random != nil {
		random = t.env.Random()
	}
	details := &ErrorDetails{}
	for i, r := range s.Retry {
		if MatchError(r.ErrorEquals, f.Name) {
			details.RetryIndex = ptr(int64(i))
			break
		}
	}
	rec := s.RecoverWith(t.input, f, attempts, random, t.c, t.env)
	switch rec.Kind {
	case RecoverRetry:
		res.Status = TestRetriable
		details.RetryBackoffIntervalSeconds = ptr(int64(rec.Delay / time.Second))
	case RecoverCatch:
		details.RetryIndex = nil
		for i, cat := range s.Catch {
			if MatchError(cat.ErrorEquals, f.Name) {
				details.CatchIndex = ptr(int64(i))
				break
			}
		}
		res.Status, res.NextState, res.Output, res.HasOutput = TestCaughtError, rec.Next, rec.Output, true
	default:
		res.Failure = rec.Failure
	}
	if t.ins != nil && (details.RetryIndex != nil || details.CatchIndex != nil) {
		t.ins.ErrorDetails = details
	}
	return rec.Assign
}

func ptr[T any](v T) *T { return &v }
