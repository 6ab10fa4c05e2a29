package awsjson

import (
	"context"
	"errors"

	"github.com/stepwise-dev/stepwise/engine"
)

// Activity is an activity as the activity operations describe it.
type Activity = engine.Activity

// Activities is what the activity operations need; *engine.Engine
// implements it (Config.Activities defaults to the engine). Errors: engine.ErrNotFound for an
// unknown activity ARN, engine.ErrInvalidInput for a bad argument or page
// token.
type Activities interface {
	// CreateActivity creates an activity, or returns the existing one of
	// that name (AWS: idempotent).
	CreateActivity(ctx context.Context, name string) (Activity, error)
	DescribeActivity(ctx context.Context, arn string) (Activity, error)
	// DeleteActivity deletes an activity; deleting an unknown one is not
	// an error.
	DeleteActivity(ctx context.Context, arn string) error
	// ListActivities returns a page of activities and the next page's
	// token ("" on the last page).
	ListActivities(ctx context.Context, maxResults int, nextToken string) ([]Activity, string, error)
	// GetActivityTask waits (up to about 60 s, or until ctx ends) for a
	// task of the activity and returns its token and input; an empty token
	// when none came.
	GetActivityTask(ctx context.Context, arn, workerName string) (token, input string, err error)
}

func (h *handler) activities() (Activities, error) {
	if h.cfg.Activities == nil {
		return nil, errUnsupported("Activities are not supported by this server yet")
	}
	return h.cfg.Activities, nil
}

type createActivityInput struct {
	Name *string `json:"name"`
	Tags []tag   `json:"tags"`
}

type activityOutput struct {
	ActivityArn  string `json:"activityArn"`
	Name         string `json:"name,omitempty"`
	CreationDate *epoch `json:"creationDate"`
}

func (h *handler) createActivity(ctx context.Context, in *createActivityInput) (*activityOutput, error) {
	var v violations
	v.length(in.Name, "name", 1, 80, true)
	if err := v.err(); err != nil {
		return nil, err
	}
	if !validName(*in.Name) {
		return nil, errInvalidName(*in.Name)
	}
	acts, err := h.activities()
	if err != nil {
		return nil, err
	}
	if err := checkNewTags(h.activityARN(*in.Name), in.Tags); err != nil {
		return nil, err
	}
	// An idempotent create ignores its tags, as AWS does.
	_, err = acts.DescribeActivity(ctx, h.activityARN(*in.Name))
	existed := err == nil
	a, err := acts.CreateActivity(ctx, *in.Name)
	if err != nil {
		return nil, err
	}
	if len(in.Tags) > 0 && !existed {
		if err := h.tag(ctx, a.ARN, in.Tags); err != nil {
			return nil, err
		}
	}
	return &activityOutput{ActivityArn: a.ARN, CreationDate: timePtr(a.CreationDate)}, nil
}

type activityArnInput struct {
	ActivityArn *string `json:"activityArn"`
	WorkerName  *string `json:"workerName"`
}

func (h *handler) activityRef(in *activityArnInput) (Activities, error) {
	var v violations
	v.length(in.ActivityArn, "activityArn", 1, 256, true)
	v.length(in.WorkerName, "workerName", 0, 80, false)
	if err := v.err(); err != nil {
		return nil, err
	}
	if _, err := parseARN(*in.ActivityArn, "activity"); err != nil {
		return nil, err
	}
	return h.activities()
}

func activityError(err error, arn string) error {
	if errors.Is(err, engine.ErrNotFound) {
		return errActivityDoesNotExist(arn)
	}
	return err
}

func (h *handler) describeActivity(ctx context.Context, in *activityArnInput) (*activityOutput, error) {
	acts, err := h.activityRef(in)
	if err != nil {
		return nil, err
	}
	a, err := acts.DescribeActivity(ctx, *in.ActivityArn)
	if err != nil {
		return nil, activityError(err, *in.ActivityArn)
	}
	return &activityOutput{ActivityArn: a.ARN, Name: a.Name, CreationDate: timePtr(a.CreationDate)}, nil
}

func (h *handler) deleteActivity(ctx context.Context, in *activityArnInput) (*empty, error) {
	acts, err := h.activityRef(in)
	if err != nil {
		return nil, err
	}
	if err := acts.DeleteActivity(ctx, *in.ActivityArn); err != nil && !errors.Is(err, engine.ErrNotFound) {
		return nil, err
	}
	return &empty{}, nil
}

type listActivitiesOutput struct {
	Activities []activityOutput `json:"activities"`
	NextToken  string           `json:"nextToken,omitempty"`
}

func (h *handler) listActivities(ctx context.Context, in *pageInput) (*listActivitiesOutput, error) {
	var v violations
	v.maxResults(in.MaxResults, "maxResults", 1000)
	v.length(in.NextToken, "nextToken", 1, 1024, false)
	if err := v.err(); err != nil {
		return nil, err
	}
	acts, err := h.activities()
	if err != nil {
		return nil, err
	}
	as, next, err := acts.ListActivities(ctx, deref(in.MaxResults), deref(in.NextToken))
	if err != nil {
		return nil, pageError(err)
	}
	out := &listActivitiesOutput{Activities: make([]activityOutput, len(as)), NextToken: next}
	for i, a := range as {
		out.Activities[i] = activityOutput{ActivityArn: a.ARN, Name: a.Name, CreationDate: timePtr(a.CreationDate)}
	}
	return out, nil
}

type getActivityTaskOutput struct {
	TaskToken *string `json:"taskToken,omitempty"`
	Input     *string `json:"input,omitempty"`
}

func (h *handler) getActivityTask(ctx context.Context, in *activityArnInput) (*getActivityTaskOutput, error) {
	acts, err := h.activityRef(in)
	if err != nil {
		return nil, err
	}
	token, input, err := acts.GetActivityTask(ctx, *in.ActivityArn, deref(in.WorkerName))
	if err != nil {
		return nil, activityError(err, *in.ActivityArn)
	}
	return &getActivityTaskOutput{TaskToken: nonEmpty(token), Input: nonEmpty(input)}, nil
}
