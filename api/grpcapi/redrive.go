package grpcapi

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	stepwisev1 "github.com/stepwise-dev/stepwise/api/gen/stepwise/v1"
	"github.com/stepwise-dev/stepwise/engine"
)

// RedriveExecution (engine/redrive.go) and the redrive status of
// DescribeExecution and ListExecutions.

var redriveToProto = map[string]stepwisev1.RedriveStatus{
	engine.RedriveRedrivable:      stepwisev1.RedriveStatus_REDRIVE_STATUS_REDRIVABLE,
	engine.RedriveNotRedrivable:   stepwisev1.RedriveStatus_REDRIVE_STATUS_NOT_REDRIVABLE,
	engine.RedriveRedrivableByRun: stepwisev1.RedriveStatus_REDRIVE_STATUS_REDRIVABLE_BY_MAP_RUN,
}

// maxClientToken is the longest client token, as on AWS.
const maxClientToken = 64

// describe is an execution as DescribeExecution answers it: with its
// parent, its Map Run and its redrive status.
func (s *Services) describe(ctx context.Context, x *engine.Execution) (*stepwisev1.Execution, error) {
	out := toExecution(x)
	var err error
	out.ParentArn, out.MapRunArn, err = s.eng.ParentOf(ctx, x)
	if err != nil && !errors.Is(err, engine.ErrNotFound) {
		return nil, Status(err)
	}
	st, reason, err := s.eng.ExecutionRedriveStatus(ctx, x)
	if err != nil {
		return nil, Status(err)
	}
	out.RedriveStatus, out.RedriveStatusReason = redriveToProto[st], reason
	return out, nil
}

// setRedriveStatus sets out's redrive status and reason from x's, as a
// listing shows them (without the store's check of a deleted machine).
func (s *Services) setRedriveStatus(out *stepwisev1.Execution, x *engine.Execution) {
	st, reason := s.eng.RedriveStatus(x)
	out.RedriveStatus, out.RedriveStatusReason = redriveToProto[st], reason
}

// RedriveExecution implements stepwisev1.ExecutionServiceServer.
func (s *Services) RedriveExecution(ctx context.Context, r *stepwisev1.RedriveExecutionRequest) (*stepwisev1.RedriveExecutionResponse, error) {
	if err := required("arn", r.GetArn()); err != nil {
		return nil, err
	}
	if len(r.GetClientToken()) > maxClientToken {
		return nil, status.Errorf(codes.InvalidArgument, "client_token is longer than %d characters", maxClientToken)
	}
	if engine.IsExpressARN(r.GetArn()) {
		return nil, Status(fmt.Errorf("redrive %s: %w", r.GetArn(), engine.ErrExpressARN))
	}
	if _, err := s.eng.RedriveExecution(ctx, r.GetArn(), r.GetClientToken()); err != nil {
		return nil, notFound(err, "execution "+quote(r.GetArn()))
	}
	d, err := s.DescribeExecution(ctx, &stepwisev1.DescribeExecutionRequest{Arn: r.GetArn()})
	if err != nil {
		return nil, err
	}
	return &stepwisev1.RedriveExecutionResponse{Execution: d.GetExecution()}, nil
}
