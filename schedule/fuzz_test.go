package schedule

import (
	"testing"
	"time"
)

// FuzzParseExpression: parsing any text, and computing the next ticks of
// what parses, never panics, and a next tick is always after the time
// given.
func FuzzParseExpression(f *testing.F) {
	for _, s := range []string{"rate(5 minutes)", "rate(1 second)", "cron(0 12 * * ? *)", "cron(0/15 8-17 ? * MON-FRI *)",
		"cron(0 0 LW * ? 2026-2030/2)", "cron(30 14 ? * 3#2 *)", "cron(0 18 ? * FRIL *)", "cron(0 9 15W * ? *)",
		"at(2026-12-24T18:00:00)", "cron(0 0 31 2 ? *)", "rate()", "cron(", "at()"} {
		f.Add(s, "America/New_York")
	}
	from := time.Date(2026, 3, 8, 6, 30, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, expr, tz string) {
		if _, err := ParseExpression(expr); err != nil {
			return
		}
		s := &Schedule{Expression: expr, Timezone: tz, Created: from}
		if _, err := s.location(); err != nil {
			return
		}
		at := from
		for range 3 {
			next, ok := s.NextTick(at)
			if !ok {
				return
			}
			if !next.After(at) {
				t.Fatalf("NextTick(%s) of %q in %q = %s; not after it", at, expr, tz, next)
			}
			at = next
		}
	})
}
