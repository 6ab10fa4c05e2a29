package grpcapi

import (
	"context"
	"errors"
	"unicode/utf8"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	stepwisev1 "github.com/stepwise-dev/stepwise/api/gen/stepwise/v1"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/statelang"
)

// EXPRESS state machines (engine/express.go): their type and logging on
// StateMachineService, and StartSyncExecution.

var typeToProto = map[string]stepwisev1.StateMachineType{
	engine.TypeStandard: stepwisev1.StateMachineType_STATE_MACHINE_TYPE_STANDARD,
	engine.TypeExpress:  stepwisev1.StateMachineType_STATE_MACHINE_TYPE_EXPRESS,
}

var levelToProto = map[string]stepwisev1.LogLevel{
	engine.LogAll:   stepwisev1.LogLevel_LOG_LEVEL_ALL,
	engine.LogError: stepwisev1.LogLevel_LOG_LEVEL_ERROR,
	engine.LogFatal: stepwisev1.LogLevel_LOG_LEVEL_FATAL,
	engine.LogOff:   stepwisev1.LogLevel_LOG_LEVEL_OFF,
}

// machineType is the engine's name of a proto type ("" for UNSPECIFIED,
// which the engine reads as STANDARD).
func machineType(t stepwisev1.StateMachineType) (string, error) {
	for name, v := range typeToProto {
		if v == t {
			return name, nil
		}
	}
	if t != stepwisev1.StateMachineType_STATE_MACHINE_TYPE_UNSPECIFIED {
		return "", status.Errorf(codes.InvalidArgument, "unknown type %d", t)
	}
	return "", nil
}

// toLogging is a machine's logging as the API shows it (nil: none).
func toLogging(l *engine.Logging) *stepwisev1.LoggingConfiguration {
	if l == nil {
		return nil
	}
	return &stepwisev1.LoggingConfiguration{Level: levelToProto[l.Level], IncludeExecutionData: l.IncludeExecutionData, LogGroupArn: l.LogGroupARN}
}

// maxLogGroupARN bounds a log group ARN, as on AWS.
const maxLogGroupARN = 256

// engineLogging is the engine's form of a logging configuration (nil:
// unchanged or none; a level of OFF or UNSPECIFIED turns logging off). A
// level other than OFF needs a log group.
func engineLogging(lc *stepwisev1.LoggingConfiguration) (*engine.Logging, error) {
	if lc == nil {
		return nil, nil
	}
	l := &engine.Logging{Level: engine.LogOff, IncludeExecutionData: lc.GetIncludeExecutionData(), LogGroupARN: lc.GetLogGroupArn()}
	for name, v := range levelToProto {
		if v == lc.GetLevel() {
			l.Level = name
		}
	}
	switch {
	case lc.GetLevel() != stepwisev1.LogLevel_LOG_LEVEL_UNSPECIFIED && levelToProto[l.Level] != lc.GetLevel():
		return nil, status.Errorf(codes.InvalidArgument, "logging.level: unknown level %d", lc.GetLevel())
	case l.Level != engine.LogOff && l.LogGroupARN == "":
		return nil, status.Error(codes.InvalidArgument, "logging.log_group_arn is required unless the level is OFF")
	case utf8.RuneCountInString(l.LogGroupARN) > maxLogGroupARN:
		return nil, status.Errorf(codes.InvalidArgument, "logging.log_group_arn is longer than %d characters", maxLogGroupARN)
	}
	return l, nil
}

// expressDefinition refuses what an express execution may not use, in an
// EXPRESS definition or the EXPRESS children of a distributed Map, as the
// AWS endpoint does (statelang.ExpressProblems).
func expressDefinition(typ, definition string) error {
	if ds := statelang.ExpressProblems([]byte(definition), typ == engine.TypeExpress); len(ds) > 0 {
		return Status(ds)
	}
	return nil
}

// StartSyncExecution implements stepwisev1.ExecutionServiceServer.
func (s *Services) StartSyncExecution(ctx context.Context, r *stepwisev1.StartSyncExecutionRequest) (*stepwisev1.StartSyncExecutionResponse, error) {
	if err := required("state_machine_name", r.GetStateMachineName()); err != nil {
		return nil, err
	}
	in, err := s.startInput(ctx, r.GetStateMachineName())
	if err != nil {
		return nil, err
	}
	in.Name, in.Input, in.Sync = r.GetName(), r.GetInput(), true
	x, err := s.eng.StartExecution(ctx, in)
	if errors.Is(err, engine.ErrNotExpress) {
		return nil, status.Errorf(codes.FailedPrecondition, "state machine %q is not EXPRESS: start its executions with StartExecution", r.GetStateMachineName())
	}
	if err != nil {
		return nil, notFound(err, "state machine "+quote(r.GetStateMachineName()))
	}
	return &stepwisev1.StartSyncExecutionResponse{Execution: toExecution(x)}, nil
}
