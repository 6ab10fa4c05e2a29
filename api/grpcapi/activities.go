package grpcapi

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	stepwisev1 "github.com/stepwise-dev/stepwise/api/gen/stepwise/v1"
	"github.com/stepwise-dev/stepwise/engine"
)

func toActivity(a engine.Activity) *stepwisev1.Activity {
	return &stepwisev1.Activity{Arn: a.ARN, Name: a.Name, Created: toTime(a.CreationDate)}
}

// CreateActivity implements stepwisev1.ActivityServiceServer.
func (s *Services) CreateActivity(ctx context.Context, r *stepwisev1.CreateActivityRequest) (*stepwisev1.CreateActivityResponse, error) {
	if err := engine.ValidName(r.GetName()); err != nil {
		return nil, Status(err)
	}
	a, err := s.eng.CreateActivity(ctx, r.GetName())
	if err != nil {
		return nil, Status(err)
	}
	return &stepwisev1.CreateActivityResponse{Activity: toActivity(a)}, nil
}

// DescribeActivity implements stepwisev1.ActivityServiceServer.
func (s *Services) DescribeActivity(ctx context.Context, r *stepwisev1.DescribeActivityRequest) (*stepwisev1.DescribeActivityResponse, error) {
	a, err := s.eng.DescribeActivity(ctx, r.GetArn())
	if err != nil {
		return nil, Status(err)
	}
	return &stepwisev1.DescribeActivityResponse{Activity: toActivity(a)}, nil
}

// ListActivities implements stepwisev1.ActivityServiceServer.
func (s *Services) ListActivities(ctx context.Context, r *stepwisev1.ListActivitiesRequest) (*stepwisev1.ListActivitiesResponse, error) {
	if r.GetPageSize() < 0 || r.GetPageSize() > 1000 {
		return nil, status.Error(codes.InvalidArgument, "page_size must be between 0 and 1000")
	}
	list, next, err := s.eng.ListActivities(ctx, int(r.GetPageSize()), r.GetPageToken())
	if err != nil {
		return nil, Status(err)
	}
	out := &stepwisev1.ListActivitiesResponse{NextPageToken: next}
	for _, a := range list {
		out.Activities = append(out.Activities, toActivity(a))
	}
	return out, nil
}

// DeleteActivity implements stepwisev1.ActivityServiceServer.
func (s *Services) DeleteActivity(ctx context.Context, r *stepwisev1.DeleteActivityRequest) (*stepwisev1.DeleteActivityResponse, error) {
	if err := s.eng.DeleteActivity(ctx, r.GetArn()); err != nil {
		return nil, Status(err)
	}
	return &stepwisev1.DeleteActivityResponse{}, nil
}

// GetActivityTask implements stepwisev1.ActivityServiceServer: a long poll
// of up to 60 s.
func (s *Services) GetActivityTask(ctx context.Context, r *stepwisev1.GetActivityTaskRequest) (*stepwisev1.GetActivityTaskResponse, error) {
	token, input, err := s.eng.GetActivityTask(ctx, r.GetArn(), r.GetWorkerName())
	if err != nil {
		return nil, Status(err)
	}
	return &stepwisev1.GetActivityTaskResponse{TaskToken: token, Input: input}, nil
}
