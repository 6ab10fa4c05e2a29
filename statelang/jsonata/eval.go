package jsonata

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"time"
)

// frame is a variable scope.
type frame struct {
	names  []string
	vals   []any
	parent *frame
}

func newFrame(parent *frame) *frame { return &frame{parent: parent} }

func (f *frame) bind(name string, v any) {
	for i, n := range f.names {
		if n == name {
			f.vals[i] = v
			return
		}
	}
	f.names = append(f.names, name)
	f.vals = append(f.vals, v)
}

func (f *frame) lookup(name string) any {
	for e := f; e != nil; e = e.parent {
		for i := len(e.names) - 1; i >= 0; i-- {
			if e.names[i] == name {
				return e.vals[i]
			}
		}
	}
	if b, ok := builtins[name]; ok {
		return b
	}
	return nil
}

func frameFromTuple(env *frame, t *tuple) *frame {
	f := &frame{parent: env, names: make([]string, 0, len(t.vals)), vals: make([]any, 0, len(t.vals))}
	for k, v := range t.vals {
		f.names = append(f.names, k)
		f.vals = append(f.vals, v)
	}
	return f
}

// lambda is a user-defined function (closure), possibly partially applied.
type lambda struct {
	input  any
	env    *frame
	params []string
	body   *node
	sig    *signature
	thunk  bool
	native *builtin // body is a native function (partial application of a builtin)
}

// builtin is a native function.
type builtin struct {
	name    string
	sig     *signature
	arity   int
	nparams int
	fn      func(ev *evaluator, args []any, input any, env *frame) any
}

// partialNative is a partially applied native function.
type partialNative struct {
	b     *builtin
	args  []any
	holes []int
}

func isFunction(v any) bool {
	switch v.(type) {
	case *lambda, *builtin, *partialNative:
		return true
	}
	return false
}

func funcArity(f any) int {
	switch x := f.(type) {
	case *lambda:
		return len(x.params)
	case *builtin:
		return x.arity
	case *partialNative:
		return len(x.holes)
	}
	return 0
}

type evaluator struct {
	ctx         context.Context
	deadline    time.Time
	hasDeadline bool
	depth       int
	maxDepth    int
	steps       int
	now         time.Time
	random      func() float64
	uuid        func() string
	maxSize     int
}

func throw(code string, value any) {
	panic(&Error{Code: code, Value: value, Position: -1})
}

// tick counts one step of a long loop and checks the clock every 256.
func (ev *evaluator) tick() {
	ev.steps++
	if ev.steps&255 == 0 {
		ev.check()
	}
}

func (ev *evaluator) check() {
	if ev.hasDeadline && time.Now().After(ev.deadline) {
		panic(&Error{Code: "U1001", Position: -1, Message: "Expression evaluation timeout: Check for infinite loop"})
	}
	if ev.ctx != nil {
		if err := ev.ctx.Err(); err != nil {
			panic(&Error{Code: "U1001", Position: -1, Message: "Expression evaluation cancelled: " + err.Error()})
		}
	}
}

func (ev *evaluator) eval(expr *node, input any, env *frame) any {
	ev.depth++
	if ev.depth > ev.maxDepth {
		panic(&Error{Code: "U1001", Position: expr.pos, Message: "Stack overflow error: Check for non-terminating recursive function.  Consider rewriting as tail-recursive."})
	}
	ev.steps++
	if ev.steps&255 == 0 {
		ev.check()
	}
	var result any
	switch expr.typ {
	case ntPath:
		result = ev.evalPath(expr, input, env)
	case ntBinary:
		result = ev.evalBinary(expr, input, env)
	case ntUnary:
		result = ev.evalUnary(expr, input, env)
	case ntName:
		result = lookupField(input, expr.str())
	case ntString, ntNumber, ntValue:
		result = expr.value
	case ntWildcard:
		result = ev.evalWildcard(input)
	case ntDescendant:
		result = evalDescendants(input)
	case ntParent:
		result = env.lookup(expr.slot.label)
	case ntCondition:
		c := ev.eval(expr.cond, input, env)
		if boolean(c) == true {
			result = ev.eval(expr.then, input, env)
		} else if expr.els != nil {
			result = ev.eval(expr.els, input, env)
		}
	case ntBlock:
		f := newFrame(env)
		for _, e := range expr.exprs {
			result = ev.eval(e, input, f)
		}
	case ntBind:
		result = ev.eval(expr.rhs, input, env)
		env.bind(expr.lhs.str(), result)
	case ntRegex:
		result = ev.regexFunc(expr)
	case ntFunction:
		result = ev.evalFunction(expr, input, env, nil, false)
	case ntVariable:
		name := expr.str()
		if name == "" {
			if a, ok := input.(*array); ok && a.outerWrapper {
				result = a.items[0]
			} else {
				result = input
			}
		} else {
			result = env.lookup(name)
		}
	case ntLambda:
		result = &lambda{input: input, env: env, params: expr.params, body: expr.body, sig: expr.sig, thunk: expr.thunk}
	case ntPartial:
		result = ev.evalPartial(expr, input, env)
	case ntApply:
		result = ev.evalApply(expr, input, env)
	case ntTransform:
		result = ev.transformFunc(expr, env)
	case ntOperator:
		// a '?' placeholder outside of a function call
		throw("S0201", expr.value)
	}
	if expr.predicate != nil {
		for _, p := range expr.predicate {
			result = ev.evalFilter(p.expr, result, env)
		}
	}
	if expr.typ != ntPath && expr.group != nil {
		result = ev.evalGroup(expr.group, result, env)
	}
	if a, ok := result.(*array); ok && a.sequence && !a.tupleStream {
		if expr.keepArray {
			a.keepSingleton = true
		}
		if len(a.items) == 0 {
			result = nil
		} else if len(a.items) == 1 && !a.keepSingleton {
			result = a.items[0]
		}
	}
	ev.depth--
	return result
}

func (ev *evaluator) evalPath(expr *node, input any, env *frame) any {
	var inputSeq *array
	if a, ok := input.(*array); ok && expr.steps[0].typ != ntVariable {
		inputSeq = a
	} else {
		inputSeq = newSeq(input)
	}
	var resultSeq *array
	isTuple := false
	var tupleBindings *array
	for ii, step := range expr.steps {
		if step.tuple {
			isTuple = true
		}
		if ii == 0 && step.consarray {
			r := ev.eval(step, inputSeq, env)
			resultSeq = toArray(r)
		} else if isTuple {
			tupleBindings = ev.evalTupleStep(step, inputSeq, tupleBindings, env)
		} else {
			resultSeq = ev.evalStep(step, inputSeq, env, ii == len(expr.steps)-1)
		}
		if !isTuple && (resultSeq == nil || len(resultSeq.items) == 0) {
			break
		}
		if !step.hasFocus {
			inputSeq = resultSeq
		}
	}
	if isTuple {
		if expr.tuple {
			resultSeq = tupleBindings
		} else {
			resultSeq = newSeqCap(len(tupleBindings.items))
			for _, t := range tupleBindings.items {
				resultSeq.push(t.(*tuple).at())
			}
		}
	}
	if expr.keepSingletonArray {
		if resultSeq == nil {
			resultSeq = newSeq()
		}
		if resultSeq.cons && !resultSeq.sequence {
			resultSeq = newSeq(resultSeq)
		}
		resultSeq.keepSingleton = true
	}
	var result any
	if resultSeq != nil {
		result = resultSeq
	}
	if expr.group != nil {
		if isTuple {
			result = ev.evalGroup(expr.group, tupleBindings, env)
		} else {
			result = ev.evalGroup(expr.group, result, env)
		}
	}
	return result
}

// toArray is used where JavaScript code indexes a value as an array: a
// non-array value r becomes nil (undefined) or a sequence of one.
func toArray(r any) *array {
	switch x := r.(type) {
	case nil:
		return nil
	case *array:
		return x
	}
	return newSeq(r)
}

func (ev *evaluator) evalStep(expr *node, input *array, env *frame, last bool) *array {
	if expr.typ == ntSort {
		result := ev.evalSort(expr, input, env)
		if expr.stages != nil {
			result = ev.evalStages(expr.stages, result, env)
		}
		return toArray(result)
	}
	result := newSeqCap(len(input.items))
	for _, item := range input.items {
		res := ev.eval(expr, item, env)
		for _, st := range expr.stages {
			res = ev.evalFilter(st.expr, res, env)
		}
		if res != nil {
			result.push(res)
		}
	}
	if last && len(result.items) == 1 {
		if a, ok := result.items[0].(*array); ok && !a.sequence {
			return a
		}
	}
	out := newSeqCap(len(result.items))
	for _, res := range result.items {
		if a, ok := res.(*array); ok && !a.cons {
			out.items = append(out.items, a.items...)
		} else {
			out.push(res)
		}
	}
	ev.checkSize(len(out.items))
	return out
}

func (ev *evaluator) evalStages(stages []*stage, input any, env *frame) any {
	result := input
	for _, st := range stages {
		if st.filter {
			result = ev.evalFilter(st.expr, result, env)
		} else if a, ok := result.(*array); ok {
			for i, t := range a.items {
				if tp, ok := t.(*tuple); ok {
					tp.vals[st.name] = float64(i)
				}
			}
		}
	}
	return result
}

func (ev *evaluator) evalTupleStep(expr *node, input *array, tupleBindings *array, env *frame) *array {
	if expr.typ == ntSort {
		var result *array
		if tupleBindings != nil {
			result = toArray(ev.evalSort(expr, tupleBindings, env))
		} else {
			sorted := toArray(ev.evalSort(expr, input, env))
			result = newSeq()
			result.tupleStream = true
			if sorted != nil {
				for i, v := range sorted.items {
					t := &tuple{vals: map[string]any{"@": v}}
					if expr.hasIndex {
						t.vals[expr.index] = float64(i)
					}
					result.push(t)
				}
			}
		}
		if result == nil {
			result = newSeq()
			result.tupleStream = true
		}
		if expr.stages != nil {
			r := ev.evalStages(expr.stages, result, env)
			return toTupleArray(r)
		}
		return result
	}
	result := newSeq()
	result.tupleStream = true
	if tupleBindings == nil {
		tupleBindings = newSeqCap(len(input.items))
		for _, item := range input.items {
			tupleBindings.push(&tuple{vals: map[string]any{"@": item}})
		}
	}
	for _, tb := range tupleBindings.items {
		t := tb.(*tuple)
		stepEnv := frameFromTuple(env, t)
		res := ev.eval(expr, t.at(), stepEnv)
		if res == nil {
			continue
		}
		ra, isArr := res.(*array)
		if !isArr {
			ra = &array{items: []any{res}}
		}
		for bb, r := range ra.items {
			nt := t.clone()
			if ra.tupleStream {
				if rt, ok := r.(*tuple); ok {
					for k, v := range rt.vals {
						nt.vals[k] = v
					}
				}
			} else {
				if expr.hasFocus {
					nt.vals[expr.focus] = r
					nt.vals["@"] = t.at()
				} else {
					nt.vals["@"] = r
				}
				if expr.hasIndex {
					nt.vals[expr.index] = float64(bb)
				}
				if expr.ancestor != nil {
					nt.vals[expr.ancestor.label] = t.at()
				}
			}
			result.push(nt)
		}
	}
	if expr.stages != nil {
		return toTupleArray(ev.evalStages(expr.stages, result, env))
	}
	return result
}

func toTupleArray(r any) *array {
	a := toArray(r)
	if a == nil {
		a = newSeq()
	}
	a.tupleStream = true
	return a
}

func (ev *evaluator) evalFilter(pred *node, input any, env *frame) any {
	results := newSeq()
	in, ok := input.(*array)
	if ok && in.tupleStream {
		results.tupleStream = true
	}
	if !ok {
		in = newSeq(input)
	}
	if pred.typ == ntNumber {
		index := int(math.Floor(pred.value.(float64)))
		if index < 0 {
			index = len(in.items) + index
		}
		if index >= 0 && index < len(in.items) {
			item := in.items[index]
			if item != nil {
				if a, ok := item.(*array); ok {
					return a
				}
				results.push(item)
			}
		}
		return results
	}
	for index, item := range in.items {
		context := item
		e := env
		if in.tupleStream {
			if t, ok := item.(*tuple); ok {
				context = t.at()
				e = frameFromTuple(env, t)
			}
		}
		res := ev.eval(pred, context, e)
		if isNumeric(res) {
			res = &array{items: []any{res}}
		}
		if isArrayOfNumbers(res) {
			for _, ir := range res.(*array).items {
				ii := int(math.Floor(ir.(float64)))
				if ii < 0 {
					ii = len(in.items) + ii
				}
				if ii == index {
					results.push(item)
				}
			}
		} else if boolean(res) == true {
			results.push(item)
		}
	}
	return results
}

// isNumeric reports whether v is a number (not NaN); infinite numbers are
// an error, as in JSONata.
func isNumeric(v any) bool {
	f, ok := v.(float64)
	if !ok {
		return false
	}
	if math.IsNaN(f) {
		return false
	}
	if math.IsInf(f, 0) {
		throw("D1001", f)
	}
	return true
}

func isArrayOfNumbers(v any) bool {
	a, ok := v.(*array)
	if !ok {
		return false
	}
	for _, it := range a.items {
		if !isNumeric(it) {
			return false
		}
	}
	return true
}

func isArrayOfStrings(v any) bool {
	a, ok := v.(*array)
	if !ok {
		return false
	}
	for _, it := range a.items {
		if _, ok := it.(string); !ok {
			return false
		}
	}
	return true
}

// boolean is JSONata's effective boolean value; it returns nil for undefined.
func boolean(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case *array:
		if len(x.items) == 1 {
			return boolean(x.items[0])
		}
		for _, it := range x.items {
			if boolean(it) == true {
				return true
			}
		}
		return false
	case string:
		return len(x) > 0
	case float64:
		if isNumeric(x) {
			return x != 0
		}
		return false
	case *Object:
		return x.Len() > 0
	case *tuple:
		return true
	case bool:
		return x
	}
	return false
}

func lookupField(input any, key string) any { return lookupFieldD(input, key, 0) }

func lookupFieldD(input any, key string, d int) any {
	if d > maxDataDepth {
		tooDeep()
	}
	switch x := input.(type) {
	case *array:
		result := newSeq()
		for _, it := range x.items {
			res := lookupFieldD(it, key, d+1)
			if res != nil {
				if a, ok := res.(*array); ok {
					result.items = append(result.items, a.items...)
				} else {
					result.push(res)
				}
			}
		}
		return result
	case *Object:
		v, _ := x.vals[key]
		return v
	case *tuple:
		return lookupFieldD(x.at(), key, d+1)
	}
	return nil
}

func flattenInto(v any, out []any, d int) []any {
	if d > maxDataDepth {
		tooDeep()
	}
	if a, ok := v.(*array); ok {
		for _, it := range a.items {
			out = flattenInto(it, out, d+1)
		}
		return out
	}
	return append(out, v)
}

// evalWildcard is `*`: the values of an object (or of each object of an
// array), arrays among them flattened. It builds one slice, checking the
// budget as it goes (appending array after array used to copy the result
// so far each time).
func (ev *evaluator) evalWildcard(input any) any {
	if a, ok := input.(*array); ok && a.outerWrapper && len(a.items) > 0 {
		input = a.items[0]
	}
	var items []any
	plain := false // once an array value is added, the result is a plain array
	add := func(value any) {
		ev.tick()
		if va, ok := value.(*array); ok {
			plain = true
			items = flattenInto(va, items, 0)
			ev.checkSize(len(items))
		} else {
			items = append(items, value)
		}
	}
	switch x := input.(type) {
	case *Object:
		for _, k := range x.keys {
			add(x.vals[k])
		}
	case *array:
		for _, v := range x.items {
			add(v)
		}
	}
	if plain {
		return &array{items: items}
	}
	return newSeq(items...)
}

func evalDescendants(input any) any {
	if input == nil {
		return nil
	}
	rs := newSeq()
	recurseDescendants(input, rs, 0)
	if len(rs.items) == 1 {
		return rs.items[0]
	}
	return rs
}

func recurseDescendants(input any, rs *array, d int) {
	if d > maxDataDepth {
		tooDeep()
	}
	switch x := input.(type) {
	case *array:
		for _, m := range x.items {
			recurseDescendants(m, rs, d+1)
		}
	case *Object:
		rs.push(input)
		for _, k := range x.keys {
			recurseDescendants(x.vals[k], rs, d+1)
		}
	default:
		rs.push(input)
	}
}

// appendValues is JSONata's $append: the result is a plain (non-sequence) array.
func appendValues(a1, a2 any) any {
	if a1 == nil {
		return a2
	}
	if a2 == nil {
		return a1
	}
	var items []any
	if x, ok := a1.(*array); ok {
		items = make([]any, 0, len(x.items)+1)
		items = append(items, x.items...)
	} else {
		items = []any{a1}
	}
	if y, ok := a2.(*array); ok {
		items = append(items, y.items...)
	} else {
		items = append(items, a2)
	}
	return &array{items: items}
}

func (ev *evaluator) evalBinary(expr *node, input any, env *frame) (result any) {
	lhs := ev.eval(expr.lhs, input, env)
	op := expr.str()
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(*Error); ok && e.Position < 0 {
				e.Position = expr.pos
				if !e.hasToken {
					e.Token = op
					e.hasToken = true
				}
			}
			panic(r)
		}
	}()
	switch op {
	case "and":
		l := boolize(lhs)
		if !l {
			return false
		}
		return boolize(ev.eval(expr.rhs, input, env))
	case "or":
		l := boolize(lhs)
		if l {
			return true
		}
		return boolize(ev.eval(expr.rhs, input, env))
	}
	rhs := ev.eval(expr.rhs, input, env)
	switch op {
	case "+", "-", "*", "/", "%":
		if lhs != nil && !isNumeric(lhs) {
			throw("T2001", lhs)
		}
		if rhs != nil && !isNumeric(rhs) {
			throw("T2002", rhs)
		}
		if lhs == nil || rhs == nil {
			return nil
		}
		l, r := lhs.(float64), rhs.(float64)
		switch op {
		case "+":
			return l + r
		case "-":
			return l - r
		case "*":
			return l * r
		case "/":
			return l / r
		default:
			return math.Mod(l, r)
		}
	case "=", "!=":
		if lhs == nil || rhs == nil {
			return false
		}
		eq := deepEqual(lhs, rhs)
		if op == "=" {
			return eq
		}
		return !eq
	case "<", "<=", ">", ">=":
		return compareValues(lhs, rhs, op)
	case "&":
		ls, rs := "", ""
		if lhs != nil {
			ls = ev.stringify(lhs, false)
		}
		if rhs != nil {
			rs = ev.stringify(rhs, false)
		}
		ev.checkSize(len(ls) + len(rs))
		return ls + rs
	case "..":
		return ev.rangeValues(lhs, rhs)
	case "in":
		if lhs == nil || rhs == nil {
			return false
		}
		if ra, ok := rhs.(*array); ok {
			for _, v := range ra.items {
				if strictEqual(v, lhs) {
					return true
				}
			}
			return false
		}
		return strictEqual(rhs, lhs)
	}
	return nil
}

func boolize(v any) bool {
	return boolean(v) == true
}

func isInteger(v any) bool {
	f, ok := v.(float64)
	return ok && f == math.Trunc(f) && !math.IsInf(f, 0)
}

func (ev *evaluator) rangeValues(lhs, rhs any) any {
	if lhs != nil && !isInteger(lhs) {
		throw("T2003", lhs)
	}
	if rhs != nil && !isInteger(rhs) {
		throw("T2004", rhs)
	}
	if lhs == nil || rhs == nil {
		return nil
	}
	l, r := lhs.(float64), rhs.(float64)
	if l > r {
		return nil
	}
	size := r - l + 1
	if size > 1e7 {
		throw("D2014", size)
	}
	ev.checkSize(int(size))
	n := int(size)
	items := make([]any, n)
	for i := 0; i < n; i++ {
		items[i] = l + float64(i)
	}
	return &array{items: items, sequence: true}
}

func strictEqual(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case nullT:
		_, ok := b.(nullT)
		return ok
	}
	return a == b
}

func deepEqual(a, b any) bool { return deepEqualD(a, b, 0) }

func deepEqualD(a, b any, d int) bool {
	if d > maxDataDepth {
		tooDeep()
	}
	switch x := a.(type) {
	case *array:
		y, ok := b.(*array)
		if !ok || len(x.items) != len(y.items) {
			return false
		}
		for i := range x.items {
			if !deepEqualD(x.items[i], y.items[i], d+1) {
				return false
			}
		}
		return true
	case *Object:
		y, ok := b.(*Object)
		if !ok || x.Len() != y.Len() {
			return false
		}
		for _, k := range x.keys {
			yv, ok := y.vals[k]
			if !ok || !deepEqualD(x.vals[k], yv, d+1) {
				return false
			}
		}
		return true
	}
	return strictEqual(a, b)
}

func compareValues(lhs, rhs any, op string) any {
	lt, rt := typeSymbol(lhs), typeSymbol(rhs)
	lc := lt == 'm' || lt == 's' || lt == 'n'
	rc := rt == 'm' || rt == 's' || rt == 'n'
	if !lc || !rc {
		v := rhs
		if !(lt == 's' || lt == 'n') {
			v = lhs
		}
		throw("T2010", v)
	}
	if lhs == nil || rhs == nil {
		return nil
	}
	if lt != rt {
		panic(&Error{Code: "T2009", Value: lhs, Value2: rhs, Position: -1})
	}
	var c int
	if lt == 'n' {
		l, r := lhs.(float64), rhs.(float64)
		switch op {
		case "<":
			return l < r
		case "<=":
			return l <= r
		case ">":
			return l > r
		default:
			return l >= r
		}
	}
	c = compareStrings(lhs.(string), rhs.(string))
	switch op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	default:
		return c >= 0
	}
}

// compareStrings compares in UTF-16 code unit order, as JavaScript does.
func compareStrings(a, b string) int {
	if a == b {
		return 0
	}
	ra, rb := []rune(a), []rune(b)
	for i := 0; i < len(ra) && i < len(rb); i++ {
		if ra[i] == rb[i] {
			continue
		}
		ua, ub := utf16Key(ra[i]), utf16Key(rb[i])
		if ua < ub {
			return -1
		}
		return 1
	}
	switch {
	case len(ra) < len(rb):
		return -1
	case len(ra) > len(rb):
		return 1
	}
	return 0
}

func utf16Key(r rune) rune {
	if r >= 0x10000 {
		return 0xD800 + ((r - 0x10000) >> 10)
	}
	return r
}

func (ev *evaluator) evalUnary(expr *node, input any, env *frame) any {
	switch expr.str() {
	case "-":
		r := ev.eval(expr.expr, input, env)
		if r == nil {
			return nil
		}
		if isNumeric(r) {
			return -r.(float64)
		}
		panic(&Error{Code: "D1002", Position: expr.pos, Token: "-", hasToken: true, Value: r})
	case "[":
		var result any = &array{items: make([]any, 0, len(expr.exprs))}
		for _, item := range expr.exprs {
			v := ev.eval(item, input, env)
			if v == nil {
				continue
			}
			if item.typ == ntUnary && item.str() == "[" {
				ra := result.(*array)
				ra.push(v)
			} else {
				result = appendValues(result, v)
			}
		}
		ra := result.(*array)
		ev.checkSize(len(ra.items))
		if expr.consarray {
			ra.cons = true
		}
		return ra
	case "{":
		return ev.evalGroup(&groupExpr{pairs: expr.pairs, pos: expr.pos}, input, env)
	}
	return nil
}

type groupEntry struct {
	data      any
	exprIndex int
}

func (ev *evaluator) evalGroup(g *groupExpr, input any, env *frame) any {
	result := NewObject(len(g.pairs))
	groups := NewObject(len(g.pairs))
	in, isArr := input.(*array)
	reduce := isArr && in.tupleStream
	if !isArr {
		in = newSeq(input)
	}
	items := in.items
	if len(items) == 0 {
		items = []any{nil}
	}
	for _, item := range items {
		e := env
		ctx := item
		if reduce {
			if t, ok := item.(*tuple); ok {
				e = frameFromTuple(env, t)
				ctx = t.at()
			}
		}
		for pi, pair := range g.pairs {
			key := ev.eval(pair[0], ctx, e)
			if key == nil {
				continue
			}
			ks, ok := key.(string)
			if !ok {
				panic(&Error{Code: "T1003", Position: g.pos, Value: key})
			}
			if existing, ok := groups.vals[ks]; ok {
				ge := existing.(*groupEntry)
				if ge.exprIndex != pi {
					panic(&Error{Code: "D1009", Position: g.pos, Value: ks})
				}
				ge.data = appendValues(ge.data, item)
			} else {
				groups.Set(ks, &groupEntry{data: item, exprIndex: pi})
			}
		}
	}
	for _, k := range groups.keys {
		ge := groups.vals[k].(*groupEntry)
		ctx := ge.data
		e := env
		if reduce {
			t := reduceTupleStream(ge.data)
			ctx = t.vals["@"]
			delete(t.vals, "@")
			e = frameFromTuple(env, t)
		}
		v := ev.eval(g.pairs[ge.exprIndex][1], ctx, e)
		if v != nil {
			result.Set(k, v)
		}
	}
	return result
}

func reduceTupleStream(data any) *tuple {
	a, ok := data.(*array)
	if !ok {
		if t, ok := data.(*tuple); ok {
			return t.clone()
		}
		return &tuple{vals: map[string]any{"@": data}}
	}
	result := a.items[0].(*tuple).clone()
	for _, it := range a.items[1:] {
		t := it.(*tuple)
		for k, v := range t.vals {
			result.vals[k] = appendValues(result.vals[k], v)
		}
	}
	return result
}

// ---------- sorting ----------

func (ev *evaluator) evalSort(expr *node, input *array, env *frame) any {
	if input == nil {
		return nil
	}
	isTuple := input.tupleStream
	comparator := func(a, b any) bool {
		comp := 0
		for _, term := range expr.terms {
			if comp != 0 {
				break
			}
			ctx, e := a, env
			if isTuple {
				if t, ok := a.(*tuple); ok {
					ctx, e = t.at(), frameFromTuple(env, t)
				}
			}
			aa := ev.eval(term.expr, ctx, e)
			ctx, e = b, env
			if isTuple {
				if t, ok := b.(*tuple); ok {
					ctx, e = t.at(), frameFromTuple(env, t)
				}
			}
			bb := ev.eval(term.expr, ctx, e)
			if aa == nil {
				if bb == nil {
					comp = 0
				} else {
					comp = 1
				}
				continue
			}
			if bb == nil {
				comp = -1
				continue
			}
			at, bt := typeSymbol(aa), typeSymbol(bb)
			if !(at == 's' || at == 'n') || !(bt == 's' || bt == 'n') {
				v := bb
				if !(at == 's' || at == 'n') {
					v = aa
				}
				panic(&Error{Code: "T2008", Position: expr.pos, Value: v})
			}
			if at != bt {
				panic(&Error{Code: "T2007", Position: expr.pos, Value: aa, Value2: bb})
			}
			if strictEqual(aa, bb) {
				continue
			}
			less := false
			if at == 'n' {
				less = aa.(float64) < bb.(float64)
			} else {
				less = compareStrings(aa.(string), bb.(string)) < 0
			}
			if less {
				comp = -1
			} else {
				comp = 1
			}
			if term.descending {
				comp = -comp
			}
		}
		return comp == 1
	}
	if len(input.items) <= 1 {
		return input
	}
	sorted := mergeSort(input.items, comparator)
	r := &array{items: sorted, tupleStream: isTuple}
	if isTuple {
		r.sequence = true
	}
	return r
}

// mergeSort is a stable merge sort; swap(a, b) reports whether b must come
// before a.
func mergeSort(items []any, swap func(a, b any) bool) []any {
	if len(items) <= 1 {
		return append([]any(nil), items...)
	}
	mid := len(items) / 2
	left := mergeSort(items[:mid], swap)
	right := mergeSort(items[mid:], swap)
	out := make([]any, 0, len(items))
	i, j := 0, 0
	for i < len(left) && j < len(right) {
		if swap(left[i], right[j]) {
			out = append(out, right[j])
			j++
		} else {
			out = append(out, left[i])
			i++
		}
	}
	out = append(out, left[i:]...)
	out = append(out, right[j:]...)
	return out
}

// ---------- functions ----------

func procName(expr *node) string {
	if expr.proc.typ == ntPath && len(expr.proc.steps) > 0 {
		return expr.proc.steps[0].str()
	}
	return expr.proc.str()
}

func (ev *evaluator) evalFunction(expr *node, input any, env *frame, applyTo any, hasApplyTo bool) (result any) {
	proc := ev.eval(expr.proc, input, env)
	if proc == nil && expr.proc.typ == ntPath && len(expr.proc.steps) > 0 && env.lookup(expr.proc.steps[0].str()) != nil {
		panic(&Error{Code: "T1005", Position: expr.pos, Token: expr.proc.steps[0].str(), hasToken: true})
	}
	args := make([]any, 0, len(expr.args)+1)
	if hasApplyTo {
		args = append(args, applyTo)
	}
	for _, a := range expr.args {
		args = append(args, ev.eval(a, input, env))
	}
	name := procName(expr)
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(*Error); ok {
				if e.Position < 0 {
					e.Position = expr.pos
				}
				if !e.hasToken {
					e.Token = name
					e.hasToken = true
				}
			}
			panic(r)
		}
	}()
	return ev.apply(proc, args, input, env)
}

func (ev *evaluator) apply(proc any, args []any, input any, env *frame) any {
	result := ev.applyInner(proc, args, input, env)
	for {
		l, ok := result.(*lambda)
		if !ok || !l.thunk {
			return result
		}
		body := l.body
		next := ev.eval(body.proc, l.input, l.env)
		eargs := make([]any, len(body.args))
		for i, a := range body.args {
			eargs[i] = ev.eval(a, l.input, l.env)
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					if e, ok := r.(*Error); ok {
						if e.Position < 0 {
							e.Position = body.pos
						}
						if !e.hasToken {
							e.Token = procName(body)
							e.hasToken = true
						}
					}
					panic(r)
				}
			}()
			result = ev.applyInner(next, eargs, input, env)
		}()
	}
}

func (ev *evaluator) applyInner(proc any, args []any, input any, env *frame) any {
	switch f := proc.(type) {
	case *lambda:
		if f.sig != nil {
			v, err := f.sig.validate(args, input)
			if err != nil {
				panic(err)
			}
			args = v
		}
		return ev.applyProcedure(f, args)
	case *builtin:
		if f.sig != nil {
			v, err := f.sig.validate(args, input)
			if err != nil {
				if !err.hasToken && f.name != "" {
					err.Token = f.name
					err.hasToken = true
				}
				panic(err)
			}
			args = v
		}
		return ev.callBuiltin(f, args, input, env)
	case *partialNative:
		full := make([]any, len(f.args))
		copy(full, f.args)
		for i, h := range f.holes {
			if i < len(args) {
				full[h] = args[i]
			} else {
				full[h] = nil
			}
		}
		if f.b.sig != nil {
			// trailing undefined arguments are absent, as in a direct call
			n := len(full)
			for n > 0 && full[n-1] == nil {
				n--
			}
			v, err := f.b.sig.validate(full[:n], nil)
			if err != nil {
				if !err.hasToken && f.b.name != "" {
					err.Token = f.b.name
					err.hasToken = true
				}
				panic(err)
			}
			full = v
		}
		return ev.callBuiltin(f.b, full, input, env)
	}
	panic(&Error{Code: "T1006", Position: -1})
}

// callBuiltin runs a native function; a Go runtime error inside it (an
// argument of a type the function cannot handle) becomes a T0410 error.
func (ev *evaluator) callBuiltin(b *builtin, args []any, input any, env *frame) any {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(runtime.Error); ok {
				e := &Error{Code: "T0410", Position: -1, Message: fmt.Sprintf("Arguments of function %s do not match what it accepts", b.name)}
				if b.name != "" {
					e.Token = b.name
					e.hasToken = true
				}
				panic(e)
			}
			panic(r)
		}
	}()
	return b.fn(ev, args, input, env)
}

func (ev *evaluator) applyProcedure(l *lambda, args []any) any {
	env := &frame{parent: l.env, names: make([]string, 0, len(l.params)), vals: make([]any, 0, len(l.params))}
	for i, p := range l.params {
		var v any
		if i < len(args) {
			v = args[i]
		}
		env.names = append(env.names, p)
		env.vals = append(env.vals, v)
	}
	if l.native != nil {
		nargs := make([]any, l.native.nparams)
		for i := range nargs {
			nargs[i] = env.lookup(nativeParamName(i))
		}
		return l.native.fn(ev, nargs, nil, env)
	}
	return ev.eval(l.body, l.input, env)
}

func nativeParamName(i int) string { return fmt.Sprintf("\x00arg%d", i) }

// call invokes a function value from a built-in (higher-order functions).
func (ev *evaluator) call(f any, args ...any) any {
	return ev.apply(f, args, nil, nil)
}

func (ev *evaluator) evalPartial(expr *node, input any, env *frame) any {
	args := make([]any, len(expr.args))
	holes := []int{}
	for i, a := range expr.args {
		if a.typ == ntOperator && a.str() == "?" {
			holes = append(holes, i)
		} else {
			args[i] = ev.eval(a, input, env)
		}
	}
	proc := ev.eval(expr.proc, input, env)
	if proc == nil && expr.proc.typ == ntPath && len(expr.proc.steps) > 0 && env.lookup(expr.proc.steps[0].str()) != nil {
		panic(&Error{Code: "T1007", Position: expr.pos, Token: expr.proc.steps[0].str(), hasToken: true})
	}
	switch f := proc.(type) {
	case *lambda:
		penv := newFrame(f.env)
		var unbound []string
		for i, p := range f.params {
			if i < len(args) && isHole(i, holes) {
				unbound = append(unbound, p)
			} else if i < len(args) {
				penv.bind(p, args[i])
			} else {
				penv.bind(p, nil)
			}
		}
		return &lambda{input: f.input, env: penv, params: unbound, body: f.body, native: f.native}
	case *builtin:
		n := f.nparams
		full := make([]any, n)
		var h []int
		for i := 0; i < n; i++ {
			if i < len(args) {
				if isHole(i, holes) {
					h = append(h, i)
				} else {
					full[i] = args[i]
				}
			}
		}
		return &partialNative{b: f, args: full, holes: h}
	case *partialNative:
		// partially apply the remaining holes
		full := make([]any, len(f.args))
		copy(full, f.args)
		var h []int
		for i, hole := range f.holes {
			if i < len(args) {
				if isHole(i, holes) {
					h = append(h, hole)
				} else {
					full[hole] = args[i]
				}
			}
		}
		return &partialNative{b: f.b, args: full, holes: h}
	}
	tok := expr.proc.str()
	if expr.proc.typ == ntPath && len(expr.proc.steps) > 0 {
		tok = expr.proc.steps[0].str()
	}
	panic(&Error{Code: "T1008", Position: expr.pos, Token: tok, hasToken: true})
}

func isHole(i int, holes []int) bool {
	for _, h := range holes {
		if h == i {
			return true
		}
	}
	return false
}

func (ev *evaluator) evalApply(expr *node, input any, env *frame) any {
	lhs := ev.eval(expr.lhs, input, env)
	if expr.rhs.typ == ntFunction {
		return ev.evalFunction(expr.rhs, input, env, lhs, true)
	}
	fn := ev.eval(expr.rhs, input, env)
	if !isFunction(fn) {
		panic(&Error{Code: "T2006", Position: expr.pos, Value: fn})
	}
	if isFunction(lhs) {
		f1, f2 := lhs, fn
		return &builtin{name: "", arity: 1, nparams: 1, fn: func(ev *evaluator, args []any, _ any, _ *frame) any {
			var x any
			if len(args) > 0 {
				x = args[0]
			}
			return ev.call(f2, ev.call(f1, x))
		}}
	}
	return ev.apply(fn, []any{lhs}, nil, env)
}

// ---------- transform ----------

var transformSig = mustSig("<(oa):o>")

func (ev *evaluator) transformFunc(expr *node, env *frame) any {
	return &builtin{name: "", sig: transformSig, arity: 1, nparams: 1, fn: func(ev *evaluator, args []any, _ any, _ *frame) any {
		obj := args[0]
		if obj == nil {
			return nil
		}
		cloneFn := env.lookup("clone")
		if !isFunction(cloneFn) {
			panic(&Error{Code: "T2013", Position: expr.pos})
		}
		result := ev.apply(cloneFn, []any{obj}, nil, env)
		matches := ev.eval(expr.pattern, result, env)
		if matches == nil {
			return result
		}
		ma, ok := matches.(*array)
		if !ok {
			ma = &array{items: []any{matches}}
		}
		for _, match := range ma.items {
			update := ev.eval(expr.update, match, env)
			if update != nil {
				uo, ok := update.(*Object)
				if !ok {
					panic(&Error{Code: "T2011", Position: expr.update.pos, Value: update})
				}
				if mo, ok := match.(*Object); ok {
					for _, k := range uo.keys {
						mo.Set(k, uo.vals[k])
					}
				}
			}
			if expr.del != nil {
				dels := ev.eval(expr.del, match, env)
				if dels != nil {
					val := dels
					da, ok := dels.(*array)
					if !ok {
						da = &array{items: []any{dels}}
					}
					if !isArrayOfStrings(da) {
						panic(&Error{Code: "T2012", Position: expr.del.pos, Value: val})
					}
					if mo, ok := match.(*Object); ok {
						for _, d := range da.items {
							mo.Delete(d.(string))
						}
					}
				}
			}
		}
		return result
	}}
}

func (ev *evaluator) checkSize(n int) {
	if ev.maxSize > 0 && n > ev.maxSize {
		panic(&Error{Code: "U1003", Position: -1, Value: float64(n), Message: fmt.Sprintf("Size limit exceeded: a value of size %d exceeds the limit of %d", n, ev.maxSize)})
	}
}
