package statelang

import (
	"bytes"
	"encoding/json"
)

// Kinds of JSON container that duplicateStateKeys tells apart.
const (
	kindOther    = iota
	kindMachine  // the top level, a Parallel branch, a Map processor
	kindStates   // a machine's States object
	kindState    // one state
	kindBranches // a Parallel state's Branches array
)

// duplicateStateKeys reports a state name written twice in one States
// object ({"A":{...},"A":{...}}), which the JSON decoding keeps once:
// AWS rejects it as DUPLICATE_STATE_NAME. It reads the definition's
// tokens; a definition that is not valid JSON is Parse's to report.
func duplicateStateKeys(d *diagnostics, definition []byte) {
	if !bytes.Contains(definition, []byte(`"States"`)) {
		return
	}
	type frame struct {
		kind  int
		obj   bool
		key   string // the member being read (objects)
		index int    // the element being read (arrays)
		loc   *location
		seen  map[string]bool // names met so far (States objects)
	}
	dec := json.NewDecoder(bytes.NewReader(definition))
	dec.UseNumber()
	var stack []*frame
	expectKey := false
	// child is the kind and location of a container that starts as the
	// value of the current member or element of top.
	child := func(obj bool) (int, *location) {
		if len(stack) == 0 {
			return kindMachine, nil
		}
		top := stack[len(stack)-1]
		if !top.obj {
			loc := top.loc.item(top.index)
			if top.kind == kindBranches && obj {
				return kindMachine, loc
			}
			return kindOther, loc
		}
		loc := top.loc.at(top.key)
		switch {
		case top.kind == kindMachine && top.key == "States" && obj:
			return kindStates, loc
		case top.kind == kindStates && obj:
			return kindState, loc
		case top.kind == kindState && top.key == "Branches" && !obj:
			return kindBranches, loc
		case top.kind == kindState && (top.key == "ItemProcessor" || top.key == "Iterator") && obj:
			return kindMachine, loc
		}
		return kindOther, loc
	}
	// next moves top past the value just read.
	next := func() {
		if len(stack) == 0 {
			return
		}
		if top := stack[len(stack)-1]; top.obj {
			expectKey = true
		} else {
			top.index++
		}
	}
	// interesting reports whether the value about to be read in top may
	// hold a States object; the others are skipped whole, token-free.
	interesting := func(top *frame) bool {
		if !top.obj {
			return top.kind == kindBranches
		}
		switch top.kind {
		case kindMachine:
			return top.key == "States"
		case kindStates:
			return true
		case kindState:
			return top.key == "Branches" || top.key == "ItemProcessor" || top.key == "Iterator"
		}
		return false
	}
	for {
		if n := len(stack); n > 0 {
			top := stack[n-1]
			pending := (top.obj && !expectKey) || (!top.obj && dec.More())
			if pending && !interesting(top) {
				if dec.Decode(&skipValue{}) != nil {
					return
				}
				next()
				continue
			}
		}
		tok, err := dec.Token()
		if err != nil {
			return
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				kind, loc := child(t == '{')
				f := &frame{kind: kind, obj: t == '{', loc: loc}
				if kind == kindStates {
					f.seen = map[string]bool{}
				}
				stack = append(stack, f)
				expectKey = f.obj
			default:
				if len(stack) == 0 {
					return
				}
				stack = stack[:len(stack)-1]
				next()
			}
		case string:
			if expectKey && len(stack) > 0 {
				top := stack[len(stack)-1]
				top.key, expectKey = t, false
				if top.seen != nil {
					if top.seen[t] {
						d.addCode(codeDuplicateName, top.loc.at(t), "Duplicate State name: %s", t)
					}
					top.seen[t] = true
				}
				continue
			}
			next()
		default:
			next()
		}
	}
}

// skipValue reads a JSON value and keeps nothing of it.
type skipValue struct{}

// UnmarshalJSON implements json.Unmarshaler.
func (*skipValue) UnmarshalJSON([]byte) error { return nil }
