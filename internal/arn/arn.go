// Package arn builds and parses every Amazon Resource Name Stepwise makes
// or reads: state machines (with a version or alias qualifier),
// executions, express executions, Map Runs, activities, Lambda functions,
// EventBridge Scheduler schedules and groups, and CloudWatch Logs log
// groups. Each format is written once here; the engine, the APIs, the
// dispatcher and the services call these functions instead of joining or
// splitting ARN strings themselves.
//
// It imports only the standard library, so that every package, statelang
// included, may import it.
package arn

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrMalformed is wrapped by every parse error: the text is not an ARN of
// the expected kind.
var ErrMalformed = errors.New("malformed ARN")

// ARN is an Amazon Resource Name split into its six fields:
// arn:<partition>:<service>:<region>:<account>:<resource>. Resource is
// the rest of the text after the fifth colon; it may hold more colons.
type ARN struct {
	Partition, Service, Region, Account, Resource string
}

// Parse splits s into its six fields. It checks only the form: "arn:"
// first and at least five colons; any field may be empty (a Step
// Functions integration, arn:aws:states:::lambda:invoke, has neither
// region nor account).
func Parse(s string) (ARN, error) {
	rest, ok := strings.CutPrefix(s, "arn:")
	if !ok {
		return ARN{}, malformed(s, "it does not start with arn:")
	}
	var f [4]string // partition, service, region, account; rest is then the resource
	for i := range f {
		var found bool
		if f[i], rest, found = strings.Cut(rest, ":"); !found {
			return ARN{}, malformed(s, "it has fewer than six fields")
		}
	}
	return ARN{Partition: f[0], Service: f[1], Region: f[2], Account: f[3], Resource: rest}, nil
}

// String joins the fields back: Parse(a.String()) == a for every ARN
// whose fields other than Resource hold no colon.
func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.Account + ":" + a.Resource
}

// Scope is the partition, region and account of the resources an ARN
// names.
type Scope struct {
	Partition, Region, Account string
}

// In is the scope of region and account in the aws partition, the one
// Stepwise's own resources live in.
func In(region, account string) Scope {
	return Scope{Partition: "aws", Region: region, Account: account}
}

// Scope returns the partition, region and account of a.
func (a ARN) Scope() Scope {
	return Scope{Partition: a.Partition, Region: a.Region, Account: a.Account}
}

func (s Scope) arn(service, resource string) string {
	return ARN{Partition: s.Partition, Service: service, Region: s.Region, Account: s.Account, Resource: resource}.String()
}

// Step Functions resource types: the sixth field of an arn:…:states ARN.
const (
	TypeStateMachine = "stateMachine"
	TypeExecution    = "execution"
	TypeExpress      = "express"
	TypeMapRun       = "mapRun"
	TypeActivity     = "activity"
)

func (s Scope) states(typ string, parts ...string) string {
	return s.arn("states", typ+":"+strings.Join(parts, ":"))
}

// StateMachine is the ARN of state machine name:
// arn:aws:states:<region>:<account>:stateMachine:<name>.
func (s Scope) StateMachine(name string) string { return s.states(TypeStateMachine, name) }

// StateMachineVersion is the ARN of version number of a state machine:
// …:stateMachine:<name>:<number>.
func (s Scope) StateMachineVersion(name string, number int) string {
	return s.states(TypeStateMachine, name, strconv.Itoa(number))
}

// StateMachineAlias is the ARN of an alias of a state machine:
// …:stateMachine:<name>:<alias>.
func (s Scope) StateMachineAlias(name, alias string) string {
	return s.states(TypeStateMachine, name, alias)
}

// Execution is the ARN of execution name of a state machine:
// …:execution:<machine>:<name>.
func (s Scope) Execution(machine, name string) string { return s.states(TypeExecution, machine, name) }

// ExpressExecution is the ARN of an express execution:
// …:express:<machine>:<name>:<id> (id a UUID: express names need not be
// unique).
func (s Scope) ExpressExecution(machine, name, id string) string {
	return s.states(TypeExpress, machine, name, id)
}

// TestStateExecution is the ARN TestState's context object gives the
// execution it makes up: …:express:<machine>:<name>, with no id.
func (s Scope) TestStateExecution(machine, name string) string {
	return s.states(TypeExpress, machine, name)
}

// MapRun is the ARN of a distributed Map's run:
// …:mapRun:<machine>/<label>:<id>.
func (s Scope) MapRun(machine, label, id string) string {
	return s.states(TypeMapRun, machine+"/"+label, id)
}

// Activity is the ARN of activity name: …:activity:<name>.
func (s Scope) Activity(name string) string { return s.states(TypeActivity, name) }

// LambdaFunction is the ARN of a Lambda function,
// arn:<partition>:lambda:<region>:<account>:function:<name>, followed by
// :<qualifier> when qualifier is not empty.
func (s Scope) LambdaFunction(name, qualifier string) string {
	r := "function:" + name
	if qualifier != "" {
		r += ":" + qualifier
	}
	return s.arn("lambda", r)
}

// Schedule is the ARN of an EventBridge Scheduler schedule:
// arn:aws:scheduler:<region>:<account>:schedule/<group>/<name>.
func (s Scope) Schedule(group, name string) string {
	return s.arn("scheduler", "schedule/"+group+"/"+name)
}

// ScheduleGroup is the ARN of a schedule group:
// arn:aws:scheduler:<region>:<account>:schedule-group/<group>.
func (s Scope) ScheduleGroup(group string) string { return s.arn("scheduler", "schedule-group/"+group) }

// LogGroup is the ARN of a CloudWatch Logs log group:
// arn:aws:logs:<region>:<account>:log-group:<name>.
func (s Scope) LogGroup(name string) string { return s.arn("logs", "log-group:"+name) }

// States is a parsed Step Functions resource ARN:
// arn:<partition>:states:<region>:<account>:<type>:<name>[:<more>…].
type States struct {
	Scope
	// Type is the resource type: TypeStateMachine, TypeExecution, ….
	Type string
	// Name is the state machine's name for a state machine, an execution,
	// an express execution and a Map Run (<machine>/<label>), and the
	// activity's name.
	Name string
	// Rest are the fields after the name: the version or alias of a
	// state machine, the execution's name (and the express execution's
	// id), the Map Run's id.
	Rest []string
}

// ParseStates parses a Step Functions resource ARN of any type, with a
// non-empty type and name.
func ParseStates(s string) (States, error) {
	a, err := Parse(s)
	if err != nil {
		return States{}, err
	}
	if a.Service != "states" {
		return States{}, malformed(s, "it is not a Step Functions ARN")
	}
	p := strings.Split(a.Resource, ":")
	if len(p) < 2 || p[0] == "" || p[1] == "" {
		return States{}, malformed(s, "it names no resource type and name")
	}
	return States{Scope: a.Scope(), Type: p[0], Name: p[1], Rest: p[2:]}, nil
}

// StateMachine is a parsed state machine ARN.
type StateMachine struct {
	Scope
	Name string
	// Qualifier is the version number or the alias name; "" for the
	// unqualified ARN.
	Qualifier string
}

// Version returns the qualifier as a version number, or ok false when
// the ARN is unqualified or qualified by an alias.
func (m StateMachine) Version() (number int, ok bool) {
	n, err := strconv.Atoi(m.Qualifier)
	return n, err == nil && n > 0 && strconv.Itoa(n) == m.Qualifier
}

// ParseStateMachine parses …:stateMachine:<name>[:<version or alias>].
func ParseStateMachine(s string) (StateMachine, error) {
	a, err := parseType(s, TypeStateMachine, 0, 1)
	if err != nil {
		return StateMachine{}, err
	}
	m := StateMachine{Scope: a.Scope, Name: a.Name}
	if len(a.Rest) == 1 {
		m.Qualifier = a.Rest[0]
	}
	return m, nil
}

// Execution is a parsed execution ARN, standard or express.
type Execution struct {
	Scope
	// Express is true for …:express:<machine>:<name>:<id>.
	Express bool
	// Machine is the state machine's name (<machine>/<label> for a child of a
	// distributed Map).
	Machine string
	Name    string
	// ID is an express execution's UUID.
	ID string
}

// ParseExecution parses …:execution:<machine>:<name> and
// …:express:<machine>:<name>:<id>.
func ParseExecution(s string) (Execution, error) {
	a, err := ParseStates(s)
	if err != nil {
		return Execution{}, err
	}
	switch {
	case a.Type == TypeExecution && len(a.Rest) == 1 && a.Rest[0] != "":
		return Execution{Scope: a.Scope, Machine: a.Name, Name: a.Rest[0]}, nil
	case a.Type == TypeExpress && len(a.Rest) == 2 && a.Rest[0] != "" && a.Rest[1] != "":
		return Execution{Scope: a.Scope, Express: true, Machine: a.Name, Name: a.Rest[0], ID: a.Rest[1]}, nil
	}
	return Execution{}, malformed(s, "it is not an execution ARN (…:execution:<machine>:<name> or …:express:<machine>:<name>:<id>)")
}

// String builds the ARN back.
func (x Execution) String() string {
	if x.Express {
		return x.Scope.ExpressExecution(x.Machine, x.Name, x.ID)
	}
	return x.Scope.Execution(x.Machine, x.Name)
}

// MapRun is a parsed Map Run ARN.
type MapRun struct {
	Scope
	// Machine is the parent's state machine, Label the Map's label.
	Machine, Label string
	ID             string
}

// ParseMapRun parses …:mapRun:<machine>/<label>:<id>.
func ParseMapRun(s string) (MapRun, error) {
	a, err := parseType(s, TypeMapRun, 1, 1)
	if err != nil {
		return MapRun{}, err
	}
	i := strings.LastIndexByte(a.Name, '/')
	if i <= 0 || i == len(a.Name)-1 || a.Rest[0] == "" {
		return MapRun{}, malformed(s, "it is not a Map Run ARN (…:mapRun:<machine>/<label>:<id>)")
	}
	return MapRun{Scope: a.Scope, Machine: a.Name[:i], Label: a.Name[i+1:], ID: a.Rest[0]}, nil
}

// ParseActivity parses …:activity:<name>.
func ParseActivity(s string) (scope Scope, name string, err error) {
	a, err := parseType(s, TypeActivity, 0, 0)
	return a.Scope, a.Name, err
}

// Function is a parsed Lambda function ARN.
type Function struct {
	Scope
	Name string
	// Qualifier is the version or alias; "" when unqualified.
	Qualifier string
}

// ParseLambdaFunction parses
// arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>].
func ParseLambdaFunction(s string) (Function, error) {
	const form = "a Lambda function ARN (arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>])"
	scope, rest, err := parseService(s, "lambda", "function:", form)
	if err != nil {
		return Function{}, err
	}
	name, qualifier, qualified := strings.Cut(rest, ":")
	if name == "" || qualified && (qualifier == "" || strings.Contains(qualifier, ":")) {
		return Function{}, malformed(s, "it is not "+form)
	}
	return Function{Scope: scope, Name: name, Qualifier: qualifier}, nil
}

// ParseLogGroup parses arn:<partition>:logs:<region>:<account>:log-group:<name>,
// with or without the ":*" AWS appends to name a group's streams.
func ParseLogGroup(s string) (scope Scope, name string, err error) {
	scope, name, err = parseService(s, "logs", "log-group:", "a log group ARN (arn:<partition>:logs:<region>:<account>:log-group:<name>)")
	return scope, strings.TrimSuffix(name, ":*"), err
}

// ParseScheduleGroup parses
// arn:aws:scheduler:<region>:<account>:schedule-group/<group>.
func ParseScheduleGroup(s string) (scope Scope, group string, err error) {
	const form = "a schedule group ARN (arn:aws:scheduler:<region>:<account>:schedule-group/<group>)"
	scope, group, err = parseService(s, "scheduler", "schedule-group/", form)
	if err == nil && group == "" {
		return Scope{}, "", malformed(s, "it is not "+form)
	}
	return scope, group, err
}

// parseService parses an ARN of service whose resource starts with
// prefix, and returns the rest of the resource; form names the ARN in
// the error.
func parseService(s, service, prefix, form string) (Scope, string, error) {
	a, err := Parse(s)
	if err != nil {
		return Scope{}, "", err
	}
	rest, ok := strings.CutPrefix(a.Resource, prefix)
	if a.Service != service || !ok {
		return Scope{}, "", malformed(s, "it is not "+form)
	}
	return a.Scope(), rest, nil
}

// parseType parses a Step Functions ARN of type typ with between min and
// max non-empty fields after the name.
func parseType(s, typ string, min, max int) (States, error) {
	a, err := ParseStates(s)
	if err != nil {
		return States{}, err
	}
	if a.Type != typ {
		return States{}, malformed(s, "it is not a "+typ+" ARN")
	}
	if len(a.Rest) < min || len(a.Rest) > max {
		return States{}, malformed(s, fmt.Sprintf("a %s ARN has %d to %d fields after the name", typ, min, max))
	}
	for _, r := range a.Rest {
		if r == "" {
			return States{}, malformed(s, "it has an empty field")
		}
	}
	return a, nil
}

func malformed(s, why string) error {
	return fmt.Errorf("%w %q: %s", ErrMalformed, s, why)
}
