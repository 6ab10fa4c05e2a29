package awsjson

import (
	"context"
	"errors"

	"github.com/stepwise-dev/stepwise/statelang"
)

// validateDefinition returns every problem of a definition: statelang's
// diagnostics and AWS's Express restrictions, for an EXPRESS machine or
// the EXPRESS children of its distributed Maps.
func validateDefinition(def, typ string) statelang.Diagnostics {
	var ds statelang.Diagnostics
	if _, err := statelang.Parse([]byte(def)); err != nil {
		if !errors.As(err, &ds) {
			ds = statelang.Diagnostics{{Code: "SCHEMA_VALIDATION_FAILED", Location: "/", Message: err.Error()}}
		}
	}
	return append(ds, statelang.ExpressProblems([]byte(def), typ == "EXPRESS")...)
}

type validateInput struct {
	Definition *string `json:"definition"`
	Type       *string `json:"type"`
	Severity   *string `json:"severity"`
	MaxResults *int    `json:"maxResults"`
}

type diagnostic struct {
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Message  string `json:"message"`
	Location string `json:"location,omitempty"`
}

type validateOutput struct {
	Result      string       `json:"result"`
	Diagnostics []diagnostic `json:"diagnostics"`
	Truncated   bool         `json:"truncated"`
}

// validateStateMachineDefinition reports every problem of a definition as
// diagnostics: the errors, and with severity WARNING the warnings too
// (statelang.Warnings), which leave the result OK.
func (h *handler) validateStateMachineDefinition(ctx context.Context, in *validateInput) (*validateOutput, error) {
	var v violations
	v.length(in.Definition, "definition", 1, statelang.MaxDefinitionBytes, true)
	v.enum(in.Type, "type", "STANDARD", "EXPRESS")
	v.enum(in.Severity, "severity", "ERROR", "WARNING")
	v.maxResults(in.MaxResults, "maxResults", 100)
	if err := v.err(); err != nil {
		return nil, err
	}
	limit := 100
	if in.MaxResults != nil && *in.MaxResults > 0 {
		limit = *in.MaxResults
	}
	ds := validateDefinition(*in.Definition, deref(in.Type))
	out := &validateOutput{Result: "OK", Diagnostics: []diagnostic{}}
	if len(ds) > 0 {
		out.Result = "FAIL"
	}
	if deref(in.Severity) == statelang.SeverityWarning {
		ds = append(ds, statelang.Warnings([]byte(*in.Definition))...)
	}
	for i, d := range ds {
		if i == limit {
			out.Truncated = true
			break
		}
		sev := d.Severity
		if sev == "" {
			sev = statelang.SeverityError
		}
		out.Diagnostics = append(out.Diagnostics, diagnostic{Severity: sev, Code: d.Code, Message: d.Message, Location: d.Location})
	}
	return out, nil
}
