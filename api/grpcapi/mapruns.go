package grpcapi

import (
	"context"
	"errors"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	stepwisev1 "github.com/stepwise-dev/stepwise/api/gen/stepwise/v1"
	"github.com/stepwise-dev/stepwise/engine"
)

// MapRunService: the Map Runs of distributed Map states, as the AWS
// endpoint serves them (api/awsjson/mapruns.go), in the stepwise.v1 shape.

var _ stepwisev1.MapRunServiceServer = (*Services)(nil)

var mapRunStatusToProto = map[string]stepwisev1.MapRunStatus{
	engine.MapRunRunning:   stepwisev1.MapRunStatus_MAP_RUN_STATUS_RUNNING,
	engine.MapRunSucceeded: stepwisev1.MapRunStatus_MAP_RUN_STATUS_SUCCEEDED,
	engine.MapRunFailed:    stepwisev1.MapRunStatus_MAP_RUN_STATUS_FAILED,
	engine.MapRunAborted:   stepwisev1.MapRunStatus_MAP_RUN_STATUS_ABORTED,
}

// toMapRun converts a Map Run; its counts when withCounts (the engine
// sets Children only when it describes one run).
func toMapRun(r engine.MapRun, withCounts bool) *stepwisev1.MapRun {
	machine := engine.MapRunMachine(r.ARN)
	out := &stepwisev1.MapRun{
		Arn: r.ARN, ExecutionArn: r.ExecutionARN, StateName: r.StateName, StateMachineName: machine,
		Label: machine[strings.LastIndexByte(machine, '/')+1:], Status: mapRunStatusToProto[r.Status],
		StartTime: toTime(r.StartDate), StopTime: toTime(r.StopDate), MaxConcurrency: r.MaxConcurrency,
		// -1 is "not set" in the engine; as AWS, 0 here.
		ToleratedFailurePercentage: max(r.ToleratedFailurePercentage, 0), ToleratedFailureCount: max(r.ToleratedFailureCount, 0),
		RedriveCount: r.RedriveCount, RedriveDate: toTime(r.RedriveDate),
	}
	if withCounts {
		n := r.Counts()
		c := &stepwisev1.MapRunCounts{Pending: n.Pending, Running: n.Running, Succeeded: n.Succeeded, Failed: n.Failed,
			TimedOut: n.TimedOut, Aborted: n.Aborted, Total: n.Total, ResultsWritten: r.ResultsWritten,
			PendingRedrive: n.PendingRedrive, FailuresNotRedrivable: n.FailuresNotRedrivable}
		out.ExecutionCounts, out.ItemCounts = c, c
	}
	return out
}

// describeMapRun returns the Map Run of arn, NotFound naming it when
// there is none.
func (s *Services) describeMapRun(ctx context.Context, arn string) (*stepwisev1.MapRun, error) {
	if err := required("arn", arn); err != nil {
		return nil, err
	}
	r, err := s.eng.DescribeMapRun(ctx, arn)
	if err != nil {
		return nil, notFound(err, "map run "+quote(arn))
	}
	return toMapRun(r, true), nil
}

// DescribeMapRun implements stepwisev1.MapRunServiceServer.
func (s *Services) DescribeMapRun(ctx context.Context, r *stepwisev1.DescribeMapRunRequest) (*stepwisev1.DescribeMapRunResponse, error) {
	run, err := s.describeMapRun(ctx, r.GetArn())
	if err != nil {
		return nil, err
	}
	return &stepwisev1.DescribeMapRunResponse{MapRun: run}, nil
}

// ListMapRuns implements stepwisev1.MapRunServiceServer.
func (s *Services) ListMapRuns(ctx context.Context, r *stepwisev1.ListMapRunsRequest) (*stepwisev1.ListMapRunsResponse, error) {
	if err := required("execution_arn", r.GetExecutionArn()); err != nil {
		return nil, err
	}
	size, err := listSize(r.GetPageSize())
	if err != nil {
		return nil, err
	}
	rs, next, err := s.eng.ListMapRuns(ctx, r.GetExecutionArn(), size, r.GetPageToken())
	if err != nil {
		return nil, notFound(err, "execution "+quote(r.GetExecutionArn()))
	}
	out := &stepwisev1.ListMapRunsResponse{MapRuns: make([]*stepwisev1.MapRun, 0, len(rs)), NextPageToken: next}
	for _, run := range rs {
		out.MapRuns = append(out.MapRuns, toMapRun(run, false))
	}
	return out, nil
}

// listSize reads the page size of a Map Run listing: 1 to 1000 (the
// engine's most), 0 is 100.
func listSize(n int32) (int, error) {
	if n < 0 || n > 1000 {
		return 0, status.Errorf(codes.InvalidArgument, "page_size must be from 0 to 1000, not %d", n)
	}
	if n == 0 {
		return 100, nil
	}
	return int(n), nil
}

// UpdateMapRun implements stepwisev1.MapRunServiceServer.
func (s *Services) UpdateMapRun(ctx context.Context, r *stepwisev1.UpdateMapRunRequest) (*stepwisev1.UpdateMapRunResponse, error) {
	if err := required("arn", r.GetArn()); err != nil {
		return nil, err
	}
	var bad []string
	if r.MaxConcurrency != nil && r.GetMaxConcurrency() < 0 {
		bad = append(bad, "max_concurrency must be at least 0")
	}
	if p := r.ToleratedFailurePercentage; p != nil && !(*p >= 0 && *p <= 100) { // NaN too
		bad = append(bad, "tolerated_failure_percentage must be from 0 to 100")
	}
	if r.ToleratedFailureCount != nil && r.GetToleratedFailureCount() < 0 {
		bad = append(bad, "tolerated_failure_count must be at least 0")
	}
	if r.MaxConcurrency == nil && r.ToleratedFailurePercentage == nil && r.ToleratedFailureCount == nil {
		bad = append(bad, "at least one of max_concurrency, tolerated_failure_percentage and tolerated_failure_count is required")
	}
	if len(bad) > 0 {
		return nil, status.Error(codes.InvalidArgument, strings.Join(bad, "; "))
	}
	err := s.eng.UpdateMapRun(ctx, r.GetArn(), engine.MapRunUpdate{MaxConcurrency: r.MaxConcurrency,
		ToleratedFailureCount: r.ToleratedFailureCount, ToleratedFailurePercentage: r.ToleratedFailurePercentage})
	if errors.Is(err, engine.ErrMapRunNotRunning) {
		return nil, status.Errorf(codes.FailedPrecondition, "map run %q is not running", r.GetArn())
	}
	if err != nil {
		return nil, notFound(err, "map run "+quote(r.GetArn()))
	}
	run, err := s.describeMapRun(ctx, r.GetArn())
	if err != nil {
		return nil, err
	}
	return &stepwisev1.UpdateMapRunResponse{MapRun: run}, nil
}

// ListMapRunExecutions implements stepwisev1.MapRunServiceServer.
func (s *Services) ListMapRunExecutions(ctx context.Context, r *stepwisev1.ListMapRunExecutionsRequest) (*stepwisev1.ListMapRunExecutionsResponse, error) {
	if err := required("arn", r.GetArn()); err != nil {
		return nil, err
	}
	size, err := listSize(r.GetPageSize())
	if err != nil {
		return nil, err
	}
	if _, err := s.eng.DescribeMapRun(ctx, r.GetArn()); err != nil {
		return nil, notFound(err, "map run "+quote(r.GetArn()))
	}
	xs, next, err := s.listExecutions(ctx, engine.ListExecutionsInput{MapRun: r.GetArn(), Status: StatusName(r.GetStatus()),
		MaxResults: size, NextToken: r.GetPageToken()}, r.GetFilter())
	if err != nil {
		return nil, notFound(err, "map run "+quote(r.GetArn()))
	}
	return &stepwisev1.ListMapRunExecutionsResponse{Executions: xs, NextPageToken: next}, nil
}
