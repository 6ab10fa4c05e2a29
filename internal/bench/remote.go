package bench

import (
	"context"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	stepwisev1 "github.com/stepwise-dev/stepwise/api/gen/stepwise/v1"
)

// Remote is a running `stepwise server`, driven over gRPC. It is a Target.
// Completion is learned by polling DescribeExecution.
type Remote struct {
	conn  *grpc.ClientConn
	sm    stepwisev1.StateMachineServiceClient
	ex    stepwisev1.ExecutionServiceClient
	tasks stepwisev1.TaskServiceClient
	token string
}

// DialRemote connects to a server's gRPC address (host:port, plaintext).
// authToken is the server's bearer token, "" for none.
func DialRemote(addr, authToken string) (*Remote, error) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	return &Remote{
		conn: conn, token: authToken,
		sm: stepwisev1.NewStateMachineServiceClient(conn), ex: stepwisev1.NewExecutionServiceClient(conn),
		tasks: stepwisev1.NewTaskServiceClient(conn),
	}, nil
}

// Close closes the connection.
func (r *Remote) Close() error { return r.conn.Close() }

func (r *Remote) ctx(ctx context.Context) context.Context {
	if r.token == "" {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+r.token)
}

// CreateStateMachine implements Target: an existing machine of that name
// is updated to the definition.
func (r *Remote) CreateStateMachine(ctx context.Context, name, definition string) error {
	_, err := r.sm.CreateStateMachine(r.ctx(ctx), &stepwisev1.CreateStateMachineRequest{Name: name, Definition: definition})
	if status.Code(err) == codes.AlreadyExists {
		_, err = r.sm.UpdateStateMachine(r.ctx(ctx), &stepwisev1.UpdateStateMachineRequest{Name: name, Definition: definition})
	}
	return err
}

// StartExecution implements Target.
func (r *Remote) StartExecution(ctx context.Context, machine, name, input string) (Started, error) {
	resp, err := r.ex.StartExecution(r.ctx(ctx), &stepwisev1.StartExecutionRequest{StateMachineName: machine, Name: name, Input: input})
	if err != nil {
		return Started{}, err
	}
	return Started{ARN: resp.GetExecution().GetArn()}, nil
}

// Wait implements Target: it polls DescribeExecution, every 1 ms at first,
// backing off to 20 ms.
func (r *Remote) Wait(ctx context.Context, s Started) (Outcome, error) {
	poll := time.Millisecond
	for {
		resp, err := r.ex.DescribeExecution(r.ctx(ctx), &stepwisev1.DescribeExecutionRequest{Arn: s.ARN})
		if err != nil {
			return Outcome{}, err
		}
		x := resp.GetExecution()
		if st := x.GetStatus(); st != stepwisev1.ExecutionStatus_EXECUTION_STATUS_RUNNING {
			return Outcome{
				Status: strings.TrimPrefix(st.String(), "EXECUTION_STATUS_"),
				Output: x.GetOutput(), Error: x.GetError(), Cause: x.GetCause(),
			}, nil
		}
		select {
		case <-time.After(poll):
		case <-ctx.Done():
			return Outcome{}, ctx.Err()
		}
		poll = min(poll*2, 20*time.Millisecond)
	}
}

// SendTaskSuccess implements Target.
func (r *Remote) SendTaskSuccess(ctx context.Context, token, output string) error {
	_, err := r.tasks.SendTaskSuccess(r.ctx(ctx), &stepwisev1.SendTaskSuccessRequest{TaskToken: token, Output: output})
	return err
}
