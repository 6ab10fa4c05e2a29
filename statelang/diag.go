package statelang

import (
	"fmt"
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

// diagnostics collects problems while a definition is parsed.
type diagnostics struct{ list Diagnostics }

func (d *diagnostics) add(loc, format string, args ...any) {
	if loc == "" {
		loc = "/"
	}
	d.list = append(d.list, Diagnostic{Code: "SCHEMA_VALIDATION_FAILED", Location: loc, Message: fmt.Sprintf(format, args...)})
}

// pointer appends one reference token to a JSON pointer, escaping it.
func pointer(base string, token any) string {
	s := fmt.Sprint(token)
	s = strings.ReplaceAll(s, "~", "~0")
	s = strings.ReplaceAll(s, "/", "~1")
	return base + "/" + s
}
