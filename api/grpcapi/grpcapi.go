// Package grpcapi implements the stepwise.v1 gRPC services on the engine,
// and registers them on the REST gateway. It maps engine errors to gRPC
// codes in one function. It holds no business logic.
package grpcapi

import (
	"context"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"

	stepwisev1 "github.com/stepwise-dev/stepwise/api/gen/stepwise/v1"
	"github.com/stepwise-dev/stepwise/engine"
)

// Services implements every stepwise.v1 service.
type Services struct {
	stepwisev1.UnimplementedStateMachineServiceServer
	stepwisev1.UnimplementedExecutionServiceServer
	stepwisev1.UnimplementedTaskServiceServer

	eng *engine.Engine
}

// New returns the services over an engine.
func New(eng *engine.Engine) *Services { return &Services{eng: eng} }

// Register registers every service on a gRPC server.
func (s *Services) Register(g *grpc.Server) {
	stepwisev1.RegisterStateMachineServiceServer(g, s)
	stepwisev1.RegisterExecutionServiceServer(g, s)
	stepwisev1.RegisterTaskServiceServer(g, s)
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
	return stepwisev1.RegisterTaskServiceHandlerServer(ctx, mux, s)
}
