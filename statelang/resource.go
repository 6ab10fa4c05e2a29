package statelang

import (
	"strings"

	"github.com/stepwise-dev/stepwise/internal/arn"
)

// Resource is a Task state's Resource, parsed once when the definition is
// parsed (State.Resource, TaskCall.Resource). Everything that asks what a
// task calls — its family of history events, its integration pattern,
// whether it waits for a callback, which Lambda function or activity it
// names — reads these fields and methods instead of the text.
//
// The kinds of resource:
//   - an AWS service integration, arn:aws:states:::<service>:<action>[<pattern>]
//     (lambda:invoke, states:startExecution, http:invoke, aws-sdk:s3:getObject,
//     …), whose Pattern is request-response, .sync, .sync:2 or
//     .waitForTaskToken;
//   - a Lambda function, arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>];
//   - an activity, arn:aws:states:<region>:<account>:activity:<name>;
//   - any other ARN, which a worker registered under its last field serves.
//
// A Resource is also parsed from a stored task's text (ParseResource), so
// that the engine's edges that read tasks back (the dispatcher, the
// built-in services) classify them the same way.
type Resource struct {
	// ARN is the resource as written in the definition.
	ARN string
	// Kind is what the resource names.
	Kind ResourceKind
	// Service is the integrated service of an integration ("lambda" for
	// arn:aws:states:::lambda:invoke, "aws-sdk" for aws-sdk:s3:getObject) and
	// the ARN's own service otherwise ("lambda" for a function, "states"
	// for an activity): the resourceType of AWS's task history events.
	Service string
	// Action is an integration's action without its pattern ("invoke",
	// "startExecution", "s3:getObject" for aws-sdk).
	Action string
	// Pattern is an integration's pattern suffix (RequestResponse when it
	// has none); "" for other kinds.
	Pattern Pattern
	// Name is a Lambda function's or an activity's name.
	Name string
	// Qualifier is a Lambda function ARN's version or alias ("" when
	// unqualified).
	Qualifier string

	// event is the resource field of AWS's task history events: the
	// action with its pattern for an integration, the ARN's last field
	// otherwise.
	event string
}

// ResourceKind is what a Task resource names.
type ResourceKind int

// The kinds of Task resource.
const (
	// KindOther is an ARN of no kind Stepwise knows (and an engine
	// resource that is no ARN).
	KindOther ResourceKind = iota
	// KindIntegration is arn:aws:states:::<service>:<action>[<pattern>].
	KindIntegration
	// KindLambda is a Lambda function ARN.
	KindLambda
	// KindActivity is an activity ARN.
	KindActivity
)

// Pattern is an integration's pattern: how the task waits for its
// service.
type Pattern string

// The integration patterns.
const (
	// RequestResponse returns what the service answered to the call.
	RequestResponse Pattern = ""
	// Sync waits for the job the call started (.sync).
	Sync Pattern = ".sync"
	// Sync2 is .sync returning JSON rather than JSON text (.sync:2).
	Sync2 Pattern = ".sync:2"
	// Callback waits for SendTaskSuccess or SendTaskFailure with the task's
	// token (.waitForTaskToken).
	Callback Pattern = ".waitForTaskToken"
)

// ParseResource parses a Task resource. It never fails: what is not an
// ARN Stepwise knows is KindOther (Parse reports resources AWS would
// refuse).
func ParseResource(s string) Resource {
	r := Resource{ARN: s, event: s}
	a, err := arn.Parse(s)
	if err != nil {
		return r
	}
	typ, tail, hasTail := strings.Cut(a.Resource, ":")
	r.Service, r.event = a.Service, typ
	if hasTail {
		r.event = tail
	}
	switch {
	case a.Service == "lambda" && strings.HasPrefix(typ, "function"):
		r.Kind = KindLambda
		if fn, err := arn.ParseLambdaFunction(s); err == nil {
			r.Name, r.Qualifier = fn.Name, fn.Qualifier
		}
	case a.Service == "states" && typ == "activity":
		r.Kind = KindActivity
		r.Name = tail
	case a.Service == "states" && a.Region == "" && hasTail:
		r.Kind, r.Service = KindIntegration, typ
		action, _, _ := strings.Cut(tail, ".")
		r.Action, r.Pattern = action, Pattern(tail[len(action):]) // "" or from the first "."
	}
	return r
}

// String returns the resource as written.
func (r Resource) String() string { return r.ARN }

// IsZero reports whether r is the zero Resource (no resource).
func (r Resource) IsZero() bool { return r.ARN == "" }

// MarshalText implements encoding.TextMarshaler: a Resource is stored as
// its text.
func (r Resource) MarshalText() ([]byte, error) { return []byte(r.ARN), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (r *Resource) UnmarshalText(b []byte) error {
	*r = ParseResource(string(b))
	return nil
}

// Family returns the family of history events the resource records.
func (r Resource) Family() TaskFamily {
	switch r.Kind {
	case KindLambda:
		return FamilyLambda
	case KindActivity:
		return FamilyActivity
	}
	return FamilyTask
}

// Integrates reports whether r is the integration of service's action,
// whatever its pattern.
func (r Resource) Integrates(service, action string) bool {
	return r.Kind == KindIntegration && r.Service == service && r.Action == action
}

// WaitsForCallback reports whether the task uses the callback pattern
// (.waitForTaskToken): it ends with SendTaskSuccess/Failure, not with the
// worker's own result.
func (r Resource) WaitsForCallback() bool { return r.Pattern == Callback }

// Syncs reports whether the task waits for the job it starts (.sync,
// .sync:2 or another .sync:<version>).
func (r Resource) Syncs() bool {
	return r.Pattern == Sync || strings.HasPrefix(string(r.Pattern), ".sync:")
}

// IsLambdaInvoke reports whether r is the request-response Lambda
// integration arn:aws:states:::lambda:invoke, whose result AWS wraps (see
// LambdaInvokeResult).
func (r Resource) IsLambdaInvoke() bool {
	return r.Integrates("lambda", "invoke") && r.Pattern == RequestResponse
}

// HistoryResource returns the resourceType and resource AWS records in
// task history events: arn:aws:states:::lambda:invoke.waitForTaskToken →
// ("lambda", "invoke.waitForTaskToken");
// arn:aws:lambda:us-east-1:1:function:f → ("lambda", "f").
func (r Resource) HistoryResource() (resourceType, resource string) { return r.Service, r.event }

// optimizedActions lists, for the AWS services whose optimized
// integrations Stepwise knows exactly, the actions AWS accepts in
// arn:aws:states:::<service>:<action>. Services not listed are accepted with
// any action: Stepwise dispatches them to a worker registered under that
// name. (The aws-sdk:* form is always accepted.)
var optimizedActions = map[string][]string{
	"dynamodb": {"getItem", "putItem", "deleteItem", "updateItem"},
	"lambda":   {"invoke"},
	"sqs":      {"sendMessage"},
	"sns":      {"publish"},
	"states":   {"startExecution"},
	"events":   {"putEvents"},
	"http":     {"invoke"},
}

// check returns AWS's complaint about a Task resource, or "".
func (r Resource) check() string {
	bad := "The resource provided " + r.ARN + " is not recognized. The value is not a valid resource ARN, or the resource is not available in this region."
	a, err := arn.Parse(r.ARN)
	if err != nil {
		return bad
	}
	if a.Service != "states" || a.Region != "" || a.Account != "" {
		return ""
	}
	// arn:aws:states:::service:action[.pattern]
	service, action, ok := strings.Cut(a.Resource, ":")
	if !ok {
		return bad
	}
	action, _, _ = strings.Cut(action, ".")
	if service == "" || action == "" {
		return bad
	}
	allowed, known := optimizedActions[service]
	if !known {
		return ""
	}
	for _, a := range allowed {
		if a == action {
			return ""
		}
	}
	return bad
}
