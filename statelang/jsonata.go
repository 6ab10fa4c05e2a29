package statelang

import (
	"context"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/statelang/jsonata"
)

// The two query languages.
const (
	QueryJSONPath = "JSONPath"
	QueryJSONata  = "JSONata"
)

// jvalue is a compiled JSONata-mode field value (Arguments, Output, Assign,
// Items, ItemSelector, Condition, ...): a JSON value in which every string
// of the form "{% expression %}" is a JSONata expression, at any depth.
type jvalue struct {
	root jnode
}

// A jnode evaluates at a place of its field (Output, Output/a/0, ...),
// given as a location whose root token is the field's name: the name is
// spelled out only for a failure.
type jnode interface {
	eval(js *jscope, at *location) (any, *Failure)
}

type jlit struct{ v any }

type jobj struct {
	keys  []string
	nodes []jnode
}

type jarr struct{ items []jnode }

type jexpr struct {
	src  string
	expr *jsonata.Expr
	// names are the $names the expression mentions (variables, functions
	// and $states): only those variables are bound when it runs.
	names []string
	// states: it reads $states; context: maybe $states.context too.
	states, context bool
}

// dollarName finds the $names of an expression. JSONata reads a variable
// only by writing its name ($eval is not available), so a variable that is
// not found here cannot be read.
var dollarName = regexp.MustCompile(`\$[\p{L}_][\p{L}\p{N}_]*`)

func newJExpr(src string, e *jsonata.Expr) *jexpr {
	j := &jexpr{src: src, expr: e}
	seen := map[string]bool{}
	for _, m := range dollarName.FindAllString(src, -1) {
		if n := m[1:]; !seen[n] {
			seen[n] = true
			j.names = append(j.names, n)
		}
	}
	j.states = seen["states"]
	j.context = j.states && readsWholeStates(src)
	return j
}

// readsWholeStates reports whether an expression may read
// $states.context: it names "context", or uses $states other than as
// $states.input, $states.result or $states.errorOutput (say $keys($states)).
func readsWholeStates(src string) bool {
	if strings.Contains(src, "context") {
		return true
	}
	for rest := src; ; {
		i := strings.Index(rest, "$states")
		if i < 0 {
			return false
		}
		rest = rest[i+len("$states"):]
		field := strings.TrimLeft(rest, " \t\r\n")
		if !strings.HasPrefix(field, ".") {
			return true
		}
		field = strings.TrimLeft(field[1:], " \t\r\n")
		if !strings.HasPrefix(field, "input") && !strings.HasPrefix(field, "result") && !strings.HasPrefix(field, "errorOutput") {
			return true
		}
	}
}

// jsonataText returns the expression of a "{% ... %}" string.
func jsonataText(s string) (string, bool) {
	if len(s) >= 4 && strings.HasPrefix(s, "{%") && strings.HasSuffix(s, "%}") {
		return strings.TrimSpace(s[2 : len(s)-2]), true
	}
	return "", false
}

// jvalue compiles a JSONata-mode field value, reporting expressions that
// do not compile.
func (p *parser) jvalue(loc *location, v any) *jvalue { return compileJValue(&p.d, loc, v) }

func compileJValue(d *diagnostics, loc *location, v any) *jvalue {
	return &jvalue{root: compileJNode(d, loc, v)}
}

func compileJNode(d *diagnostics, loc *location, v any) jnode {
	switch t := v.(type) {
	case string:
		src, ok := jsonataText(t)
		if !ok {
			return jlit{t}
		}
		e, err := jsonata.Compile(src)
		if err != nil {
			d.add(loc, "The JSONata expression '%s' is not valid: %s", src, jsonataMessage(err))
			return jlit{nil}
		}
		return newJExpr(src, e)
	case map[string]any:
		o := &jobj{keys: make([]string, 0, len(t))}
		for k := range t {
			o.keys = append(o.keys, k)
		}
		sort.Strings(o.keys)
		o.nodes = make([]jnode, len(o.keys))
		for i, k := range o.keys {
			o.nodes[i] = compileJNode(d, loc.at(k), t[k])
		}
		return o
	case []any:
		a := &jarr{items: make([]jnode, len(t))}
		for i, e := range t {
			a.items[i] = compileJNode(d, loc.item(i), e)
		}
		return a
	}
	return jlit{v}
}

// expression reports whether the value is one expression (not a literal
// nor a structure holding some).
func (j *jvalue) expression() (*jexpr, bool) {
	if j == nil {
		return nil, false
	}
	e, ok := j.root.(*jexpr)
	return e, ok
}

// jsonataMessage prints a JSONata error as AWS quotes it: "T1006: message",
// without the position.
func jsonataMessage(err error) string {
	je, ok := err.(*jsonata.Error)
	if !ok {
		return err.Error()
	}
	msg := je.Error()
	if i := strings.Index(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return je.Code + ": " + msg
}

// jscope is what JSONata expressions of one state read: $states and the
// workflow variables.
type jscope struct {
	input       any
	result      any
	hasResult   bool
	errorOutput any
	hasError    bool
	c           *Context
	mapItem     *MapItem
	env         *Env

	// The values converted for the evaluator, converted once: cache is
	// shared by the copies withResult, withError and withMapItem make;
	// states and statesCtx ($states without and with its context) are
	// each copy's own.
	cache             *jcache
	states, statesCtx any
}

type jcache struct {
	vars     map[string]any // prepared variables; nil value: not defined
	input    any
	hasInput bool
}

func newJScope(input any, c *Context, env *Env) *jscope {
	return &jscope{input: input, c: c, env: env, cache: &jcache{vars: map[string]any{}}}
}

func (js *jscope) withResult(r any) *jscope {
	n := *js
	n.result, n.hasResult, n.states, n.statesCtx = r, true, nil, nil
	return &n
}

func (js *jscope) withError(e any) *jscope {
	n := *js
	n.errorOutput, n.hasError, n.states, n.statesCtx = e, true, nil, nil
	return &n
}

func (js *jscope) withMapItem(it *MapItem) *jscope {
	n := *js
	n.mapItem, n.states, n.statesCtx = it, nil, nil
	return &n
}

// prepare converts a value for the evaluator (see jsonata.Prepare).
func prepare(v any) any {
	if p, err := jsonata.Prepare(v); err == nil {
		return p
	}
	return v
}

// variable returns a variable, converted for the evaluator.
func (js *jscope) variable(name string) (any, bool) {
	if v, ok := js.cache.vars[name]; ok {
		return v, v != nil
	}
	var vars *Vars
	if js.c != nil {
		vars = js.c.Vars
	}
	v, ok := vars.Lookup(name)
	if !ok {
		js.cache.vars[name] = nil
		return nil, false
	}
	p := prepare(v)
	js.cache.vars[name] = p
	return p, true
}

// statesValue returns $states, with or without the context object.
func (js *jscope) statesValue(withContext bool) any {
	if withContext && js.statesCtx != nil {
		return js.statesCtx
	}
	if !withContext && js.states != nil {
		return js.states
	}
	if !js.cache.hasInput {
		js.cache.input, js.cache.hasInput = prepare(js.input), true
	}
	o := jsonata.NewObject(4)
	o.Set("input", js.cache.input)
	if withContext && js.c != nil {
		c := *js.c
		if js.mapItem != nil {
			c.MapItem = js.mapItem
		}
		o.Set("context", prepare(c.Object()))
	}
	if js.hasResult {
		o.Set("result", prepare(js.result))
	}
	if js.hasError {
		o.Set("errorOutput", prepare(js.errorOutput))
	}
	if withContext {
		js.statesCtx = o
	} else {
		js.states = o
	}
	return o
}

// options are the evaluation options of one expression: $states and the
// variables it names.
func (js *jscope) options(e *jexpr) *jsonata.Options {
	b := make(map[string]any, len(e.names))
	for _, n := range e.names {
		if n == "states" {
			continue
		}
		if v, ok := js.variable(n); ok {
			b[n] = v
		}
	}
	if e.states {
		b["states"] = js.statesValue(e.context)
	}
	// Limits for one expression: far above what a state's 256 KiB payload
	// needs, far below what could stall an engine; the time is also what
	// the state's expressions have left together (Env.ExprTime).
	o := &jsonata.Options{Bindings: b, TimeLimit: 2 * time.Second, MaxSize: 1 << 20}
	if js.env != nil && js.env.ExprTime != nil {
		o.TimeLimit = max(min(o.TimeLimit, js.env.ExprTime()), time.Nanosecond) // 0 and below would mean no limit
	}
	if js.c != nil {
		t := js.c.StateEnteredTime
		o.Now = func() time.Time { return t }
	}
	if js.env != nil {
		o.Random, o.UUID = js.env.Random, js.env.UUID
	}
	return o
}

func (j *jvalue) eval(js *jscope, field string) (any, *Failure) {
	return j.root.eval(js, (*location)(nil).at(field))
}

// fieldName spells out a place within a field as AWS names it in causes:
// the field and the keys and indexes below it, joined by '/'.
func fieldName(at *location) string { return strings.Join(at.tokens(), "/") }

func (n jlit) eval(js *jscope, at *location) (any, *Failure) { return Clone(n.v), nil }

func (n *jobj) eval(js *jscope, at *location) (any, *Failure) {
	out := make(map[string]any, len(n.keys))
	for i, k := range n.keys {
		v, f := n.nodes[i].eval(js, at.at(k))
		if f != nil {
			return nil, f
		}
		out[k] = v
	}
	return out, nil
}

func (n *jarr) eval(js *jscope, at *location) (any, *Failure) {
	out := make([]any, len(n.items))
	for i, it := range n.items {
		v, f := it.eval(js, at.item(i))
		if f != nil {
			return nil, f
		}
		out[i] = v
	}
	return out, nil
}

func (n *jexpr) eval(js *jscope, at *location) (any, *Failure) {
	fail := func(format string, args ...any) *Failure {
		field := fieldName(at)
		f := failf(ErrQueryEvaluationError, "The JSONata expression '%s' specified for the field '%s' "+format, append([]any{n.src, field}, args...)...)
		f.location = field
		return f
	}
	v, defined, err := n.expr.EvalRaw(context.Background(), nil, js.options(n))
	if err != nil {
		return nil, fail("threw an error during evaluation. %s", jsonataMessage(err))
	}
	if !defined {
		return nil, fail("returned nothing (undefined).")
	}
	out := jsonata.Convert(v, nil)
	if !plainJSON(out, 0) {
		return nil, fail("returned an unsupported result type.")
	}
	return out, nil
}

// plainJSON reports whether v is made of JSON values only (no function).
func plainJSON(v any, depth int) bool {
	if depth > 10000 {
		return false
	}
	switch t := v.(type) {
	case nil, bool, int64, float64, string:
		return true
	case []any:
		for _, e := range t {
			if !plainJSON(e, depth+1) {
				return false
			}
		}
		return true
	case map[string]any:
		for _, e := range t {
			if !plainJSON(e, depth+1) {
				return false
			}
		}
		return true
	}
	return false
}

// typeName is the JSON type of a value as AWS names it in
// QueryEvaluationError causes.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	if isNumber(v) {
		return "number"
	}
	return "unknown"
}

// evalTyped evaluates a field that must give a value of one JSON type.
func (j *jvalue) evalTyped(js *jscope, field, want string) (v any, f *Failure) {
	defer located(&f, field)
	v, f = j.eval(js, field)
	if f != nil {
		return nil, f
	}
	if got := typeName(v); got != want {
		if e, ok := j.expression(); ok {
			return nil, failf(ErrQueryEvaluationError, "The JSONata expression '%s' specified for the field '%s' returned an unexpected result type. Expected '%s', but was '%s' for value: %s", e.src, field, want, got, MarshalString(v))
		}
		return nil, failf(ErrQueryEvaluationError, "The field '%s' must be of type '%s', but was '%s' for value: %s", field, want, got, MarshalString(v))
	}
	return v, nil
}

// asQuery prefixes a QueryEvaluationError raised while evaluating a field
// with where it happened, as AWS does.
func (s *State) asQuery(c *Context, f *Failure) *Failure {
	if f.Name == ErrQueryEvaluationError || f.Name == ErrRuntime {
		nf := s.runtimeFailure(c, f.Name, f.Cause)
		nf.location = f.location
		return nf
	}
	return f
}

// IsJSONata reports whether the state uses the JSONata query language.
func (s *State) IsJSONata() bool { return s.QueryLanguage == QueryJSONata }

// EvaluationFailedDetails are the details of the EvaluationFailed history
// event AWS records before a state fails with States.QueryEvaluationError.
func EvaluationFailedDetails(state string, f *Failure) map[string]any {
	d := failureDetails(f)
	d["state"] = state
	if f.location != "" {
		d["location"] = f.location
	}
	return d
}

// jint evaluates an integer field given as a literal or an expression
// (TimeoutSeconds, HeartbeatSeconds, MaxConcurrency, Seconds, ...).
func (j *jvalue) jint(js *jscope, field string) (n int64, f *Failure) {
	defer located(&f, field)
	v, f := j.eval(js, field)
	if f != nil {
		return 0, f
	}
	n, ok := asInteger(v)
	if !ok {
		src := MarshalString(v)
		if e, isExpr := j.expression(); isExpr {
			return 0, failf(ErrQueryEvaluationError, "The JSONata expression '%s' specified for the field '%s' returned an unexpected result type. Expected 'integer', but was '%s' for value: %s", e.src, field, typeName(v), src)
		}
		return 0, failf(ErrQueryEvaluationError, "The field '%s' must be an integer, but was: %s", field, src)
	}
	return n, nil
}

func (j *jvalue) jfloat(js *jscope, field string) (x float64, f *Failure) {
	defer located(&f, field)
	v, f := j.eval(js, field)
	if f != nil {
		return 0, f
	}
	x, ok := toFloat(v)
	if !ok {
		src := MarshalString(v)
		if e, isExpr := j.expression(); isExpr {
			return 0, failf(ErrQueryEvaluationError, "The JSONata expression '%s' specified for the field '%s' returned an unexpected result type. Expected 'number', but was '%s' for value: %s", e.src, field, typeName(v), src)
		}
		return 0, failf(ErrQueryEvaluationError, "The field '%s' must be a number, but was: %s", field, src)
	}
	return x, nil
}

// located records the field of a failure that has none.
func located(f **Failure, field string) {
	if *f != nil && (*f).location == "" {
		(*f).location = field
	}
}
