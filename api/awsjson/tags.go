package awsjson

import (
	"context"
	"errors"

	"github.com/stepwise-dev/stepwise/engine"
)

type tagResourceInput struct {
	ResourceArn *string `json:"resourceArn"`
	Tags        []tag   `json:"tags"`
}

type untagResourceInput struct {
	ResourceArn *string  `json:"resourceArn"`
	TagKeys     []string `json:"tagKeys"`
}

type listTagsOutput struct {
	Tags []tag `json:"tags"`
}

// tagError maps a tagging error on the resource arn.
func tagError(err error, arn string) error {
	switch {
	case errors.Is(err, engine.ErrNotFound):
		return errResourceNotFound(arn)
	case errors.Is(err, engine.ErrTooManyTags):
		return &APIError{Code: "TooManyTags", Message: "Too many tags: '" + arn + "'"}
	}
	return err
}

// checkResourceARN answers InvalidArn for what is not a Step Functions ARN
// of a taggable type.
func checkResourceARN(s string) error {
	_, err := parseARN(s, "stateMachine", "activity")
	return err
}

func engineTags(tags []tag) []engine.Tag {
	ts := make([]engine.Tag, len(tags))
	for i, t := range tags {
		ts[i] = engine.Tag{Key: t.Key, Value: t.Value}
	}
	return ts
}

func (h *handler) tag(ctx context.Context, arn string, tags []tag) error {
	return tagError(h.eng.TagResource(ctx, arn, engineTags(tags)), arn)
}

// checkNewTags refuses the tags of a create (of the resource arn) before
// anything is created, as TagResource would refuse them.
func checkNewTags(arn string, tags []tag) error {
	if err := engine.ValidTags(engineTags(tags)); err != nil {
		return toAPIError(tagError(err, arn))
	}
	return nil
}

func (h *handler) tagResource(ctx context.Context, in *tagResourceInput) (*empty, error) {
	var v violations
	v.length(in.ResourceArn, "resourceArn", 1, 256, true)
	if in.Tags == nil {
		v.add(nil, "tags", "not be null")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := checkResourceARN(*in.ResourceArn); err != nil {
		return nil, err
	}
	if err := h.tag(ctx, *in.ResourceArn, in.Tags); err != nil {
		return nil, err
	}
	return &empty{}, nil
}

func (h *handler) untagResource(ctx context.Context, in *untagResourceInput) (*empty, error) {
	var v violations
	v.length(in.ResourceArn, "resourceArn", 1, 256, true)
	if in.TagKeys == nil {
		v.add(nil, "tagKeys", "not be null")
	}
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := checkResourceARN(*in.ResourceArn); err != nil {
		return nil, err
	}
	if err := h.eng.UntagResource(ctx, *in.ResourceArn, in.TagKeys); err != nil {
		return nil, tagError(err, *in.ResourceArn)
	}
	return &empty{}, nil
}

func (h *handler) listTagsForResource(ctx context.Context, in *tagResourceInput) (*listTagsOutput, error) {
	var v violations
	v.length(in.ResourceArn, "resourceArn", 1, 256, true)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := checkResourceARN(*in.ResourceArn); err != nil {
		return nil, err
	}
	ts, err := h.eng.ListTagsForResource(ctx, *in.ResourceArn)
	if err != nil {
		return nil, tagError(err, *in.ResourceArn)
	}
	out := &listTagsOutput{Tags: make([]tag, len(ts))}
	for i, t := range ts {
		out.Tags[i] = tag{Key: t.Key, Value: t.Value}
	}
	return out, nil
}
