package awsjson

import (
	"strings"
	"unicode/utf8"

	"github.com/stepwise-dev/stepwise/engine"
)

// arn is a parsed Step Functions ARN:
// arn:<partition>:states:<region>:<account>:<type>:<name>[:<qualifier>].
type arn struct {
	Region, Account, Type, Name, Qualifier string
	Raw                                    string
}

// parseARN parses an ARN of one of the wanted resource types, answering
// InvalidArn as AWS words it.
func parseARN(s string, wantTypes ...string) (arn, error) {
	if !strings.HasPrefix(s, "arn:") {
		return arn{}, errInvalidArn("Invalid ARN prefix: " + s)
	}
	parts := strings.Split(s, ":")
	if len(parts) < 7 || parts[2] != "states" {
		return arn{}, errInvalidArn("Invalid ARN prefix: " + s)
	}
	a := arn{Region: parts[3], Account: parts[4], Type: parts[5], Name: parts[6], Raw: s}
	ok := false
	for _, t := range wantTypes {
		ok = ok || a.Type == t
	}
	if !ok {
		return arn{}, errInvalidArn("Resource type not valid in this context: " + a.Type)
	}
	maxParts := 7
	if a.Type == "execution" {
		maxParts = 8 // execution:<machine>:<name>
		if len(parts) < 8 {
			return arn{}, errInvalidArn("Invalid Arn resource: " + s)
		}
		a.Qualifier = parts[7]
	} else if len(parts) == 8 {
		maxParts = 8
		a.Qualifier = parts[7]
	}
	if len(parts) > maxParts || a.Name == "" {
		return arn{}, errInvalidArn("Invalid Arn resource: " + s)
	}
	return a, nil
}

// local reports whether the ARN names a resource of this server's region
// and account; any other is a resource that does not exist here.
func (h *handler) local(a arn) bool {
	return a.Region == h.cfg.Region && a.Account == h.cfg.Account
}

func (h *handler) stateMachineARN(name string) string {
	return "arn:aws:states:" + h.cfg.Region + ":" + h.cfg.Account + ":stateMachine:" + name
}

func (h *handler) activityARN(name string) string {
	return "arn:aws:states:" + h.cfg.Region + ":" + h.cfg.Account + ":activity:" + name
}

func (h *handler) executionARN(machine, name string) string {
	return "arn:aws:states:" + h.cfg.Region + ":" + h.cfg.Account + ":execution:" + machine + ":" + name
}

// checkExecutionARN validates an execution ARN's form; the engine looks
// the execution up by the whole ARN.
func checkExecutionARN(s string) error {
	_, err := parseARN(s, "execution")
	return err
}

// validName reports whether a name follows AWS's rules for state machine,
// execution and activity names: no white space, brackets, wildcards,
// special characters or control characters. The length (1 to 80) is
// checked as a request constraint.
func validName(s string) bool {
	// The length is a request constraint, checked first with AWS's wording.
	return utf8.RuneCountInString(s) > 80 || s == "" || engine.ValidName(s) == nil
}
