package engine

import (
	"context"
	"encoding/json"

	"github.com/stepwise-dev/stepwise/statelang"
)

// The state machine of a distributed Map's children, as
// DescribeStateMachineForExecution shows it for one of them (AWS: the
// machine of the Map Run that started it).

// mapChildMachine returns the machine the children of the distributed
// Map labelled label in version version of machine parent run: named
// <parent>/<label>, with that Map's ItemProcessor (or Iterator) as its
// definition, the text as the parent's definition writes it, and the
// parent version's role and date. ErrNotFound when the version has no
// such Map.
func (e *Engine) mapChildMachine(ctx context.Context, parent, label string, version int) (StateMachine, error) {
	psm, err := e.store.GetStateMachine(ctx, parent, version)
	if err != nil {
		return StateMachine{}, err
	}
	def, ok := processorText([]byte(psm.Definition), label)
	if !ok {
		return StateMachine{}, ErrNotFound
	}
	name := parent + "/" + label
	return StateMachine{Name: name, ARN: e.stateMachineARN(name), Version: psm.Version, Definition: def,
		RoleARN: psm.RoleARN, CreatedAt: psm.CreatedAt, Deleted: psm.Deleted}, nil
}

// processorText finds, in the JSON text of a machine (or of a Parallel
// branch or a Map processor in it), the distributed Map labelled label,
// where processorOf finds it, and returns the text of its processor.
// The definition was validated when stored: text that does not decode is
// passed over.
func processorText(machine []byte, label string) (string, bool) {
	var m struct {
		States map[string]json.RawMessage `json:"States"`
	}
	if json.Unmarshal(machine, &m) != nil {
		return "", false
	}
	for name, raw := range m.States {
		var s struct {
			Type          statelang.StateType `json:"Type"`
			Label         string              `json:"Label"`
			ItemProcessor json.RawMessage     `json:"ItemProcessor"`
			Iterator      json.RawMessage     `json:"Iterator"`
			Branches      []json.RawMessage   `json:"Branches"`
		}
		if json.Unmarshal(raw, &s) != nil {
			continue
		}
		proc := s.ItemProcessor
		if proc == nil {
			proc = s.Iterator
		}
		if s.Type == statelang.TypeMap && proc != nil {
			var p struct {
				ProcessorConfig struct {
					Mode string `json:"Mode"`
				} `json:"ProcessorConfig"`
			}
			if json.Unmarshal(proc, &p) == nil && p.ProcessorConfig.Mode == "DISTRIBUTED" &&
				mapLabel(&statelang.State{Name: name, Label: s.Label}) == label {
				return string(proc), true
			}
			if text, ok := processorText(proc, label); ok {
				return text, true
			}
		}
		for _, b := range s.Branches {
			if text, ok := processorText(b, label); ok {
				return text, true
			}
		}
	}
	return "", false
}
