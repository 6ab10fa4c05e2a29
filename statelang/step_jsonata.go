package statelang

import (
	"fmt"
	"time"
)

// enterJSONata is Enter for a state whose QueryLanguage is JSONata. Its
// fields read $states.input (the raw state input), $states.context and the
// variables; there is no InputPath, Parameters or OutputPath.
func (s *State) enterJSONata(input any, c *Context, env *Env) Step {
	js := newJScope(input, c, env)
	switch s.Type {
	case TypeFail:
		return fail(s.failJSONata(js, c))
	case TypePass, TypeSucceed:
		out, vals, f := s.outputAndAssign(s.output, s.assign, input, js, c)
		if f != nil {
			return fail(f)
		}
		if s.Type == TypeSucceed {
			return Step{Kind: StepSucceed, Output: out}
		}
		return s.jnext(out, vals)
	case TypeChoice:
		output, assign := s.output, s.assign
		target := ""
		for i, r := range s.Choices {
			ok, f := s.condition(r, i, js)
			if f != nil {
				return fail(s.asQuery(c, f))
			}
			if ok {
				target = r.Next
				if r.output != nil {
					output = r.output
				}
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
		out, vals, f := s.outputAndAssign(output, assign, input, js, c)
		if f != nil {
			return fail(f)
		}
		return Step{Kind: StepNext, Next: target, Output: out, Assign: vals}
	case TypeWait:
		until, f := s.waitUntilJSONata(js, c)
		if f == nil && (s.jTimestamp != nil || s.Timestamp != nil) && tooLongWait(until, c) {
			f = failf(ErrQueryEvaluationError, "Wait state delay is too long.")
			located(&f, "Timestamp")
		}
		if f != nil {
			return fail(s.asQuery(c, f))
		}
		out, vals, f := s.outputAndAssign(s.output, s.assign, input, js, c)
		if f != nil {
			return fail(f)
		}
		return Step{Kind: StepWait, WaitUntil: until, Next: s.Next, End: s.End, Output: out, Assign: vals}
	case TypeTask:
		call := &TaskCall{Resource: s.Resource, Input: input, TimeoutSeconds: s.TimeoutSeconds, HeartbeatSeconds: s.HeartbeatSeconds}
		var f *Failure
		if s.arguments != nil {
			if call.Input, f = s.arguments.eval(js, "Arguments"); f != nil {
				return fail(s.asQuery(c, f))
			}
		}
		if s.jTimeout != nil {
			if call.TimeoutSeconds, f = s.positive(s.jTimeout, js, "TimeoutSeconds"); f != nil {
				return fail(s.asQuery(c, f))
			}
		}
		if s.jHeartbeat != nil {
			if call.HeartbeatSeconds, f = s.positive(s.jHeartbeat, js, "HeartbeatSeconds"); f != nil {
				return fail(s.asQuery(c, f))
			}
		}
		if s.credentials != nil {
			if call.Credentials, f = s.credentials.eval(js, "Credentials"); f != nil {
				return fail(s.asQuery(c, f))
			}
		}
		return Step{Kind: StepTask, Task: call}
	case TypeParallel:
		in := input
		if s.arguments != nil {
			var f *Failure
			if in, f = s.arguments.eval(js, "Arguments"); f != nil {
				return fail(s.asQuery(c, f))
			}
		}
		inputs := make([]any, len(s.Branches))
		for i := range inputs {
			inputs[i] = Clone(in)
		}
		return Step{Kind: StepParallel, Inputs: inputs}
	case TypeMap:
		return s.enterMapJSONata(input, js, c)
	}
	return fail(s.runtimeFailure(c, ErrRuntime, "unknown state type "+string(s.Type)))
}

// outputAndAssign evaluates a state's Output (def when absent) and Assign
// against the same values: the assignments apply only when the state is
// left, so Output never sees them.
func (s *State) outputAndAssign(output *jvalue, assign *assignment, def any, js *jscope, c *Context) (any, map[string]any, *Failure) {
	vals, f := s.evalAssign(assign, nil, nil, js, js.env, c)
	if f != nil {
		return nil, nil, f
	}
	out := def
	if output != nil {
		if out, f = output.eval(js, "Output"); f != nil {
			return nil, nil, s.asQuery(c, f)
		}
	}
	return out, vals, nil
}

// jnext moves on with out, checking its size.
func (s *State) jnext(out any, vals map[string]any) Step {
	if !checkSize(out) {
		return fail(&Failure{Name: ErrDataLimitExceeded, Cause: fmt.Sprintf(
			"The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit.", s.Name)})
	}
	st := next(s, out)
	st.Assign = vals
	return st
}

// condition evaluates the Condition of a JSONata Choice rule.
func (s *State) condition(r *ChoiceRule, i int, js *jscope) (ok bool, f *Failure) {
	defer located(&f, "Condition")
	if r.condition == nil {
		return false, nil
	}
	v, f := r.condition.eval(js, "Condition")
	if f != nil {
		return false, f
	}
	b, ok := v.(bool)
	if !ok {
		src := MarshalString(v)
		if e, isExpr := r.condition.expression(); isExpr {
			return false, failf(ErrQueryEvaluationError, "The JSONata expression '%s' specified for the field 'Condition' returned an unexpected result type. Expected 'boolean', but was '%s' for value: %s", e.src, typeName(v), src)
		}
		return false, failf(ErrQueryEvaluationError, "The field 'Condition' must be a boolean, but was: %s", src)
	}
	return b, nil
}

// positive evaluates TimeoutSeconds or HeartbeatSeconds given as an
// expression.
func (s *State) positive(j *jvalue, js *jscope, field string) (int64, *Failure) {
	n, f := j.jint(js, field)
	if f != nil {
		return 0, f
	}
	if n <= 0 || n > 99999999 {
		return 0, failf(ErrQueryEvaluationError, "The value of the field '%s' must be a positive integer, but was: %d", field, n)
	}
	return n, nil
}

func (s *State) waitUntilJSONata(js *jscope, c *Context) (t time.Time, f *Failure) {
	field := "Seconds"
	if s.jTimestamp != nil {
		field = "Timestamp"
	}
	defer located(&f, field)
	switch {
	case s.Seconds != nil:
		return c.StateEnteredTime.Add(time.Duration(*s.Seconds) * time.Second), nil
	case s.Timestamp != nil:
		return *s.Timestamp, nil
	case s.jSeconds != nil:
		v, f := s.jSeconds.eval(js, "Seconds")
		if f != nil {
			return time.Time{}, f
		}
		n, ok := v.(int64)
		if !ok {
			return time.Time{}, failf(ErrQueryEvaluationError, "The Seconds field cannot be parsed as a long value: %s", MarshalString(v))
		}
		if n < 0 {
			n = 0
		}
		if time.Duration(n) > maxWait/time.Second {
			return time.Time{}, failf(ErrQueryEvaluationError, "Wait state delay is too long.")
		}
		return c.StateEnteredTime.Add(time.Duration(n) * time.Second), nil
	case s.jTimestamp != nil:
		v, f := s.jTimestamp.eval(js, "Timestamp")
		if f != nil {
			return time.Time{}, f
		}
		str, isStr := v.(string)
		t, ok := ParseTimestamp(str)
		if !ok {
			if !isStr {
				str = MarshalString(v)
			}
			return time.Time{}, failf(ErrQueryEvaluationError, "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: %s", str)
		}
		return t, nil
	}
	return c.StateEnteredTime, nil
}

func (s *State) failJSONata(js *jscope, c *Context) *Failure {
	out := &Failure{Name: s.Error, Cause: s.Cause}
	get := func(j *jvalue, field string) (string, *Failure) {
		v, f := j.eval(js, field)
		if f != nil {
			return "", s.asQuery(c, f)
		}
		if str, ok := v.(string); ok {
			return str, nil
		}
		return MarshalString(v), nil
	}
	var f *Failure
	if s.jError != nil {
		if out.Name, f = get(s.jError, "Error"); f != nil {
			return f
		}
	}
	if s.jCause != nil {
		if out.Cause, f = get(s.jCause, "Cause"); f != nil {
			return f
		}
	}
	return out
}

func (s *State) enterMapJSONata(input any, js *jscope, c *Context) Step {
	var arr []any
	if s.Reader != nil {
		// the reader gives the items
	} else if s.items != nil {
		v, f := s.items.evalTyped(js, "Items", "array")
		if f != nil {
			return fail(s.asQuery(c, f))
		}
		arr = v.([]any)
	} else {
		a, ok := input.([]any)
		if !ok {
			return fail(s.runtimeFailure(c, ErrQueryEvaluationError, fmt.Sprintf(
				"Map state input must be an array but was: %s", MarshalString(input))))
		}
		arr = a
	}
	st := Step{Kind: StepMap, MaxConcurrency: s.MaxConcurrency, ToleratedFailureCount: -1, ToleratedFailurePercentage: -1}
	var f *Failure
	if s.jMaxConc != nil {
		if st.MaxConcurrency, f = s.jMaxConc.jint(js, "MaxConcurrency"); f != nil {
			return fail(s.asQuery(c, f))
		}
		if st.MaxConcurrency < 0 {
			return fail(s.runtimeFailure(c, ErrQueryEvaluationError, "MaxConcurrency cannot be negative."))
		}
	}
	tf := func() *Failure {
		if s.ToleratedFailureCount != nil {
			st.ToleratedFailureCount = *s.ToleratedFailureCount
		}
		if s.jTolCount != nil {
			n, f := s.jTolCount.jint(js, "ToleratedFailureCount")
			if f != nil {
				return s.asQuery(c, f)
			}
			if n < 0 {
				return s.runtimeFailure(c, ErrQueryEvaluationError, "ToleratedFailureCount cannot be negative.")
			}
			st.ToleratedFailureCount = n
		}
		if s.ToleratedFailurePercentage != nil {
			st.ToleratedFailurePercentage = *s.ToleratedFailurePercentage
		}
		if s.jTolPct != nil {
			pct, f := s.jTolPct.jfloat(js, "ToleratedFailurePercentage")
			if f != nil {
				return s.asQuery(c, f)
			}
			if pct < 0 || pct > 100 {
				return s.runtimeFailure(c, ErrQueryEvaluationError, "ToleratedFailurePercentage must be between 0 and 100.")
			}
			st.ToleratedFailurePercentage = pct
		}
		return nil
	}
	if f := tf(); f != nil {
		if s.ProcessorMode == "DISTRIBUTED" {
			return Step{Kind: StepMap, Failure: f}
		}
		return fail(f)
	}
	if s.Reader != nil {
		rc, f := s.readCall(input, c, nil, js.env)
		if f != nil {
			return fail(f)
		}
		st.Read = rc
		return st
	}
	return s.selectJSONata(st, arr, js, c)
}

// selectJSONata sets st's Inputs: the items through the ItemSelector.
func (s *State) selectJSONata(st Step, arr []any, js *jscope, c *Context) Step {
	st.Inputs = make([]any, len(arr))
	for i, item := range arr {
		if s.itemSelector == nil {
			st.Inputs[i] = item
			continue
		}
		v, f := s.itemSelector.eval(js.withMapItem(&MapItem{Index: int64(i), Value: item}), "ItemSelector")
		if f != nil {
			return fail(s.asQuery(c, f))
		}
		st.Inputs[i] = v
	}
	if s.Batcher != nil {
		var f *Failure
		if st.Inputs, f = s.batchJSONata(st.Inputs, js, c); f != nil {
			return fail(f)
		}
	}
	return st
}

// completeJSONata is Complete for a JSONata state: Output (default: the
// result) and Assign read $states.result.
func (s *State) completeJSONata(input, result any, c *Context, env *Env) Step {
	js := newJScope(input, c, env).withResult(result)
	out, vals, f := s.outputAndAssign(s.output, s.assign, result, js, c)
	if f != nil {
		return fail(f)
	}
	return s.jnext(out, vals)
}

// catchJSONata is what a matching catcher of a JSONata state does: Output
// (default: the error output) and Assign read $states.errorOutput.
func (s *State) catchJSONata(cat *Catcher, input any, fl *Failure, c *Context, env *Env) Recovery {
	errOut := fl.Output()
	js := newJScope(input, c, env).withError(errOut)
	out, vals, f := s.outputAndAssign(cat.output, cat.assign, errOut, js, c)
	if f != nil {
		return Recovery{Kind: RecoverFail, Failure: f}
	}
	return Recovery{Kind: RecoverCatch, Next: cat.Next, Output: out, Assign: vals}
}
