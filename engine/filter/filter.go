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
// Evaluation is bounded: one execution's evaluation by CostLimit (beyond
// it the execution does not match), and one listing, through Bind, by the
// request's context and a shared ListCostLimit (beyond it Bound.Err says
// so, and the listing must fail rather than look complete). A constant
// pattern of matches() that is not a valid RE2 expression is a compile
// error.
//
// filter imports engine, statelang and cel-go; no database package.
package filter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"regexp/syntax"
	"strings"
	"sync"
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

// CostLimit bounds, in CEL's cost units, the work of evaluating a filter on
// one execution (about a tenth of a second); beyond it the execution does
// not match.
const CostLimit = 100_000

// ListCostLimit bounds the work of evaluating a filter over one listing, in
// the same units: fifty executions at CostLimit, or ten thousand at 500
// each.
const ListCostLimit = 5_000_000

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
	if err := checkRegexps(native.Expr(), native.SourceInfo(), source); err != nil {
		return nil, err
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
		prg, err := env.Program(ast, cel.CostLimit(CostLimit), cel.InterruptCheckFrequency(100))
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
// cost limit) is no match. A listing should use Bind instead.
func (f *Filter) Match(x *engine.Execution) bool {
	ok, _ := f.eval(context.Background(), x)
	return ok
}

// ErrTooCostly is Bound.Err when a listing spent ListCostLimit.
var ErrTooCostly = fmt.Errorf("the filter needs more work than one listing allows (%d cost units); narrow it with conditions on status, name, state_machine or start_time, or ask for a smaller page: %w", ListCostLimit, engine.ErrInvalidInput)

// Bound is a Filter bound to one listing (see Bind). It is safe for
// concurrent use.
type Bound struct {
	f *Filter
	// ctx is the listing's request context: engine.ExecutionFilter.Match
	// takes none, so the binding carries it for the one call it serves.
	ctx context.Context

	mu    sync.Mutex
	spent uint64
	err   error
}

var _ engine.ExecutionFilter = (*Bound)(nil)

// Bind returns the filter for one listing: every evaluation ends when ctx
// does, and all of them share ListCostLimit. Once either is spent, Match
// is false and Err is not nil; the caller must then fail the listing.
func (f *Filter) Bind(ctx context.Context) *Bound { return &Bound{f: f, ctx: ctx} }

// Conditions implements engine.ExecutionFilter.
func (b *Bound) Conditions() []engine.Condition { return b.f.conds }

// Match implements engine.ExecutionFilter.
func (b *Bound) Match(x *engine.Execution) bool {
	if b.Err() != nil {
		return false
	}
	ok, cost := b.f.eval(b.ctx, x)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.spent += cost
	switch {
	case b.err != nil:
	case b.ctx.Err() != nil:
		b.err = b.ctx.Err()
	case b.spent > ListCostLimit:
		b.err = ErrTooCostly
	}
	return ok && b.err == nil
}

// Err reports why the listing's evaluations stopped: the context's error,
// ErrTooCostly, or nil while they go on.
func (b *Bound) Err() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

// eval evaluates the filter on x, and reports the cost spent.
func (f *Filter) eval(ctx context.Context, x *engine.Execution) (bool, uint64) {
	if f.exact {
		return true, 0
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
		vars["input"] = lazyJSON(x.Input)
	}
	if f.usesOutput {
		vars["output"] = lazyJSON(x.Output)
	}
	out, det, err := f.prg.ContextEval(ctx, vars)
	var cost uint64
	if det != nil && det.ActualCost() != nil {
		cost = *det.ActualCost()
	}
	if err != nil {
		return false, cost
	}
	b, ok := out.(types.Bool)
	return ok && bool(b), cost
}

// lazyJSON parses a document the first time CEL asks for it, and only
// once: CEL calls the function at every reference to the variable.
func lazyJSON(text string) func() any {
	var v any
	parsed := false
	return func() any {
		if !parsed {
			v, parsed = jsonValue(text), true
		}
		return v
	}
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

// checkRegexps compiles every constant pattern of matches(), whether
// called as s.matches(p) or matches(s, p), as CEL would (RE2 syntax).
func checkRegexps(e celast.Expr, info *celast.SourceInfo, src common.Source) *Error {
	var first *Error
	celast.PostOrderVisit(e, celast.NewExprVisitor(func(e celast.Expr) {
		if first != nil || e.Kind() != celast.CallKind || e.AsCall().FunctionName() != "matches" {
			return
		}
		args := e.AsCall().Args()
		if len(args) == 0 {
			return
		}
		pat := args[len(args)-1]
		s, ok := stringLit(pat)
		if !ok {
			return
		}
		if _, err := regexp.Compile(s); err != nil {
			var re *syntax.Error
			msg := err.Error()
			if errors.As(err, &re) {
				msg = re.Code.String() + ": `" + re.Expr + "`"
			}
			first = errorAt(pat, info, src, fmt.Sprintf("invalid regular expression %q: %s", s, msg))
		}
	}))
	return first
}

// errorAt is an *Error located at e, shown as CEL shows its own.
func errorAt(e celast.Expr, info *celast.SourceInfo, src common.Source, msg string) *Error {
	loc := info.GetStartLocation(e.ID())
	ce := &common.Error{Location: loc, Message: msg}
	return &Error{Message: strings.TrimSpace(ce.ToDisplayString(src)), Line: loc.Line(), Column: loc.Column() + 1}
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
		return time.Time{}, false, errorAt(call.Args()[0], info, src, fmt.Sprintf("invalid timestamp %q: want RFC 3339, e.g. 2026-11-01T00:00:00Z", s))
	}
	return t, true, nil
}
