// Package jsonata implements JSONata 2.0.6, the query and transformation
// language AWS Step Functions uses for "QueryLanguage": "JSONata", with
// JavaScript semantics: objects keep their key order, null is distinct from
// undefined, numbers are IEEE doubles formatted as JavaScript formats them,
// sequences flatten as in the reference implementation (jsonata-js).
//
// Also provided are the functions AWS adds ($partition, $range, $hash,
// $random with a seed, $uuid, $parse); $eval is not available, as in AWS.
//
// Evaluation is safe for untrusted expressions: it is bounded in recursion
// depth, time (context and [Options.TimeLimit]) and in the size of strings
// and arrays that functions create, and every failure — including an
// internal fault — is returned as an *[Error] with a JSONata error code.
//
// The package is pure: the clock, random numbers and UUIDs come from
// [Options]. (The wall clock is read only to enforce the time limit, never
// to compute a value.) It imports only the standard library and
// github.com/dlclark/regexp2 (JavaScript regular expressions), and must not
// import other Stepwise packages.
//
// Values: input may be plain Go values (nil for null, bool, numbers of any
// Go numeric type, json.Number, string, []any, map[string]any whose keys are
// taken in sorted order) or values from [ParseJSON] (*Object keeps key
// order). Results use nil for null, bool, float64, string, []any and
// *Object; an undefined result is [Undefined]. [Convert] turns integral
// numbers back into int64.
package jsonata

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"time"
)

// Expr is a compiled JSONata expression. It is immutable and safe for
// concurrent use.
type Expr struct {
	ast *node
	src string
}

// String returns the source text of the expression.
func (e *Expr) String() string { return e.src }

// Options configures one evaluation. The zero value (or nil) is usable.
type Options struct {
	// Bindings are variables visible to the expression as $name. Values
	// follow the input conventions; Go functions of type
	// func(args ...any) (any, error) are callable.
	Bindings map[string]any
	// Now returns the evaluation timestamp for $now() and $millis(); it is
	// called once per evaluation. Defaults to time.Now.
	Now func() time.Time
	// Random returns numbers in [0, 1) for $random() and $shuffle().
	// Defaults to math/rand/v2.
	Random func() float64
	// UUID returns a version 4 UUID for $uuid(). Defaults to one built
	// from Random.
	UUID func() string
	// TimeLimit bounds the evaluation time. Defaults to 10 seconds; a
	// negative value means no limit besides ctx.
	TimeLimit time.Duration
	// MaxDepth bounds the nesting of evaluation (recursion). Defaults to
	// 1000.
	MaxDepth int
	// MaxSize bounds the length of strings and arrays that functions
	// create ($pad, $join, $string, &, ranges...). Defaults to 10,000,000
	// (bytes or items).
	MaxSize int
}

const (
	defaultTimeLimit = 10 * time.Second
	defaultMaxDepth  = 1000
	defaultMaxSize   = 10_000_000
)

// Eval evaluates the expression against input. The result is [Undefined]
// when the expression has no value. Errors are *[Error].
func (e *Expr) Eval(ctx context.Context, input any, opts *Options) (result any, err error) {
	r, err := e.eval(ctx, input, opts)
	if err != nil {
		return nil, err
	}
	return safeExport(r, false)
}

// EvalRaw is Eval returning the value with (value, defined) instead of the
// Undefined sentinel.
func (e *Expr) EvalRaw(ctx context.Context, input any, opts *Options) (any, bool, error) {
	r, err := e.eval(ctx, input, opts)
	if err != nil {
		return nil, false, err
	}
	if r == nil {
		return nil, false, nil
	}
	v, err := safeExport(r, true)
	if err != nil {
		return nil, false, err
	}
	return v, true, nil
}

func safeExport(r any, inner bool) (v any, err error) {
	defer func() {
		if p := recover(); p != nil {
			v = nil
			if je, ok := p.(*Error); ok {
				err = je
				return
			}
			err = &Error{Code: "U1000", Position: -1, Message: fmt.Sprintf("internal error: %v", p)}
		}
	}()
	if inner {
		return exportInner(r), nil
	}
	return export(r), nil
}

func (e *Expr) eval(ctx context.Context, input any, opts *Options) (result any, err error) {
	if opts == nil {
		opts = &Options{}
	}
	ev := &evaluator{ctx: ctx, maxDepth: opts.MaxDepth, maxSize: opts.MaxSize, random: opts.Random, uuid: opts.UUID}
	if ev.maxDepth <= 0 {
		ev.maxDepth = defaultMaxDepth
	}
	if ev.maxSize <= 0 {
		ev.maxSize = defaultMaxSize
	}
	tl := opts.TimeLimit
	if tl == 0 {
		tl = defaultTimeLimit
	}
	if tl > 0 {
		ev.deadline = time.Now().Add(tl)
		ev.hasDeadline = true
	}
	if ctx != nil {
		if d, ok := ctx.Deadline(); ok && (!ev.hasDeadline || d.Before(ev.deadline)) {
			ev.deadline = d
			ev.hasDeadline = true
		}
		if ctx.Done() == nil {
			ev.ctx = nil
		}
	}
	if opts.Now != nil {
		ev.now = opts.Now()
	} else {
		ev.now = time.Now()
	}
	if ev.random == nil {
		ev.random = rand.Float64
	}
	defer func() {
		if r := recover(); r != nil {
			result = nil
			if je, ok := r.(*Error); ok {
				err = je
				return
			}
			err = &Error{Code: "U1000", Position: -1, Message: fmt.Sprintf("internal error: %v\n%s", r, debug.Stack())}
		}
	}()
	env := newFrame(nil)
	for k, v := range opts.Bindings {
		env.bind(k, normalize(v))
	}
	in := normalize(input)
	env.bind("$", in)
	if a, ok := in.(*array); ok && !a.sequence {
		in = &array{items: []any{a}, sequence: true, outerWrapper: true}
	}
	ev.check()
	return ev.eval(e.ast, in, env), nil
}

// Evaluate compiles and evaluates expr in one call.
func Evaluate(ctx context.Context, expr string, input any, opts *Options) (any, error) {
	e, err := Compile(expr)
	if err != nil {
		return nil, err
	}
	return e.Eval(ctx, input, opts)
}
