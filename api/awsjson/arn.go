package awsjson

import (
	"strings"
	"unicode/utf8"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/internal/arn"
)

// sfnARN is a parsed Step Functions ARN:
// arn:<partition>:states:<region>:<account>:<type>:<name>[:<qualifier>].
type sfnARN struct {
	Region, Account, Type, Name, Qualifier string
	Raw                                    string
}

// parseARN parses an ARN of one of the wanted resource types, answering
// InvalidArn as AWS words it.
func parseARN(s string, wantTypes ...string) (sfnARN, error) {
	a, err := arn.Parse(s)
	if err != nil {
		return sfnARN{}, errInvalidArn("Invalid ARN prefix: " + s)
	}
	rest := strings.Split(a.Resource, ":") // <type>:<name>[:<qualifier>]
	if len(rest) < 2 || a.Service != "states" {
		return sfnARN{}, errInvalidArn("Invalid ARN prefix: " + s)
	}
	r := sfnARN{Region: a.Region, Account: a.Account, Type: rest[0], Name: rest[1], Raw: s}
	ok := false
	for _, t := range wantTypes {
		ok = ok || r.Type == t
	}
	if !ok {
		return sfnARN{}, errInvalidArn("Resource type not valid in this context: " + r.Type)
	}
	maxRest := 2
	if r.Type == arn.TypeExecution {
		maxRest = 3 // execution:<machine>:<name>
		if len(rest) < 3 {
			return sfnARN{}, errInvalidArn("Invalid Arn resource: " + s)
		}
		r.Qualifier = rest[2]
	} else if len(rest) == 3 {
		maxRest = 3
		r.Qualifier = rest[2]
	}
	if len(rest) > maxRest || r.Name == "" {
		return sfnARN{}, errInvalidArn("Invalid Arn resource: " + s)
	}
	return r, nil
}

// local reports whether the ARN names a resource of this server's region
// and account; any other is a resource that does not exist here.
func (h *handler) local(a sfnARN) bool {
	return a.Region == h.cfg.Region && a.Account == h.cfg.Account
}

// arns is the scope of the ARNs this server makes.
func (h *handler) arns() arn.Scope { return arn.In(h.cfg.Region, h.cfg.Account) }

func (h *handler) stateMachineARN(name string) string { return h.arns().StateMachine(name) }

func (h *handler) activityARN(name string) string { return h.arns().Activity(name) }

func (h *handler) executionARN(machine, name string) string { return h.arns().Execution(machine, name) }

// checkExecutionARN validates an execution ARN's form; the engine looks
// the execution up by the whole ARN.
func checkExecutionARN(s string) error {
	_, err := parseARN(s, arn.TypeExecution)
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
