package statelang

import (
	"fmt"
	"math"
	"strings"
)

// Template is a compiled payload template (Parameters, ItemSelector,
// ResultSelector, Credentials): a JSON value whose object keys ending in
// ".$" take their value from a path or an intrinsic function call.
type Template struct {
	root tnode
}

type tnode interface {
	eval(input, context any, env *Env, b *budget) (any, *Failure)
}

type tliteral struct {
	v    any
	size int // the length of v's JSON text
}

type tobject struct {
	keys  []string // output keys, sorted
	nodes []tnode
	size  int // the length of the JSON text around the values
}

type tarray struct{ items []tnode }

// budget bounds what one evaluation of a template builds and reads, and
// is checked while building, so that no path or intrinsic can make it
// take more than a bounded amount of memory or time:
//   - out is what the result may still take: the payload limit (a
//     larger result could not be passed on anyway);
//   - work is how much more the evaluation may measure or copy of the
//     values paths select and intrinsic functions compute.
type budget struct{ out, work int }

// maxTemplateWork bounds the work of one template evaluation: a few
// times what a result of the payload limit needs.
const maxTemplateWork = 16 * MaxPayloadBytes

func newBudget() *budget { return &budget{out: MaxPayloadBytes, work: maxTemplateWork} }

// measure returns the JSON size of v, counting no further than limit or
// the work left, and charges it to the work; ok is false when v is
// larger than limit or the work is spent.
func (b *budget) measure(v any, limit int) (n int, ok bool) {
	n = jsonLen(v, min(limit, b.work))
	b.work -= n
	return n, n <= limit && b.work >= 0
}

// take charges n bytes of the result; it is false when they do not fit.
func (b *budget) take(n int) bool {
	b.out -= n
	return b.out >= 0
}

// dataLimit is the failure of a value too large to build.
func dataLimit(what string) *Failure {
	return failf(ErrDataLimitExceeded, "The %s returned a result with a size exceeding the maximum number of bytes service limit.", what)
}

type tpath struct {
	key  string // the ".$" key as written, for causes
	path *Path
}

type tcall struct {
	key  string
	call *intrinsic
}

// compileTemplate compiles a payload template, reporting problems to d.
func compileTemplate(d *diagnostics, loc *location, v any) *Template {
	return &Template{root: compileNode(d, loc, v)}
}

func compileNode(d *diagnostics, loc *location, v any) tnode {
	switch t := v.(type) {
	case map[string]any:
		keys := sortedKeys(t)
		o := &tobject{}
		seen := map[string]string{}
		for _, k := range keys {
			kloc := loc.at(k)
			out := k
			var n tnode
			if strings.HasSuffix(k, ".$") {
				out = strings.TrimSuffix(k, ".$")
				s, ok := t[k].(string)
				if !ok {
					d.add(kloc, "The value for the field '%s' must be a STRING that contains a JSONPath but was a %s", k, jsonKindName(t[k]))
					continue
				}
				n = compileDynamic(d, kloc, k, s)
			} else {
				n = compileNode(d, kloc, t[k])
			}
			if prev, dup := seen[out]; dup {
				d.add(kloc, "The field '%s' duplicates the field '%s'", k, prev)
				continue
			}
			seen[out] = k
			if n == nil {
				continue
			}
			o.keys = append(o.keys, out)
			o.nodes = append(o.nodes, n)
			o.size += stringLen(out) + 2 // the key, ':' and ','
		}
		o.size += 1 - min(len(o.keys), 1) // '{' and '}', one ',' less
		return o
	case []any:
		a := &tarray{items: make([]tnode, len(t))}
		for i, e := range t {
			a.items[i] = compileNode(d, loc.item(i), e)
		}
		return a
	default:
		return tliteral{v: v, size: jsonLen(v, math.MaxInt)}
	}
}

// compileDynamic compiles the string value of a ".$" key: a path or an
// intrinsic function call.
func compileDynamic(d *diagnostics, loc *location, key, s string) tnode {
	switch {
	case strings.HasPrefix(s, "States."):
		c, err := parseIntrinsic(s)
		if err != nil {
			d.add(loc, "The value for the field '%s' must be a valid JSONPath or a valid intrinsic function call: %v", key, err)
			return nil
		}
		return tcall{key: key, call: c}
	case strings.HasPrefix(s, "$"):
		p, err := ParsePath(s)
		if err != nil {
			d.add(loc, "The value for the field '%s' must be a valid JSONPath or a valid intrinsic function call: %v", key, err)
			return nil
		}
		return tpath{key: key, path: p}
	default:
		d.add(loc, "The value for the field '%s' must be a valid JSONPath or a valid intrinsic function call", key)
		return nil
	}
}

// isVariableRef reports whether s reads a workflow variable ($name), not
// the input ($, $.x, $[..]) or the context ($$).
func isVariableRef(s string) bool {
	if len(s) < 2 || s[0] != '$' {
		return false
	}
	c := s[1]
	return c != '.' && c != '[' && c != '$'
}

// Eval evaluates the template against the input and context object.
// field names the template's field for failure causes (e.g. "Parameters").
//
// A result larger than the payload limit (MaxPayloadBytes) fails with
// States.DataLimitExceeded, found while it is built.
func (t *Template) Eval(input, context any, env *Env) (any, *Failure) {
	return t.root.eval(input, context, env, newBudget())
}

func (n tliteral) eval(input, context any, env *Env, b *budget) (any, *Failure) {
	if !b.take(n.size) {
		return nil, dataLimit("payload template")
	}
	return Clone(n.v), nil
}

func (n *tobject) eval(input, context any, env *Env, b *budget) (any, *Failure) {
	if !b.take(n.size) {
		return nil, dataLimit("payload template")
	}
	out := make(map[string]any, len(n.keys))
	for i, k := range n.keys {
		v, f := n.nodes[i].eval(input, context, env, b)
		if f != nil {
			return nil, f
		}
		out[k] = v
	}
	return out, nil
}

func (n *tarray) eval(input, context any, env *Env, b *budget) (any, *Failure) {
	if !b.take(1 + max(len(n.items), 1)) {
		return nil, dataLimit("payload template")
	}
	out := make([]any, len(n.items))
	for i, it := range n.items {
		v, f := it.eval(input, context, env, b)
		if f != nil {
			return nil, f
		}
		out[i] = v
	}
	return out, nil
}

func (n tpath) eval(input, context any, env *Env, b *budget) (any, *Failure) {
	v, err := n.path.Get(input, context)
	if err != nil {
		src := pathSource(n.path, input, context)
		// AWS fails the state with States.Runtime here (not the
		// States.ParameterPathFailure the specification names), so a
		// States.ALL catcher does not catch it.
		return nil, &Failure{Name: ErrRuntime, Cause: fmt.Sprintf(
			"The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'", n.path, n.key, MarshalString(src))}
	}
	// The value is measured before it is copied: a descent such as $..*
	// selects every subtree of the input, far more than the input itself.
	if size, ok := b.measure(v, b.out); !ok || !b.take(size) {
		return nil, dataLimit(fmt.Sprintf("JSONPath '%s' specified for the field '%s'", n.path, n.key))
	}
	return Clone(v), nil
}

func (n tcall) eval(input, context any, env *Env, b *budget) (any, *Failure) {
	v, f := n.call.eval(input, context, env, b)
	if f != nil {
		return nil, f
	}
	if size, ok := b.measure(v, b.out); !ok || !b.take(size) {
		return nil, dataLimit(fmt.Sprintf("intrinsic function %s specified for the field '%s'", n.call.name, n.key))
	}
	return Clone(v), nil
}
