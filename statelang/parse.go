package statelang

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxNameLength is the longest state name AWS accepts.
const MaxNameLength = 80

// MaxDefinitionBytes is the largest definition AWS accepts (1 MB).
const MaxDefinitionBytes = 1024 * 1024

// MaxNestingDepth is how deeply the JSON of a definition may nest (objects
// and arrays, the top-level object counting as 1). Real definitions stay
// within a few dozen levels; the limit keeps every recursive walk of a
// definition (and of what its templates build) short, and matches the
// nesting limit of a JSONata expression.
const MaxNestingDepth = 500

// Parse validates an ASL definition and returns the immutable machine. On
// failure the error is Diagnostics holding every problem found, each with its
// location in the definition.
func Parse(definition []byte) (*Machine, error) {
	if len(definition) > MaxDefinitionBytes {
		return nil, Diagnostics{{Code: "SCHEMA_VALIDATION_FAILED", Location: "/", Message: "The definition is larger than 1 MB", Severity: SeverityError}}
	}
	raw, err := ParseJSON(definition)
	if err != nil {
		return nil, Diagnostics{{Code: "INVALID_JSON_DESCRIPTION", Location: "/", Message: "The definition is not valid JSON: " + err.Error(), Severity: SeverityError}}
	}
	top, ok := raw.(map[string]any)
	if !ok {
		return nil, Diagnostics{{Code: "SCHEMA_VALIDATION_FAILED", Location: "/", Message: "The definition must be a JSON object", Severity: SeverityError}}
	}
	if at := tooDeep(nil, top, MaxNestingDepth); at != nil {
		return nil, Diagnostics{{Code: "SCHEMA_VALIDATION_FAILED", Location: at.String(),
			Message: fmt.Sprintf("The definition nests objects and arrays more than %d levels deep", MaxNestingDepth), Severity: SeverityError}}
	}
	p := &parser{ql: QueryJSONPath, names: map[string]bool{}}
	duplicateStateKeys(&p.d, definition)
	m := p.machine(nil, top, true)
	if len(p.d.list) > 0 {
		return nil, p.d.result()
	}
	m.Definition = string(definition)
	return m, nil
}

// tooDeep returns the location of the first object or array (in key
// order) that lies more than left levels below at, or nil.
func tooDeep(at *location, v any, left int) *location {
	switch t := v.(type) {
	case map[string]any:
		if left == 0 {
			return at
		}
		keys := make([]string, 0, len(t))
		for k, e := range t {
			switch e.(type) {
			case map[string]any, []any:
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			if deep := tooDeep(at.at(k), t[k], left-1); deep != nil {
				return deep
			}
		}
	case []any:
		if left == 0 {
			return at
		}
		for i, e := range t {
			switch e.(type) {
			case map[string]any, []any:
				if deep := tooDeep(at.item(i), e, left-1); deep != nil {
					return deep
				}
			}
		}
	}
	return nil
}

type parser struct {
	d diagnostics
	// ql is the top level's QueryLanguage: the default of every state.
	ql string
	// names holds every state name met so far, in every branch and
	// processor: a name is unique in the whole definition.
	names map[string]bool
}

// fields reads a JSON object whose allowed keys are known.
type fields struct {
	p    *parser
	loc  *location
	m    map[string]any
	used map[string]bool
}

func (p *parser) fields(loc *location, m map[string]any) *fields {
	return &fields{p: p, loc: loc, m: m, used: map[string]bool{}}
}

func (f *fields) has(k string) bool {
	_, ok := f.m[k]
	return ok
}

func (f *fields) raw(k string) (any, bool) {
	f.used[k] = true
	v, ok := f.m[k]
	return v, ok
}

func (f *fields) str(k string) (string, bool) {
	v, ok := f.raw(k)
	if !ok {
		return "", false
	}
	s, isStr := v.(string)
	if !isStr {
		f.p.d.add(f.loc.at(k), "Expected value of type: String")
		return "", false
	}
	return s, true
}

func (f *fields) boolean(k string) (bool, bool) {
	v, ok := f.raw(k)
	if !ok {
		return false, false
	}
	b, isBool := v.(bool)
	if !isBool {
		f.p.d.add(f.loc.at(k), "Expected value of type: Boolean")
		return false, false
	}
	return b, true
}

// integer reads a whole number within [lo, hi].
func (f *fields) integer(k string, lo, hi int64) (int64, bool) {
	v, ok := f.raw(k)
	if !ok {
		return 0, false
	}
	n, isInt := asInteger(v)
	if _, isFloat := v.(float64); isFloat {
		isInt = false
	}
	if !isInt {
		f.p.d.add(f.loc.at(k), "Expected value of type: Integer")
		return 0, false
	}
	if n < lo || n > hi {
		f.p.d.add(f.loc.at(k), "The value of the field '%s' must be between %d and %d", k, lo, hi)
		return 0, false
	}
	return n, true
}

func (f *fields) object(k string) (map[string]any, bool) {
	v, ok := f.raw(k)
	if !ok {
		return nil, false
	}
	o, isObj := v.(map[string]any)
	if !isObj {
		f.p.d.add(f.loc.at(k), "Expected value of type: Object")
		return nil, false
	}
	return o, true
}

func (f *fields) array(k string) ([]any, bool) {
	v, ok := f.raw(k)
	if !ok {
		return nil, false
	}
	a, isArr := v.([]any)
	if !isArr {
		f.p.d.add(f.loc.at(k), "Expected value of type: Array")
		return nil, false
	}
	return a, true
}

// path reads an optional Path field (a JSONPath string).
func (f *fields) path(k string) *Path {
	s, ok := f.str(k)
	if !ok {
		return nil
	}
	return f.p.compilePath(f.loc.at(k), k, s, false)
}

// nullablePath reads InputPath/OutputPath/ResultPath/ItemsPath: a path
// string or null.
func (f *fields) nullablePath(k string, reference bool) pathField {
	v, ok := f.raw(k)
	if !ok {
		return pathField{}
	}
	if v == nil {
		return pathField{Set: true, Null: true}
	}
	s, isStr := v.(string)
	if !isStr {
		f.p.d.add(f.loc.at(k), "Expected value of type: String or null")
		return pathField{}
	}
	pth := f.p.compilePath(f.loc.at(k), k, s, reference)
	if pth == nil {
		return pathField{}
	}
	if s == "$" {
		return pathField{Set: true}
	}
	return pathField{Set: true, Path: pth}
}

func (p *parser) compilePath(loc *location, field, s string, reference bool) *Path {
	if reference && isVariableRef(s) {
		p.d.add(loc, "The value for the field '%s' must be a valid ReferencePath: variables cannot be written by a path", field)
		return nil
	}
	var pth *Path
	var err error
	if reference {
		pth, err = ParseReferencePath(s)
		if err == nil && pth.IsContext() {
			p.d.add(loc, "The value for the field '%s' must be a valid ReferencePath: the context object cannot be written", field)
			return nil
		}
	} else {
		pth, err = ParsePath(s)
	}
	if err != nil {
		kind := "JSONPath"
		if reference {
			kind = "ReferencePath"
		}
		p.d.add(loc, "The value for the field '%s' must be a valid %s: %v", field, kind, err)
		return nil
	}
	return pth
}

// done reports every key that was not read as unsupported.
func (f *fields) done(what string) {
	var extra []string
	for k := range f.m {
		if !f.used[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	for _, k := range extra {
		f.p.d.add(f.loc.at(k), "Field '%s' is not supported by %s", k, what)
	}
}

func (p *parser) machine(loc *location, raw map[string]any, top bool) *Machine {
	f := p.fields(loc, raw)
	m := &Machine{States: map[string]*State{}}
	var missing []string
	if !f.has("StartAt") {
		missing = append(missing, "StartAt")
	}
	if !f.has("States") {
		missing = append(missing, "States")
	}
	if len(missing) > 0 {
		p.d.add(loc, "These fields are required: [%s]", strings.Join(missing, ", "))
	}
	m.StartAt, _ = f.str("StartAt")
	m.Comment, _ = f.str("Comment")
	if top {
		m.Version, _ = f.str("Version")
		if n, ok := f.integer("TimeoutSeconds", 0, 99999999); ok {
			m.TimeoutSeconds = n
		}
	}
	if top {
		m.QueryLanguage = QueryJSONPath
		if v, ok := f.raw("QueryLanguage"); ok {
			switch s, _ := v.(string); s {
			case QueryJSONPath, QueryJSONata:
				m.QueryLanguage, p.ql = s, s
			default:
				p.d.add(loc.at("QueryLanguage"), "The value of the field 'QueryLanguage' must be JSONPath or JSONata but was %s", MarshalString(v))
			}
		}
	}
	if states, ok := f.object("States"); ok {
		if len(states) == 0 {
			p.d.add(loc.at("States"), "The field 'States' must have at least one state")
		}
		names := make([]string, 0, len(states))
		for name := range states {
			names = append(names, name)
		}
		sort.Strings(names)
		m.Order = names
		// The names of this machine are taken before those of its
		// branches and processors, so a duplicate is reported where it
		// is nested.
		for _, name := range names {
			if p.names[name] {
				p.d.addCode(codeDuplicateName, loc.at("States").at(name), "Duplicate State name: %s", name)
			}
			p.names[name] = true
		}
		for _, name := range names {
			sloc := loc.at("States").at(name)
			if utf8.RuneCountInString(name) > MaxNameLength {
				p.d.add(sloc, "State name '%s' exceeds the maximum length of %d characters", name, MaxNameLength)
			}
			if name == "" {
				p.d.add(sloc, "State name must not be empty")
			}
			sraw, ok := states[name].(map[string]any)
			if !ok {
				p.d.add(sloc, "Expected value of type: Object")
				continue
			}
			if st := p.state(sloc, name, sraw); st != nil {
				st.owner = m
				m.States[name] = st
			}
		}
	}
	f.done("the state machine")
	if m.StartAt != "" && len(m.States) > 0 {
		if _, ok := m.States[m.StartAt]; !ok {
			if _, exists := raw["States"].(map[string]any)[m.StartAt]; !exists {
				p.d.addCode(codeMissingTarget, loc.at("StartAt"), "Missing 'Next' target: %s", m.StartAt)
			}
		}
	}
	p.checkTransitions(loc, m, raw)
	return m
}

// checkTransitions checks every Next/Default target exists and every state
// is reachable from StartAt.
func (p *parser) checkTransitions(loc *location, m *Machine, raw map[string]any) {
	rawStates, _ := raw["States"].(map[string]any)
	exists := func(n string) bool { _, ok := rawStates[n]; return ok }
	for _, name := range m.Order {
		st := m.States[name]
		if st == nil {
			continue
		}
		sloc := loc.at("States").at(name)
		for _, t := range st.targets() {
			if !exists(t.name) {
				p.d.addCode(codeMissingTarget, t.at(sloc), "Missing 'Next' target: %s", t.name)
			}
		}
	}
	if len(m.States) == len(rawStates) && len(m.States) > 0 && !hasTerminal(m) {
		// As AWS: no reachability walk then (it would report every state
		// of a loop), and no location at the top level.
		at := loc
		if at == nil {
			at = unlocated
		}
		p.d.addCode(codeMissingEnd, at, "Workflow has no terminal state")
		return
	}
	if _, ok := m.States[m.StartAt]; !ok {
		return
	}
	seen := map[string]bool{m.StartAt: true}
	queue := []string{m.StartAt}
	for len(queue) > 0 {
		st := m.States[queue[0]]
		queue = queue[1:]
		if st == nil {
			continue
		}
		for _, t := range st.targets() {
			if !seen[t.name] {
				seen[t.name] = true
				queue = append(queue, t.name)
			}
		}
	}
	for _, name := range m.Order {
		if !seen[name] && m.States[name] != nil {
			p.d.addCode(codeMissingTarget, loc.at("States").at(name), "State \"%s\" is not reachable.", name)
		}
	}
}

// hasTerminal reports whether a machine has a state that ends it: a
// Succeed or Fail state, or one with "End": true.
func hasTerminal(m *Machine) bool {
	for _, st := range m.States {
		if st.End || st.Type == TypeSucceed || st.Type == TypeFail {
			return true
		}
	}
	return false
}

// target is a transition of a state: the state it names, and where: the
// field (Next, Default, Choices or Catch) and, in a list, the index.
type target struct {
	name, field string
	index       int
}

// at is the location of the target within the state at st.
func (t target) at(st *location) *location {
	if t.field == "Next" || t.field == "Default" {
		return st.at(t.field)
	}
	return st.at(t.field).item(t.index).at("Next")
}

func (s *State) targets() []target {
	var ts []target
	if s.Next != "" {
		ts = append(ts, target{s.Next, "Next", 0})
	}
	if s.Default != "" {
		ts = append(ts, target{s.Default, "Default", 0})
	}
	for i, r := range s.Choices {
		if r != nil && r.Next != "" {
			ts = append(ts, target{r.Next, "Choices", i})
		}
	}
	for i, c := range s.Catch {
		if c.Next != "" {
			ts = append(ts, target{c.Next, "Catch", i})
		}
	}
	return ts
}

// mentionsContext reports whether a state's own fields mention the context
// object ("$$" in a key or a string). The states of its Branches or
// ItemProcessor are left out: each is asked on its own, so a definition
// is searched once, however deeply its states nest.
func mentionsContext(state map[string]any) bool {
	var walk func(v any) bool
	walk = func(v any) bool {
		switch t := v.(type) {
		case string:
			return strings.Contains(t, "$$")
		case []any:
			for _, e := range t {
				if walk(e) {
					return true
				}
			}
		case map[string]any:
			for k, e := range t {
				if strings.Contains(k, "$$") || walk(e) {
					return true
				}
			}
		}
		return false
	}
	for k, v := range state {
		switch k {
		case "Branches", "ItemProcessor", "Iterator":
			continue
		}
		if strings.Contains(k, "$$") || walk(v) {
			return true
		}
	}
	return false
}

func (p *parser) state(loc *location, name string, raw map[string]any) *State {
	f := p.fields(loc, raw)
	st := &State{Name: name, readsContext: mentionsContext(raw)}
	typ, ok := f.str("Type")
	if !ok {
		if !f.has("Type") {
			p.d.add(loc, "These fields are required: [Type]")
		}
		return nil
	}
	st.Type = StateType(typ)
	st.Comment, _ = f.str("Comment")
	st.QueryLanguage = p.ql
	if v, ok := f.raw("QueryLanguage"); ok {
		switch s, _ := v.(string); s {
		case QueryJSONata:
			st.QueryLanguage = s
		case QueryJSONPath:
			if p.ql == QueryJSONata {
				p.d.add(loc.at("QueryLanguage"), "The QueryLanguage of a state cannot be JSONPath when the state machine's QueryLanguage is JSONata")
			}
		default:
			p.d.add(loc.at("QueryLanguage"), "The value of the field 'QueryLanguage' must be JSONPath or JSONata but was %s", MarshalString(v))
		}
	}
	switch st.Type {
	case TypePass, TypeTask, TypeWait, TypeParallel, TypeMap:
		p.transition(f, st)
	case TypeChoice, TypeSucceed, TypeFail:
	default:
		p.d.add(loc.at("Type"), "The state type '%s' is not valid", typ)
		return nil
	}
	if st.Type != TypeSucceed && st.Type != TypeFail {
		if v, ok := f.raw("Assign"); ok {
			st.assign = compileAssign(&p.d, loc.at("Assign"), v, st.IsJSONata())
		}
	}
	if st.IsJSONata() {
		p.jsonataState(f, st)
		f.done("the state type '" + typ + "'")
		return st
	}
	for _, k := range jsonataOnlyFields {
		if _, ok := f.raw(k); ok {
			p.d.add(loc.at(k), "The field '%s' is supported only when the QueryLanguage is JSONata", k)
		}
	}
	if st.Type != TypeFail {
		st.InputPath = f.nullablePath("InputPath", false)
		st.OutputPath = f.nullablePath("OutputPath", false)
	}
	switch st.Type {
	case TypePass:
		st.ResultPath = f.nullablePath("ResultPath", true)
		if v, ok := f.raw("Parameters"); ok {
			st.Parameters = p.template(loc.at("Parameters"), v)
		}
		if v, ok := f.raw("Result"); ok {
			st.Result, st.HasResult = v, true
		}
	case TypeTask:
		p.task(f, st)
	case TypeChoice:
		p.choice(f, st)
	case TypeWait:
		p.wait(f, st)
	case TypeFail:
		p.failState(f, st)
	case TypeParallel:
		st.ResultPath = f.nullablePath("ResultPath", true)
		p.selectors(f, st)
		p.recovery(f, st)
		p.branches(f, st)
	case TypeMap:
		p.mapState(f, st)
	}
	f.done("the state type '" + typ + "'")
	return st
}

// notBoth reports a state setting both a field and its twin (a literal
// and its Path, which would each say the same thing).
func (p *parser) notBoth(f *fields, a, b string) {
	if f.has(a) && f.has(b) {
		p.d.add(f.loc, "Only one of '%s' or '%s' may be set", a, b)
	}
}

// branches reads the Branches of a Parallel state.
func (p *parser) branches(f *fields, st *State) {
	loc := f.loc
	if branches, ok := f.array("Branches"); ok {
		if len(branches) == 0 {
			p.d.add(loc.at("Branches"), "The field 'Branches' must have at least one branch")
		}
		for i, b := range branches {
			bloc := loc.at("Branches").item(i)
			bm, ok := b.(map[string]any)
			if !ok {
				p.d.add(bloc, "Expected value of type: Object")
				continue
			}
			st.Branches = append(st.Branches, p.machine(bloc, bm, false))
		}
	} else if !f.has("Branches") {
		p.d.add(loc, "These fields are required: [Branches]")
	}
}

// transition reads Next/End of a state type that needs one of them.
func (p *parser) transition(f *fields, st *State) {
	st.Next, _ = f.str("Next")
	end, hasEnd := f.boolean("End")
	st.End = hasEnd && end
	switch {
	case f.has("Next") && f.has("End"):
		p.d.add(f.loc, "Only one of 'Next' or 'End' may be set")
	case !f.has("Next") && !st.End:
		if hasEnd {
			p.d.add(f.loc.at("End"), "The field 'End' must be true when set")
		} else {
			p.d.add(f.loc, "These fields are required: [Next or End]")
		}
	}
}

func (p *parser) template(loc *location, v any) *Template {
	return compileTemplate(&p.d, loc, v)
}

// selectors reads Parameters and ResultSelector.
func (p *parser) selectors(f *fields, st *State) {
	if v, ok := f.raw("Parameters"); ok {
		st.Parameters = p.template(f.loc.at("Parameters"), v)
	}
	if v, ok := f.raw("ResultSelector"); ok {
		if _, isObj := v.(map[string]any); !isObj {
			p.d.add(f.loc.at("ResultSelector"), "Expected value of type: Object")
		} else {
			st.ResultSelector = p.template(f.loc.at("ResultSelector"), v)
		}
	}
}

func (p *parser) task(f *fields, st *State) {
	st.ResultPath = f.nullablePath("ResultPath", true)
	if r, ok := f.str("Resource"); ok {
		st.Resource = ParseResource(r)
		if msg := st.Resource.check(); msg != "" {
			p.d.add(f.loc.at("Resource"), "%s", msg)
		}
	} else if !f.has("Resource") {
		p.d.add(f.loc, "These fields are required: [Resource]")
	}
	p.selectors(f, st)
	p.recovery(f, st)
	if n, ok := f.integer("TimeoutSeconds", 1, 99999999); ok {
		st.TimeoutSeconds = n
	}
	st.TimeoutSecondsPath = f.path("TimeoutSecondsPath")
	if n, ok := f.integer("HeartbeatSeconds", 1, 99999999); ok {
		st.HeartbeatSeconds = n
	}
	st.HeartbeatSecondsPath = f.path("HeartbeatSecondsPath")
	p.notBoth(f, "TimeoutSeconds", "TimeoutSecondsPath")
	p.notBoth(f, "HeartbeatSeconds", "HeartbeatSecondsPath")
	if st.TimeoutSeconds > 0 && st.HeartbeatSeconds > 0 && st.HeartbeatSeconds >= st.TimeoutSeconds {
		p.d.add(f.loc.at("HeartbeatSeconds"), "The value of 'HeartbeatSeconds' must be smaller than the value of 'TimeoutSeconds'")
	}
	if c, ok := f.object("Credentials"); ok {
		cloc := f.loc.at("Credentials")
		_, hasArn := c["RoleArn"]
		_, hasArnPath := c["RoleArn.$"]
		if !hasArn && !hasArnPath {
			// As AWS: the missing field only, not the others besides.
			p.d.add(cloc, "The field 'RoleArn' is required but was missing")
		} else {
			for k := range c {
				if k != "RoleArn" && k != "RoleArn.$" {
					p.d.add(cloc.at(k), "Field '%s' is not supported by Credentials", k)
				}
			}
		}
		st.Credentials = p.template(cloc, c)
	}
}

func (p *parser) recovery(f *fields, st *State) {
	if list, ok := f.array("Retry"); ok {
		for i, r := range list {
			rloc := f.loc.at("Retry").item(i)
			rm, ok := r.(map[string]any)
			if !ok {
				p.d.add(rloc, "Expected value of type: Object")
				continue
			}
			st.Retry = append(st.Retry, p.retrier(rloc, rm, i == len(list)-1))
		}
	}
	if list, ok := f.array("Catch"); ok {
		for i, c := range list {
			cloc := f.loc.at("Catch").item(i)
			cm, ok := c.(map[string]any)
			if !ok {
				p.d.add(cloc, "Expected value of type: Object")
				continue
			}
			st.Catch = append(st.Catch, p.catcher(cloc, cm, i == len(list)-1, st.IsJSONata()))
		}
	}
}

func (p *parser) errorEquals(f *fields, last bool, what string) []string {
	list, ok := f.array("ErrorEquals")
	if !ok {
		if !f.has("ErrorEquals") {
			p.d.add(f.loc, "These fields are required: [ErrorEquals]")
		}
		return nil
	}
	loc := f.loc.at("ErrorEquals")
	if len(list) == 0 {
		p.d.add(loc, "The field 'ErrorEquals' must not be empty")
	}
	var out []string
	for i, e := range list {
		s, ok := e.(string)
		if !ok {
			p.d.add(loc.item(i), "Expected value of type: String")
			continue
		}
		if s == ErrAll && len(list) > 1 {
			p.d.add(loc.item(i), "States.ALL must appear alone in 'ErrorEquals'")
		}
		if s == ErrAll && !last {
			p.d.add(loc.item(i), "A %s with States.ALL must be the last one", what)
		}
		out = append(out, s)
	}
	return out
}

func (p *parser) retrier(loc *location, raw map[string]any, last bool) *Retrier {
	f := p.fields(loc, raw)
	r := &Retrier{IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2.0}
	r.ErrorEquals = p.errorEquals(f, last, "retrier")
	f.str("Comment")
	if n, ok := f.integer("IntervalSeconds", 1, 99999999); ok {
		r.IntervalSeconds = n
	}
	if n, ok := f.integer("MaxAttempts", 0, 99999999); ok {
		r.MaxAttempts = n
	}
	if v, ok := f.raw("BackoffRate"); ok {
		b, isNum := toFloat(v)
		switch {
		case !isNum:
			p.d.add(loc.at("BackoffRate"), "Expected value of type: Number")
		case b < 1.0 || math.IsInf(b, 0):
			p.d.add(loc.at("BackoffRate"), "The value of the field 'BackoffRate' must be at least 1.0")
		default:
			r.BackoffRate = b
		}
	}
	if n, ok := f.integer("MaxDelaySeconds", 1, 31622400); ok {
		r.MaxDelaySeconds = n
	}
	if s, ok := f.str("JitterStrategy"); ok {
		switch s {
		case "FULL":
			r.JitterFull = true
		case "NONE":
		default:
			p.d.add(loc.at("JitterStrategy"), "The value of the field 'JitterStrategy' must be FULL or NONE")
		}
	}
	f.done("a retrier")
	return r
}

func (p *parser) catcher(loc *location, raw map[string]any, last, jsonataMode bool) *Catcher {
	f := p.fields(loc, raw)
	c := &Catcher{}
	c.ErrorEquals = p.errorEquals(f, last, "catcher")
	f.str("Comment")
	if n, ok := f.str("Next"); ok {
		c.Next = n
	} else if !f.has("Next") {
		p.d.add(loc, "These fields are required: [Next]")
	}
	if v, ok := f.raw("Assign"); ok {
		c.assign = compileAssign(&p.d, loc.at("Assign"), v, jsonataMode)
	}
	if jsonataMode {
		if v, ok := f.raw("Output"); ok {
			c.output = p.jvalue(loc.at("Output"), v)
		}
		if _, ok := f.raw("ResultPath"); ok {
			p.d.add(loc.at("ResultPath"), "The field 'ResultPath' is not supported when the QueryLanguage is JSONata")
		}
	} else {
		c.ResultPath = f.nullablePath("ResultPath", true)
		if _, ok := f.raw("Output"); ok {
			p.d.add(loc.at("Output"), "The field 'Output' is supported only when the QueryLanguage is JSONata")
		}
	}
	f.done("a catcher")
	return c
}

func (p *parser) choice(f *fields, st *State) {
	st.Default, _ = f.str("Default")
	list, ok := f.array("Choices")
	if !ok {
		if !f.has("Choices") {
			p.d.add(f.loc, "These fields are required: [Choices]")
		}
		return
	}
	if len(list) == 0 {
		p.d.add(f.loc.at("Choices"), "The field 'Choices' must have at least one rule")
	}
	for i, r := range list {
		rloc := f.loc.at("Choices").item(i)
		rm, ok := r.(map[string]any)
		if !ok {
			p.d.add(rloc, "Expected value of type: Object")
			continue
		}
		if rule := parseChoiceRule(&p.d, rloc, rm, true); rule != nil {
			st.Choices = append(st.Choices, rule)
		}
	}
}

func (p *parser) wait(f *fields, st *State) {
	n := 0
	for _, k := range []string{"Seconds", "SecondsPath", "Timestamp", "TimestampPath"} {
		if f.has(k) {
			n++
		}
	}
	if n != 1 {
		p.d.add(f.loc, "A Wait state must have exactly one of 'Seconds', 'SecondsPath', 'Timestamp' or 'TimestampPath'")
	}
	if v, ok := f.integer("Seconds", 0, 99999999); ok {
		st.Seconds = &v
	}
	st.SecondsPath = f.path("SecondsPath")
	if s, ok := f.str("Timestamp"); ok {
		if t, valid := ParseTimestamp(s); valid {
			st.Timestamp = &t
		} else {
			p.d.add(f.loc.at("Timestamp"), "String does not match RFC3339 timestamp")
		}
	}
	st.TimestampPath = f.path("TimestampPath")
}

// stringIntrinsics are the intrinsic functions AWS accepts in a Fail
// state's ErrorPath and CausePath: those that can return a string.
var stringIntrinsics = map[string]bool{
	"States.Format": true, "States.JsonToString": true, "States.ArrayGetItem": true,
	"States.Base64Encode": true, "States.Base64Decode": true, "States.Hash": true, "States.UUID": true,
}

func (p *parser) failState(f *fields, st *State) {
	st.Error, _ = f.str("Error")
	st.Cause, _ = f.str("Cause")
	readDyn := func(k string) (*Path, *intrinsic) {
		s, ok := f.str(k)
		if !ok {
			return nil, nil
		}
		if strings.HasPrefix(s, "States.") {
			c, err := parseIntrinsic(s)
			if err != nil {
				p.d.add(f.loc.at(k), "The value for the field '%s' must be a valid JSONPath or a valid intrinsic function call: %v", k, err)
				return nil, nil
			}
			if !stringIntrinsics[c.name] {
				p.d.add(f.loc.at(k), "The value for the field '%s' must be a valid JSONPath or an intrinsic function call that returns a string (%s): %s",
					k, "States.Format, States.JsonToString, States.ArrayGetItem, States.Base64Encode, States.Base64Decode, States.Hash or States.UUID", c.name)
				return nil, nil
			}
			return nil, c
		}
		return p.compilePath(f.loc.at(k), k, s, false), nil
	}
	st.ErrorPath, st.errorPathIntrinsic = readDyn("ErrorPath")
	st.CausePath, st.causePathIntrinsic = readDyn("CausePath")
	p.notBoth(f, "Error", "ErrorPath")
	p.notBoth(f, "Cause", "CausePath")
}

func (p *parser) mapState(f *fields, st *State) {
	loc := f.loc
	j := st.IsJSONata()
	if j {
		if v, ok := f.raw("Items"); ok {
			// AWS takes a JSON array or one JSONata expression (which
			// must give an array when it runs); an object is neither.
			s, _ := v.(string)
			_, isExpr := jsonataText(s)
			if _, isArr := v.([]any); !isArr && !isExpr {
				p.d.add(loc.at("Items"), "The value of the field 'Items' must be a JSON array or a JSONata expression")
			}
			st.items = p.jvalue(loc.at("Items"), v)
		}
		if v, ok := f.raw("ItemSelector"); ok {
			st.itemSelector = p.jvalue(loc.at("ItemSelector"), v)
		}
	} else {
		st.ResultPath = f.nullablePath("ResultPath", true)
		st.ItemsPath = f.nullablePath("ItemsPath", false)
		if st.ItemsPath.Null {
			p.d.add(loc.at("ItemsPath"), "The field 'ItemsPath' must be a JSONPath, not null")
		}
		p.selectors(f, st)
		if v, ok := f.raw("ItemSelector"); ok {
			st.ItemSelector = p.template(loc.at("ItemSelector"), v)
			if st.Parameters != nil {
				p.d.add(loc, "Only one of 'ItemSelector' or 'Parameters' may be set")
			}
		}
	}
	p.recovery(f, st)
	proc, hasProc := f.object("ItemProcessor")
	iter, hasIter := f.object("Iterator")
	switch {
	case hasProc && hasIter:
		p.d.add(loc, "Only one of 'ItemProcessor' or 'Iterator' may be set")
	case hasProc:
		st.ProcessorMode, st.ProcessorExecutionType, st.Processor = p.processor(loc.at("ItemProcessor"), proc)
	case hasIter:
		st.ProcessorMode, st.ProcessorExecutionType, st.Processor = p.processor(loc.at("Iterator"), iter)
	default:
		if !f.has("ItemProcessor") && !f.has("Iterator") {
			p.d.add(loc, "These fields are required: [ItemProcessor]")
		}
	}
	// AWS takes any MaxConcurrency a long holds, 2^31 and beyond too.
	st.MaxConcurrency, st.jMaxConc = p.intOrExpr(f, "MaxConcurrency", 0, math.MaxInt64)
	if f.has("ToleratedFailureCount") {
		n, jc := p.intOrExpr(f, "ToleratedFailureCount", 0, math.MaxInt32)
		if jc != nil {
			st.jTolCount = jc
		} else if v, _ := f.m["ToleratedFailureCount"]; v != nil {
			if _, isInt := asInteger(v); isInt && n >= 0 {
				st.ToleratedFailureCount = &n
			}
		}
	}
	st.ToleratedFailurePercentage, st.jTolPct = p.floatOrExpr(f, "ToleratedFailurePercentage")
	if !j {
		st.MaxConcurrencyPath = f.path("MaxConcurrencyPath")
		st.ToleratedFailureCountPath = f.path("ToleratedFailureCountPath")
		st.ToleratedFailurePercentagePath = f.path("ToleratedFailurePercentagePath")
		if st.jMaxConc != nil || st.jTolCount != nil || st.jTolPct != nil {
			p.d.add(loc, "JSONata expressions in MaxConcurrency and ToleratedFailure fields need the QueryLanguage JSONata")
		}
		p.notBoth(f, "MaxConcurrency", "MaxConcurrencyPath")
		p.notBoth(f, "ToleratedFailureCount", "ToleratedFailureCountPath")
		p.notBoth(f, "ToleratedFailurePercentage", "ToleratedFailurePercentagePath")
	}
	if s, ok := f.str("Label"); ok {
		if bad, found := invalidLabelChar(s); found {
			p.d.add(loc.at("Label"), "Label contains invalid character: %s", bad)
		}
		if utf8.RuneCountInString(s) > 40 {
			p.d.add(loc.at("Label"), "Label exceeds the maximum length of 40 characters")
		}
		st.Label = s
	}
	if rm, ok := f.object("ItemReader"); ok {
		st.Reader = p.itemReader(loc.at("ItemReader"), rm, j)
	}
	if bm, ok := f.object("ItemBatcher"); ok {
		st.Batcher = p.itemBatcher(loc.at("ItemBatcher"), bm, j)
	}
	if wm, ok := f.object("ResultWriter"); ok {
		st.Writer = p.resultWriter(loc.at("ResultWriter"), wm, j)
	}
}

// processor reads a Map's ItemProcessor (or the older Iterator, which AWS
// accepts with a ProcessorConfig too): the mode, the execution type and
// the sub-machine.
func (p *parser) processor(ploc *location, proc map[string]any) (mode, execType string, m *Machine) {
	mode = "INLINE"
	if cfg, ok := proc["ProcessorConfig"]; ok {
		cm, isObj := cfg.(map[string]any)
		if !isObj {
			p.d.add(ploc.at("ProcessorConfig"), "Expected value of type: Object")
		} else {
			cf := p.fields(ploc.at("ProcessorConfig"), cm)
			if m, ok := cf.str("Mode"); ok {
				if m != "INLINE" && m != "DISTRIBUTED" {
					p.d.add(cf.loc.at("Mode"), "The value of the field 'Mode' must be INLINE or DISTRIBUTED")
				}
				mode = m
			}
			if et, ok := cf.str("ExecutionType"); ok {
				if et != "STANDARD" && et != "EXPRESS" {
					p.d.add(cf.loc.at("ExecutionType"), "The value of the field 'ExecutionType' must be STANDARD or EXPRESS")
				}
				execType = et
			}
			cf.done("ProcessorConfig")
		}
	}
	inner := make(map[string]any, len(proc))
	for k, v := range proc {
		if k != "ProcessorConfig" {
			inner[k] = v
		}
	}
	return mode, execType, p.machine(ploc, inner, false)
}

// invalidLabelChar finds the first character AWS forbids in a Map Label.
func invalidLabelChar(s string) (string, bool) {
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) || strings.ContainsRune(" <>{}[]?*\"#%\\^|~`$&,;:/", r) {
			b, _ := json.Marshal(string(r))
			return "'" + strings.Trim(string(b), `"`) + "'", true
		}
	}
	return "", false
}

// Lookup returns the state with the given name, or nil.
func (m *Machine) Lookup(name string) *State { return m.States[name] }

// Start is the state an execution of m starts in.
func (m *Machine) Start() *State { return m.States[m.StartAt] }

var _ = time.Time{}
