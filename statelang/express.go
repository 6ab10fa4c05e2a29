package statelang

import (
	"strconv"
	"strings"
)

// ExpressProblems returns what a definition uses that an express
// execution may not, with AWS's messages: .waitForTaskToken and .sync
// integrations and activities. For an EXPRESS state machine (express) that
// is its states, Parallel branches and Map processors; for a STANDARD one,
// the ItemProcessor of each distributed Map whose children are EXPRESS
// (ProcessorConfig.ExecutionType), since each of its children is an
// express execution. It reads the definition as JSON only and returns nil
// for text that is not a JSON object; Parse reports the errors.
func ExpressProblems(definition []byte, express bool) Diagnostics {
	top := definitionObject(definition)
	if top == nil {
		return nil
	}
	if express {
		return expressProblems(top, "")
	}
	return expressChildren(top, "")
}

// expressChildren returns the problems of the processors of the
// distributed Maps with EXPRESS children in machine (at loc).
func expressChildren(machine map[string]any, loc string) Diagnostics {
	var ds Diagnostics
	states, _ := machine["States"].(map[string]any)
	for _, n := range sortedKeys(states) {
		st, _ := states[n].(map[string]any)
		sloc := loc + "/States/" + pointerToken(n)
		if branches, ok := st["Branches"].([]any); ok {
			for i, b := range branches {
				if bm, ok := b.(map[string]any); ok {
					ds = append(ds, expressChildren(bm, sloc+"/Branches/"+strconv.Itoa(i))...)
				}
			}
		}
		for _, k := range []string{"ItemProcessor", "Iterator"} {
			p, ok := st[k].(map[string]any)
			if !ok {
				continue
			}
			if cfg, _ := p["ProcessorConfig"].(map[string]any); cfg["ExecutionType"] == "EXPRESS" {
				ds = append(ds, expressProblems(p, sloc+"/"+k)...)
			} else {
				ds = append(ds, expressChildren(p, sloc+"/"+k)...)
			}
		}
	}
	return ds
}

func expressProblems(machine map[string]any, loc string) Diagnostics {
	var ds Diagnostics
	states, _ := machine["States"].(map[string]any)
	for _, n := range sortedKeys(states) {
		st, _ := states[n].(map[string]any)
		sloc := loc + "/States/" + pointerToken(n)
		if res, ok := st["Resource"].(string); ok && st["Type"] == "Task" {
			msg := ""
			switch r := ParseResource(res); {
			case r.WaitsForCallback():
				// AWS's message has two spaces before "at".
				msg = "Express state machine does not support '.waitForTaskToken' service integration "
			case r.Syncs():
				msg = "Express state machine does not support '.sync' service integration"
			case r.Kind == KindActivity:
				msg = "Express state machine does not support Activity ARN"
			}
			if msg != "" {
				ds = append(ds, Diagnostic{Code: "SCHEMA_VALIDATION_FAILED", Location: sloc + "/Resource", Message: msg})
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

// pointerToken escapes a name as a JSON pointer's token (RFC 6901).
func pointerToken(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
