package scheduler_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	"github.com/aws/aws-sdk-go-v2/service/scheduler/types"
)

// TestSDKScheduler drives the endpoint with the AWS SDK for Go v2
// scheduler client: create, get, list, update, delete a schedule and a
// group, the group's tags, and AWS's error types.
func TestSDKScheduler(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := scheduler.New(scheduler.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(f.url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDSTEPWISE", "not-a-secret", ""),
	})
	ctx := context.Background()
	target := &types.Target{Arn: aws.String(machineARN), RoleArn: aws.String("arn:aws:iam::111111111111:role/r"), Input: aws.String(`{"k":1}`),
		RetryPolicy: &types.RetryPolicy{MaximumRetryAttempts: aws.Int32(3), MaximumEventAgeInSeconds: aws.Int32(600)}}
	gr, err := c.CreateScheduleGroup(ctx, &scheduler.CreateScheduleGroupInput{Name: aws.String("ops"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("core")}}})
	if err != nil {
		t.Fatalf("CreateScheduleGroup: %v", err)
	}
	if _, err := c.TagResource(ctx, &scheduler.TagResourceInput{ResourceArn: gr.ScheduleGroupArn,
		Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("dev")}, {Key: aws.String("tmp"), Value: aws.String("x")}}}); err != nil {
		t.Fatalf("TagResource: %v", err)
	}
	if _, err := c.UntagResource(ctx, &scheduler.UntagResourceInput{ResourceArn: gr.ScheduleGroupArn, TagKeys: []string{"tmp"}}); err != nil {
		t.Fatalf("UntagResource: %v", err)
	}
	tags, err := c.ListTagsForResource(ctx, &scheduler.ListTagsForResourceInput{ResourceArn: gr.ScheduleGroupArn})
	if err != nil || len(tags.Tags) != 2 || aws.ToString(tags.Tags[0].Key) != "env" || aws.ToString(tags.Tags[1].Value) != "core" {
		t.Fatalf("ListTagsForResource = %+v, %v; want env=dev, team=core", tags, err)
	}
	end := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	cr, err := c.CreateSchedule(ctx, &scheduler.CreateScheduleInput{
		Name: aws.String("hourly"), GroupName: aws.String("ops"), ScheduleExpression: aws.String("cron(0 * * * ? *)"),
		ScheduleExpressionTimezone: aws.String("Europe/Paris"), EndDate: aws.Time(end),
		FlexibleTimeWindow: &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeOff}, Target: target,
		ActionAfterCompletion: types.ActionAfterCompletionDelete,
	})
	if err != nil || aws.ToString(cr.ScheduleArn) != "arn:aws:scheduler:us-east-1:111111111111:schedule/ops/hourly" {
		t.Fatalf("CreateSchedule = %v, %v", cr, err)
	}
	g, err := c.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("hourly"), GroupName: aws.String("ops")})
	if err != nil {
		t.Fatalf("GetSchedule: %v", err)
	}
	if aws.ToString(g.ScheduleExpression) != "cron(0 * * * ? *)" || g.State != types.ScheduleStateEnabled || !aws.ToTime(g.EndDate).Equal(end) ||
		aws.ToInt32(g.Target.RetryPolicy.MaximumRetryAttempts) != 3 || g.ActionAfterCompletion != types.ActionAfterCompletionDelete ||
		g.CreationDate == nil || !g.CreationDate.Equal(f.clock.Now()) {
		t.Fatalf("GetSchedule = %+v", g)
	}
	if _, err := c.UpdateSchedule(ctx, &scheduler.UpdateScheduleInput{
		Name: aws.String("hourly"), GroupName: aws.String("ops"), ScheduleExpression: aws.String("rate(2 hours)"),
		FlexibleTimeWindow: &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeFlexible, MaximumWindowInMinutes: aws.Int32(15)},
		Target:             target, State: types.ScheduleStateDisabled,
	}); err != nil {
		t.Fatalf("UpdateSchedule: %v", err)
	}
	l, err := c.ListSchedules(ctx, &scheduler.ListSchedulesInput{GroupName: aws.String("ops"), State: types.ScheduleStateDisabled})
	if err != nil || len(l.Schedules) != 1 || aws.ToString(l.Schedules[0].Name) != "hourly" || aws.ToString(l.Schedules[0].Target.Arn) != machineARN {
		t.Fatalf("ListSchedules = %+v, %v", l, err)
	}
	gs, err := c.ListScheduleGroups(ctx, &scheduler.ListScheduleGroupsInput{NamePrefix: aws.String("op")})
	if err != nil || len(gs.ScheduleGroups) != 1 || gs.ScheduleGroups[0].State != types.ScheduleGroupStateActive {
		t.Fatalf("ListScheduleGroups = %+v, %v", gs, err)
	}
	_, err = c.CreateSchedule(ctx, &scheduler.CreateScheduleInput{Name: aws.String("hourly"), GroupName: aws.String("ops"),
		ScheduleExpression: aws.String("rate(1 hour)"), FlexibleTimeWindow: &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeOff}, Target: target})
	var ce *types.ConflictException
	if !errors.As(err, &ce) {
		t.Fatalf("CreateSchedule again = %v; want a ConflictException", err)
	}
	_, err = c.CreateSchedule(ctx, &scheduler.CreateScheduleInput{Name: aws.String("bad"),
		ScheduleExpression: aws.String("rate(1 fortnight)"), FlexibleTimeWindow: &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeOff}, Target: target})
	var ve *types.ValidationException
	if !errors.As(err, &ve) {
		t.Fatalf("CreateSchedule(rate(1 fortnight)) = %v; want a ValidationException", err)
	}
	if _, err := c.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{Name: aws.String("hourly"), GroupName: aws.String("ops")}); err != nil {
		t.Fatalf("DeleteSchedule: %v", err)
	}
	_, err = c.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("hourly"), GroupName: aws.String("ops")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("GetSchedule after DeleteSchedule = %v; want a ResourceNotFoundException", err)
	}
	if _, err := c.DeleteScheduleGroup(ctx, &scheduler.DeleteScheduleGroupInput{Name: aws.String("ops")}); err != nil {
		t.Fatalf("DeleteScheduleGroup: %v", err)
	}
	_, err = c.ListTagsForResource(ctx, &scheduler.ListTagsForResourceInput{ResourceArn: gr.ScheduleGroupArn})
	if !errors.As(err, &nf) {
		t.Fatalf("ListTagsForResource of a deleted group = %v; want a ResourceNotFoundException", err)
	}
}
