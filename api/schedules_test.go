package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"

	stepwisev1 "github.com/stepwise-dev/stepwise/api/gen/stepwise/v1"
	"github.com/stepwise-dev/stepwise/internal/testserver"
)

// TestGRPCSchedules drives ScheduleService over gRPC: a rate(1 second)
// schedule is created, shows its next ticks, fires (an execution of its
// target), is listed, disabled, refused twice, and deleted; groups too.
func TestGRPCSchedules(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{Schedules: true})
	c := dial(t, srv.GRPCAddr)
	conn, err := grpc.NewClient(srv.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sc := stepwisev1.NewScheduleServiceClient(conn)
	ctx := context.Background()
	sm, err := c.sm.CreateStateMachine(ctx, &stepwisev1.CreateStateMachineRequest{Name: "ticked", Definition: passDef})
	if err != nil {
		t.Fatal(err)
	}
	want := &stepwisev1.Schedule{Name: "every-second", Expression: "rate(1 second)",
		Target: &stepwisev1.ScheduleTarget{Arn: sm.StateMachine.Arn, Input: `{"at":"<aws.scheduler.scheduled-time>"}`}}
	created, err := sc.CreateSchedule(ctx, &stepwisev1.CreateScheduleRequest{Schedule: want, ClientToken: "tok-1"})
	if err != nil {
		t.Fatalf("CreateSchedule: %v", err)
	}
	s := created.Schedule
	if s.Group != "default" || s.State != stepwisev1.ScheduleState_SCHEDULE_STATE_ENABLED || s.CatchUp != "ONE" ||
		!strings.HasSuffix(s.Arn, ":schedule/default/every-second") || s.Created.GetRfc3339() == "" {
		t.Errorf("CreateSchedule = %v; want group default, ENABLED, catch-up ONE, an ARN and a creation date", s)
	}
	again, err := sc.CreateSchedule(ctx, &stepwisev1.CreateScheduleRequest{Schedule: want, ClientToken: "tok-1"})
	if err != nil || again.Schedule.Created.GetRfc3339() != s.Created.GetRfc3339() {
		t.Errorf("CreateSchedule with the same client token = %v, %v; want the same schedule", again, err)
	}
	_, err = sc.CreateSchedule(ctx, &stepwisev1.CreateScheduleRequest{Schedule: want, ClientToken: "tok-2"})
	wantCode(t, "CreateSchedule of a taken name", err, codes.AlreadyExists)
	_, err = sc.CreateSchedule(ctx, &stepwisev1.CreateScheduleRequest{Schedule: &stepwisev1.Schedule{Name: "bad", Expression: "rate(x)",
		Target: &stepwisev1.ScheduleTarget{Arn: sm.StateMachine.Arn}}})
	wantCode(t, "CreateSchedule of rate(x)", err, codes.InvalidArgument)

	// Its next 5 ticks, one second apart; then its first fired tick.
	var got *stepwisev1.GetScheduleResponse
	for {
		if got, err = sc.GetSchedule(ctx, &stepwisev1.GetScheduleRequest{Name: "every-second"}); err != nil {
			t.Fatal(err)
		}
		if len(got.RecentTicks) > 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(got.NextTicks) != 5 {
		t.Fatalf("GetSchedule next ticks = %v; want 5", got.NextTicks)
	}
	for i := 1; i < 5; i++ {
		a, _ := time.Parse(time.RFC3339, got.NextTicks[i-1].Rfc3339)
		b, _ := time.Parse(time.RFC3339, got.NextTicks[i].Rfc3339)
		if b.Sub(a) != time.Second {
			t.Errorf("next ticks %v and %v are not 1 s apart", a, b)
		}
	}
	tick := got.RecentTicks[0]
	if tick.ExecutionArn == "" || tick.Error != "" {
		t.Fatalf("the fired tick = %v; want an execution", tick)
	}
	x := waitDone(t, c, tick.ExecutionArn)
	if !strings.Contains(x.Output, `"at":"`+strings.TrimSuffix(tick.Time.Rfc3339, ".000Z")) {
		t.Errorf("the tick's execution output = %s; want the scheduled time %s in it", x.Output, tick.Time.Rfc3339)
	}

	list, err := sc.ListSchedules(ctx, &stepwisev1.ListSchedulesRequest{NamePrefix: "every"})
	if err != nil || len(list.Schedules) != 1 || list.Schedules[0].Name != "every-second" {
		t.Errorf("ListSchedules = %v, %v; want every-second", list, err)
	}
	s.State = stepwisev1.ScheduleState_SCHEDULE_STATE_DISABLED
	if _, err := sc.UpdateSchedule(ctx, &stepwisev1.UpdateScheduleRequest{Schedule: s}); err != nil {
		t.Fatalf("UpdateSchedule: %v", err)
	}
	if got, err = sc.GetSchedule(ctx, &stepwisev1.GetScheduleRequest{Name: "every-second"}); err != nil ||
		got.Schedule.State != stepwisev1.ScheduleState_SCHEDULE_STATE_DISABLED || len(got.NextTicks) != 0 {
		t.Errorf("GetSchedule of the disabled schedule = %v, %v; want DISABLED with no next ticks", got, err)
	}
	if list, err = sc.ListSchedules(ctx, &stepwisev1.ListSchedulesRequest{State: stepwisev1.ScheduleState_SCHEDULE_STATE_ENABLED}); err != nil || len(list.Schedules) != 0 {
		t.Errorf("ListSchedules ENABLED = %v, %v; want none", list, err)
	}

	// Groups.
	if _, err := sc.CreateScheduleGroup(ctx, &stepwisev1.CreateScheduleGroupRequest{Name: "nightly"}); err != nil {
		t.Fatal(err)
	}
	_, err = sc.CreateScheduleGroup(ctx, &stepwisev1.CreateScheduleGroupRequest{Name: "nightly"})
	wantCode(t, "CreateScheduleGroup again", err, codes.AlreadyExists)
	groups, err := sc.ListScheduleGroups(ctx, &stepwisev1.ListScheduleGroupsRequest{})
	if err != nil || len(groups.Groups) != 2 || groups.Groups[0].Name != "default" || groups.Groups[1].Name != "nightly" {
		t.Errorf("ListScheduleGroups = %v, %v; want default, nightly", groups, err)
	}
	_, err = sc.DeleteScheduleGroup(ctx, &stepwisev1.DeleteScheduleGroupRequest{Name: "default"})
	wantCode(t, "DeleteScheduleGroup default", err, codes.InvalidArgument)
	if _, err := sc.DeleteScheduleGroup(ctx, &stepwisev1.DeleteScheduleGroupRequest{Name: "nightly"}); err != nil {
		t.Fatal(err)
	}
	_, err = sc.ListSchedules(ctx, &stepwisev1.ListSchedulesRequest{Group: "nightly"})
	wantCode(t, "ListSchedules of a deleted group", err, codes.NotFound)

	if _, err := sc.DeleteSchedule(ctx, &stepwisev1.DeleteScheduleRequest{Name: "every-second"}); err != nil {
		t.Fatal(err)
	}
	_, err = sc.GetSchedule(ctx, &stepwisev1.GetScheduleRequest{Name: "every-second"})
	wantCode(t, "GetSchedule after DeleteSchedule", err, codes.NotFound)
}

// TestRESTSchedules drives the same service through the REST gateway:
// times are RFC 3339 text.
func TestRESTSchedules(t *testing.T) {
	t.Parallel()
	srv := testserver.Start(t, testserver.Options{Schedules: true})
	base := srv.HTTPURL + "/v1"
	if code, body := do(t, "POST", base+"/state-machines", `{"name":"m","definition":`+jsonString(passDef)+`}`); code != 200 {
		t.Fatalf("POST /v1/state-machines = %d %v", code, body)
	}
	arn := "arn:aws:states:us-east-1:111111111111:stateMachine:m"
	code, body := do(t, "POST", base+"/schedules", `{"schedule":{"name":"noon","expression":"cron(0 12 * * ? *)","timezone":"Europe/Paris","target":{"arn":"`+arn+`"}}}`)
	if code != 200 || dig(body, "schedule", "state") != "SCHEDULE_STATE_ENABLED" {
		t.Fatalf("POST /v1/schedules = %d %v", code, body)
	}
	code, body = do(t, "GET", base+"/schedules/default/noon", "")
	next, _ := body["nextTicks"].([]any)
	if code != 200 || len(next) != 5 {
		t.Fatalf("GET /v1/schedules/default/noon = %d %v; want 5 next ticks", code, body)
	}
	for _, n := range next {
		at, err := time.Parse(time.RFC3339, n.(string))
		if paris, _ := time.LoadLocation("Europe/Paris"); err != nil || at.In(paris).Hour() != 12 {
			t.Errorf("next tick %v (%v); want noon in Paris as RFC 3339 text", n, err)
		}
	}
	code, body = do(t, "PUT", base+"/schedules/default/noon", `{"schedule":{"expression":"rate(1 day)","state":"SCHEDULE_STATE_DISABLED","target":{"arn":"`+arn+`"}}}`)
	if code != 200 || dig(body, "schedule", "expression") != "rate(1 day)" {
		t.Errorf("PUT /v1/schedules/default/noon = %d %v", code, body)
	}
	code, body = do(t, "GET", base+"/schedules", "")
	if list, _ := body["schedules"].([]any); code != 200 || len(list) != 1 || dig(list[0], "state") != "SCHEDULE_STATE_DISABLED" {
		t.Errorf("GET /v1/schedules = %d %v", code, body)
	}
	if code, body = do(t, "DELETE", base+"/schedules/default/noon", ""); code != 200 {
		t.Errorf("DELETE = %d %v", code, body)
	}
	if code, _ = do(t, "GET", base+"/schedules/default/noon", ""); code != 404 {
		t.Errorf("GET after DELETE = %d; want 404", code)
	}
}
