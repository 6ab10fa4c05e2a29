package awsjson

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"strings"

	"github.com/stepwise-dev/stepwise/statelang"
)

// validateDefinition returns every problem of a definition: statelang's
// diagnostics and, for an EXPRESS machine, AWS's Express restrictions.
func validateDefinition(def, typ string) statelang.Diagnostics {
	var ds statelang.Diagnostics
	if _, err := statelang.Parse([]byte(def)); err != nil {
		if !errors.As(err, &ds) {
			ds = statelang.Diagnostics{{Code: "SCHEMA_VALIDATION_FAILED", Location: "/", Message: err.Error()}}
		}
	}
	if typ == "EXPRESS" {
		var raw map[string]any
		if json.Unmarshal([]byte(def), &raw) == nil {
			ds = append(ds, expressProblems(raw, "")...)
		}
	}
	return ds
}

// expressProblems walks the states of a definition (and of its Parallel
// branches and Map processors) for what Express workflows do not support:
// .waitForTaskToken and .sync integrations and activities.
func expressProblems(machine map[string]any, loc string) statelang.Diagnostics {
	var ds statelang.Diagnostics
	states, _ := machine["States"].(map[string]any)
	names := make([]string, 0, len(states))
	for n := range states {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		st, _ := states[n].(map[string]any)
		sloc := loc + "/States/" + pointerToken(n)
		if res, ok := st["Resource"].(string); ok && st["Type"] == "Task" {
			msg := ""
			switch {
			case strings.HasSuffix(res, ".waitForTaskToken"):
				// AWS's message has two spaces before "at".
				msg = "Express state machine does not support '.waitForTaskToken' service integration "
			case strings.HasSuffix(res, ".sync") || strings.Contains(res, ".sync:"):
				msg = "Express state machine does not support '.sync' service integration"
			case strings.Contains(res, ":activity:"):
				msg = "Express state machine does not support Activity ARN"
			}
			if msg != "" {
				ds = append(ds, statelang.Diagnostic{Code: "SCHEMA_VALIDATION_FAILED", Location: sloc + "/Resource", Message: msg})
			}
		}
		if branches, ok := st["Branches"].([]any); ok {
			for i, b := range branches {
				if bm, ok := b.(map[string]any); ok {
					ds = append(ds, expressProblems(bm, sloc+"/Branches/"+strconv.Itoa(i))...)
				}
			}
		}
		for _, k := range []string{"ItemProcessor", "Iterator"} {
			if p, ok := st[k].(map[string]any); ok {
				ds = append(ds, expressProblems(p, sloc+"/"+k)...)
			}
		}
	}
	return ds
}

func pointerToken(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
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
