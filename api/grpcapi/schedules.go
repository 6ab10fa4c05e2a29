package grpcapi

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	stepwisev1 "github.com/stepwise-dev/stepwise/api/gen/stepwise/v1"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/schedule"
)

// Schedules implements stepwisev1.ScheduleService over schedule.Service:
// the same schedules as the EventBridge Scheduler endpoint (api/scheduler).
type Schedules struct {
	stepwisev1.UnimplementedScheduleServiceServer

	svc             *schedule.Service // nil: the store keeps no schedules
	region, account string
}

var _ stepwisev1.ScheduleServiceServer = (*Schedules)(nil)

// NewSchedules returns the schedule service over svc (nil: every call is
// Unimplemented), with ARNs in region and account.
func NewSchedules(svc *schedule.Service, region, account string) *Schedules {
	return &Schedules{svc: svc, region: region, account: account}
}

// Register registers the service on a gRPC server.
func (s *Schedules) Register(g *grpc.Server) { stepwisev1.RegisterScheduleServiceServer(g, s) }

// RegisterGateway registers the service on a grpc-gateway mux.
func (s *Schedules) RegisterGateway(ctx context.Context, mux *runtime.ServeMux) error {
	return stepwisev1.RegisterScheduleServiceHandlerServer(ctx, mux, s)
}

func (s *Schedules) ready() error {
	if s.svc == nil {
		return status.Error(codes.Unimplemented, "this server's store keeps no schedules")
	}
	return nil
}

// scheduleStatus maps a schedule error: a taken name is AlreadyExists.
func scheduleStatus(err error, what string) error {
	switch {
	case errors.Is(err, engine.ErrConflict):
		return status.Error(codes.AlreadyExists, what+" already exists")
	case errors.Is(err, engine.ErrInvalidInput):
		return status.Error(codes.InvalidArgument, strings.TrimPrefix(err.Error(), engine.ErrInvalidInput.Error()+": "))
	}
	return notFound(err, what)
}

func orDefault(group string) string {
	if group == "" {
		return schedule.DefaultGroup
	}
	return group
}

var stateToProto = map[string]stepwisev1.ScheduleState{
	schedule.Enabled: stepwisev1.ScheduleState_SCHEDULE_STATE_ENABLED, schedule.Disabled: stepwisev1.ScheduleState_SCHEDULE_STATE_DISABLED,
}

func stateName(s stepwisev1.ScheduleState) string {
	for name, v := range stateToProto {
		if v == s {
			return name
		}
	}
	return ""
}

func fromTime(field string, t *stepwisev1.Time) (time.Time, error) {
	if t.GetRfc3339() == "" {
		return time.Time{}, nil
	}
	v, err := time.Parse(time.RFC3339Nano, t.GetRfc3339())
	if err != nil {
		return time.Time{}, status.Errorf(codes.InvalidArgument, "%s: %q is not an RFC 3339 time", field, t.GetRfc3339())
	}
	return v, nil
}

func optTime(t time.Time) *stepwisev1.Time {
	if t.IsZero() {
		return nil
	}
	return toTime(t)
}

func (s *Schedules) toProto(sc schedule.Schedule) *stepwisev1.Schedule {
	return &stepwisev1.Schedule{
		Arn: sc.ARN(s.region, s.account), Name: sc.Name, Group: sc.Group, Description: sc.Description,
		Expression: sc.Expression, Timezone: sc.Timezone, StartDate: optTime(sc.StartDate), EndDate: optTime(sc.EndDate),
		State: stateToProto[sc.State], FlexibleWindowMinutes: int32(sc.Window.MaximumWindowInMinutes),
		Target: &stepwisev1.ScheduleTarget{Arn: sc.Target.Arn, RoleArn: sc.Target.RoleArn, Input: sc.Target.Input,
			MaximumEventAgeSeconds: int32(sc.Target.RetryPolicy.MaximumEventAgeInSeconds),
			MaximumRetryAttempts:   int32(sc.Target.RetryPolicy.MaximumRetryAttempts)},
		CatchUp: sc.CatchUp, ActionAfterCompletion: sc.ActionAfterCompletion,
		Created: optTime(sc.Created), Modified: optTime(sc.Modified),
	}
}

func fromProto(p *stepwisev1.Schedule) (schedule.Schedule, error) {
	if p == nil {
		return schedule.Schedule{}, status.Error(codes.InvalidArgument, "schedule is required")
	}
	sc := schedule.Schedule{Name: p.GetName(), Group: orDefault(p.GetGroup()), Description: p.GetDescription(),
		Expression: p.GetExpression(), Timezone: p.GetTimezone(), State: stateName(p.GetState()),
		CatchUp: p.GetCatchUp(), ActionAfterCompletion: p.GetActionAfterCompletion()}
	var err error
	if sc.StartDate, err = fromTime("start_date", p.GetStartDate()); err != nil {
		return sc, err
	}
	if sc.EndDate, err = fromTime("end_date", p.GetEndDate()); err != nil {
		return sc, err
	}
	if m := p.GetFlexibleWindowMinutes(); m != 0 {
		sc.Window = schedule.Window{Mode: schedule.WindowFlexible, MaximumWindowInMinutes: int(m)}
	}
	t := p.GetTarget()
	sc.Target = schedule.Target{Arn: t.GetArn(), RoleArn: t.GetRoleArn(), Input: t.GetInput(),
		RetryPolicy: schedule.RetryPolicy{MaximumEventAgeInSeconds: int(t.GetMaximumEventAgeSeconds()),
			MaximumRetryAttempts: int(t.GetMaximumRetryAttempts())}}
	return sc, nil
}

// CreateSchedule implements stepwisev1.ScheduleServiceServer.
func (s *Schedules) CreateSchedule(ctx context.Context, r *stepwisev1.CreateScheduleRequest) (*stepwisev1.CreateScheduleResponse, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	sc, err := fromProto(r.GetSchedule())
	if err != nil {
		return nil, err
	}
	sc.ClientToken = r.GetClientToken()
	if sc, err = s.svc.Create(ctx, sc); err != nil {
		if errors.Is(err, engine.ErrNotFound) {
			return nil, status.Error(codes.NotFound, "schedule group "+quote(r.GetSchedule().GetGroup())+" does not exist")
		}
		return nil, scheduleStatus(err, "schedule "+quote(sc.Name))
	}
	return &stepwisev1.CreateScheduleResponse{Schedule: s.toProto(sc)}, nil
}

// GetSchedule implements stepwisev1.ScheduleServiceServer.
func (s *Schedules) GetSchedule(ctx context.Context, r *stepwisev1.GetScheduleRequest) (*stepwisev1.GetScheduleResponse, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	d, err := s.svc.Get(ctx, orDefault(r.GetGroup()), r.GetName(), 5)
	if err != nil {
		return nil, scheduleStatus(err, "schedule "+quote(r.GetName()))
	}
	out := &stepwisev1.GetScheduleResponse{Schedule: s.toProto(d.Record.Schedule)}
	for _, t := range d.Next {
		out.NextTicks = append(out.NextTicks, toTime(t))
	}
	for _, t := range d.Recent {
		out.RecentTicks = append(out.RecentTicks, &stepwisev1.ScheduleTick{Time: toTime(t.Time), ExecutionArn: t.ExecutionARN,
			Error: t.Error, Attempts: int32(t.Attempts), Fired: optTime(t.Fired)})
	}
	return out, nil
}

// UpdateSchedule implements stepwisev1.ScheduleServiceServer.
func (s *Schedules) UpdateSchedule(ctx context.Context, r *stepwisev1.UpdateScheduleRequest) (*stepwisev1.UpdateScheduleResponse, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	sc, err := fromProto(r.GetSchedule())
	if err != nil {
		return nil, err
	}
	if sc, err = s.svc.Update(ctx, sc); err != nil {
		return nil, scheduleStatus(err, "schedule "+quote(r.GetSchedule().GetName()))
	}
	return &stepwisev1.UpdateScheduleResponse{Schedule: s.toProto(sc)}, nil
}

// DeleteSchedule implements stepwisev1.ScheduleServiceServer.
func (s *Schedules) DeleteSchedule(ctx context.Context, r *stepwisev1.DeleteScheduleRequest) (*stepwisev1.DeleteScheduleResponse, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	if err := s.svc.Store.DeleteSchedule(ctx, orDefault(r.GetGroup()), r.GetName()); err != nil {
		return nil, scheduleStatus(err, "schedule "+quote(r.GetName()))
	}
	return &stepwisev1.DeleteScheduleResponse{}, nil
}

// pageSize reads a page size: 1 to 100, 0 is 100.
func pageSize(n int32) (int, error) {
	if n < 0 || n > 100 {
		return 0, status.Error(codes.InvalidArgument, "page_size must be between 0 and 100")
	}
	if n == 0 {
		return 100, nil
	}
	return int(n), nil
}

func pageAfter(token string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return "", status.Error(codes.InvalidArgument, "invalid page_token")
	}
	return string(b), nil
}

// ListSchedules implements stepwisev1.ScheduleServiceServer.
func (s *Schedules) ListSchedules(ctx context.Context, r *stepwisev1.ListSchedulesRequest) (*stepwisev1.ListSchedulesResponse, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	limit, err := pageSize(r.GetPageSize())
	if err != nil {
		return nil, err
	}
	after, err := pageAfter(r.GetPageToken())
	if err != nil {
		return nil, err
	}
	f := schedule.ListFilter{Group: r.GetGroup(), NamePrefix: r.GetNamePrefix(), State: stateName(r.GetState()), Limit: limit + 1}
	f.AfterGroup, f.AfterName, _ = strings.Cut(after, "/")
	if f.Group != "" {
		if _, err := s.svc.Store.GetScheduleGroup(ctx, f.Group); err != nil {
			return nil, scheduleStatus(err, "schedule group "+quote(f.Group))
		}
	}
	recs, err := s.svc.Store.ListSchedules(ctx, f)
	if err != nil {
		return nil, Status(err)
	}
	out := &stepwisev1.ListSchedulesResponse{}
	for i, rec := range recs {
		if i == limit {
			last := recs[i-1].Schedule
			out.NextPageToken = base64.RawURLEncoding.EncodeToString([]byte(last.Group + "/" + last.Name))
			break
		}
		out.Schedules = append(out.Schedules, s.toProto(rec.Schedule))
	}
	return out, nil
}

func (s *Schedules) toGroup(g schedule.Group) *stepwisev1.ScheduleGroup {
	return &stepwisev1.ScheduleGroup{Arn: schedule.GroupARN(s.region, s.account, g.Name), Name: g.Name,
		Created: optTime(g.Created), Modified: optTime(g.Modified)}
}

// CreateScheduleGroup implements stepwisev1.ScheduleServiceServer.
func (s *Schedules) CreateScheduleGroup(ctx context.Context, r *stepwisev1.CreateScheduleGroupRequest) (*stepwisev1.CreateScheduleGroupResponse, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	g, err := s.svc.CreateGroup(ctx, r.GetName())
	if err != nil {
		return nil, scheduleStatus(err, "schedule group "+quote(r.GetName()))
	}
	return &stepwisev1.CreateScheduleGroupResponse{Group: s.toGroup(g)}, nil
}

// ListScheduleGroups implements stepwisev1.ScheduleServiceServer.
func (s *Schedules) ListScheduleGroups(ctx context.Context, r *stepwisev1.ListScheduleGroupsRequest) (*stepwisev1.ListScheduleGroupsResponse, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	limit, err := pageSize(r.GetPageSize())
	if err != nil {
		return nil, err
	}
	after, err := pageAfter(r.GetPageToken())
	if err != nil {
		return nil, err
	}
	gs, err := s.svc.Store.ListScheduleGroups(ctx, r.GetNamePrefix(), after, limit+1)
	if err != nil {
		return nil, Status(err)
	}
	out := &stepwisev1.ListScheduleGroupsResponse{}
	for i, g := range gs {
		if i == limit {
			out.NextPageToken = base64.RawURLEncoding.EncodeToString([]byte(gs[i-1].Name))
			break
		}
		out.Groups = append(out.Groups, s.toGroup(g))
	}
	return out, nil
}

// DeleteScheduleGroup implements stepwisev1.ScheduleServiceServer.
func (s *Schedules) DeleteScheduleGroup(ctx context.Context, r *stepwisev1.DeleteScheduleGroupRequest) (*stepwisev1.DeleteScheduleGroupResponse, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	if err := s.svc.DeleteGroup(ctx, r.GetName()); err != nil {
		return nil, scheduleStatus(err, "schedule group "+quote(r.GetName()))
	}
	return &stepwisev1.DeleteScheduleGroupResponse{}, nil
}
