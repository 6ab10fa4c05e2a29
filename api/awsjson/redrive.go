package awsjson

import (
	"context"
	"errors"

	"github.com/stepwise-dev/stepwise/engine"
)

// RedriveExecution (engine/redrive.go) and the redrive fields of
// DescribeExecution and ListExecutions.

type redriveExecutionInput struct {
	ExecutionArn *string `json:"executionArn"`
	ClientToken  *string `json:"clientToken"`
}

type redriveExecutionOutput struct {
	RedriveDate *epoch `json:"redriveDate"`
}

func (h *handler) redriveExecution(ctx context.Context, in *redriveExecutionInput) (*redriveExecutionOutput, error) {
	var v violations
	v.length(in.ExecutionArn, "executionArn", 1, 2048, true)
	v.length(in.ClientToken, "clientToken", 1, 64, false)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := checkExecutionARN(*in.ExecutionArn); err != nil {
		return nil, err
	}
	date, err := h.eng.RedriveExecution(ctx, *in.ExecutionArn, deref(in.ClientToken))
	var nr *engine.NotRedrivableError
	if errors.As(err, &nr) {
		// AWS's message for this error is neither documented nor
		// recorded: the reason, in the words of redriveStatusReason.
		return nil, apiErr("ExecutionNotRedrivable", nr.Reason)
	}
	if err != nil {
		return nil, executionError(err, *in.ExecutionArn)
	}
	return &redriveExecutionOutput{RedriveDate: timePtr(date)}, nil
}

// describeRedrive sets DescribeExecution's redrive fields.
func (h *handler) describeRedrive(ctx context.Context, out *describeExecutionOutput, x *engine.Execution) error {
	out.RedriveCount = int(x.RedriveCount)
	out.RedriveDate = timePtr(x.RedriveDate)
	status, reason, err := h.eng.ExecutionRedriveStatus(ctx, x)
	out.RedriveStatus, out.RedriveStatusReason = status, nonEmpty(reason)
	return err
}

// listRedrive sets an ExecutionListItem's redrive fields.
func listRedrive(item *executionListItem, x *engine.Execution) {
	n := int(x.RedriveCount)
	item.RedriveCount, item.RedriveDate = &n, timePtr(x.RedriveDate)
}

// redriveFiltered is xs narrowed by ListExecutions' redriveFilter: a
// page may hold fewer executions than MaxResults and still have a next
// token, as a filtered list may on AWS.
func redriveFiltered(xs []*engine.Execution, filter *string) []*engine.Execution {
	if filter == nil {
		return xs
	}
	redriven := *filter == "REDRIVEN"
	out := xs[:0:0]
	for _, x := range xs {
		if (x.RedriveCount > 0) == redriven {
			out = append(out, x)
		}
	}
	return out
}
