package grpcapi

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	stepwisev1 "github.com/stepwise-dev/stepwise/api/gen/stepwise/v1"
	"github.com/stepwise-dev/stepwise/engine"
)

var childKinds = map[stepwisev1.ChildKind]engine.ChildKind{
	stepwisev1.ChildKind_CHILD_KIND_UNSPECIFIED: engine.ChildrenAll,
	stepwisev1.ChildKind_CHILD_KIND_NESTED:      engine.ChildrenNested,
	stepwisev1.ChildKind_CHILD_KIND_MAP_RUN:     engine.ChildrenMapRun,
}

// ListChildExecutions implements stepwisev1.ExecutionServiceServer.
func (s *Services) ListChildExecutions(ctx context.Context, r *stepwisev1.ListChildExecutionsRequest) (*stepwisev1.ListChildExecutionsResponse, error) {
	if err := required("arn", r.GetArn()); err != nil {
		return nil, err
	}
	kind, ok := childKinds[r.GetKind()]
	if !ok {
		return nil, status.Errorf(codes.InvalidArgument, "kind %d is not a ChildKind", r.GetKind())
	}
	size, err := listSize(r.GetPageSize())
	if err != nil {
		return nil, err
	}
	cs, next, err := s.eng.ListChildExecutions(ctx, r.GetArn(), engine.ChildExecutionsInput{Kind: kind, MaxResults: size, NextToken: r.GetPageToken()})
	if err != nil {
		// A malformed ARN or page token: InvalidArgument, saying which.
		return nil, notFound(err, "execution "+quote(r.GetArn()))
	}
	out := &stepwisev1.ListChildExecutionsResponse{Executions: make([]*stepwisev1.Execution, 0, len(cs)), NextPageToken: next}
	for _, c := range cs {
		e := toExecution(c.Execution)
		e.ParentArn, e.MapRunArn = c.ParentARN, c.MapRunARN
		s.setRedriveStatus(e, c.Execution)
		out.Executions = append(out.Executions, e)
	}
	return out, nil
}
