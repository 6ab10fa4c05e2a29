package engine

import (
	"context"
	"errors"
	"time"
)

// MaxExecutionTime is how long after its start an execution may still be
// redriven (AWS: an execution's maximum open time, one year). Past it,
// redriveStatusReason is "Execution has exceeded the max execution time".
const MaxExecutionTime = 365 * 24 * time.Hour

// ExecutionRedriveStatus is RedriveStatus with the check that reads the
// store: an ended execution whose state machine was deleted since it
// started (deleted, or deleted and created again) cannot be redriven,
// and says so in AWS's words, "State machine is in DELETING status".
// RedriveExecution and DescribeExecution use it; listings, which show
// many executions, use RedriveStatus.
func (e *Engine) ExecutionRedriveStatus(ctx context.Context, x *Execution) (status, reason string, err error) {
	status, reason = e.RedriveStatus(x)
	if status != RedriveRedrivable {
		return status, reason, nil
	}
	switch deleted, err := e.machineDeletedSince(ctx, x); {
	case err != nil:
		return "", "", err
	case deleted:
		return RedriveNotRedrivable, reasonDeleting, nil
	}
	return status, reason, nil
}

// machineDeletedSince reports whether the state machine x runs was
// deleted after x started.
func (e *Engine) machineDeletedSince(ctx context.Context, x *Execution) (bool, error) {
	name := x.StateMachine
	if parent, _, ok := splitMapMachine(name); ok {
		name = parent
	}
	created, err := e.store.StateMachineCreatedAt(ctx, name)
	if errors.Is(err, ErrNotFound) {
		return true, nil
	}
	return err == nil && created.After(x.StartDate), err
}
