package statelang

import (
	"fmt"
	"sort"
	"unicode"
)

// MaxAssignBytes is the largest total size of the values one Assign field
// may set (256 KiB), as on AWS.
const MaxAssignBytes = 256 * 1024

// MaxVariableNameLength is the longest variable name AWS accepts.
const MaxVariableNameLength = 80

// Vars is one scope of workflow variables and, through Parent, the scopes
// around it: the top level of an execution has one scope, and each Parallel
// branch and Map iteration gets its own, whose parent is the scope of the
// state that started it (a distributed Map's iterations get a scope with no
// parent: they cannot read the outer variables).
//
// An assignment in an inner scope never changes an outer one: a name the
// inner scope assigns hides the outer variable of that name in that scope
// only. (Parse does not reject such names: AWS accepts a branch assigning
// a name its Parallel state's catcher also assigns, as the conformance
// corpus shows.)
//
// A state reads every scope of the chain and writes only the innermost one:
// its Assign comes back in Step.Assign or Recovery.Assign, and the caller
// applies it with With when the state is left. A Vars is never modified in
// place, so a caller may keep old ones; nil is an empty top-level scope.
type Vars struct {
	Parent *Vars
	Values map[string]any
}

// Lookup finds a variable in the scope or the scopes around it.
func (v *Vars) Lookup(name string) (any, bool) {
	for s := v; s != nil; s = s.Parent {
		if x, ok := s.Values[name]; ok {
			return x, true
		}
	}
	return nil, false
}

// Child returns a new, empty scope inside v.
func (v *Vars) Child() *Vars { return &Vars{Parent: v} }

// With returns the scope v with the assignments applied (v itself is not
// changed). A nil v is an empty top-level scope.
func (v *Vars) With(assign map[string]any) *Vars {
	if len(assign) == 0 {
		return v
	}
	out := &Vars{Values: make(map[string]any, len(assign))}
	if v != nil {
		out.Parent = v.Parent
		for k, x := range v.Values {
			out.Values[k] = x
		}
	}
	for k, x := range assign {
		out.Values[k] = x
	}
	return out
}

// refs is what a JSONPath may read besides the state input: the context
// object ($$) and the workflow variables ($name). The step API passes a
// *refs where the older code passed the bare context object.
type refs struct {
	obj  map[string]any
	vars *Vars
}

// splitRefs takes a context argument apart: a *refs, or a bare context
// object (callers that know nothing of variables).
func splitRefs(context any) (any, *Vars) {
	if r, ok := context.(*refs); ok {
		if r == nil {
			return nil, nil
		}
		return r.obj, r.vars
	}
	return context, nil
}

// pathSource is the value a path reads from, for failure causes.
func pathSource(p *Path, input, context any) any {
	obj, vars := splitRefs(context)
	switch {
	case p.context:
		return obj
	case p.variable != "":
		v, _ := vars.Lookup(p.variable)
		return v
	}
	return input
}

// validVariableName reports whether name is a valid variable name: a
// letter or '_' first, then letters, digits and '_' (JSONata's rules for
// $names, which is how every variable is read).
func validVariableName(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		switch {
		case r == '_' || unicode.IsLetter(r):
		case i > 0 && unicode.IsDigit(r):
		default:
			return false
		}
	}
	return true
}

// assignment is a compiled Assign field: in JSONPath mode a payload
// template whose ".$" keys read paths, intrinsics and variables; in JSONata
// mode an object whose "{% %}" strings are expressions.
type assignment struct {
	path    *Template
	jsonata *jvalue
	names   []string // the variable names it sets, sorted
}

// compileAssign compiles an Assign field at loc.
func compileAssign(d *diagnostics, loc *location, v any, jsonataMode bool) *assignment {
	obj, ok := v.(map[string]any)
	if !ok {
		d.add(loc, "Expected value of type: Object")
		return nil
	}
	a := &assignment{}
	for k := range obj {
		name := k
		if !jsonataMode && len(k) > 2 && k[len(k)-2:] == ".$" {
			name = k[:len(k)-2]
		}
		switch {
		case name == "states":
			d.add(loc.at(k), "The variable name 'states' is reserved")
			continue
		case !validVariableName(name):
			d.add(loc.at(k), "The variable name '%s' is not valid: it must start with a letter or '_' and contain only letters, digits and '_'", name)
			continue
		case len([]rune(name)) > MaxVariableNameLength:
			d.add(loc.at(k), "The variable name '%s' exceeds the maximum length of %d characters", name, MaxVariableNameLength)
			continue
		}
		a.names = append(a.names, name)
	}
	sort.Strings(a.names)
	if jsonataMode {
		a.jsonata = compileJValue(d, loc, v)
	} else {
		a.path = compileTemplate(d, loc, v)
	}
	return a
}

// evalAssign evaluates an Assign field. In JSONPath mode `$` is value (the
// state's result, its effective input or the error output); in JSONata
// mode the expressions read js.
func (s *State) evalAssign(a *assignment, value any, r *refs, js *jscope, env *Env, c *Context) (map[string]any, *Failure) {
	if a == nil {
		return nil, nil
	}
	var out any
	var f *Failure
	if a.jsonata != nil {
		out, f = a.jsonata.eval(js, "Assign")
		if f != nil {
			return nil, s.asQuery(c, f)
		}
	} else {
		out, f = a.path.Eval(value, r, env)
		if f != nil {
			return nil, s.asRuntime(c, f)
		}
	}
	m, _ := out.(map[string]any)
	if sizeOver(m, MaxAssignBytes) {
		return nil, s.runtimeFailure(c, ErrDataLimitExceeded, fmt.Sprintf(
			"The variables assigned by the field 'Assign' exceed the maximum size of %d bytes.", MaxAssignBytes))
	}
	return m, nil
}
