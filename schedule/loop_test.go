package schedule

import (
	"testing"
	"time"
)

func TestLatestDue(t *testing.T) {
	t.Parallel()
	now := utc("2026-06-15T10:30:30Z")
	for _, tc := range []struct{ expr, from, want string }{
		{"cron(* * * * ? *)", "2026-03-01T00:00:00Z", "2026-06-15T10:30:00Z"}, // 150,000 minutes missed
		{"cron(0 0 1 * ? *)", "2026-01-01T00:00:00Z", "2026-06-01T00:00:00Z"},
		{"rate(1 second)", "2026-06-01T00:00:00Z", "2026-06-15T10:30:30Z"},
		{"rate(7 days)", "2026-03-01T10:00:00Z", "2026-06-14T10:00:00Z"},
		{"cron(0 12 * * ? *)", "2026-06-15T12:00:00Z", "2026-06-15T12:00:00Z"}, // not due yet: itself
	} {
		s := &Schedule{Expression: tc.expr, Created: utc("2026-03-01T10:00:00Z")}
		if got := latestDue(s, utc(tc.from), now); !got.Equal(utc(tc.want)) {
			t.Errorf("latestDue(%s, from %s) = %s; want %s", tc.expr, tc.from, got.Format(time.RFC3339), tc.want)
		}
	}
}
