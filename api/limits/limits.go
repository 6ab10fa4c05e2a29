// Package limits holds AWS Step Functions' request limits and the one
// function that checks a request field against them, for every front door:
// the AWS endpoint (package awsjson) calls Check on the fields it decodes,
// the gRPC services get them from UnaryInterceptor, and the REST gateway
// from JSON, which the HTTP front door (package api) runs on every REST
// body before the gateway decodes it.
//
// A field is known by its name, which is the same in the three protocols up
// to case ("roleArn", "role_arn"): "name", "input", "output", "definition",
// "error", "cause", ... (see rules). A problem is reported with the AWS
// error code a client expects (ValidationException for a length or a NUL,
// InvalidName, InvalidDefinition for a NUL in a definition, TooManyTags)
// and a message naming the field that never echoes a long value.
//
// NUL (U+0000): PostgreSQL's text and jsonb cannot hold it. Inside a JSON
// document (an input or output) it travels escaped ("\u0000") and is stored
// as it came; a NUL in an error, a cause, a name or a definition's strings
// (state names, errors and causes of Fail states) would end up in a text
// column and is refused with the field named.
//
// It imports the engine (for the name rule) and no store, NATS or HTTP
// package.
package limits

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/statelang"
)

// AWS's limits, as its API reference and service quotas state them.
const (
	// NameChars bounds a state machine, execution or activity name (1–80).
	NameChars = 80
	// PayloadBytes bounds an execution input or a task output: 256 KiB of
	// UTF-8 (262,144 bytes).
	PayloadBytes = statelang.MaxPayloadBytes
	// DefinitionBytes bounds a state machine definition: 1 MB (1,048,576
	// bytes).
	DefinitionBytes = statelang.MaxDefinitionBytes
	// Tags bounds the tags of one resource.
	Tags = 50
	// TagKeyChars and TagValueChars bound one tag.
	TagKeyChars, TagValueChars = 128, 256
	// ErrorChars bounds an error name (StopExecution, SendTaskFailure).
	ErrorChars = 256
	// CauseChars bounds a cause.
	CauseChars = 32768
	// ARNChars bounds an ARN (state machine, execution, activity, role).
	ARNChars = 256
	// TokenChars bounds a task token.
	TokenChars = 2048
	// DescriptionChars bounds a description (of a version or an alias).
	DescriptionChars = 256
	// AliasNameChars bounds an alias name (1–80, AliasName's characters).
	AliasNameChars = 80
	// AliasRoutes bounds an alias's routing configuration: one or two
	// versions, whose weights (0 to 100 each) sum to 100.
	AliasRoutes = 2
)

// AliasName is AWS's pattern for alias names: letters, digits, '_', '-'
// and '.', not only digits (so that a qualifier is a version number or an
// alias name, never both).
var AliasName = regexp.MustCompile(`^[a-zA-Z0-9_.-]*[a-zA-Z_.-][a-zA-Z0-9_.-]*$`)

// Problem is one field that breaks a limit.
type Problem struct {
	// Field is the field's name as the request spelled it.
	Field string
	// Code is the AWS error code: "ValidationException", "InvalidName" or
	// "InvalidDefinition".
	Code string
	// Message says what is wrong, naming the field, without its value
	// (which may be megabytes).
	Message string
}

func (p *Problem) Error() string { return p.Code + ": " + p.Message }

type unit int

const (
	inChars unit = iota // Unicode characters, as AWS counts a length constraint
	inBytes             // UTF-8 bytes, as AWS counts payload and definition sizes
)

// rule is how one field is checked.
type rule struct {
	max     int
	unit    unit
	name    bool // a resource name: AWS's character set (engine.ValidName)
	jsonNUL bool // refuse an escaped U+0000 inside the value's JSON strings
}

// rules maps a field's canonical name (lower case, no underscores) to its
// rule. Fields not named here are only checked for NUL.
var rules = map[string]rule{
	"name":               {max: NameChars, name: true},
	"workername":         {max: NameChars},
	"input":              {max: PayloadBytes, unit: inBytes},
	"output":             {max: PayloadBytes, unit: inBytes},
	"definition":         {max: DefinitionBytes, unit: inBytes, jsonNUL: true},
	"error":              {max: ErrorChars},
	"cause":              {max: CauseChars},
	"rolearn":            {max: ARNChars},
	"arn":                {max: ARNChars},
	"statemachinearn":    {max: ARNChars},
	"executionarn":       {max: ARNChars},
	"activityarn":        {max: ARNChars},
	"resourcearn":        {max: ARNChars},
	"statemachinename":   {max: ARNChars}, // may be qualified: "machine:alias"
	"tasktoken":          {max: TokenChars},
	"description":        {max: DescriptionChars},
	"versiondescription": {max: DescriptionChars},
}

func canonical(field string) string {
	return strings.ToLower(strings.ReplaceAll(field, "_", ""))
}

// Check checks the value of the field named field (in any protocol's
// spelling) and returns nil when it keeps every limit. No field may hold a
// NUL (a document such as an input may hold an escaped one). An empty value
// is not checked: whether a field is required is each operation's rule.
func Check(field, value string) *Problem {
	return check(field, value, true)
}

// check is Check; a field that names an existing resource (lookup) is only
// checked for NUL, so that a qualified name ("machine:alias") or a long one
// is the operation's to answer (not found).
func check(field, value string, create bool) *Problem {
	if value == "" {
		return nil
	}
	r, ok := rules[canonical(field)]
	if !ok || (r.name && !create) {
		// Any other field, and the name of an existing resource (which may
		// be qualified, "machine:alias"), is only checked for NUL.
		r = rule{max: len(value), unit: inBytes}
	}
	n := len(value)
	what := "length"
	if r.unit == inChars {
		n = utf8.RuneCountInString(value)
	} else {
		what = "size in bytes"
	}
	if n > r.max {
		return &Problem{Field: field, Code: "ValidationException", Message: fmt.Sprintf(
			"1 validation error detected: Value at '%s' failed to satisfy constraint: Member must have %s less than or equal to %d", field, what, r.max)}
	}
	if strings.IndexByte(value, 0) >= 0 {
		return nulProblem(field)
	}
	if r.jsonNUL && jsonHasNUL([]byte(value)) {
		return definitionNUL()
	}
	if r.name {
		if err := engine.ValidName(value); err != nil {
			return &Problem{Field: field, Code: "InvalidName", Message: "Invalid Name: '" + clip(value) + "' (" + field + ": 1 to 80 characters, no white space, brackets, wildcards, special or control characters)"}
		}
	}
	return nil
}

func definitionNUL() *Problem {
	return &Problem{Field: "definition", Code: "InvalidDefinition", Message: "Invalid State Machine Definition: 'a string of the definition contains U+0000 (NUL, \\u0000), which Stepwise cannot store in state names, errors and causes'"}
}

func nulProblem(field string) *Problem {
	return &Problem{Field: field, Code: "ValidationException", Message: "1 validation error detected: Value at '" + field +
		"' failed to satisfy constraint: Member must not contain U+0000 (NUL), which Stepwise cannot store"}
}

// TagSet checks a resource's tags: at most Tags of them, each key 1–128
// and each value at most 256 characters, neither with a NUL.
func TagSet(keys, values []string) *Problem {
	if len(keys) > Tags {
		return &Problem{Field: "tags", Code: "TooManyTags", Message: fmt.Sprintf("Too many tags: %d; the limit is %d", len(keys), Tags)}
	}
	for i, k := range keys {
		v := ""
		if i < len(values) {
			v = values[i]
		}
		switch {
		case k == "" || utf8.RuneCountInString(k) > TagKeyChars:
			return &Problem{Field: "tags.key", Code: "ValidationException", Message: fmt.Sprintf("1 validation error detected: Value at 'tags.%d.member.key' failed to satisfy constraint: Member must have length between 1 and %d", i+1, TagKeyChars)}
		case utf8.RuneCountInString(v) > TagValueChars:
			return &Problem{Field: "tags.value", Code: "ValidationException", Message: fmt.Sprintf("1 validation error detected: Value at 'tags.%d.member.value' failed to satisfy constraint: Member must have length less than or equal to %d", i+1, TagValueChars)}
		case strings.IndexByte(k, 0) >= 0:
			return nulProblem(fmt.Sprintf("tags.%d.member.key", i+1))
		case strings.IndexByte(v, 0) >= 0:
			return nulProblem(fmt.Sprintf("tags.%d.member.value", i+1))
		}
	}
	return nil
}

// clip shortens a value quoted in a message.
func clip(s string) string {
	const most = 100
	if utf8.RuneCountInString(s) <= most {
		return s
	}
	return string([]rune(s)[:most]) + "…"
}

// jsonHasNUL reports whether JSON text holds a string with an escaped
// U+0000. It scans the text once without decoding it; text that is not
// JSON gives an answer that does not matter (the parser refuses it).
func jsonHasNUL(s []byte) bool {
	in := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			in = !in
		case c == '\\' && in:
			if string(s[i+1:min(i+6, len(s))]) == "u0000" {
				return true
			}
			i++ // skip the escaped character (\" and \\ included)
		}
	}
	return false
}

// Proto checks every string field of a request message (not nested ones:
// requests are flat) and returns the first problem. create says whether
// the request creates what its name field names (CreateStateMachine,
// CreateActivity, StartExecution, StartSyncExecution): only then is the name checked against
// AWS's length and character set.
func Proto(m proto.Message, create bool) *Problem {
	var p *Problem
	m.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Kind() == protoreflect.StringKind && !fd.IsList() && !fd.IsMap() {
			p = check(string(fd.Name()), v.String(), create)
		}
		return p == nil
	})
	return p
}

// creates reports whether a gRPC method creates the resource its request
// names.
func creates(fullMethod string) bool {
	_, m, _ := strings.Cut(strings.TrimPrefix(fullMethod, "/"), "/")
	return strings.HasPrefix(m, "Create") || m == "StartExecution" || m == "StartSyncExecution"
}

// JSON checks a REST request body (a JSON object; anything else is the
// gateway's to refuse): NUL as Body does, then its top-level string fields
// against their limits. It returns the first problem. Bodies of the REST
// gateway carry a name only in requests that create (the names of existing
// resources are in the path).
func JSON(body []byte) *Problem {
	if p := Body(body); p != nil {
		return p
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil {
		return nil
	}
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		raw := fields[k]
		if len(raw) == 0 || raw[0] != '"' {
			continue
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			continue
		}
		if p := Check(k, s); p != nil {
			return p
		}
	}
	return nil
}

// Body checks the JSON body of a request to the AWS endpoint or the REST
// gateway for NUL: no string of the request may hold one (a document in a
// string, such as an input, may hold an escaped one), and no string of a
// definition. It costs one pass over the body unless a NUL is found.
func Body(body []byte) *Problem {
	if jsonHasNUL(body) {
		field := "request"
		var fields map[string]json.RawMessage
		if json.Unmarshal(body, &fields) == nil {
			for _, k := range slices.Sorted(maps.Keys(fields)) {
				if jsonHasNUL(fields[k]) {
					field = k
					break
				}
			}
		}
		return nulProblem(field)
	}
	if !bytes.Contains(body, []byte(`"definition"`)) {
		return nil
	}
	var req struct {
		Definition string `json:"definition"`
	}
	if json.Unmarshal(body, &req) == nil && jsonHasNUL([]byte(req.Definition)) {
		return definitionNUL()
	}
	return nil
}

// URL checks a request's decoded path and query for NUL.
func URL(path, rawQuery string) *Problem {
	if strings.IndexByte(path, 0) >= 0 {
		return nulProblem("path")
	}
	if q, err := url.ParseQuery(rawQuery); err == nil {
		for k, vs := range q {
			for _, v := range vs {
				if strings.IndexByte(k, 0) >= 0 || strings.IndexByte(v, 0) >= 0 {
					return nulProblem(strings.ReplaceAll(k, "\x00", ""))
				}
			}
		}
	}
	return nil
}

// Status is a problem as a gRPC status: InvalidArgument, with the field as
// a BadRequest violation and the AWS code as its reason.
func (p *Problem) Status() error {
	st := status.New(codes.InvalidArgument, p.Message)
	if d, err := st.WithDetails(&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{
		{Field: p.Field, Description: p.Message, Reason: p.Code}}}); err == nil {
		st = d
	}
	return st.Err()
}

// UnaryInterceptor refuses a gRPC request whose fields break a limit,
// before the service sees it.
func UnaryInterceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	if m, ok := req.(proto.Message); ok {
		if p := Proto(m, creates(info.FullMethod)); p != nil {
			return nil, p.Status()
		}
	}
	return h(ctx, req)
}
