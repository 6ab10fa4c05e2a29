// Package grpcapi implements the stepwise.v1 gRPC services on the engine,
// and registers them on the REST gateway. It maps engine errors to gRPC
// codes in one function ([Status]). It holds no business logic: every RPC
// converts its request, calls one engine method and converts the answer.
//
// JSON documents (inputs, outputs, definitions, history details) travel as
// text; page tokens are the engine's, opaque to clients. List filters are
// CEL expressions compiled by package engine/filter.
package grpcapi

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	stepwisev1 "github.com/stepwise-dev/stepwise/api/gen/stepwise/v1"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/engine/filter"
	"github.com/stepwise-dev/stepwise/statelang"
	"github.com/stepwise-dev/stepwise/telemetry"
)

// Services implements every stepwise.v1 service.
type Services struct {
	stepwisev1.UnimplementedStateMachineServiceServer
	stepwisev1.UnimplementedExecutionServiceServer
	stepwisev1.UnimplementedTaskServiceServer
	stepwisev1.UnimplementedActivityServiceServer
	stepwisev1.UnimplementedMapRunServiceServer

	eng *engine.Engine
}

var (
	_ stepwisev1.StateMachineServiceServer = (*Services)(nil)
	_ stepwisev1.ExecutionServiceServer    = (*Services)(nil)
	_ stepwisev1.TaskServiceServer         = (*Services)(nil)
	_ stepwisev1.ActivityServiceServer     = (*Services)(nil)
)

// New returns the services over an engine.
func New(eng *engine.Engine) *Services { return &Services{eng: eng} }

// Register registers every service on a gRPC server.
func (s *Services) Register(g *grpc.Server) {
	stepwisev1.RegisterStateMachineServiceServer(g, s)
	stepwisev1.RegisterExecutionServiceServer(g, s)
	stepwisev1.RegisterTaskServiceServer(g, s)
	stepwisev1.RegisterActivityServiceServer(g, s)
	stepwisev1.RegisterMapRunServiceServer(g, s)
}

// RegisterGateway registers every service on a grpc-gateway mux, called
// in-process (no loopback connection).
func (s *Services) RegisterGateway(ctx context.Context, mux *runtime.ServeMux) error {
	if err := stepwisev1.RegisterStateMachineServiceHandlerServer(ctx, mux, s); err != nil {
		return err
	}
	if err := stepwisev1.RegisterExecutionServiceHandlerServer(ctx, mux, s); err != nil {
		return err
	}
	if err := stepwisev1.RegisterTaskServiceHandlerServer(ctx, mux, s); err != nil {
		return err
	}
	if err := stepwisev1.RegisterActivityServiceHandlerServer(ctx, mux, s); err != nil {
		return err
	}
	return stepwisev1.RegisterMapRunServiceHandlerServer(ctx, mux, s)
}

// Status maps an engine (or filter) error to a gRPC status error:
//
//   - an invalid definition: InvalidArgument, with every diagnostic as a
//     BadRequest field violation (field: its JSON pointer);
//   - an invalid filter: InvalidArgument with CEL's message and position;
//   - ErrInvalidInput, ErrPayloadTooLarge, ErrTooManyTags: InvalidArgument;
//   - ErrNotFound: NotFound;
//   - ErrStateMachineExists, ErrExecutionAlreadyExists: AlreadyExists;
//   - ErrExpressARN (an express execution's ARN where a stored execution's
//     is needed): InvalidArgument;
//   - ErrExecutionNotRunning, ErrTaskClosed, ErrMapRunNotRunning,
//     ErrNotExpress, ErrElsewhere, ErrExecutionNotRedrivable (with the
//     reason): FailedPrecondition;
//   - ErrConflict: Aborted (retry);
//   - context errors: Canceled, DeadlineExceeded;
//   - anything else: Internal.
func Status(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	var ds statelang.Diagnostics
	if errors.As(err, &ds) {
		br := &errdetails.BadRequest{}
		msgs := make([]string, len(ds))
		for i, d := range ds {
			br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{
				Field: d.Location, Description: d.Message, Reason: d.Code})
			msgs[i] = d.Location + ": " + d.Message
		}
		st := status.New(codes.InvalidArgument, "invalid definition: "+strings.Join(msgs, "; "))
		if withDetails, derr := st.WithDetails(br); derr == nil {
			st = withDetails
		}
		return st.Err()
	}
	var fe *filter.Error
	if errors.As(err, &fe) {
		return status.Error(codes.InvalidArgument, fe.Error())
	}
	code := codes.Internal
	switch {
	case errors.Is(err, engine.ErrInvalidInput), errors.Is(err, engine.ErrPayloadTooLarge), errors.Is(err, engine.ErrTooManyTags),
		errors.Is(err, engine.ErrInvalidToken), errors.Is(err, engine.ErrExpressARN):
		code = codes.InvalidArgument
	case errors.Is(err, engine.ErrNotFound):
		code = codes.NotFound
	case errors.Is(err, engine.ErrStateMachineExists), errors.Is(err, engine.ErrExecutionAlreadyExists):
		code = codes.AlreadyExists
	case errors.Is(err, engine.ErrExecutionNotRunning), errors.Is(err, engine.ErrTaskClosed), errors.Is(err, engine.ErrMapRunNotRunning),
		errors.Is(err, engine.ErrNotExpress), errors.Is(err, engine.ErrElsewhere), errors.Is(err, engine.ErrExecutionNotRedrivable):
		code = codes.FailedPrecondition
	case errors.Is(err, engine.ErrConflict):
		code = codes.Aborted
	case errors.Is(err, context.Canceled):
		code = codes.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		code = codes.DeadlineExceeded
	}
	return status.Error(code, err.Error())
}

// notFound names what was not found, for clearer messages.
func notFound(err error, what string) error {
	if errors.Is(err, engine.ErrNotFound) {
		return status.Error(codes.NotFound, what+" does not exist")
	}
	return Status(err)
}

func required(field, value string) error {
	if value == "" {
		return status.Error(codes.InvalidArgument, field+" is required")
	}
	return nil
}

// TimeLayout is how times are written: RFC 3339, milliseconds, UTC.
const TimeLayout = "2006-01-02T15:04:05.000Z07:00"

func toTime(t time.Time) *stepwisev1.Time {
	if t.IsZero() {
		return nil
	}
	return &stepwisev1.Time{Rfc3339: t.UTC().Format(TimeLayout)}
}

var statusToProto = map[string]stepwisev1.ExecutionStatus{
	engine.StatusRunning:   stepwisev1.ExecutionStatus_EXECUTION_STATUS_RUNNING,
	engine.StatusSucceeded: stepwisev1.ExecutionStatus_EXECUTION_STATUS_SUCCEEDED,
	engine.StatusFailed:    stepwisev1.ExecutionStatus_EXECUTION_STATUS_FAILED,
	engine.StatusTimedOut:  stepwisev1.ExecutionStatus_EXECUTION_STATUS_TIMED_OUT,
	engine.StatusAborted:   stepwisev1.ExecutionStatus_EXECUTION_STATUS_ABORTED,
}

// StatusName returns the engine's name of a proto status ("" for
// UNSPECIFIED).
func StatusName(s stepwisev1.ExecutionStatus) string {
	for name, v := range statusToProto {
		if v == s {
			return name
		}
	}
	return ""
}

func toStateMachine(sm engine.StateMachine) *stepwisev1.StateMachine {
	return &stepwisev1.StateMachine{Name: sm.Name, Arn: sm.ARN, Version: int32(sm.Version), Definition: sm.Definition,
		RoleArn: sm.RoleARN, Created: toTime(sm.CreatedAt), Type: typeToProto[engine.MachineType(sm.Type)], Logging: toLogging(sm.Logging)}
}

func toExecution(x *engine.Execution) *stepwisev1.Execution {
	return &stepwisev1.Execution{
		Arn: x.ARN, Name: x.Name, StateMachineName: x.StateMachine, StateMachineVersion: int32(x.StateMachineVersion),
		Status: statusToProto[x.Status], StartTime: toTime(x.StartDate), StopTime: toTime(x.StopDate),
		Input: x.Input, Output: x.Output, Error: x.Error, Cause: x.Cause,
		RedriveCount: x.RedriveCount, RedriveDate: toTime(x.RedriveDate),
	}
}

// CreateStateMachine implements stepwisev1.StateMachineServiceServer.
func (s *Services) CreateStateMachine(ctx context.Context, r *stepwisev1.CreateStateMachineRequest) (*stepwisev1.CreateStateMachineResponse, error) {
	if err := required("definition", r.GetDefinition()); err != nil {
		return nil, err
	}
	typ, err := machineType(r.GetType())
	if err != nil {
		return nil, err
	}
	logging, err := engineLogging(r.GetLogging())
	if err != nil {
		return nil, err
	}
	if err := expressDefinition(typ, r.GetDefinition()); err != nil {
		return nil, err
	}
	sm, err := s.eng.CreateStateMachineWith(ctx, engine.StateMachine{Name: r.GetName(), Definition: r.GetDefinition(), RoleARN: r.GetRoleArn(),
		Type: typ, Logging: logging})
	if errors.Is(err, engine.ErrStateMachineExists) {
		return nil, status.Errorf(codes.AlreadyExists, "state machine %q already exists with another definition or type", r.GetName())
	}
	if err != nil {
		return nil, Status(err)
	}
	return &stepwisev1.CreateStateMachineResponse{StateMachine: toStateMachine(sm)}, nil
}

// UpdateStateMachine implements stepwisev1.StateMachineServiceServer.
func (s *Services) UpdateStateMachine(ctx context.Context, r *stepwisev1.UpdateStateMachineRequest) (*stepwisev1.UpdateStateMachineResponse, error) {
	if r.GetDefinition() == "" && r.GetLogging() == nil {
		return nil, status.Error(codes.InvalidArgument, "definition or logging is required")
	}
	logging, err := engineLogging(r.GetLogging())
	if err != nil {
		return nil, err
	}
	sm, err := s.updateStateMachine(ctx, r.GetName(), r.GetDefinition(), logging)
	if err == nil {
		// the whole machine: type and logging are not the revision's
		sm, err = s.eng.DescribeStateMachine(ctx, r.GetName(), sm.Version)
	}
	if err != nil {
		return nil, notFound(err, "state machine "+quote(r.GetName()))
	}
	return &stepwisev1.UpdateStateMachineResponse{StateMachine: toStateMachine(sm)}, nil
}

// updateStateMachine stores a new version of a definition (unless it is
// "": an EXPRESS machine's is checked as on create), and sets the
// machine's logging (unless it is nil). With logging, it is one
// ReviseStateMachine, which checks the definition before it writes
// anything, and makes no new version of a definition equal to the latest.
func (s *Services) updateStateMachine(ctx context.Context, name, definition string, logging *engine.Logging) (engine.StateMachine, error) {
	if definition == "" {
		sm, _, err := s.eng.ReviseStateMachine(ctx, engine.UpdateStateMachineInput{Name: name, Logging: logging})
		return sm, err
	}
	cur, err := s.eng.DescribeStateMachine(ctx, name, 0)
	if err != nil {
		return cur, err
	}
	if err := expressDefinition(engine.MachineType(cur.Type), definition); err != nil {
		return cur, err
	}
	if logging != nil {
		sm, _, err := s.eng.ReviseStateMachine(ctx, engine.UpdateStateMachineInput{Name: name, Definition: &definition, Logging: logging})
		return sm, err
	}
	return s.eng.UpdateStateMachine(ctx, name, definition)
}

// DescribeStateMachine implements stepwisev1.StateMachineServiceServer.
func (s *Services) DescribeStateMachine(ctx context.Context, r *stepwisev1.DescribeStateMachineRequest) (*stepwisev1.DescribeStateMachineResponse, error) {
	if r.GetVersion() < 0 {
		return nil, status.Error(codes.InvalidArgument, "version must not be negative")
	}
	if machine, number, ok := strings.Cut(r.GetName(), ":"); ok {
		return s.describePublished(ctx, machine, number, r.GetVersion())
	}
	sm, err := s.eng.DescribeStateMachine(ctx, r.GetName(), int(r.GetVersion()))
	if err != nil {
		return nil, notFound(err, "state machine "+quote(r.GetName()))
	}
	return &stepwisev1.DescribeStateMachineResponse{StateMachine: toStateMachine(sm)}, nil
}

// ListStateMachines implements stepwisev1.StateMachineServiceServer.
func (s *Services) ListStateMachines(ctx context.Context, r *stepwisev1.ListStateMachinesRequest) (*stepwisev1.ListStateMachinesResponse, error) {
	sms, next, err := s.eng.ListStateMachines(ctx, engine.ListStateMachinesInput{MaxResults: int(r.GetPageSize()), NextToken: r.GetPageToken()})
	if err != nil {
		return nil, Status(err)
	}
	out := &stepwisev1.ListStateMachinesResponse{NextPageToken: next}
	for _, sm := range sms {
		out.StateMachines = append(out.StateMachines, toStateMachine(sm))
	}
	return out, nil
}

// DeleteStateMachine implements stepwisev1.StateMachineServiceServer.
func (s *Services) DeleteStateMachine(ctx context.Context, r *stepwisev1.DeleteStateMachineRequest) (*stepwisev1.DeleteStateMachineResponse, error) {
	if err := s.eng.DeleteStateMachine(ctx, r.GetName()); err != nil {
		return nil, notFound(err, "state machine "+quote(r.GetName()))
	}
	return &stepwisev1.DeleteStateMachineResponse{}, nil
}

// ValidateStateMachineDefinition implements
// stepwisev1.StateMachineServiceServer: result OK, or FAIL with every
// diagnostic of statelang.Parse and statelang.ExpressProblems; then
// statelang.Warnings, of severity
// WARNING, which leave the result as it is.
func (s *Services) ValidateStateMachineDefinition(_ context.Context, r *stepwisev1.ValidateStateMachineDefinitionRequest) (*stepwisev1.ValidateStateMachineDefinitionResponse, error) {
	typ, err := machineType(r.GetType())
	if err != nil {
		return nil, err
	}
	out := &stepwisev1.ValidateStateMachineDefinitionResponse{Result: "OK"}
	var ds statelang.Diagnostics
	if _, err := statelang.Parse([]byte(r.GetDefinition())); err != nil {
		if !errors.As(err, &ds) {
			ds = statelang.Diagnostics{{Code: "SCHEMA_VALIDATION_FAILED", Location: "/", Message: err.Error()}}
		}
	}
	ds = append(ds, statelang.ExpressProblems([]byte(r.GetDefinition()), typ == engine.TypeExpress)...)
	if len(ds) > 0 {
		out.Result = "FAIL"
	}
	for _, d := range append(ds, statelang.Warnings([]byte(r.GetDefinition()))...) {
		sev := d.Severity
		if sev == "" {
			sev = statelang.SeverityError
		}
		out.Diagnostics = append(out.Diagnostics, &stepwisev1.Diagnostic{Severity: sev, Code: d.Code, Message: d.Message, Location: d.Location})
	}
	return out, nil
}

// StartExecution implements stepwisev1.ExecutionServiceServer.
func (s *Services) StartExecution(ctx context.Context, r *stepwisev1.StartExecutionRequest) (*stepwisev1.StartExecutionResponse, error) {
	if err := required("state_machine_name", r.GetStateMachineName()); err != nil {
		return nil, err
	}
	in, err := s.startInput(ctx, r.GetStateMachineName())
	if err != nil {
		return nil, err
	}
	in.Name, in.Input = r.GetName(), r.GetInput()
	x, err := s.eng.StartExecution(ctx, in)
	if errors.Is(err, engine.ErrExecutionAlreadyExists) {
		return nil, status.Errorf(codes.AlreadyExists, "execution %q already exists (with another input, or it has ended)", r.GetName())
	}
	if err != nil {
		return nil, notFound(err, "state machine "+quote(r.GetStateMachineName()))
	}
	telemetry.LinkStart(ctx, x.ID)
	return &stepwisev1.StartExecutionResponse{Execution: toExecution(x)}, nil
}

// DescribeExecution implements stepwisev1.ExecutionServiceServer.
func (s *Services) DescribeExecution(ctx context.Context, r *stepwisev1.DescribeExecutionRequest) (*stepwisev1.DescribeExecutionResponse, error) {
	x, err := s.eng.DescribeExecution(ctx, r.GetArn())
	if err != nil {
		return nil, notFound(err, "execution "+quote(r.GetArn()))
	}
	out, err := s.describe(ctx, x)
	if err != nil {
		return nil, err
	}
	return &stepwisev1.DescribeExecutionResponse{Execution: out}, nil
}

// ListExecutions implements stepwisev1.ExecutionServiceServer.
func (s *Services) ListExecutions(ctx context.Context, r *stepwisev1.ListExecutionsRequest) (*stepwisev1.ListExecutionsResponse, error) {
	xs, next, err := s.listExecutions(ctx, engine.ListExecutionsInput{StateMachine: r.GetStateMachineName(), Status: StatusName(r.GetStatus()),
		MaxResults: int(r.GetPageSize()), NextToken: r.GetPageToken()}, r.GetFilter())
	if err != nil {
		return nil, Status(err)
	}
	return &stepwisev1.ListExecutionsResponse{Executions: xs, NextPageToken: next}, nil
}

// listExecutions lists a page of executions (100 unless in says), those
// the CEL expression filterText matches when it is not blank; the error
// is the engine's or the filter's.
func (s *Services) listExecutions(ctx context.Context, in engine.ListExecutionsInput, filterText string) ([]*stepwisev1.Execution, string, error) {
	if in.MaxResults <= 0 {
		in.MaxResults = 100
	}
	var bound *filter.Bound
	if strings.TrimSpace(filterText) != "" {
		f, err := filter.Compile(filterText)
		if err != nil {
			return nil, "", err
		}
		bound = f.Bind(ctx)
		in.Filter = bound
	}
	xs, next, err := s.eng.ListExecutions(ctx, in)
	if err != nil {
		return nil, "", err
	}
	if bound != nil && bound.Err() != nil {
		return nil, "", bound.Err() // the evaluations stopped early: the page is not complete
	}
	out := make([]*stepwisev1.Execution, 0, len(xs))
	for _, x := range xs {
		e := toExecution(x)
		s.setRedriveStatus(e, x)
		out = append(out, e)
	}
	return out, next, nil
}

// StopExecution implements stepwisev1.ExecutionServiceServer.
func (s *Services) StopExecution(ctx context.Context, r *stepwisev1.StopExecutionRequest) (*stepwisev1.StopExecutionResponse, error) {
	x, err := s.eng.StopExecution(ctx, r.GetArn(), r.GetError(), r.GetCause())
	if errors.Is(err, engine.ErrExecutionNotRunning) {
		return nil, status.Errorf(codes.FailedPrecondition, "execution %q is not running", r.GetArn())
	}
	if err != nil {
		return nil, notFound(err, "execution "+quote(r.GetArn()))
	}
	return &stepwisev1.StopExecutionResponse{Execution: toExecution(x)}, nil
}

// GetExecutionHistory implements stepwisev1.ExecutionServiceServer.
func (s *Services) GetExecutionHistory(ctx context.Context, r *stepwisev1.GetExecutionHistoryRequest) (*stepwisev1.GetExecutionHistoryResponse, error) {
	evs, next, err := s.eng.GetExecutionHistory(ctx, r.GetArn(), engine.HistoryInput{
		MaxResults: int(r.GetPageSize()), NextToken: r.GetPageToken(), ReverseOrder: r.GetReverseOrder()})
	if err != nil {
		return nil, notFound(err, "execution "+quote(r.GetArn()))
	}
	out := &stepwisev1.GetExecutionHistoryResponse{NextPageToken: next}
	for _, ev := range evs {
		details := "{}"
		if ev.Details != nil {
			details = statelang.MarshalString(ev.Details)
		}
		out.Events = append(out.Events, &stepwisev1.HistoryEvent{Id: ev.ID, PreviousEventId: ev.PreviousEventID,
			Timestamp: toTime(ev.Timestamp), Type: string(ev.Type), Details: details})
	}
	return out, nil
}

// DescribeStateMachineForExecution implements
// stepwisev1.ExecutionServiceServer.
func (s *Services) DescribeStateMachineForExecution(ctx context.Context, r *stepwisev1.DescribeStateMachineForExecutionRequest) (*stepwisev1.DescribeStateMachineForExecutionResponse, error) {
	sm, err := s.eng.DescribeStateMachineForExecution(ctx, r.GetArn())
	if err != nil {
		return nil, notFound(err, "execution "+quote(r.GetArn()))
	}
	return &stepwisev1.DescribeStateMachineForExecutionResponse{StateMachine: toStateMachine(sm)}, nil
}

// SendTaskSuccess implements stepwisev1.TaskServiceServer.
func (s *Services) SendTaskSuccess(ctx context.Context, r *stepwisev1.SendTaskSuccessRequest) (*stepwisev1.SendTaskSuccessResponse, error) {
	if err := required("task_token", r.GetTaskToken()); err != nil {
		return nil, err
	}
	output := r.GetOutput()
	if output == "" {
		output = "{}"
	}
	telemetry.LinkCallback(ctx, r.GetTaskToken())
	if err := s.eng.SendTaskSuccess(ctx, r.GetTaskToken(), output); err != nil {
		return nil, taskStatus(err)
	}
	return &stepwisev1.SendTaskSuccessResponse{}, nil
}

// SendTaskFailure implements stepwisev1.TaskServiceServer.
func (s *Services) SendTaskFailure(ctx context.Context, r *stepwisev1.SendTaskFailureRequest) (*stepwisev1.SendTaskFailureResponse, error) {
	if err := required("task_token", r.GetTaskToken()); err != nil {
		return nil, err
	}
	telemetry.LinkCallback(ctx, r.GetTaskToken())
	if err := s.eng.SendTaskFailure(ctx, r.GetTaskToken(), r.GetError(), r.GetCause()); err != nil {
		return nil, taskStatus(err)
	}
	return &stepwisev1.SendTaskFailureResponse{}, nil
}

// SendTaskHeartbeat implements stepwisev1.TaskServiceServer.
func (s *Services) SendTaskHeartbeat(ctx context.Context, r *stepwisev1.SendTaskHeartbeatRequest) (*stepwisev1.SendTaskHeartbeatResponse, error) {
	if err := required("task_token", r.GetTaskToken()); err != nil {
		return nil, err
	}
	telemetry.LinkCallback(ctx, r.GetTaskToken())
	if err := s.eng.SendTaskHeartbeat(ctx, r.GetTaskToken()); err != nil {
		return nil, taskStatus(err)
	}
	return &stepwisev1.SendTaskHeartbeatResponse{}, nil
}

func taskStatus(err error) error {
	if errors.Is(err, engine.ErrTaskClosed) {
		return status.Error(codes.FailedPrecondition, "the task is not open: the token is unknown, or the task was answered, timed out or cancelled")
	}
	return Status(err)
}

func quote(s string) string { return `"` + s + `"` }
