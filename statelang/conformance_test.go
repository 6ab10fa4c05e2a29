package statelang_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stepwise-dev/stepwise/internal/conformance"
	"github.com/stepwise-dev/stepwise/statelang"
)

// TestConformanceValidation checks that every definition AWS rejected at
// CreateStateMachine with InvalidDefinition is rejected by Parse too.
func TestConformanceValidation(t *testing.T) {
	scs := conformance.LoadOrSkip(t)
	n := 0
	for _, sc := range scs {
		if sc.Kind != "api_error" || sc.Operation != "stepfunctions.create_state_machine" || !sc.AWSValidated {
			continue
		}
		if code, _ := sc.Expected["error_code"].(string); code != "InvalidDefinition" {
			continue
		}
		def, _ := sc.Request["definition"].(string)
		if typ, _ := sc.Request["type"].(string); typ == "EXPRESS" {
			continue // Express-only restrictions are checked when the machine is created with its type.
		}
		n++
		_, err := statelang.Parse([]byte(def))
		var ds statelang.Diagnostics
		if !errors.As(err, &ds) {
			t.Errorf("Parse(%s) = %v; want diagnostics (AWS: %v)", sc.ID, err, sc.Expected["error_message"])
		}
	}
	t.Logf("validation: %d rejected definitions checked", n)
}

// TestConformanceAccepted checks that Parse accepts every definition AWS
// ran (the execution scenarios, runnable here or not): a validator
// stricter than AWS would refuse them. Definitions using what Stepwise
// does not support yet (ItemReader, ItemBatcher, ResultWriter) are left
// out, and so are those whose recording did not keep the definition.
func TestConformanceAccepted(t *testing.T) {
	scs := conformance.LoadOrSkip(t)
	n := 0
	for _, sc := range scs {
		if (sc.Kind != "execution" && sc.Kind != "sync_execution") || sc.Definition == "" {
			continue
		}
		if strings.Contains(sc.Definition, `"ItemReader"`) || strings.Contains(sc.Definition, `"ItemBatcher"`) ||
			strings.Contains(sc.Definition, `"ResultWriter"`) {
			continue
		}
		n++
		if _, err := statelang.Parse([]byte(sc.Definition)); err != nil {
			t.Errorf("Parse(%s) = %v; AWS accepted it", sc.ID, err)
		}
	}
	t.Logf("accepted: %d definitions AWS ran checked", n)
}
