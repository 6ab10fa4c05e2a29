package statelang

import (
	"fmt"
	"sort"
	"strings"
)

// Diagnostic severities, as ValidateStateMachineDefinition reports them.
const (
	SeverityError   = "ERROR"
	SeverityWarning = "WARNING"
)

// The warning codes of ValidateStateMachineDefinition.
const (
	// CodeNoDollar: a payload template field whose value looks like a
	// path or an intrinsic function call, but whose name does not end
	// with ".$", so the value is taken as it is written.
	CodeNoDollar = "NO_DOLLAR"
	// CodeNoPath: a field whose value looks like a path, but whose name
	// does not end with "Path" (a Fail state's Error or Cause).
	CodeNoPath = "NO_PATH"
	// CodePassResultIsStatic: a path in the Result of a Pass state, which
	// is never evaluated.
	CodePassResultIsStatic = "PASS_RESULT_IS_STATIC"
)

// Warnings returns what AWS's ValidateStateMachineDefinition reports with
// severity WARNING for a definition: things that are valid but are
// probably not what was meant. They do not stop the definition from being
// used. It reads the definition as JSON only and returns nil for text
// that is not a JSON object; Parse reports the errors.
func Warnings(definition []byte) Diagnostics {
	top := definitionObject(definition)
	if top == nil {
		return nil
	}
	w := &warner{ql: QueryJSONPath}
	if s, _ := top["QueryLanguage"].(string); s == QueryJSONata {
		w.ql = s
	}
	w.machine(nil, top)
	return w.list
}

// definitionObject is a definition read as a JSON object, for the
// checks that read it as JSON only; nil when it is too big or too deep,
// or not a JSON object.
func definitionObject(definition []byte) map[string]any {
	if len(definition) > MaxDefinitionBytes {
		return nil
	}
	raw, err := ParseJSON(definition)
	if err != nil {
		return nil
	}
	top, ok := raw.(map[string]any)
	if !ok || tooDeep(nil, top, MaxNestingDepth) != nil {
		return nil
	}
	return top
}

type warner struct {
	list Diagnostics
	ql   string // the top level's QueryLanguage
}

func (w *warner) add(code string, at *location, format string, args ...any) {
	if len(w.list) < MaxDiagnostics {
		w.list = append(w.list, Diagnostic{Code: code, Location: at.String(), Message: fmt.Sprintf(format, args...), Severity: SeverityWarning})
	}
}

func (w *warner) machine(loc *location, m map[string]any) {
	states, _ := m["States"].(map[string]any)
	for _, n := range sortedKeys(states) {
		st, ok := states[n].(map[string]any)
		if !ok {
			continue
		}
		sloc := loc.at("States").at(n)
		w.state(sloc, st)
		if bs, ok := st["Branches"].([]any); ok {
			for i, b := range bs {
				if bm, ok := b.(map[string]any); ok {
					w.machine(sloc.at("Branches").item(i), bm)
				}
			}
		}
		for _, k := range []string{"ItemProcessor", "Iterator"} {
			if p, ok := st[k].(map[string]any); ok {
				w.machine(sloc.at(k), p)
			}
		}
	}
}

func (w *warner) state(loc *location, st map[string]any) {
	ql, _ := st["QueryLanguage"].(string)
	if ql == "" {
		ql = w.ql
	}
	if ql != QueryJSONPath {
		return // JSONata states have no ".$" keys and no Path fields
	}
	for _, k := range []string{"Parameters", "ResultSelector", "ItemSelector"} {
		if v, ok := st[k]; ok {
			w.template(loc.at(k), v)
		}
	}
	typ, _ := st["Type"].(string)
	if typ == string(TypePass) {
		if r, ok := st["Result"]; ok && holdsPath(r) {
			w.add(CodePassResultIsStatic, loc.at("Result"),
				"The Result of a Pass state is used as it is written: its paths and '.$' fields are not evaluated (use Parameters)")
		}
	}
	if typ == string(TypeFail) {
		for _, k := range []string{"Error", "Cause"} {
			if s, ok := st[k].(string); ok && looksLikePath(s) {
				w.add(CodeNoPath, loc.at(k),
					"The value of the field '%s' looks like a path but is used as it is written: use '%sPath' to read it", k, k)
			}
		}
	}
}

// template warns of the fields of a payload template whose value looks
// like a path or an intrinsic function but whose name lacks ".$".
func (w *warner) template(loc *location, v any) {
	switch t := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(t) {
			s, isStr := t[k].(string)
			switch {
			case strings.HasSuffix(k, ".$"):
			case isStr && (looksLikePath(s) || looksLikeIntrinsic(s)):
				w.add(CodeNoDollar, loc.at(k),
					"The value of the field '%s' looks like a path or an intrinsic function but is used as it is written: name the field '%s.$' to evaluate it", k, k)
			default:
				w.template(loc.at(k), t[k])
			}
		}
	case []any:
		for i, e := range t {
			w.template(loc.item(i), e)
		}
	}
}

// holdsPath reports whether a value holds a ".$" key or a string that
// looks like a path, at any depth.
func holdsPath(v any) bool {
	switch t := v.(type) {
	case string:
		return looksLikePath(t)
	case map[string]any:
		for k, e := range t {
			if strings.HasSuffix(k, ".$") || holdsPath(e) {
				return true
			}
		}
	case []any:
		for _, e := range t {
			if holdsPath(e) {
				return true
			}
		}
	}
	return false
}

// looksLikePath reports whether s reads as a JSONPath of the input or the
// context object ("$", "$.a", "$$.Execution.Id", "$[0]").
func looksLikePath(s string) bool {
	if s == "$" || s == "$$" {
		return true
	}
	rest := strings.TrimPrefix(strings.TrimPrefix(s, "$"), "$")
	return len(rest) < len(s) && (strings.HasPrefix(rest, ".") || strings.HasPrefix(rest, "["))
}

// looksLikeIntrinsic reports whether s reads as an intrinsic function call.
func looksLikeIntrinsic(s string) bool {
	open := strings.IndexByte(s, '(')
	return strings.HasPrefix(s, "States.") && open > len("States.") && strings.HasSuffix(s, ")")
}

// sortedKeys returns the keys of an object in order.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
