// Package filter compiles CEL expressions that select executions, e.g.
//
//	status == "FAILED" && input.customer.tier == "gold" && start_time > timestamp("2026-11-01T00:00:00Z")
//
// into an [engine.ExecutionFilter]. The variables are name, status,
// state_machine, error and cause (strings), start_time and stop_time
// (timestamps; stop_time is absent while an execution runs, so a test on it
// is false then), and input and output (the parsed JSON documents; output
// is null unless the execution succeeded). A reference to a missing JSON
// field makes the execution not match rather than fail the listing.
//
// The top-level conjuncts that test an indexed column against a literal
// (name, status and state_machine with ==, !=, in, startsWith; start_time
// and stop_time with ==, !=, <, <=, >, >= and a timestamp("...") literal)
// become engine.Conditions, which stores evaluate in SQL with bound
// parameters; CEL evaluates the whole expression on the rows that pass
// them, unless the conditions are the whole expression.
//
// filter imports engine, statelang and cel-go; no database package.
package filter

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/statelang"
)

// MaxLength is the longest filter expression accepted, in bytes.
const MaxLength = 4096

// costLimit bounds the work of evaluating a filter on one execution.
const costLimit = 1_000_000

// Error is a filter that does not compile, with CEL's message and the
// 1-based line and column of the first problem. It wraps
// engine.ErrInvalidInput.
type Error struct {
	// Message is CEL's report: every problem with its position and the
	// offending line, e.g. "ERROR: filter:1:1: undeclared reference to 'foo'".
	Message      string
	Line, Column int
}

func (e *Error) Error() string { return "invalid filter: " + e.Message }

// Unwrap makes errors.Is(err, engine.ErrInvalidInput) true.
func (e *Error) Unwrap() error { return engine.ErrInvalidInput }

var env = mustEnv()

func mustEnv() *cel.Env {
	e, err := cel.NewEnv(
		cel.Variable("name", cel.StringType),
		cel.Variable("status", cel.StringType),
		cel.Variable("state_machine", cel.StringType),
		cel.Variable("error", cel.StringType),
		cel.Variable("cause", cel.StringType),
		cel.Variable("start_time", cel.TimestampType),
		cel.Variable("stop_time", cel.TimestampType),
		cel.Variable("input", cel.DynType),
		cel.Variable("output", cel.DynType),
		cel.ParserExpressionSizeLimit(MaxLength),
		cel.ParserRecursionLimit(64),
	)
	if err != nil {
		panic(err)
	}
	return e
}

// Filter is a compiled filter; it is safe for concurrent use.
type Filter struct {
	src        string
	prg        cel.Program
	conds      []engine.Condition
	exact      bool // conds are the whole expression
	usesInput  bool
	usesOutput bool
}

var _ engine.ExecutionFilter = (*Filter)(nil)

// Compile parses and type-checks a filter. Its errors are *Error.
func Compile(src string) (*Filter, error) {
	if len(src) > MaxLength {
		return nil, &Error{Message: fmt.Sprintf("the filter is longer than %d bytes", MaxLength), Line: 1, Column: 1}
	}
	source := common.NewStringSource(src, "filter")
	ast, iss := env.CompileSource(source)
	if iss != nil && iss.Err() != nil {
		return nil, issuesError(iss)
	}
	if !ast.OutputType().IsExactType(cel.BoolType) && !ast.OutputType().IsExactType(cel.DynType) {
		return nil, &Error{Message: fmt.Sprintf("ERROR: filter:1:1: the filter must be a boolean expression, not %s", ast.OutputType()), Line: 1, Column: 1}
	}
	f := &Filter{src: src}
	native := ast.NativeRep()
	var pushed, total int
	var perr *Error
	for _, c := range conjuncts(native.Expr()) {
		total++
		cond, ok, err := condition(c, native.SourceInfo(), source)
		if err != nil && perr == nil {
			perr = err
		}
		if ok {
			f.conds = append(f.conds, cond)
			pushed++
		}
	}
	if perr != nil {
		return nil, perr
	}
	f.exact = pushed == total
	refs := map[string]bool{}
	celast.PostOrderVisit(native.Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		if e.Kind() == celast.IdentKind {
			refs[e.AsIdent()] = true
		}
	}))
	f.usesInput, f.usesOutput = refs["input"], refs["output"]
	if !f.exact {
		prg, err := env.Program(ast, cel.CostLimit(costLimit), cel.InterruptCheckFrequency(100))
		if err != nil {
			return nil, &Error{Message: err.Error(), Line: 1, Column: 1}
		}
		f.prg = prg
	}
	return f, nil
}

func issuesError(iss *cel.Issues) *Error {
	e := &Error{Message: iss.String(), Line: 1, Column: 1}
	if errs := iss.Errors(); len(errs) > 0 {
		e.Line, e.Column = errs[0].Location.Line(), errs[0].Location.Column()+1
	}
	return e
}

// String returns the filter's source.
func (f *Filter) String() string { return f.src }

// Conditions implements engine.ExecutionFilter.
func (f *Filter) Conditions() []engine.Condition { return f.conds }

// Exact reports whether the Conditions are the whole filter.
func (f *Filter) Exact() bool { return f.exact }

// Match implements engine.ExecutionFilter: it evaluates the filter on one
// execution. An evaluation error (a missing field, a type mismatch, the
// cost limit) is no match.
func (f *Filter) Match(x *engine.Execution) bool {
	if f.exact {
		return true
	}
	vars := map[string]any{
		"name":          x.Name,
		"status":        x.Status,
		"state_machine": x.StateMachine,
		"error":         x.Error,
		"cause":         x.Cause,
		"start_time":    x.StartDate,
	}
	if !x.StopDate.IsZero() {
		vars["stop_time"] = x.StopDate
	}
	if f.usesInput {
		vars["input"] = func() any { return jsonValue(x.Input) }
	}
	if f.usesOutput {
		vars["output"] = func() any { return jsonValue(x.Output) }
	}
	out, _, err := f.prg.Eval(vars)
	if err != nil {
		return false
	}
	b, ok := out.(types.Bool)
	return ok && bool(b)
}

// jsonValue parses a JSON document for CEL: integers beyond int64 become
// doubles, and "" (no document) is null.
func jsonValue(text string) any {
	if text == "" {
		return types.NullValue
	}
	v, err := statelang.ParseJSON([]byte(text))
	if err != nil {
		return types.NullValue
	}
	return celValue(v)
}

func celValue(v any) any {
	switch v := v.(type) {
	case nil:
		return types.NullValue
	case map[string]any:
		for k, e := range v {
			v[k] = celValue(e)
		}
		return v
	case []any:
		for i, e := range v {
			v[i] = celValue(e)
		}
		return v
	case json.Number:
		f, _ := v.Float64()
		return f
	case *big.Int:
		f, _ := new(big.Float).SetInt(v).Float64()
		return f
	case *big.Float:
		f, _ := v.Float64()
		return f
	}
	return v
}

// conjuncts flattens the top-level && of an expression.
func conjuncts(e celast.Expr) []celast.Expr {
	if e.Kind() == celast.CallKind && e.AsCall().FunctionName() == operators.LogicalAnd {
		var out []celast.Expr
		for _, a := range e.AsCall().Args() {
			out = append(out, conjuncts(a)...)
		}
		return out
	}
	return []celast.Expr{e}
}

var stringFields = map[string]engine.Field{
	"name": engine.FieldName, "status": engine.FieldStatus, "state_machine": engine.FieldStateMachine,
}

var timeFields = map[string]engine.Field{
	"start_time": engine.FieldStartTime, "stop_time": engine.FieldStopTime,
}

var ops = map[string]engine.Op{
	operators.Equals: engine.OpEq, operators.NotEquals: engine.OpNe,
	operators.Less: engine.OpLt, operators.LessEquals: engine.OpLe,
	operators.Greater: engine.OpGt, operators.GreaterEquals: engine.OpGe,
}

// flipped is the comparison with its operands swapped.
var flipped = map[engine.Op]engine.Op{
	engine.OpEq: engine.OpEq, engine.OpNe: engine.OpNe,
	engine.OpLt: engine.OpGt, engine.OpLe: engine.OpGe, engine.OpGt: engine.OpLt, engine.OpGe: engine.OpLe,
}

// condition turns one conjunct into a Condition when it is a test of an
// indexed column against a literal. A timestamp literal that does not
// parse is an error.
func condition(e celast.Expr, info *celast.SourceInfo, src common.Source) (engine.Condition, bool, *Error) {
	if e.Kind() != celast.CallKind {
		return engine.Condition{}, false, nil
	}
	call := e.AsCall()
	args := call.Args()
	fn := call.FunctionName()
	// name.startsWith("x")
	if fn == "startsWith" && call.IsMemberFunction() && len(args) == 1 {
		if f, ok := stringField(call.Target()); ok {
			if s, ok := stringLit(args[0]); ok {
				return engine.Condition{Field: f, Op: engine.OpPrefix, Value: s}, true, nil
			}
		}
		return engine.Condition{}, false, nil
	}
	// status in ["FAILED", "TIMED_OUT"]
	if fn == operators.In && len(args) == 2 {
		f, ok := stringField(args[0])
		if !ok || args[1].Kind() != celast.ListKind {
			return engine.Condition{}, false, nil
		}
		var vals []string
		for _, el := range args[1].AsList().Elements() {
			s, ok := stringLit(el)
			if !ok {
				return engine.Condition{}, false, nil
			}
			vals = append(vals, s)
		}
		return engine.Condition{Field: f, Op: engine.OpIn, Value: vals}, true, nil
	}
	op, ok := ops[fn]
	if !ok || len(args) != 2 {
		return engine.Condition{}, false, nil
	}
	l, r := args[0], args[1]
	if l.Kind() != celast.IdentKind {
		l, r, op = r, l, flipped[op]
	}
	if l.Kind() != celast.IdentKind {
		return engine.Condition{}, false, nil
	}
	id := l.AsIdent()
	if f, ok := stringFields[id]; ok && (op == engine.OpEq || op == engine.OpNe) {
		if s, ok := stringLit(r); ok {
			return engine.Condition{Field: f, Op: op, Value: s}, true, nil
		}
		return engine.Condition{}, false, nil
	}
	if f, ok := timeFields[id]; ok {
		t, isLit, err := timestampLit(r, info, src)
		if err != nil {
			return engine.Condition{}, false, err
		}
		if isLit {
			return engine.Condition{Field: f, Op: op, Value: t}, true, nil
		}
	}
	return engine.Condition{}, false, nil
}

func stringField(e celast.Expr) (engine.Field, bool) {
	if e.Kind() != celast.IdentKind {
		return "", false
	}
	f, ok := stringFields[e.AsIdent()]
	return f, ok
}

func stringLit(e celast.Expr) (string, bool) {
	if e.Kind() != celast.LiteralKind {
		return "", false
	}
	s, ok := e.AsLiteral().(types.String)
	return string(s), ok
}

// timestampLit recognises timestamp("<RFC 3339>").
func timestampLit(e celast.Expr, info *celast.SourceInfo, src common.Source) (time.Time, bool, *Error) {
	if e.Kind() != celast.CallKind {
		return time.Time{}, false, nil
	}
	call := e.AsCall()
	if call.FunctionName() != "timestamp" || call.IsMemberFunction() || len(call.Args()) != 1 {
		return time.Time{}, false, nil
	}
	s, ok := stringLit(call.Args()[0])
	if !ok {
		return time.Time{}, false, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		loc := info.GetStartLocation(call.Args()[0].ID())
		ce := &common.Error{Location: loc, Message: fmt.Sprintf("invalid timestamp %q: want RFC 3339, e.g. 2026-11-01T00:00:00Z", s)}
		return time.Time{}, false, &Error{Message: strings.TrimSpace(ce.ToDisplayString(src)), Line: loc.Line(), Column: loc.Column() + 1}
	}
	return t, true, nil
}
