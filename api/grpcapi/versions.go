package grpcapi

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	stepwisev1 "github.com/stepwise-dev/stepwise/api/gen/stepwise/v1"
	"github.com/stepwise-dev/stepwise/api/limits"
	"github.com/stepwise-dev/stepwise/engine"
)

// Published versions and aliases of state machines (engine/versions.go),
// as the AWS endpoint serves them (api/awsjson/versions.go), in the
// stepwise.v1 shape: machines by name, versions by number. The lengths of
// descriptions are checked with every other field's (package limits); an
// alias's name and routing here, as AWS checks them.

func (s *Services) toVersion(v engine.Version) *stepwisev1.StateMachineVersion {
	return &stepwisev1.StateMachineVersion{StateMachineName: v.StateMachine, Number: int32(v.Number), Arn: s.eng.VersionARN(v.StateMachine, v.Number),
		Revision: int32(v.Revision), Description: v.Description, RoleArn: v.RoleARN, Created: toTime(v.CreatedAt)}
}

func (s *Services) toAlias(a engine.Alias) *stepwisev1.StateMachineAlias {
	out := &stepwisev1.StateMachineAlias{StateMachineName: a.StateMachine, Name: a.Name, Arn: s.eng.AliasARN(a.StateMachine, a.Name),
		Description: a.Description, Created: toTime(a.CreatedAt), Updated: toTime(a.UpdatedAt)}
	for _, r := range a.Routes {
		out.Routing = append(out.Routing, &stepwisev1.AliasRoute{Version: int32(r.Version), Weight: int32(r.Weight),
			VersionArn: s.eng.VersionARN(a.StateMachine, r.Version)})
	}
	return out
}

// startInput resolves the state_machine_name of StartExecution and
// StartSyncExecution: a machine's name, or "<machine>:<N>" (version N) or
// "<machine>:<alias>" (which picks one of its versions by weight).
func (s *Services) startInput(ctx context.Context, name string) (engine.StartExecutionInput, error) {
	machine, qualifier, ok := strings.Cut(name, ":")
	if !ok {
		return engine.StartExecutionInput{StateMachine: name}, nil
	}
	in, err := s.eng.StartTarget(ctx, machine, qualifier)
	if err == nil && qualifier == "" {
		err = engine.ErrNotFound // "<machine>:" names nothing
	}
	if err != nil {
		return in, notFound(err, "state machine "+quote(name))
	}
	return in, nil
}

// PublishStateMachineVersion implements stepwisev1.StateMachineServiceServer.
func (s *Services) PublishStateMachineVersion(ctx context.Context, r *stepwisev1.PublishStateMachineVersionRequest) (*stepwisev1.PublishStateMachineVersionResponse, error) {
	if err := required("name", r.GetName()); err != nil {
		return nil, err
	}
	if r.GetRevision() < 0 {
		return nil, status.Error(codes.InvalidArgument, "revision must not be negative")
	}
	revision := ""
	if r.GetRevision() > 0 {
		revision = engine.RevisionID(int(r.GetRevision()))
	}
	v, err := s.eng.PublishStateMachineVersion(ctx, r.GetName(), revision, r.GetDescription())
	var rc *engine.RevisionConflictError
	if errors.As(err, &rc) {
		return nil, status.Errorf(codes.Aborted, "revision %s of state machine %q is not its latest (%s): nothing was published", rc.Requested, r.GetName(), rc.Current)
	}
	if err != nil {
		return nil, notFound(err, "state machine "+quote(r.GetName()))
	}
	return &stepwisev1.PublishStateMachineVersionResponse{Version: s.toVersion(v)}, nil
}

// ListStateMachineVersions implements stepwisev1.StateMachineServiceServer.
func (s *Services) ListStateMachineVersions(ctx context.Context, r *stepwisev1.ListStateMachineVersionsRequest) (*stepwisev1.ListStateMachineVersionsResponse, error) {
	size, err := listSize(r.GetPageSize())
	if err != nil {
		return nil, err
	}
	vs, next, err := s.eng.ListStateMachineVersions(ctx, r.GetName(), size, r.GetPageToken())
	if err != nil {
		return nil, notFound(err, "state machine "+quote(r.GetName()))
	}
	out := &stepwisev1.ListStateMachineVersionsResponse{Versions: make([]*stepwisev1.StateMachineVersion, 0, len(vs)), NextPageToken: next}
	for _, v := range vs {
		out.Versions = append(out.Versions, s.toVersion(v))
	}
	return out, nil
}

// versionName names a version in messages.
func versionName(machine string, number int32) string {
	return fmt.Sprintf("version %d of state machine %q", number, machine)
}

// DescribeStateMachineVersion implements stepwisev1.StateMachineServiceServer.
func (s *Services) DescribeStateMachineVersion(ctx context.Context, r *stepwisev1.DescribeStateMachineVersionRequest) (*stepwisev1.DescribeStateMachineVersionResponse, error) {
	sm, v, err := s.eng.DescribeStateMachineVersion(ctx, r.GetName(), int(r.GetNumber()))
	if err != nil {
		return nil, notFound(err, versionName(r.GetName(), r.GetNumber()))
	}
	return &stepwisev1.DescribeStateMachineVersionResponse{Version: s.toVersion(v), StateMachine: toStateMachine(sm)}, nil
}

// describePublished is DescribeStateMachine of "<machine>:<number>": the
// published version's revision, as AWS describes a version ARN.
func (s *Services) describePublished(ctx context.Context, machine, number string, revision int32) (*stepwisev1.DescribeStateMachineResponse, error) {
	n, err := strconv.ParseInt(number, 10, 32)
	if err != nil || n <= 0 || revision != 0 {
		return nil, status.Errorf(codes.InvalidArgument, "name %q: a machine's name, or <machine>:<version number> without a version", machine+":"+number)
	}
	sm, _, err := s.eng.DescribeStateMachineVersion(ctx, machine, int(n))
	if err != nil {
		return nil, notFound(err, versionName(machine, int32(n)))
	}
	return &stepwisev1.DescribeStateMachineResponse{StateMachine: toStateMachine(sm)}, nil
}

// DeleteStateMachineVersion implements stepwisev1.StateMachineServiceServer.
func (s *Services) DeleteStateMachineVersion(ctx context.Context, r *stepwisev1.DeleteStateMachineVersionRequest) (*stepwisev1.DeleteStateMachineVersionResponse, error) {
	if r.GetNumber() <= 0 {
		return nil, status.Error(codes.InvalidArgument, "number must be at least 1")
	}
	err := s.eng.DeleteStateMachineVersion(ctx, r.GetName(), int(r.GetNumber()))
	var inUse *engine.VersionInUseError
	if errors.As(err, &inUse) {
		return nil, status.Errorf(codes.FailedPrecondition, "%s is routed to by aliases %s: update or delete them first",
			versionName(r.GetName(), r.GetNumber()), strings.Join(inUse.Aliases, ", "))
	}
	if err != nil {
		return nil, Status(err)
	}
	return &stepwisev1.DeleteStateMachineVersionResponse{}, nil
}

// routes checks an alias's routing as AWS does (one or two distinct
// versions, weights from 0 to 100 summing to 100), every problem at once.
func routes(rs []*stepwisev1.AliasRoute) ([]engine.Route, []string) {
	var bad []string
	if len(rs) == 0 || len(rs) > limits.AliasRoutes {
		bad = append(bad, fmt.Sprintf("routing must have 1 or %d routes, not %d", limits.AliasRoutes, len(rs)))
	}
	out := make([]engine.Route, len(rs))
	sum := 0
	for i, r := range rs {
		if r.GetVersion() <= 0 {
			bad = append(bad, fmt.Sprintf("routing[%d].version must be at least 1", i))
		}
		if r.GetWeight() < 0 || r.GetWeight() > 100 {
			bad = append(bad, fmt.Sprintf("routing[%d].weight must be from 0 to 100", i))
		}
		if i > 0 && r.GetVersion() == rs[0].GetVersion() {
			bad = append(bad, "routing must name distinct versions")
		}
		sum += int(r.GetWeight())
		out[i] = engine.Route{Version: int(r.GetVersion()), Weight: int(r.GetWeight())}
	}
	if len(rs) > 0 && sum != 100 {
		bad = append(bad, fmt.Sprintf("routing weights must sum to 100, not %d", sum))
	}
	return out, bad
}

// invalid is InvalidArgument with every problem, or nil when there is none.
func invalid(bad []string) error {
	if len(bad) == 0 {
		return nil
	}
	return status.Error(codes.InvalidArgument, strings.Join(bad, "; "))
}

// aliasName names an alias in messages.
func aliasName(machine, name string) string {
	return fmt.Sprintf("alias %q of state machine %q", name, machine)
}

// routesNotFound says what an alias's routing names that does not exist:
// the machine, or one of the versions.
func (s *Services) routesNotFound(ctx context.Context, machine string, rs []engine.Route) error {
	for _, r := range rs {
		if _, _, err := s.eng.DescribeStateMachineVersion(ctx, machine, r.Version); err != nil {
			return notFound(err, versionName(machine, int32(r.Version)))
		}
	}
	return status.Errorf(codes.NotFound, "state machine %q does not exist", machine)
}

// CreateStateMachineAlias implements stepwisev1.StateMachineServiceServer.
func (s *Services) CreateStateMachineAlias(ctx context.Context, r *stepwisev1.CreateStateMachineAliasRequest) (*stepwisev1.CreateStateMachineAliasResponse, error) {
	rs, bad := routes(r.GetRouting())
	if n := utf8.RuneCountInString(r.GetName()); n == 0 || n > limits.AliasNameChars || !limits.AliasName.MatchString(r.GetName()) {
		bad = append([]string{fmt.Sprintf("name must be 1 to %d letters, digits, '_', '.' or '-', not only digits", limits.AliasNameChars)}, bad...)
	}
	if r.GetStateMachineName() == "" {
		bad = append([]string{"state_machine_name is required"}, bad...)
	}
	if err := invalid(bad); err != nil {
		return nil, err
	}
	a, err := s.eng.CreateStateMachineAlias(ctx, engine.Alias{StateMachine: r.GetStateMachineName(), Name: r.GetName(),
		Description: r.GetDescription(), Routes: rs})
	switch {
	case errors.Is(err, engine.ErrConflict):
		return nil, status.Errorf(codes.AlreadyExists, "%s already exists with another description or routing", aliasName(r.GetStateMachineName(), r.GetName()))
	case errors.Is(err, engine.ErrNotFound):
		return nil, s.routesNotFound(ctx, r.GetStateMachineName(), rs)
	case err != nil:
		return nil, Status(err)
	}
	return &stepwisev1.CreateStateMachineAliasResponse{Alias: s.toAlias(a)}, nil
}

// DescribeStateMachineAlias implements stepwisev1.StateMachineServiceServer.
func (s *Services) DescribeStateMachineAlias(ctx context.Context, r *stepwisev1.DescribeStateMachineAliasRequest) (*stepwisev1.DescribeStateMachineAliasResponse, error) {
	a, err := s.eng.DescribeStateMachineAlias(ctx, r.GetStateMachineName(), r.GetName())
	if err != nil {
		return nil, notFound(err, aliasName(r.GetStateMachineName(), r.GetName()))
	}
	return &stepwisev1.DescribeStateMachineAliasResponse{Alias: s.toAlias(a)}, nil
}

// UpdateStateMachineAlias implements stepwisev1.StateMachineServiceServer.
func (s *Services) UpdateStateMachineAlias(ctx context.Context, r *stepwisev1.UpdateStateMachineAliasRequest) (*stepwisev1.UpdateStateMachineAliasResponse, error) {
	var rs []engine.Route
	var bad []string
	if len(r.GetRouting()) > 0 {
		rs, bad = routes(r.GetRouting())
	} else if r.Description == nil {
		bad = append(bad, "description or routing is required")
	}
	if err := invalid(bad); err != nil {
		return nil, err
	}
	a, err := s.eng.UpdateStateMachineAlias(ctx, r.GetStateMachineName(), r.GetName(), r.Description, rs)
	if errors.Is(err, engine.ErrNotFound) {
		if _, aerr := s.eng.DescribeStateMachineAlias(ctx, r.GetStateMachineName(), r.GetName()); aerr != nil {
			return nil, notFound(aerr, aliasName(r.GetStateMachineName(), r.GetName()))
		}
		return nil, s.routesNotFound(ctx, r.GetStateMachineName(), rs)
	}
	if err != nil {
		return nil, Status(err)
	}
	return &stepwisev1.UpdateStateMachineAliasResponse{Alias: s.toAlias(a)}, nil
}

// ListStateMachineAliases implements stepwisev1.StateMachineServiceServer.
func (s *Services) ListStateMachineAliases(ctx context.Context, r *stepwisev1.ListStateMachineAliasesRequest) (*stepwisev1.ListStateMachineAliasesResponse, error) {
	size, err := listSize(r.GetPageSize())
	if err != nil {
		return nil, err
	}
	as, next, err := s.eng.ListStateMachineAliases(ctx, r.GetStateMachineName(), size, r.GetPageToken())
	if err != nil {
		return nil, notFound(err, "state machine "+quote(r.GetStateMachineName()))
	}
	out := &stepwisev1.ListStateMachineAliasesResponse{Aliases: make([]*stepwisev1.StateMachineAlias, 0, len(as)), NextPageToken: next}
	for _, a := range as {
		out.Aliases = append(out.Aliases, s.toAlias(a))
	}
	return out, nil
}

// DeleteStateMachineAlias implements stepwisev1.StateMachineServiceServer.
func (s *Services) DeleteStateMachineAlias(ctx context.Context, r *stepwisev1.DeleteStateMachineAliasRequest) (*stepwisev1.DeleteStateMachineAliasResponse, error) {
	if err := s.eng.DeleteStateMachineAlias(ctx, r.GetStateMachineName(), r.GetName()); err != nil {
		return nil, Status(err)
	}
	return &stepwisev1.DeleteStateMachineAliasResponse{}, nil
}
