package schedule

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParseExpressionErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ expr, want string }{
		{"every 5 minutes", "want rate(...), cron(...) or at(...)"},
		{"rate(5 minute)", `rate: unit "minute" must be plural`},
		{"rate(1 minutes)", `rate: unit "minutes" must be singular`},
		{"rate(0 minutes)", `rate: value "0" must be a positive integer`},
		{"rate(5 fortnights)", `rate: unit "fortnights"`},
		{"rate(5)", `rate: want "value unit"`},
		{"rate(1000000 days)", "rate: 1000000 days is more than 100 years"},
		{"cron(0 12 * * ?)", "cron: want 6 fields"},
		{"cron(60 12 * * ? *)", `minutes: "60" is out of range 0-59`},
		{"cron(0 24 * * ? *)", `hours: "24" is out of range 0-23`},
		{"cron(0 12 32 * ? *)", `day-of-month: "32" is out of range 1-31`},
		{"cron(0 12 * FOO ? *)", `month: "FOO" is not a value 1-12`},
		{"cron(0 12 ? * 8 *)", `day-of-week: "8" is out of range 1-7`},
		{"cron(0 12 ? * MON#6 *)", "day-of-week: \"MON#6\": # wants"},
		{"cron(0 12 * * * *)", "one of day-of-month and day-of-week must be ?"},
		{"cron(0 12 ? * ? *)", "one of day-of-month and day-of-week must be ?"},
		{"cron(0 12 * * ? 1969)", `year: "1969" is out of range 1970-2199`},
		{"cron(0/0 12 * * ? *)", `minutes: "0/0" has a bad step`},
		{"cron(5-1 12 * * ? *)", `minutes: "5-1" is out of range`},
		{"cron(0 12 40W * ? *)", `day-of-month: "40W"`},
		{"at(2026-12-24 18:00:00)", "at: \"2026-12-24 18:00:00\" is not yyyy-mm-ddThh:mm:ss"},
	} {
		_, err := ParseExpression(tc.expr)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseExpression(%q) = %v; want an error containing %q", tc.expr, err, tc.want)
		}
	}
}

func TestNextTick(t *testing.T) {
	t.Parallel()
	created := utc("2026-03-01T10:00:00Z")
	for _, tc := range []struct {
		name, expr, tz string
		start, end     string
		after          string
		want           []string // the next ticks, in order
		done           bool     // and none after them
	}{
		{name: "rate from creation", expr: "rate(5 minutes)", after: "2026-03-01T10:00:00Z",
			want: []string{"2026-03-01T10:05:00Z", "2026-03-01T10:10:00Z", "2026-03-01T10:15:00Z"}},
		{name: "rate seconds extension", expr: "rate(1 second)", after: "2026-03-01T10:00:00Z",
			want: []string{"2026-03-01T10:00:01Z", "2026-03-01T10:00:02Z"}},
		{name: "rate mid-period", expr: "rate(1 hour)", after: "2026-03-01T12:30:00Z",
			want: []string{"2026-03-01T13:00:00Z"}},
		{name: "rate from start date", expr: "rate(2 days)", start: "2026-04-01T06:00:00Z", after: "2026-03-01T10:00:00Z",
			want: []string{"2026-04-01T06:00:00Z", "2026-04-03T06:00:00Z"}},
		{name: "rate until end date", expr: "rate(1 day)", end: "2026-03-03T10:00:00Z", after: "2026-03-01T10:00:00Z",
			want: []string{"2026-03-02T10:00:00Z"}, done: true},
		{name: "cron noon daily", expr: "cron(0 12 * * ? *)", after: "2026-03-01T12:00:00Z",
			want: []string{"2026-03-02T12:00:00Z", "2026-03-03T12:00:00Z"}},
		{name: "cron steps and lists", expr: "cron(0/20 8,17 ? * MON-FRI *)", after: "2026-03-06T17:40:00Z", // a Friday
			want: []string{"2026-03-09T08:00:00Z", "2026-03-09T08:20:00Z", "2026-03-09T08:40:00Z", "2026-03-09T17:00:00Z"}},
		{name: "cron last day of month", expr: "cron(0 0 L * ? *)", after: "2026-01-31T00:00:00Z",
			want: []string{"2026-02-28T00:00:00Z", "2026-03-31T00:00:00Z"}},
		{name: "cron leap day", expr: "cron(0 0 29 FEB ? *)", after: "2026-01-01T00:00:00Z",
			want: []string{"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"}},
		{name: "cron nearest weekday", expr: "cron(0 9 15W * ? *)", after: "2026-02-01T00:00:00Z", // 15 Feb 2026 is a Sunday, 15 Mar 2026 too
			want: []string{"2026-02-16T09:00:00Z", "2026-03-16T09:00:00Z", "2026-04-15T09:00:00Z"}},
		{name: "cron 1W on a Saturday", expr: "cron(0 9 1W * ? *)", after: "2026-07-31T00:00:00Z", // 1 Aug 2026 is a Saturday
			want: []string{"2026-08-03T09:00:00Z"}},
		{name: "cron last weekday", expr: "cron(0 9 LW * ? *)", after: "2026-05-01T00:00:00Z", // 31 May 2026 is a Sunday
			want: []string{"2026-05-29T09:00:00Z", "2026-06-30T09:00:00Z"}},
		{name: "cron second Tuesday", expr: "cron(30 14 ? * 3#2 *)", after: "2026-03-01T00:00:00Z",
			want: []string{"2026-03-10T14:30:00Z", "2026-04-14T14:30:00Z"}},
		{name: "cron last Friday", expr: "cron(0 18 ? * FRIL *)", after: "2026-03-01T00:00:00Z",
			want: []string{"2026-03-27T18:00:00Z", "2026-04-24T18:00:00Z"}},
		{name: "cron L day of week is Saturday", expr: "cron(0 0 ? * L *)", after: "2026-03-01T00:00:00Z",
			want: []string{"2026-03-07T00:00:00Z"}},
		{name: "cron names and year range", expr: "cron(0 0 1 jan,JUL ? 2027-2028)", after: "2026-03-01T00:00:00Z",
			want: []string{"2027-01-01T00:00:00Z", "2027-07-01T00:00:00Z", "2028-01-01T00:00:00Z", "2028-07-01T00:00:00Z"}, done: true},
		{name: "cron in a time zone", expr: "cron(0 9 * * ? *)", tz: "Europe/Paris", after: "2026-03-01T00:00:00Z",
			want: []string{"2026-03-01T08:00:00Z", "2026-03-02T08:00:00Z"}},
		// New York springs forward at 02:00 on 8 Mar 2026: 02:30 does not exist that day.
		{name: "DST spring forward skips", expr: "cron(30 2 * * ? *)", tz: "America/New_York", after: "2026-03-07T08:00:00Z",
			want: []string{"2026-03-09T06:30:00Z", "2026-03-10T06:30:00Z"}},
		{name: "DST spring forward hourly", expr: "cron(0 * * * ? *)", tz: "America/New_York", after: "2026-03-08T05:30:00Z",
			want: []string{"2026-03-08T06:00:00Z", "2026-03-08T07:00:00Z", "2026-03-08T08:00:00Z"}}, // 01:00 EST, 03:00 EDT, 04:00 EDT
		// New York falls back at 02:00 on 1 Nov 2026: 01:30 happens twice, fires once.
		{name: "DST fall back fires once", expr: "cron(30 1 * * ? *)", tz: "America/New_York", after: "2026-10-31T12:00:00Z",
			want: []string{"2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"}},
		{name: "DST fall back hourly", expr: "cron(0 * * * ? *)", tz: "America/New_York", after: "2026-11-01T04:30:00Z",
			want: []string{"2026-11-01T05:00:00Z", "2026-11-01T07:00:00Z", "2026-11-01T08:00:00Z"}}, // 01:00 EDT, 02:00 EST, 03:00 EST
		{name: "DST does not move a rate", expr: "rate(1 hour)", tz: "America/New_York", start: "2026-03-08T05:00:00Z", after: "2026-03-08T05:30:00Z",
			want: []string{"2026-03-08T06:00:00Z", "2026-03-08T07:00:00Z", "2026-03-08T08:00:00Z"}},
		{name: "at once", expr: "at(2026-12-24T18:00:00)", after: "2026-03-01T00:00:00Z",
			want: []string{"2026-12-24T18:00:00Z"}, done: true},
		{name: "at in a time zone", expr: "at(2026-12-24T18:00:00)", tz: "Asia/Tokyo", after: "2026-03-01T00:00:00Z",
			want: []string{"2026-12-24T09:00:00Z"}, done: true},
		{name: "at passed", expr: "at(2026-01-01T00:00:00)", after: "2026-03-01T00:00:00Z", done: true},
		{name: "cron years ended", expr: "cron(0 0 1 1 ? 2025)", after: "2026-03-01T00:00:00Z", done: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Schedule{Expression: tc.expr, Timezone: tc.tz, Created: created}
			if tc.start != "" {
				s.StartDate = utc(tc.start)
			}
			if tc.end != "" {
				s.EndDate = utc(tc.end)
			}
			at := utc(tc.after)
			for _, w := range tc.want {
				next, ok := s.NextTick(at)
				if !ok || !next.Equal(utc(w)) {
					t.Fatalf("NextTick(%s) = %s, %v; want %s", at.Format(time.RFC3339), next.Format(time.RFC3339), ok, w)
				}
				at = next
			}
			if next, ok := s.NextTick(at); ok && tc.done {
				t.Fatalf("NextTick(%s) = %s; want none", at.Format(time.RFC3339), next.Format(time.RFC3339))
			}
		})
	}
}

func TestNormalizeNamesEveryField(t *testing.T) {
	t.Parallel()
	s := Schedule{Name: "bad name", Expression: "cron(0 12 * * * *)", Timezone: "Mars/Olympus", State: "PAUSED",
		Window: Window{Mode: "FLEXIBLE", MaximumWindowInMinutes: 2000}, Target: Target{Arn: "arn:aws:lambda:us-east-1:1:function:f",
			RetryPolicy: RetryPolicy{MaximumEventAgeInSeconds: 10}}}
	err := s.Normalize()
	if !errors.Is(err, engine.ErrInvalidInput) {
		t.Fatalf("Normalize() = %v; want ErrInvalidInput", err)
	}
	for _, want := range []string{"Name \"bad name\"", "ScheduleExpression:", "ScheduleExpressionTimezone:", "State:",
		"FlexibleTimeWindow.MaximumWindowInMinutes:", "Target.Arn:", "MaximumEventAgeInSeconds:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Normalize() = %v; want it to name %s", err, want)
		}
	}
}

func TestNormalizeDefaults(t *testing.T) {
	t.Parallel()
	s := Schedule{Name: "nightly", Expression: "rate(1 day)", Target: Target{Arn: "arn:aws:states:us-east-1:111111111111:stateMachine:m:3"}}
	if err := s.Normalize(); err != nil {
		t.Fatalf("Normalize() = %v", err)
	}
	if s.Group != "default" || s.State != Enabled || s.Window.Mode != WindowOff || s.CatchUp != CatchUpOne ||
		s.Target.RetryPolicy != (RetryPolicy{86400, 185}) || s.ActionAfterCompletion != AfterNone {
		t.Fatalf("Normalize() left %+v; want AWS's defaults", s)
	}
	for arn, want := range map[string][2]string{
		s.Target.Arn: {"m", "3"},
		"arn:aws:states:us-east-1:111111111111:stateMachine:m:prod": {"m", "prod"},
		"arn:aws:states:us-east-1:111111111111:stateMachine:m":      {"m", ""},
	} {
		if m, q, err := TargetMachine(arn); m != want[0] || q != want[1] || err != nil {
			t.Errorf("TargetMachine(%q) = %q, %q, %v; want %q, %q", arn, m, q, err, want[0], want[1])
		}
	}
}

func TestExecutionName(t *testing.T) {
	t.Parallel()
	tick := utc("2026-12-24T18:00:00Z")
	for _, tc := range []struct{ group, name, want string }{
		{"default", "nightly", "nightly-20261224T180000Z"},
		{"reports", "nightly", "reports.nightly-20261224T180000Z"},
	} {
		s := &Schedule{Group: tc.group, Name: tc.name}
		if got := s.ExecutionName(tick); got != tc.want {
			t.Errorf("ExecutionName(%s/%s) = %q; want %q", tc.group, tc.name, got, tc.want)
		}
	}
	long := strings.Repeat("g", 64)
	a := (&Schedule{Group: long, Name: strings.Repeat("n", 64)}).ExecutionName(tick)
	b := (&Schedule{Group: long, Name: strings.Repeat("n", 63) + "m"}).ExecutionName(tick)
	if len(a) != 80 || a == b || engine.ValidName(a) != nil {
		t.Fatalf("long names: %q and %q; want two distinct valid 80-character names", a, b)
	}
}

func TestFlexibleOffset(t *testing.T) {
	t.Parallel()
	s := &Schedule{Group: "default", Name: "n", Window: Window{Mode: WindowFlexible, MaximumWindowInMinutes: 15}}
	tick := utc("2026-03-01T10:00:00Z")
	off := s.Offset(tick)
	if off < 0 || off >= 15*time.Minute || off != s.Offset(tick) {
		t.Fatalf("Offset(%s) = %s, then %s; want one value in [0, 15m)", tick, off, s.Offset(tick))
	}
	if (&Schedule{Window: Window{Mode: WindowOff}}).Offset(tick) != 0 {
		t.Fatalf("Offset with the window OFF is not zero")
	}
}

func TestInputTemplate(t *testing.T) {
	t.Parallel()
	s := &Schedule{Target: Target{Input: `{"at":"<aws.scheduler.scheduled-time>","n":<aws.scheduler.attempt-number>,"id":"<aws.scheduler.execution-id>"}`}}
	got := s.Input(utc("2026-12-24T18:00:00Z"), "arn:s", "x-1", 2)
	if want := `{"at":"2026-12-24T18:00:00Z","n":2,"id":"x-1"}`; got != want {
		t.Fatalf("Input() = %s; want %s", got, want)
	}
}
