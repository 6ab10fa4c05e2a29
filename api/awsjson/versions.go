package awsjson

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/stepwise-dev/stepwise/api/limits"
	"github.com/stepwise-dev/stepwise/engine"
)

// Published versions (arn:...:stateMachine:<name>:<number>) and aliases
// (arn:...:stateMachine:<name>:<alias>) of state machines. The engine's
// versions are AWS's revisions (revisionId); see engine/versions.go.

func errConflict(msg string) *APIError { return apiErr("ConflictException", msg) }

// errNoSuchResource is AWS's ResourceNotFound for an alias that does not
// exist.
func errNoSuchResource() *APIError {
	return apiErr("ResourceNotFound", "Request references a resource that does not exist.")
}

// machineTarget is a parsed state machine ARN of this server: the machine's
// name and, when qualified, a version number or an alias name.
type machineTarget struct {
	Name    string
	Version int    // > 0 for a version ARN
	Alias   string // for an alias ARN
}

// target parses a state machine ARN, unqualified or qualified by a version
// number or an alias name. An ARN of another region or account, or a
// qualifier that is neither, is StateMachineDoesNotExist.
func (h *handler) target(s string) (machineTarget, error) {
	a, err := parseARN(s, "stateMachine")
	if err != nil {
		return machineTarget{}, err
	}
	if !h.local(a) {
		return machineTarget{}, errStateMachineDoesNotExist(s)
	}
	t := machineTarget{Name: a.Name}
	if a.Qualifier == "" {
		return t, nil
	}
	if n, err := strconv.Atoi(a.Qualifier); err == nil && n > 0 && strconv.Itoa(n) == a.Qualifier {
		t.Version = n
		return t, nil
	}
	if !limits.AliasName.MatchString(a.Qualifier) {
		return machineTarget{}, errStateMachineDoesNotExist(s)
	}
	t.Alias = a.Qualifier
	return t, nil
}

// unqualified parses the ARN of a state machine itself; a qualified ARN is
// StateMachineDoesNotExist, as AWS answers.
func (h *handler) unqualified(s string) (string, error) {
	t, err := h.target(s)
	if err != nil {
		return "", err
	}
	if t.Version > 0 || t.Alias != "" {
		return "", errStateMachineDoesNotExist(s)
	}
	return t.Name, nil
}

// versionTarget parses a version ARN (InvalidArn for any other).
func (h *handler) versionTarget(s string) (machineTarget, error) {
	t, err := h.target(s)
	var ae *APIError
	if errors.As(err, &ae) && ae.Code == "StateMachineDoesNotExist" || err == nil && t.Version == 0 {
		return machineTarget{}, errInvalidArn("Invalid version ARN: " + s)
	}
	return t, err
}

// aliasTarget parses an alias ARN (InvalidArn for any other).
func (h *handler) aliasTarget(s string) (machineTarget, error) {
	t, err := h.target(s)
	var ae *APIError
	if errors.As(err, &ae) && ae.Code == "StateMachineDoesNotExist" || err == nil && t.Alias == "" {
		return machineTarget{}, errInvalidArn("Invalid alias ARN: " + s)
	}
	return t, err
}

// startTarget resolves the ARN StartExecution names: the machine, one of
// its versions, or an alias (which picks a version by weight).
func (h *handler) startTarget(ctx context.Context, arn string) (engine.StartExecutionInput, error) {
	t, err := h.target(arn)
	if err != nil {
		return engine.StartExecutionInput{}, err
	}
	q := t.Alias
	if t.Version > 0 {
		q = strconv.Itoa(t.Version)
	}
	in, err := h.eng.StartTarget(ctx, t.Name, q)
	if errors.Is(err, engine.ErrNotFound) {
		return in, errStateMachineDoesNotExist(arn)
	}
	return in, err
}

// routeARNs returns the version and alias ARNs an execution was started
// through ("" when none).
func (h *handler) routeARNs(ctx context.Context, x *engine.Execution) (versionARN, aliasARN string, err error) {
	n, alias, err := h.eng.ExecutionRoute(ctx, x)
	if err != nil {
		return "", "", err
	}
	if n > 0 {
		versionARN = h.eng.VersionARN(x.StateMachine, n)
	}
	if alias != "" {
		aliasARN = h.eng.AliasARN(x.StateMachine, alias)
	}
	return versionARN, aliasARN, nil
}

// routeFilter keeps the executions started through one version (directly
// or through an alias that picked it) or one alias.
type routeFilter struct {
	arn      string // the version or alias ARN
	revision int    // the version's revision; 0 for an alias
	machine  string // the machine's unqualified ARN
}

func (f routeFilter) Conditions() []engine.Condition { return nil }

func (f routeFilter) Match(x *engine.Execution) bool {
	if x.StateMachineARN == f.arn || f.revision == 0 {
		return x.StateMachineARN == f.arn
	}
	q, ok := strings.CutPrefix(x.StateMachineARN, f.machine+":")
	if !ok || x.StateMachineVersion != f.revision {
		return false
	}
	_, err := strconv.Atoi(q)
	return err != nil // started through an alias that picked this version
}

// executionFilter returns the filter ListExecutions applies for a version
// or alias ARN (nil for the machine's own).
func (h *handler) executionFilter(ctx context.Context, t machineTarget, arn string) (engine.ExecutionFilter, error) {
	switch {
	case t.Version > 0:
		_, v, err := h.eng.DescribeStateMachineVersion(ctx, t.Name, t.Version)
		if err != nil {
			return nil, machineError(err, arn)
		}
		return routeFilter{arn: arn, revision: v.Revision, machine: h.stateMachineARN(t.Name)}, nil
	case t.Alias != "":
		if _, err := h.eng.DescribeStateMachineAlias(ctx, t.Name, t.Alias); err != nil {
			return nil, machineError(err, arn)
		}
		return routeFilter{arn: arn, machine: h.stateMachineARN(t.Name)}, nil
	}
	return nil, nil
}

type publishInput struct {
	StateMachineArn *string `json:"stateMachineArn"`
	RevisionID      *string `json:"revisionId"`
	Description     *string `json:"description"`
}

type versionOutput struct {
	StateMachineVersionArn string `json:"stateMachineVersionArn"`
	CreationDate           *epoch `json:"creationDate"`
}

// publishError maps an error of publishing a version of the machine named
// by arn.
func publishError(err error, arn string) error {
	var rc *engine.RevisionConflictError
	if errors.As(err, &rc) {
		return errConflict("Failed to publish the State Machine version for revision " + rc.Requested +
			". The current State Machine revision is " + rc.Current + ".")
	}
	return machineError(err, arn)
}

func (h *handler) publishStateMachineVersion(ctx context.Context, in *publishInput) (*versionOutput, error) {
	var v violations
	v.length(in.StateMachineArn, "stateMachineArn", 1, 256, true)
	v.length(in.RevisionID, "revisionId", 0, 2048, false)
	v.length(in.Description, "description", 0, 256, false)
	if err := v.err(); err != nil {
		return nil, err
	}
	name, err := h.unqualified(*in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	ver, err := h.eng.PublishStateMachineVersion(ctx, name, deref(in.RevisionID), deref(in.Description))
	if err != nil {
		return nil, publishError(err, *in.StateMachineArn)
	}
	return &versionOutput{StateMachineVersionArn: h.eng.VersionARN(name, ver.Number), CreationDate: timePtr(ver.CreatedAt)}, nil
}

type listVersionsInput struct {
	StateMachineArn *string `json:"stateMachineArn"`
	MaxResults      *int    `json:"maxResults"`
	NextToken       *string `json:"nextToken"`
}

type listVersionsOutput struct {
	StateMachineVersions []versionOutput `json:"stateMachineVersions"`
	NextToken            string          `json:"nextToken,omitempty"`
}

// listTarget checks a listing's request and returns the machine's name.
func (h *handler) listTarget(in *listVersionsInput) (machineTarget, error) {
	var v violations
	v.length(in.StateMachineArn, "stateMachineArn", 1, 256, true)
	v.maxResults(in.MaxResults, "maxResults", 1000)
	v.length(in.NextToken, "nextToken", 1, 1024, false)
	if err := v.err(); err != nil {
		return machineTarget{}, err
	}
	return h.target(*in.StateMachineArn)
}

func (h *handler) listStateMachineVersions(ctx context.Context, in *listVersionsInput) (*listVersionsOutput, error) {
	t, err := h.listTarget(in)
	if err != nil {
		return nil, err
	}
	if t.Version > 0 || t.Alias != "" {
		return nil, errStateMachineDoesNotExist(*in.StateMachineArn)
	}
	name := t.Name
	out := &listVersionsOutput{StateMachineVersions: []versionOutput{}}
	vs, next, err := h.eng.ListStateMachineVersions(ctx, name, deref(in.MaxResults), deref(in.NextToken))
	switch {
	case errors.Is(err, engine.ErrNotFound):
		return out, nil // AWS lists no versions of a machine that does not exist
	case err != nil:
		return nil, pageError(err)
	}
	out.NextToken = next
	for _, ver := range vs {
		out.StateMachineVersions = append(out.StateMachineVersions, versionOutput{StateMachineVersionArn: h.eng.VersionARN(name, ver.Number), CreationDate: timePtr(ver.CreatedAt)})
	}
	return out, nil
}

type versionArnInput struct {
	StateMachineVersionArn *string `json:"stateMachineVersionArn"`
}

func (h *handler) deleteStateMachineVersion(ctx context.Context, in *versionArnInput) (*empty, error) {
	var v violations
	v.length(in.StateMachineVersionArn, "stateMachineVersionArn", 1, 256, true)
	if err := v.err(); err != nil {
		return nil, err
	}
	t, err := h.versionTarget(*in.StateMachineVersionArn)
	if err != nil {
		return nil, err
	}
	err = h.eng.DeleteStateMachineVersion(ctx, t.Name, t.Version)
	var inUse *engine.VersionInUseError
	if errors.As(err, &inUse) {
		return nil, errConflict("Version to be deleted must not be referenced by an alias. Current list of aliases referencing this version: [" +
			strings.Join(inUse.Aliases, ", ") + "]")
	}
	if err != nil {
		return nil, err
	}
	return &empty{}, nil
}

type routingItem struct {
	StateMachineVersionArn *string `json:"stateMachineVersionArn"`
	Weight                 *int    `json:"weight"`
}

// routes checks a routingConfiguration as AWS does and returns the
// machine it routes to and its routes.
func (h *handler) routes(items []routingItem, v *violations) (string, []engine.Route, error) {
	if items != nil && len(items) == 0 {
		v.add("[]", "routingConfiguration", "have length greater than or equal to 1")
	} else if len(items) > 2 {
		parts := make([]string, len(items))
		for i, it := range items {
			parts[i] = fmt.Sprintf("RoutingConfigurationListItem(stateMachineVersionArn=%s, weight=%d)", deref(it.StateMachineVersionArn), deref(it.Weight))
		}
		v.add("["+strings.Join(parts, ", ")+"]", "routingConfiguration", "have length less than or equal to 2")
	}
	for i, it := range items {
		field := "routingConfiguration." + strconv.Itoa(i+1) + ".member."
		v.length(it.StateMachineVersionArn, field+"stateMachineVersionArn", 1, 256, true)
		switch {
		case it.Weight == nil:
			v.add(nil, field+"weight", "not be null")
		case *it.Weight < 0:
			v.add(*it.Weight, field+"weight", "have value greater than or equal to 0")
		case *it.Weight > 100:
			v.add(*it.Weight, field+"weight", "have value less than or equal to 100")
		}
	}
	if err := v.err(); err != nil {
		return "", nil, err
	}
	arns := make([]string, len(items))
	weights := make([]string, len(items))
	sum := 0
	for i, it := range items {
		arns[i], weights[i] = *it.StateMachineVersionArn, strconv.Itoa(*it.Weight)
		sum += *it.Weight
	}
	received := "[" + strings.Join(arns, ", ") + "]"
	machine := ""
	rs := make([]engine.Route, len(items))
	for i, it := range items {
		t, err := h.target(arns[i])
		if err != nil || t.Version == 0 {
			return "", nil, apiErr("ValidationException", "Routing configuration must contain state machine version ARNs. Received: "+received)
		}
		if machine != "" && t.Name != machine {
			return "", nil, apiErr("ValidationException", "Routing configuration must contain versions of one state machine. Received: "+received)
		}
		machine = t.Name
		rs[i] = engine.Route{Version: t.Version, Weight: *it.Weight}
	}
	if len(rs) == 2 && rs[0].Version == rs[1].Version {
		return "", nil, apiErr("ValidationException", "Routing configuration must contain distinct state machine version ARNs. Received: "+received)
	}
	if sum != 100 {
		return "", nil, apiErr("ValidationException", "Sum of routing configuration weights must equal 100. Received: ["+strings.Join(weights, ", ")+"]")
	}
	return machine, rs, nil
}

type createAliasInput struct {
	Name                 *string       `json:"name"`
	Description          *string       `json:"description"`
	RoutingConfiguration []routingItem `json:"routingConfiguration"`
}

type aliasOutput struct {
	StateMachineAliasArn string `json:"stateMachineAliasArn"`
	CreationDate         *epoch `json:"creationDate"`
}

func (h *handler) createStateMachineAlias(ctx context.Context, in *createAliasInput) (*aliasOutput, error) {
	var v violations
	v.length(in.Name, "name", 1, 80, true)
	if in.Name != nil && utf8.RuneCountInString(*in.Name) <= 80 && *in.Name != "" && !limits.AliasName.MatchString(*in.Name) {
		v.add(*in.Name, "name", `satisfy regular expression pattern: ^(?=.*[a-zA-Z_\-\.])[a-zA-Z0-9_\-\.]+$`)
	}
	v.length(in.Description, "description", 0, 256, false)
	if in.RoutingConfiguration == nil {
		v.add(nil, "routingConfiguration", "not be null")
	}
	machine, routes, err := h.routes(in.RoutingConfiguration, &v)
	if err != nil {
		return nil, err
	}
	a, err := h.eng.CreateStateMachineAlias(ctx, engine.Alias{StateMachine: machine, Name: *in.Name, Description: deref(in.Description), Routes: routes})
	switch {
	case errors.Is(err, engine.ErrConflict):
		return nil, errConflict("Failed to create alias because an alias with the same name and a different routing configuration already exists.")
	case errors.Is(err, engine.ErrNotFound):
		return nil, errResourceNotFound(*in.RoutingConfiguration[0].StateMachineVersionArn)
	case err != nil:
		return nil, err
	}
	return &aliasOutput{StateMachineAliasArn: h.eng.AliasARN(machine, a.Name), CreationDate: timePtr(a.CreatedAt)}, nil
}

type aliasArnInput struct {
	StateMachineAliasArn *string `json:"stateMachineAliasArn"`
}

func (h *handler) aliasRef(in *aliasArnInput) (machineTarget, error) {
	var v violations
	v.length(in.StateMachineAliasArn, "stateMachineAliasArn", 1, 256, true)
	if err := v.err(); err != nil {
		return machineTarget{}, err
	}
	return h.aliasTarget(*in.StateMachineAliasArn)
}

type routingOutput struct {
	StateMachineVersionArn string `json:"stateMachineVersionArn"`
	Weight                 int    `json:"weight"`
}

type describeAliasOutput struct {
	StateMachineAliasArn string          `json:"stateMachineAliasArn"`
	Name                 string          `json:"name"`
	Description          string          `json:"description,omitempty"`
	RoutingConfiguration []routingOutput `json:"routingConfiguration"`
	CreationDate         *epoch          `json:"creationDate"`
	UpdateDate           *epoch          `json:"updateDate"`
}

func (h *handler) describeStateMachineAlias(ctx context.Context, in *aliasArnInput) (*describeAliasOutput, error) {
	t, err := h.aliasRef(in)
	if err != nil {
		return nil, err
	}
	a, err := h.eng.DescribeStateMachineAlias(ctx, t.Name, t.Alias)
	if errors.Is(err, engine.ErrNotFound) {
		return nil, errNoSuchResource()
	}
	if err != nil {
		return nil, err
	}
	out := &describeAliasOutput{StateMachineAliasArn: *in.StateMachineAliasArn, Name: a.Name, Description: a.Description,
		CreationDate: timePtr(a.CreatedAt), UpdateDate: timePtr(a.UpdatedAt)}
	for _, r := range a.Routes {
		out.RoutingConfiguration = append(out.RoutingConfiguration, routingOutput{StateMachineVersionArn: h.eng.VersionARN(t.Name, r.Version), Weight: r.Weight})
	}
	return out, nil
}

type updateAliasInput struct {
	StateMachineAliasArn *string       `json:"stateMachineAliasArn"`
	Description          *string       `json:"description"`
	RoutingConfiguration []routingItem `json:"routingConfiguration"`
}

type updateAliasOutput struct {
	UpdateDate *epoch `json:"updateDate"`
}

func (h *handler) updateStateMachineAlias(ctx context.Context, in *updateAliasInput) (*updateAliasOutput, error) {
	var v violations
	v.length(in.StateMachineAliasArn, "stateMachineAliasArn", 1, 256, true)
	v.length(in.Description, "description", 0, 256, false)
	var routes []engine.Route
	if in.RoutingConfiguration != nil {
		machine, rs, err := h.routes(in.RoutingConfiguration, &v)
		if err != nil {
			return nil, err
		}
		t, err := h.aliasTarget(*in.StateMachineAliasArn)
		if err != nil {
			return nil, err
		}
		if machine != t.Name {
			return nil, apiErr("ValidationException", "Routing configuration must contain versions of the alias's state machine")
		}
		routes = rs
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	t, err := h.aliasTarget(*in.StateMachineAliasArn)
	if err != nil {
		return nil, err
	}
	if in.Description == nil && in.RoutingConfiguration == nil {
		return nil, apiErr("ValidationException", "Either the description or the routing configuration must be specified")
	}
	a, err := h.eng.UpdateStateMachineAlias(ctx, t.Name, t.Alias, in.Description, routes)
	if errors.Is(err, engine.ErrNotFound) {
		return nil, errNoSuchResource()
	}
	if err != nil {
		return nil, err
	}
	return &updateAliasOutput{UpdateDate: timePtr(a.UpdatedAt)}, nil
}

func (h *handler) deleteStateMachineAlias(ctx context.Context, in *aliasArnInput) (*empty, error) {
	t, err := h.aliasRef(in)
	if err != nil {
		return nil, err
	}
	if err := h.eng.DeleteStateMachineAlias(ctx, t.Name, t.Alias); err != nil {
		return nil, err
	}
	return &empty{}, nil
}

type listAliasesOutput struct {
	StateMachineAliases []aliasOutput `json:"stateMachineAliases"`
	NextToken           string        `json:"nextToken,omitempty"`
}

// aliasesRoutingTo is a page of machine's aliases, only those that route
// to version when it is not 0 (AWS lists them for a version ARN). The
// engine's pages are asked no larger than what is still wanted, so that
// its next token is always the right one.
func (h *handler) aliasesRoutingTo(ctx context.Context, machine string, version, maxResults int, token string) ([]engine.Alias, string, error) {
	if version == 0 {
		return h.eng.ListStateMachineAliases(ctx, machine, maxResults, token)
	}
	if maxResults <= 0 {
		maxResults = 1000 // as the engine's pages
	}
	var out []engine.Alias
	for {
		as, next, err := h.eng.ListStateMachineAliases(ctx, machine, maxResults-len(out), token)
		if err != nil {
			return nil, "", err
		}
		for _, a := range as {
			if slices.ContainsFunc(a.Routes, func(r engine.Route) bool { return r.Version == version }) {
				out = append(out, a)
			}
		}
		if token = next; next == "" || len(out) == maxResults {
			return out, next, nil
		}
	}
}

func (h *handler) listStateMachineAliases(ctx context.Context, in *listVersionsInput) (*listAliasesOutput, error) {
	t, err := h.listTarget(in)
	if err != nil {
		return nil, err
	}
	if t.Alias != "" {
		return nil, errStateMachineDoesNotExist(*in.StateMachineArn)
	}
	name := t.Name
	as, next, err := h.aliasesRoutingTo(ctx, name, t.Version, deref(in.MaxResults), deref(in.NextToken))
	switch {
	case errors.Is(err, engine.ErrNotFound):
		return nil, errResourceNotFound(*in.StateMachineArn)
	case err != nil:
		return nil, pageError(err)
	}
	out := &listAliasesOutput{StateMachineAliases: []aliasOutput{}, NextToken: next}
	for _, a := range as {
		out.StateMachineAliases = append(out.StateMachineAliases, aliasOutput{StateMachineAliasArn: h.eng.AliasARN(name, a.Name), CreationDate: timePtr(a.CreatedAt)})
	}
	return out, nil
}
