package awsjson

import (
	"context"
	"errors"
	"strings"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/statelang"
	"github.com/stepwise-dev/stepwise/telemetry"
)

type sendTaskSuccessInput struct {
	TaskToken *string `json:"taskToken"`
	Output    *string `json:"output"`
}

type sendTaskFailureInput struct {
	TaskToken *string `json:"taskToken"`
	Error     *string `json:"error"`
	Cause     *string `json:"cause"`
}

// checkToken answers InvalidToken for a token this engine never issued.
func checkToken(v *violations, token *string) error {
	v.length(token, "taskToken", 1, 2048, true)
	if err := v.err(); err != nil {
		return err
	}
	if _, ok := engine.ExecutionIDOfToken(*token); !ok {
		return errInvalidToken()
	}
	return nil
}

func taskError(err error) error {
	if errors.Is(err, engine.ErrInvalidInput) {
		return errInvalidOutput(strings.TrimPrefix(err.Error(), engine.ErrInvalidInput.Error()+": "))
	}
	return err // ErrTaskClosed → TaskTimedOut in toAPIError
}

func (h *handler) sendTaskSuccess(ctx context.Context, in *sendTaskSuccessInput) (*empty, error) {
	var v violations
	v.length(in.Output, "output", 0, statelang.MaxPayloadBytes, true)
	if err := checkToken(&v, in.TaskToken); err != nil {
		return nil, err
	}
	if why := jsonProblem(*in.Output); why != "" {
		return nil, errInvalidOutput(why)
	}
	telemetry.LinkCallback(ctx, *in.TaskToken)
	if err := h.eng.SendTaskSuccess(ctx, *in.TaskToken, *in.Output); err != nil {
		return nil, taskError(err)
	}
	return &empty{}, nil
}

func (h *handler) sendTaskFailure(ctx context.Context, in *sendTaskFailureInput) (*empty, error) {
	var v violations
	v.length(in.Error, "error", 0, 256, false)
	v.length(in.Cause, "cause", 0, 32768, false)
	if err := checkToken(&v, in.TaskToken); err != nil {
		return nil, err
	}
	if err := checkLimits("error", deref(in.Error), "cause", deref(in.Cause)); err != nil {
		return nil, err
	}
	telemetry.LinkCallback(ctx, *in.TaskToken)
	if err := h.eng.SendTaskFailure(ctx, *in.TaskToken, deref(in.Error), deref(in.Cause)); err != nil {
		return nil, taskError(err)
	}
	return &empty{}, nil
}

func (h *handler) sendTaskHeartbeat(ctx context.Context, in *sendTaskSuccessInput) (*empty, error) {
	var v violations
	if err := checkToken(&v, in.TaskToken); err != nil {
		return nil, err
	}
	telemetry.LinkCallback(ctx, *in.TaskToken)
	if err := h.eng.SendTaskHeartbeat(ctx, *in.TaskToken); err != nil {
		return nil, taskError(err)
	}
	return &empty{}, nil
}
