package statelang

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ohler55/ojg/jp"
)

// Path is a compiled JSONPath as ASL uses it: `$...` reads the state's
// input, `$$...` reads the context object.
//
// A definite path (only names and indexes) yields one value or a "not found"
// error; an indefinite one (wildcards, filters, slices, unions, descent)
// yields the array of everything it matches, as Jayway JsonPath does on AWS.
type Path struct {
	text     string
	context  bool
	variable string // $name...: the path reads the workflow variable name
	steps    []any  // definite paths: string (name) or int (index)
	expr     jp.Expr
	definite bool
}

// String returns the path as written in the definition.
func (p *Path) String() string { return p.text }

// IsContext reports whether the path reads the context object ($$).
func (p *Path) IsContext() bool { return p.context }

// Variable is the name of the workflow variable the path reads ($name,
// $name.field, $name[0]), or "" when it reads the input or the context.
func (p *Path) Variable() string { return p.variable }

// maxPathDescents bounds the recursive descents ("..") of one path.
const maxPathDescents = 8

// ParsePath compiles a JSONPath of the form `$...`, `$$...` or, reading a
// workflow variable, `$name...`.
func ParsePath(s string) (*Path, error) {
	p := &Path{text: s}
	rest := s
	if isVariableRef(s) {
		end := strings.IndexAny(s, ".[")
		if end < 0 {
			end = len(s)
		}
		name := s[1:end]
		if !validVariableName(name) {
			return nil, fmt.Errorf("the path %q does not name a valid variable", s)
		}
		inner, err := ParsePath("$" + s[end:])
		if err != nil {
			return nil, err
		}
		inner.text, inner.variable = s, name
		return inner, nil
	}
	switch {
	case strings.HasPrefix(s, "$$"):
		p.context = true
		rest = s[1:]
	case strings.HasPrefix(s, "$"):
	default:
		return nil, fmt.Errorf("the path %q must start with '$'", s)
	}
	if steps, ok := parseDefinite(rest[1:]); ok {
		p.steps = steps
		p.definite = true
		return p, nil
	}
	x, err := jp.ParseString(rest)
	if err != nil {
		return nil, fmt.Errorf("the path %q is not a valid JSONPath: %v", s, err)
	}
	if len(x) == 0 {
		return nil, fmt.Errorf("the path %q is not a valid JSONPath", s)
	}
	if _, ok := x[0].(jp.Root); !ok {
		return nil, fmt.Errorf("the path %q must start with '$'", s)
	}
	descents := 0
	for i, f := range x[1:] {
		switch f.(type) {
		case jp.Descent:
			// Each descent multiplies the work of the steps after it: a run
			// of dots ("$....c") or a long chain of descents takes time
			// that grows with the cube of their number.
			if _, again := x[i].(jp.Descent); again {
				return nil, fmt.Errorf("the path %q is not a valid JSONPath: '...' is not a step", s)
			}
			if descents++; descents > maxPathDescents {
				return nil, fmt.Errorf("the path %q has more than %d recursive descents ('..')", s, maxPathDescents)
			}
		case jp.Child, jp.Nth, jp.Wildcard, jp.Slice, jp.Union, *jp.Filter, jp.Bracket:
		default:
			return nil, fmt.Errorf("the path %q uses an unsupported JSONPath feature", s)
		}
	}
	p.expr = x
	return p, nil
}

// ParseReferencePath compiles a reference path: a path that names a single
// node, with names and indexes only (no wildcards, filters, slices, unions
// or descent), as ResultPath requires.
func ParseReferencePath(s string) (*Path, error) {
	p, err := ParsePath(s)
	if err != nil {
		return nil, err
	}
	if !p.definite {
		return nil, fmt.Errorf("the reference path %q may only use names and indexes (no wildcards, filters, slices or unions)", s)
	}
	return p, nil
}

// parseDefinite parses the part after `$` when it holds only `.name`,
// `['name']` and `[n]` steps. Names in dot notation run to the next `.` or
// `[`, so `$.a-b` and `$.a b` name the keys "a-b" and "a b", as on AWS.
func parseDefinite(s string) ([]any, bool) {
	var steps []any
	for len(s) > 0 {
		switch s[0] {
		case '.':
			s = s[1:]
			end := strings.IndexAny(s, ".[")
			if end < 0 {
				end = len(s)
			}
			name := s[:end]
			if name == "" || name == "*" || strings.ContainsAny(name, "()?@'\"]") {
				return nil, false
			}
			steps = append(steps, name)
			s = s[end:]
		case '[':
			if len(s) > 1 && (s[1] == '\'' || s[1] == '"') {
				name, rest, ok := bracketName(s[1:])
				if !ok {
					return nil, false
				}
				steps = append(steps, name)
				s = rest
				continue
			}
			end := strings.IndexByte(s, ']')
			if end < 0 {
				return nil, false
			}
			inner := s[1:end]
			n, err := strconv.Atoi(inner)
			if err != nil || n < 0 || inner != strconv.Itoa(n) {
				return nil, false
			}
			steps = append(steps, n)
			s = s[end+1:]
		default:
			return nil, false
		}
	}
	return steps, true
}

// bracketName reads a quoted name of bracket notation, s starting at its
// opening quote, and returns the name and what follows the closing "]".
// As in the JsonPath library AWS uses, a backslash keeps the character
// after it from closing the name, and the name is the text between the
// quotes as written, backslashes included: $['a\'b'] names the key a\'b,
// and $['Test\""Name"'] the key Test\""Name". ok is false when the quote
// is not closed or is not followed by "]" (a union such as ['a','b']).
func bracketName(s string) (name, rest string, ok bool) {
	quote := s[0]
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case quote:
			if i+1 < len(s) && s[i+1] == ']' {
				return s[1:i], s[i+2:], true
			}
			return "", "", false
		}
	}
	return "", "", false
}

// pathError is a path that found nothing; its message is AWS's (Jayway's).
type pathError struct{ msg string }

func (e *pathError) Error() string { return e.msg }

// Get evaluates the path against the input (or the context object for `$$`).
//
// context is the context object, or what the step API passes around to
// let paths read variables too (see refs).
func (p *Path) Get(input, context any) (any, error) {
	ctxObj, vars := splitRefs(context)
	root := input
	switch {
	case p.context:
		root = ctxObj
	case p.variable != "":
		v, ok := vars.Lookup(p.variable)
		if !ok {
			return nil, &pathError{"Variable '" + p.variable + "' is not defined"}
		}
		root = v
	}
	if !p.definite {
		res := p.expr.Get(root)
		if res == nil {
			res = []any{}
		}
		return res, nil
	}
	cur := root
	for i, st := range p.steps {
		switch k := st.(type) {
		case string:
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, &pathError{fmt.Sprintf("Expected to find an object with property %s in path %s but found '%s'", bracketOf(p.steps[i:i+1]), bracketPath(p.steps[:i]), jsonKindName(cur))}
			}
			v, ok := m[k]
			if !ok {
				if i == len(p.steps)-1 {
					return nil, &pathError{"No results for path: " + bracketPath(p.steps)}
				}
				return nil, &pathError{"Missing property in path " + bracketPath(p.steps[:i+1])}
			}
			cur = v
		case int:
			a, ok := cur.([]any)
			if !ok || k >= len(a) {
				return nil, &pathError{"No results for path: " + bracketPath(p.steps)}
			}
			cur = a[k]
		}
	}
	return cur, nil
}

// Has reports whether the path selects something (Choice's IsPresent).
func (p *Path) Has(input, context any) bool {
	v, err := p.Get(input, context)
	if err != nil {
		return false
	}
	if !p.definite {
		return len(v.([]any)) > 0
	}
	return true
}

func bracketOf(steps []any) string {
	return strings.TrimPrefix(bracketPath(steps), "$")
}

func bracketPath(steps []any) string {
	var sb strings.Builder
	sb.WriteByte('$')
	for _, st := range steps {
		switch k := st.(type) {
		case string:
			sb.WriteString("['")
			sb.WriteString(k)
			sb.WriteString("']")
		case int:
			sb.WriteString("[" + strconv.Itoa(k) + "]")
		}
	}
	return sb.String()
}

func jsonKindName(v any) string {
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
	return fmt.Sprintf("%T", v)
}

// Set returns input with value placed at the reference path, creating
// missing objects on the way, as ResultPath does. The input is not changed;
// what is changed is copied. It fails when a step meets something that is
// neither an object nor an array it can index.
func (p *Path) Set(input, value any) (any, error) {
	if p.context {
		return nil, fmt.Errorf("the context object cannot be written")
	}
	return setSteps(input, p.steps, value, p.text)
}

func setSteps(cur any, steps []any, value any, text string) (any, error) {
	if len(steps) == 0 {
		return value, nil
	}
	switch k := steps[0].(type) {
	case string:
		var m map[string]any
		switch t := cur.(type) {
		case map[string]any:
			m = make(map[string]any, len(t)+1)
			for key, v := range t {
				m[key] = v
			}
		default:
			return nil, &pathError{fmt.Sprintf("Unable to apply ReferencePath %s to input %s", text, MarshalString(cur))}
		}
		next, exists := m[k]
		if !exists && len(steps) > 1 {
			next = map[string]any{}
		}
		child, err := setSteps(next, steps[1:], value, text)
		if err != nil {
			return nil, err
		}
		m[k] = child
		return m, nil
	case int:
		a, ok := cur.([]any)
		if !ok || k >= len(a) {
			return nil, &pathError{fmt.Sprintf("Unable to apply ReferencePath %s to input %s", text, MarshalString(cur))}
		}
		c := make([]any, len(a))
		copy(c, a)
		child, err := setSteps(a[k], steps[1:], value, text)
		if err != nil {
			return nil, err
		}
		c[k] = child
		return c, nil
	}
	return nil, fmt.Errorf("bad step")
}
