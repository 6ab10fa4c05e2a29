package scheduler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/api/scheduler"
	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/internal/pgtest"
)

const machineARN = "arn:aws:states:us-east-1:111111111111:stateMachine:sched"

// clock is a manual clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	url   string
	eng   *engine.Engine
	sched *scheduler.Handler
	clock *clock
}

// newFixture serves the whole HTTP API (api.Server, the scheduler mounted
// as `stepwise server` mounts it) on a Postgres store, with a manual
// clock for the schedules and a state machine "sched" to target.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	st, _ := pgtest.Store(t)
	c := &clock{now: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	eng, err := engine.New(engine.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.CreateStateMachine(context.Background(), "sched",
		`{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`, "arn:aws:iam::111111111111:role/r"); err != nil {
		t.Fatal(err)
	}
	sched := scheduler.New(scheduler.Config{Store: st, Engine: eng, Now: c.Now})
	srv, err := api.New(api.Config{Engine: eng, Schedules: sched})
	if err != nil {
		t.Fatal(err)
	}
	h, err := srv.HTTPHandler(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return &fixture{url: ts.URL, eng: eng, sched: sched, clock: c}
}

// do makes one REST-JSON call and returns the status, the error type
// header and the decoded body.
func (f *fixture) do(t *testing.T, method, path string, body any) (int, string, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, f.url+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s %s answered %d %q: not JSON", method, path, resp.StatusCode, b)
	}
	return resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), m
}

func scheduleBody(expr string) map[string]any {
	return map[string]any{
		"ScheduleExpression": expr,
		"FlexibleTimeWindow": map[string]any{"Mode": "OFF"},
		"Target":             map[string]any{"Arn": machineARN, "RoleArn": "arn:aws:iam::111111111111:role/r", "Input": `{"at":"<aws.scheduler.scheduled-time>"}`},
	}
}

func TestSchedulesOverHTTP(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	code, _, out := f.do(t, "POST", "/schedules/every-minute", scheduleBody("rate(1 minute)"))
	if code != 200 || out["ScheduleArn"] != "arn:aws:scheduler:us-east-1:111111111111:schedule/default/every-minute" {
		t.Fatalf("CreateSchedule = %d %v", code, out)
	}
	if code, typ, _ := f.do(t, "POST", "/schedules/every-minute", scheduleBody("rate(1 minute)")); code != 409 || typ != "ConflictException" {
		t.Fatalf("CreateSchedule again = %d %s; want 409 ConflictException", code, typ)
	}
	// The same request again (its ClientToken) is not a conflict.
	body := scheduleBody("rate(1 hour)")
	body["ClientToken"] = "token-1"
	for i := range 2 {
		if code, _, out := f.do(t, "POST", "/schedules/retried", body); code != 200 {
			t.Fatalf("CreateSchedule with ClientToken, call %d = %d %v; want 200", i+1, code, out)
		}
	}
	body["ClientToken"] = "token-2"
	if code, typ, _ := f.do(t, "POST", "/schedules/retried", body); code != 409 || typ != "ConflictException" {
		t.Fatalf("CreateSchedule with another ClientToken = %d %s; want 409 ConflictException", code, typ)
	}
	if code, _, _ := f.do(t, "DELETE", "/schedules/retried", nil); code != 200 {
		t.Fatalf("DeleteSchedule(retried) = %d", code)
	}
	code, typ, out := f.do(t, "POST", "/schedules/bad", scheduleBody("cron(0 12 * * * *)"))
	if code != 400 || typ != "ValidationException" || !strings.Contains(out["Message"].(string), "ScheduleExpression") {
		t.Fatalf("CreateSchedule(bad cron) = %d %s %v; want a ValidationException naming ScheduleExpression", code, typ, out)
	}
	body = scheduleBody("rate(1 minute)")
	body["GroupName"] = "nope"
	if code, typ, out := f.do(t, "POST", "/schedules/x", body); code != 404 || typ != "ResourceNotFoundException" || out["Message"] != "Schedule group nope does not exist." {
		t.Fatalf("CreateSchedule in a missing group = %d %s %v", code, typ, out)
	}

	code, _, got := f.do(t, "GET", "/schedules/every-minute", nil)
	if code != 200 || got["ScheduleExpression"] != "rate(1 minute)" || got["State"] != "ENABLED" || got["GroupName"] != "default" ||
		got["CreationDate"] != float64(f.clock.Now().Unix()) || got["Target"].(map[string]any)["RetryPolicy"].(map[string]any)["MaximumRetryAttempts"] != float64(185) {
		t.Fatalf("GetSchedule = %d %v", code, got)
	}
	if code, typ, _ := f.do(t, "GET", "/schedules/missing", nil); code != 404 || typ != "ResourceNotFoundException" {
		t.Fatalf("GetSchedule(missing) = %d %s", code, typ)
	}

	// A tick a minute later starts one execution, named after the
	// schedule and the tick, with the templated input.
	f.clock.Add(time.Minute)
	if n, err := f.sched.Tick(context.Background()); n != 1 || err != nil {
		t.Fatalf("Tick() = %d, %v; want 1 tick fired", n, err)
	}
	xarn := "arn:aws:states:us-east-1:111111111111:execution:sched:every-minute-20260301T100100Z"
	x, err := f.eng.DescribeExecution(context.Background(), xarn)
	if err != nil || x.Input != `{"at":"2026-03-01T10:01:00Z"}` {
		t.Fatalf("the tick's execution: %+v, %v", x, err)
	}
	// GetSchedule tells the next ticks and the last fired (Stepwise's
	// additions).
	_, _, got = f.do(t, "GET", "/schedules/every-minute", nil)
	next, _ := got["NextInvocations"].([]any)
	recent, _ := got["RecentInvocations"].([]any)
	start := float64(f.clock.Now().Unix())
	if len(next) != 5 || next[0] != start+60 || next[4] != start+300 || len(recent) != 1 ||
		recent[0].(map[string]any)["ExecutionArn"] != xarn || recent[0].(map[string]any)["ScheduledTime"] != start {
		t.Fatalf("GetSchedule NextInvocations %v, RecentInvocations %v; want 5 minutes from 10:02 and the 10:01 tick", next, recent)
	}

	upd := scheduleBody("cron(0 12 * * ? *)")
	upd["State"] = "DISABLED"
	upd["ScheduleExpressionTimezone"] = "Europe/Paris"
	if code, _, out := f.do(t, "PUT", "/schedules/every-minute", upd); code != 200 || out["ScheduleArn"] == nil {
		t.Fatalf("UpdateSchedule = %d %v", code, out)
	}
	if code, typ, _ := f.do(t, "PUT", "/schedules/missing", upd); code != 404 || typ != "ResourceNotFoundException" {
		t.Fatalf("UpdateSchedule(missing) = %d %s", code, typ)
	}
	_, _, got = f.do(t, "GET", "/schedules/every-minute", nil)
	if got["State"] != "DISABLED" || got["ScheduleExpressionTimezone"] != "Europe/Paris" || got["CreationDate"] == got["LastModificationDate"] {
		t.Fatalf("GetSchedule after UpdateSchedule = %v", got)
	}

	// Groups.
	if code, _, out := f.do(t, "POST", "/schedule-groups/reports", map[string]any{}); code != 200 ||
		out["ScheduleGroupArn"] != "arn:aws:scheduler:us-east-1:111111111111:schedule-group/reports" {
		t.Fatalf("CreateScheduleGroup = %d %v", code, out)
	}
	body = scheduleBody("at(2026-12-24T18:00:00)")
	body["GroupName"] = "reports"
	if code, _, out := f.do(t, "POST", "/schedules/xmas", body); code != 200 {
		t.Fatalf("CreateSchedule in reports = %d %v", code, out)
	}
	_, _, list := f.do(t, "GET", "/schedules?MaxResults=1", nil)
	first := list["Schedules"].([]any)
	if len(first) != 1 || first[0].(map[string]any)["Name"] != "every-minute" || list["NextToken"] == nil {
		t.Fatalf("ListSchedules(MaxResults=1) = %v", list)
	}
	_, _, list = f.do(t, "GET", "/schedules?MaxResults=1&NextToken="+list["NextToken"].(string), nil)
	second := list["Schedules"].([]any)
	if len(second) != 1 || second[0].(map[string]any)["Name"] != "xmas" || list["NextToken"] != nil {
		t.Fatalf("ListSchedules page 2 = %v", list)
	}
	_, _, list = f.do(t, "GET", "/schedules?ScheduleGroup=reports", nil)
	if n := len(list["Schedules"].([]any)); n != 1 {
		t.Fatalf("ListSchedules(ScheduleGroup=reports) = %v", list)
	}
	if code, typ, _ := f.do(t, "GET", "/schedules?ScheduleGroup=nope", nil); code != 404 || typ != "ResourceNotFoundException" {
		t.Fatalf("ListSchedules(ScheduleGroup=nope) = %d %s; want ResourceNotFoundException", code, typ)
	}
	_, _, groups := f.do(t, "GET", "/schedule-groups", nil)
	if gs := groups["ScheduleGroups"].([]any); len(gs) != 2 || gs[0].(map[string]any)["Name"] != "default" || gs[1].(map[string]any)["State"] != "ACTIVE" {
		t.Fatalf("ListScheduleGroups = %v", groups)
	}
	if code, typ, _ := f.do(t, "DELETE", "/schedule-groups/default", nil); code != 400 || typ != "ValidationException" {
		t.Fatalf("DeleteScheduleGroup(default) = %d %s; want a ValidationException", code, typ)
	}
	if code, _, _ := f.do(t, "DELETE", "/schedule-groups/reports", nil); code != 200 {
		t.Fatalf("DeleteScheduleGroup(reports) = %d", code)
	}
	if code, _, _ := f.do(t, "GET", "/schedules/xmas?groupName=reports", nil); code != 404 {
		t.Fatalf("GetSchedule(reports/xmas) after its group's deletion = %d; want 404", code)
	}
	if code, _, _ := f.do(t, "DELETE", "/schedules/every-minute", nil); code != 200 {
		t.Fatalf("DeleteSchedule = %d", code)
	}
	if code, typ, _ := f.do(t, "DELETE", "/schedules/every-minute", nil); code != 404 || typ != "ResourceNotFoundException" {
		t.Fatalf("DeleteSchedule again = %d %s", code, typ)
	}
}
