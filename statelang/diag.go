package statelang

import (
	"fmt"
	"strconv"
	"strings"
)

// Diagnostic is one problem found in a definition, in the shape of AWS's
// ValidateStateMachineDefinition answer.
type Diagnostic struct {
	// Code is SCHEMA_VALIDATION_FAILED for every error Parse reports, as on AWS.
	Code string
	// Location is a JSON pointer into the definition, e.g. /States/Fetch/Next.
	Location string
	// Message says what is wrong, in AWS's wording where AWS has one.
	Message string
}

func (d Diagnostic) String() string {
	return d.Code + ": " + d.Message + " at " + d.Location
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

func (d *diagnostics) add(at *location, format string, args ...any) {
	if len(d.list) >= MaxDiagnostics {
		d.dropped++
		return
	}
	d.list = append(d.list, Diagnostic{Code: "SCHEMA_VALIDATION_FAILED", Location: at.String(), Message: fmt.Sprintf(format, args...)})
}

// result is every problem found, with a last one counting those left out.
func (d *diagnostics) result() Diagnostics {
	if d.dropped == 0 {
		return d.list
	}
	return append(d.list, Diagnostic{Code: "SCHEMA_VALIDATION_FAILED", Location: "/",
		Message: fmt.Sprintf("The definition has %d more problems than the %d reported", d.dropped, MaxDiagnostics)})
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
		t = strings.ReplaceAll(t, "~", "~0")
		sb.WriteString(strings.ReplaceAll(t, "/", "~1"))
	}
	return sb.String()
}

// depth is how many tokens lead from the root to l.
func (l *location) depth() int {
	n := 0
	for ; l != nil; l = l.parent {
		n++
	}
	return n
}
