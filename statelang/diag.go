package statelang

import (
	"fmt"
	"strconv"
	"strings"
)

// Diagnostic is one problem found in a definition, in the shape of AWS's
// ValidateStateMachineDefinition answer.
type Diagnostic struct {
	// Code is AWS's: SCHEMA_VALIDATION_FAILED for most problems,
	// MISSING_TRANSITION_TARGET for a Next naming no state or a state
	// nothing leads to, MISSING_END_STATE for a machine without a
	// terminal state, DUPLICATE_STATE_NAME, INVALID_JSON_DESCRIPTION.
	Code string
	// Location is a JSON pointer into the definition, e.g. /States/Fetch/Next,
	// or "" where AWS gives none (a top-level machine without a terminal
	// state).
	Location string
	// Message says what is wrong, in AWS's wording where AWS has one.
	Message string
	// Severity is SeverityError for what Parse reports and
	// SeverityWarning for what Warnings reports.
	Severity string
}

// String is the diagnostic as AWS writes it in an InvalidDefinition
// message: "CODE: message at /location" ("at null" without a location).
func (d Diagnostic) String() string {
	at := d.Location
	if at == "" {
		at = "null"
	}
	return d.Code + ": " + d.Message + " at " + at
}

// Diagnostics is every problem Parse found; it is the error Parse returns.
type Diagnostics []Diagnostic

func (ds Diagnostics) Error() string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.String()
	}
	return strings.Join(parts, "; ")
}

// MaxDiagnostics is how many problems Parse reports at most (the most
// AWS's ValidateStateMachineDefinition returns in one answer). When a
// definition has more, the last diagnostic says so.
const MaxDiagnostics = 100

// diagnostics collects problems while a definition is parsed.
type diagnostics struct {
	list    Diagnostics
	dropped int // problems found beyond MaxDiagnostics
}

// The diagnostic codes Parse reports besides SCHEMA_VALIDATION_FAILED.
const (
	codeMissingTarget = "MISSING_TRANSITION_TARGET"
	codeMissingEnd    = "MISSING_END_STATE"
	codeDuplicateName = "DUPLICATE_STATE_NAME"
)

func (d *diagnostics) add(at *location, format string, args ...any) {
	d.addCode("SCHEMA_VALIDATION_FAILED", at, format, args...)
}

// addCode adds a problem with its own code. The location is spelled out
// only for a problem that is kept; unlocated says there is none to give.
func (d *diagnostics) addCode(code string, at *location, format string, args ...any) {
	if len(d.list) >= MaxDiagnostics {
		d.dropped++
		return
	}
	where := ""
	if at != unlocated {
		where = at.String()
	}
	d.list = append(d.list, Diagnostic{Code: code, Location: where, Message: fmt.Sprintf(format, args...), Severity: SeverityError})
}

// unlocated is the location of a problem AWS reports without one.
var unlocated = &location{token: "", index: -1}

// result is every problem found, with a last one counting those left out.
func (d *diagnostics) result() Diagnostics {
	if d.dropped == 0 {
		return d.list
	}
	return append(d.list, Diagnostic{Code: "SCHEMA_VALIDATION_FAILED", Location: "/",
		Message: fmt.Sprintf("The definition has %d more problems than the %d reported", d.dropped, MaxDiagnostics), Severity: SeverityError})
}

// location is a place in a definition: its last reference token, linked to
// the location of its parent. Each level of a deep definition thus costs
// one small node instead of a copy of its whole path, and the JSON pointer
// is spelled out only when a problem is reported there. nil is the root.
type location struct {
	parent *location
	token  string
	index  int // the token is this array index when token is ""
}

// at is the location of the member k of the object at l.
func (l *location) at(k string) *location { return &location{parent: l, token: k, index: -1} }

// item is the location of the element i of the array at l.
func (l *location) item(i int) *location { return &location{parent: l, index: i} }

// tokens returns the reference tokens from the root to l.
func (l *location) tokens() []string {
	var ts []string
	for n := l; n != nil; n = n.parent {
		if n.index >= 0 {
			ts = append(ts, strconv.Itoa(n.index))
		} else {
			ts = append(ts, n.token)
		}
	}
	for i, j := 0, len(ts)-1; i < j; i, j = i+1, j-1 {
		ts[i], ts[j] = ts[j], ts[i]
	}
	return ts
}

// String returns the JSON pointer of l ("/" for the root).
func (l *location) String() string {
	if l == nil {
		return "/"
	}
	var sb strings.Builder
	for _, t := range l.tokens() {
		sb.WriteByte('/')
		sb.WriteString(pointerToken(t))
	}
	return sb.String()
}
