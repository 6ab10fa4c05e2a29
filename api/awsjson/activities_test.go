package awsjson_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"
)

// TestSDKActivities drives the activity operations with the AWS SDK for Go
// v2: create (idempotent, with tags), describe, list in pages of two
// (maxResults and nextToken), delete (again: no error), and AWS's errors
// (ActivityDoesNotExist, InvalidArn, InvalidName).
func TestSDKActivities(t *testing.T) {
	t.Parallel()
	ts, _ := newServer(t)
	c := sdkClient(ts.URL)
	ctx := context.Background()

	arns := map[string]string{}
	for _, name := range []string{"a1", "a2", "a3"} {
		out, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String(name),
			Tags: []types.Tag{{Key: aws.String("name"), Value: aws.String(name)}}})
		if err != nil {
			t.Fatalf("CreateActivity(%q): %v", name, err)
		}
		if want := "arn:aws:states:us-east-1:111111111111:activity:" + name; aws.ToString(out.ActivityArn) != want || out.CreationDate == nil {
			t.Fatalf("CreateActivity(%q) = %q, %v; want %q and a date", name, aws.ToString(out.ActivityArn), out.CreationDate, want)
		}
		arns[name] = *out.ActivityArn
	}
	// Idempotent on the name; other tags are ignored, not applied (AWS).
	again, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("a1"),
		Tags: []types.Tag{{Key: aws.String("name"), Value: aws.String("other")}, {Key: aws.String("extra"), Value: aws.String("x")}}})
	if err != nil || aws.ToString(again.ActivityArn) != arns["a1"] {
		t.Errorf("CreateActivity(a1 again) = %+v, %v; want the same ARN", again, err)
	}
	if tags, err := c.ListTagsForResource(ctx, &sfn.ListTagsForResourceInput{ResourceArn: aws.String(arns["a1"])}); err != nil ||
		len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Value) != "a1" {
		t.Errorf("ListTagsForResource(a1) after a second create with other tags = %+v, %v; want name=a1 alone", tags, err)
	}
	d, err := c.DescribeActivity(ctx, &sfn.DescribeActivityInput{ActivityArn: aws.String(arns["a2"])})
	if err != nil || aws.ToString(d.Name) != "a2" || aws.ToString(d.ActivityArn) != arns["a2"] || d.CreationDate == nil {
		t.Errorf("DescribeActivity(a2) = %+v, %v", d, err)
	}
	if tags, err := c.ListTagsForResource(ctx, &sfn.ListTagsForResourceInput{ResourceArn: aws.String(arns["a3"])}); err != nil ||
		len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Value) != "a3" {
		t.Errorf("ListTagsForResource(a3) = %+v, %v; want name=a3", tags, err)
	}

	// Pages of two: a1 and a2, then a3 and no token.
	var names []string
	var pages int
	for in := (&sfn.ListActivitiesInput{MaxResults: 2}); ; pages++ {
		page, err := c.ListActivities(ctx, in)
		if err != nil {
			t.Fatalf("ListActivities(%+v): %v", in, err)
		}
		if len(page.Activities) > 2 {
			t.Errorf("ListActivities(maxResults 2) = %d activities", len(page.Activities))
		}
		for _, a := range page.Activities {
			if a.CreationDate == nil || aws.ToString(a.ActivityArn) != arns[aws.ToString(a.Name)] {
				t.Errorf("ListActivities item = %+v", a)
			}
			names = append(names, aws.ToString(a.Name))
		}
		if page.NextToken == nil {
			break
		}
		in.NextToken = page.NextToken
	}
	if len(names) != 3 || pages != 1 {
		t.Errorf("ListActivities pages = %d more, names %v; want a1 a2 a3 in two pages", pages, names)
	}
	// The SDK has no type for ListActivities' ValidationException (the
	// model does not list it): its code is the API error's.
	var apiErr smithy.APIError
	if _, err := c.ListActivities(ctx, &sfn.ListActivitiesInput{MaxResults: 1001}); !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ValidationException" {
		t.Errorf("ListActivities(maxResults 1001) = %v; want ValidationException", err)
	}
	var badToken *types.InvalidToken
	if _, err := c.ListActivities(ctx, &sfn.ListActivitiesInput{NextToken: aws.String("garbage")}); !errors.As(err, &badToken) {
		t.Errorf("ListActivities(nextToken garbage) = %v; want InvalidToken", err)
	}

	if _, err := c.DeleteActivity(ctx, &sfn.DeleteActivityInput{ActivityArn: aws.String(arns["a2"])}); err != nil {
		t.Fatalf("DeleteActivity(a2): %v", err)
	}
	if _, err := c.DeleteActivity(ctx, &sfn.DeleteActivityInput{ActivityArn: aws.String(arns["a2"])}); err != nil {
		t.Errorf("DeleteActivity(a2 again) = %v; want no error, as AWS", err)
	}
	var gone *types.ActivityDoesNotExist
	_, err = c.DescribeActivity(ctx, &sfn.DescribeActivityInput{ActivityArn: aws.String(arns["a2"])})
	if !errors.As(err, &gone) || aws.ToString(gone.Message) != "Activity Does Not Exist: '"+arns["a2"]+"'" {
		t.Errorf("DescribeActivity(deleted) = %v; want ActivityDoesNotExist", err)
	}
	if list, err := c.ListActivities(ctx, &sfn.ListActivitiesInput{}); err != nil || len(list.Activities) != 2 || list.NextToken != nil {
		t.Errorf("ListActivities after delete = %+v, %v; want a1 and a3", list, err)
	}
	var badArn *types.InvalidArn
	for name, call := range map[string]func() error{
		"DescribeActivity": func() error {
			_, err := c.DescribeActivity(ctx, &sfn.DescribeActivityInput{ActivityArn: aws.String("arn:aws:states:us-east-1:111111111111:stateMachine:a1")})
			return err
		},
		"DeleteActivity": func() error {
			_, err := c.DeleteActivity(ctx, &sfn.DeleteActivityInput{ActivityArn: aws.String("not-an-arn")})
			return err
		},
	} {
		if err := call(); !errors.As(err, &badArn) {
			t.Errorf("%s(not an activity ARN) = %v; want InvalidArn", name, err)
		}
	}
	var badName *types.InvalidName
	if _, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("a b")}); !errors.As(err, &badName) {
		t.Errorf("CreateActivity(\"a b\") = %v; want InvalidName", err)
	}
}
