package awsjson

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/statelang"
)

type tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type loggingConfiguration struct {
	Level                *string           `json:"level,omitempty"`
	IncludeExecutionData bool              `json:"includeExecutionData"`
	Destinations         []json.RawMessage `json:"destinations,omitempty"`
}

type tracingConfiguration struct {
	Enabled bool `json:"enabled"`
}

// logDestination is one entry of loggingConfiguration.destinations.
type logDestination struct {
	CloudWatchLogsLogGroup *struct {
		LogGroupArn string `json:"logGroupArn"`
	} `json:"cloudWatchLogsLogGroup"`
}

// loggingOff is what DescribeStateMachine reports for a machine that logs
// nothing; tracingOff what it reports of tracing, which is not
// implemented (X-Ray).
var (
	loggingOff = &loggingConfiguration{Level: ptr("OFF")}
	tracingOff = &tracingConfiguration{}
)

// engineLogging is the engine's form of a checked loggingConfiguration
// (nil: unchanged or absent; a Level of OFF turns logging off).
func engineLogging(lc *loggingConfiguration) *engine.Logging {
	if lc == nil {
		return nil
	}
	l := &engine.Logging{Level: engine.LogOff, IncludeExecutionData: lc.IncludeExecutionData}
	if lc.Level != nil {
		l.Level = *lc.Level
	}
	if len(lc.Destinations) == 1 {
		var d logDestination
		if json.Unmarshal(lc.Destinations[0], &d) == nil && d.CloudWatchLogsLogGroup != nil {
			l.LogGroupARN = d.CloudWatchLogsLogGroup.LogGroupArn
		}
	}
	return l
}

// apiLogging is what DescribeStateMachine shows of a machine's logging.
func apiLogging(l *engine.Logging) *loggingConfiguration {
	if l == nil {
		return loggingOff
	}
	dest, _ := json.Marshal(map[string]any{"cloudWatchLogsLogGroup": map[string]string{"logGroupArn": l.LogGroupARN}})
	return &loggingConfiguration{Level: ptr(l.Level), IncludeExecutionData: l.IncludeExecutionData, Destinations: []json.RawMessage{dest}}
}

func ptr[T any](v T) *T { return &v }

func checkLogging(v *violations, lc *loggingConfiguration) error {
	if lc == nil {
		return nil
	}
	v.enum(lc.Level, "loggingConfiguration.level", "ALL", "ERROR", "FATAL", "OFF")
	if err := v.err(); err != nil {
		return err
	}
	level := "OFF"
	if lc.Level != nil {
		level = *lc.Level
	}
	if level != "OFF" && len(lc.Destinations) != 1 {
		return apiErr("InvalidLoggingConfiguration", "Invalid Logging Configuration: Must specify exactly one Log Destination.")
	}
	if level != "OFF" && engineLogging(lc).LogGroupARN == "" {
		return apiErr("InvalidLoggingConfiguration", "Invalid Logging Configuration: Log Destination must have a cloudWatchLogsLogGroup with a logGroupArn.")
	}
	return nil
}

// definitionError formats a definition's diagnostics as AWS's
// InvalidDefinition message.
func definitionError(ds statelang.Diagnostics) *APIError {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.String()
	}
	return apiErr("InvalidDefinition", "Invalid State Machine Definition: '"+strings.Join(parts, ", ")+"'")
}

// machineError maps an engine error of an operation on the machine named
// by arn.
func machineError(err error, arn string) error {
	var ds statelang.Diagnostics
	switch {
	case errors.As(err, &ds):
		return definitionError(ds)
	case errors.Is(err, engine.ErrNotFound):
		return errStateMachineDoesNotExist(arn)
	case errors.Is(err, engine.ErrStateMachineExists):
		return errStateMachineAlreadyExists(arn)
	}
	return err
}

type createStateMachineInput struct {
	Name                 *string               `json:"name"`
	Definition           *string               `json:"definition"`
	RoleArn              *string               `json:"roleArn"`
	Type                 *string               `json:"type"`
	LoggingConfiguration *loggingConfiguration `json:"loggingConfiguration"`
	TracingConfiguration *tracingConfiguration `json:"tracingConfiguration"`
	Tags                 []tag                 `json:"tags"`
	Publish              bool                  `json:"publish"`
	VersionDescription   *string               `json:"versionDescription"`
}

type createStateMachineOutput struct {
	StateMachineArn        string `json:"stateMachineArn"`
	CreationDate           *epoch `json:"creationDate"`
	StateMachineVersionArn string `json:"stateMachineVersionArn,omitempty"`
}

// errDescriptionWithoutPublish is AWS's answer to a versionDescription
// without publish.
func errDescriptionWithoutPublish() *APIError {
	return apiErr("ValidationException", "Version description can only be set when publish is true")
}

func (h *handler) createStateMachine(ctx context.Context, in *createStateMachineInput) (*createStateMachineOutput, error) {
	var v violations
	v.length(in.Name, "name", 1, 80, true)
	v.length(in.Definition, "definition", 1, statelang.MaxDefinitionBytes, true)
	v.length(in.RoleArn, "roleArn", 1, 256, true)
	v.enum(in.Type, "type", "STANDARD", "EXPRESS")
	v.length(in.VersionDescription, "versionDescription", 0, 256, false)
	if err := v.err(); err != nil {
		return nil, err
	}
	if !validName(*in.Name) {
		return nil, errInvalidName(*in.Name)
	}
	if in.Type != nil && *in.Type == engine.TypeExpress {
		if ds := validateDefinition(*in.Definition, engine.TypeExpress); len(ds) > 0 {
			return nil, definitionError(ds)
		}
	}
	if err := checkLogging(&v, in.LoggingConfiguration); err != nil {
		return nil, err
	}
	if in.VersionDescription != nil && !in.Publish {
		return nil, errDescriptionWithoutPublish()
	}
	arn := h.stateMachineARN(*in.Name)
	if err := checkNewTags(arn, in.Tags); err != nil {
		return nil, err
	}
	// An idempotent create ignores its tags, as AWS does.
	_, err := h.eng.DescribeStateMachine(ctx, *in.Name, 0)
	existed := err == nil
	sm, err := h.eng.CreateStateMachineWith(ctx, engine.StateMachine{Name: *in.Name, Definition: *in.Definition, RoleARN: *in.RoleArn,
		Type: deref(in.Type), Logging: engineLogging(in.LoggingConfiguration)})
	if err != nil {
		return nil, machineError(err, arn)
	}
	if len(in.Tags) > 0 && !existed {
		if err := h.tag(ctx, sm.ARN, in.Tags); err != nil {
			return nil, err
		}
	}
	created, err := h.eng.StateMachineCreatedAt(ctx, sm.Name) // an idempotent create answers the first one's date
	if err != nil {
		return nil, machineError(err, arn)
	}
	out := &createStateMachineOutput{StateMachineArn: sm.ARN, CreationDate: timePtr(created)}
	if in.Publish {
		ver, err := h.eng.PublishStateMachineVersion(ctx, sm.Name, "", deref(in.VersionDescription))
		if err != nil {
			return nil, publishError(err, arn)
		}
		out.StateMachineVersionArn = h.eng.VersionARN(sm.Name, ver.Number)
	}
	return out, nil
}

type stateMachineArnInput struct {
	StateMachineArn *string `json:"stateMachineArn"`
	IncludedData    *string `json:"includedData"`
}

type describeStateMachineOutput struct {
	StateMachineArn      string                `json:"stateMachineArn"`
	Name                 string                `json:"name"`
	Status               string                `json:"status,omitempty"`
	Definition           string                `json:"definition"`
	RoleArn              string                `json:"roleArn"`
	Type                 string                `json:"type,omitempty"`
	CreationDate         *epoch                `json:"creationDate,omitempty"`
	UpdateDate           *epoch                `json:"updateDate,omitempty"`
	LoggingConfiguration *loggingConfiguration `json:"loggingConfiguration"`
	TracingConfiguration *tracingConfiguration `json:"tracingConfiguration"`
	RevisionID           string                `json:"revisionId,omitempty"`
	Description          string                `json:"description,omitempty"`
}

// describeStateMachine describes a machine at its latest revision, or one
// of its versions by version ARN.
// errMapStateMachineARN answers a Describe or DeleteStateMachine of the ARN
// of a distributed Map's children (`…:stateMachine:<machine>/<label>`):
// AWS's code, Stepwise's message (AWS's is not known here).
func errMapStateMachineARN(arn string) *APIError {
	return apiErr("ValidationException", "The state machine ARN refers to a Distributed Map state, not a state machine: "+arn)
}

func (h *handler) describeStateMachine(ctx context.Context, in *stateMachineArnInput) (*describeStateMachineOutput, error) {
	var v violations
	v.length(in.StateMachineArn, "stateMachineArn", 1, 256, true)
	v.enum(in.IncludedData, "includedData", "ALL_DATA", "METADATA_ONLY")
	if err := v.err(); err != nil {
		return nil, err
	}
	t, err := h.target(*in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	if strings.Contains(t.Name, "/") {
		return nil, errMapStateMachineARN(*in.StateMachineArn)
	}
	if t.Alias != "" {
		return nil, errStateMachineDoesNotExist(*in.StateMachineArn)
	}
	var sm engine.StateMachine
	var created time.Time
	description := ""
	if t.Version > 0 {
		var ver engine.Version
		sm, ver, err = h.eng.DescribeStateMachineVersion(ctx, t.Name, t.Version)
		created, description = ver.CreatedAt, ver.Description
	} else if sm, err = h.eng.DescribeStateMachine(ctx, t.Name, 0); err == nil {
		created, err = h.eng.StateMachineCreatedAt(ctx, t.Name)
	}
	if err != nil {
		return nil, machineError(err, *in.StateMachineArn)
	}
	out := &describeStateMachineOutput{
		StateMachineArn: *in.StateMachineArn, Name: sm.Name, Status: "ACTIVE", Definition: sm.Definition,
		RoleArn: sm.RoleARN, Type: engine.MachineType(sm.Type), CreationDate: timePtr(created), Description: description,
		LoggingConfiguration: apiLogging(sm.Logging), TracingConfiguration: tracingOff, RevisionID: engine.RevisionID(sm.Version),
	}
	if in.IncludedData != nil && *in.IncludedData == "METADATA_ONLY" {
		out.Definition = ""
	}
	return out, nil
}

type updateStateMachineInput struct {
	StateMachineArn      *string               `json:"stateMachineArn"`
	Definition           *string               `json:"definition"`
	RoleArn              *string               `json:"roleArn"`
	LoggingConfiguration *loggingConfiguration `json:"loggingConfiguration"`
	TracingConfiguration *tracingConfiguration `json:"tracingConfiguration"`
	Publish              bool                  `json:"publish"`
	VersionDescription   *string               `json:"versionDescription"`
}

type updateStateMachineOutput struct {
	UpdateDate             *epoch `json:"updateDate"`
	RevisionID             string `json:"revisionId,omitempty"`
	StateMachineVersionArn string `json:"stateMachineVersionArn,omitempty"`
}

// updateStateMachine makes a new revision when the definition or the role
// changes, and publishes it as a version when asked.
func (h *handler) updateStateMachine(ctx context.Context, in *updateStateMachineInput) (*updateStateMachineOutput, error) {
	var v violations
	v.length(in.StateMachineArn, "stateMachineArn", 1, 256, true)
	v.length(in.Definition, "definition", 1, statelang.MaxDefinitionBytes, false)
	v.length(in.RoleArn, "roleArn", 1, 256, false)
	v.length(in.VersionDescription, "versionDescription", 0, 256, false)
	if err := v.err(); err != nil {
		return nil, err
	}
	name, err := h.unqualified(*in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	if in.Definition == nil && in.RoleArn == nil && in.LoggingConfiguration == nil && in.TracingConfiguration == nil {
		return nil, apiErr("MissingRequiredParameter", "Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration must be specified")
	}
	if err := checkLogging(&v, in.LoggingConfiguration); err != nil {
		return nil, err
	}
	if in.VersionDescription != nil && !in.Publish {
		return nil, errDescriptionWithoutPublish()
	}
	if in.Definition != nil {
		// An EXPRESS machine's new definition keeps to the Express rules.
		cur, err := h.eng.DescribeStateMachine(ctx, name, 0)
		if err != nil {
			return nil, machineError(err, *in.StateMachineArn)
		}
		if cur.Type == engine.TypeExpress {
			if ds := validateDefinition(*in.Definition, engine.TypeExpress); len(ds) > 0 {
				return nil, definitionError(ds)
			}
		}
	}
	sm, ver, err := h.eng.ReviseStateMachine(ctx, engine.UpdateStateMachineInput{
		Name: name, Definition: in.Definition, RoleARN: in.RoleArn, Logging: engineLogging(in.LoggingConfiguration),
		Publish: in.Publish, VersionDescription: deref(in.VersionDescription),
	})
	if err != nil {
		return nil, publishError(err, *in.StateMachineArn)
	}
	out := &updateStateMachineOutput{UpdateDate: timePtr(sm.CreatedAt), RevisionID: engine.RevisionID(sm.Version)}
	if in.Publish {
		out.StateMachineVersionArn = h.eng.VersionARN(name, ver.Number)
	}
	return out, nil
}

type empty struct{}

func (h *handler) deleteStateMachine(ctx context.Context, in *stateMachineArnInput) (*empty, error) {
	var v violations
	v.length(in.StateMachineArn, "stateMachineArn", 1, 256, true)
	if err := v.err(); err != nil {
		return nil, err
	}
	a, err := parseARN(*in.StateMachineArn, "stateMachine")
	if err != nil {
		return nil, err
	}
	if strings.Contains(a.Name, "/") {
		return nil, errMapStateMachineARN(*in.StateMachineArn)
	}
	if !h.local(a) || a.Qualifier != "" {
		return &empty{}, nil // AWS: deleting what does not exist succeeds
	}
	if err := h.eng.DeleteStateMachine(ctx, a.Name); err != nil && !errors.Is(err, engine.ErrNotFound) {
		return nil, machineError(err, *in.StateMachineArn)
	}
	return &empty{}, nil
}

type pageInput struct {
	MaxResults *int    `json:"maxResults"`
	NextToken  *string `json:"nextToken"`
}

type stateMachineListItem struct {
	StateMachineArn string `json:"stateMachineArn"`
	Name            string `json:"name"`
	Type            string `json:"type"`
	CreationDate    *epoch `json:"creationDate"`
}

type listStateMachinesOutput struct {
	StateMachines []stateMachineListItem `json:"stateMachines"`
	NextToken     string                 `json:"nextToken,omitempty"`
}

func (h *handler) listStateMachines(ctx context.Context, in *pageInput) (*listStateMachinesOutput, error) {
	var v violations
	v.maxResults(in.MaxResults, "maxResults", 1000)
	v.length(in.NextToken, "nextToken", 1, 1024, false)
	if err := v.err(); err != nil {
		return nil, err
	}
	sms, next, err := h.eng.ListStateMachines(ctx, engine.ListStateMachinesInput{MaxResults: deref(in.MaxResults), NextToken: deref(in.NextToken)})
	if err != nil {
		return nil, pageError(err)
	}
	out := &listStateMachinesOutput{StateMachines: make([]stateMachineListItem, len(sms)), NextToken: next}
	for i, sm := range sms {
		out.StateMachines[i] = stateMachineListItem{StateMachineArn: sm.ARN, Name: sm.Name, Type: engine.MachineType(sm.Type), CreationDate: timePtr(sm.CreatedAt)}
	}
	return out, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// pageError maps a bad page token to InvalidToken.
func pageError(err error) error {
	if errors.Is(err, engine.ErrInvalidInput) {
		return errInvalidToken()
	}
	return err
}
