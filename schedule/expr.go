package schedule

import (
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// Kind is the kind of a schedule expression.
type Kind int

// The kinds of schedule expression.
const (
	KindAt   Kind = iota + 1 // at(yyyy-mm-ddThh:mm:ss): once
	KindRate                 // rate(N unit): every N units from an anchor
	KindCron                 // cron(min hour dom month dow year)
)

// Expression is a parsed schedule expression. The zero value is not
// valid; use ParseExpression.
type Expression struct {
	Kind Kind
	// Rate is the period of a rate expression.
	Rate time.Duration
	// At is the wall-clock time of an at expression, in UTC fields; it is
	// read in the schedule's time zone.
	At   time.Time
	cron *cronExpr
	text string
}

// String returns the expression as written.
func (e *Expression) String() string { return e.text }

// MinYear and MaxYear bound cron years, as on AWS.
const (
	MinYear = 1970
	MaxYear = 2199
)

// ParseExpression parses a ScheduleExpression: rate(N unit), cron(...) or
// at(...). Errors name the field at fault.
func ParseExpression(s string) (*Expression, error) {
	t := strings.TrimSpace(s)
	open := strings.IndexByte(t, '(')
	if open < 0 || !strings.HasSuffix(t, ")") {
		return nil, fmt.Errorf("invalid schedule expression %q: want rate(...), cron(...) or at(...)", s)
	}
	kind, body := t[:open], strings.TrimSpace(t[open+1:len(t)-1])
	e := &Expression{text: s}
	var err error
	switch kind {
	case "rate":
		e.Kind = KindRate
		e.Rate, err = parseRate(body)
	case "cron":
		e.Kind = KindCron
		e.cron, err = parseCron(body)
	case "at":
		e.Kind = KindAt
		e.At, err = time.Parse("2006-01-02T15:04:05", body)
		if err != nil {
			err = fmt.Errorf("at: %q is not yyyy-mm-ddThh:mm:ss", body)
		}
	default:
		return nil, fmt.Errorf("invalid schedule expression %q: want rate(...), cron(...) or at(...)", s)
	}
	if err != nil {
		return nil, fmt.Errorf("invalid schedule expression %q: %w", s, err)
	}
	return e, nil
}

// parseRate parses "N unit". AWS's units are minute(s), hour(s) and
// day(s), singular when N is 1; second(s) is a Stepwise extension.
func parseRate(body string) (time.Duration, error) {
	f := strings.Fields(body)
	if len(f) != 2 {
		return 0, errors.New("rate: want \"value unit\", such as rate(5 minutes)")
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n <= 0 || n > 1_000_000 {
		return 0, fmt.Errorf("rate: value %q must be a positive integer", f[0])
	}
	units := map[string]time.Duration{"second": time.Second, "minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}
	unit := f[1]
	singular := strings.TrimSuffix(unit, "s")
	d, ok := units[singular]
	if !ok {
		return 0, fmt.Errorf("rate: unit %q must be minute(s), hour(s), day(s) or second(s)", unit)
	}
	if (n == 1) != (unit == singular) {
		if n == 1 {
			return 0, fmt.Errorf("rate: unit %q must be singular for a value of 1", unit)
		}
		return 0, fmt.Errorf("rate: unit %q must be plural for a value above 1", unit)
	}
	if time.Duration(n) > maxRate/d {
		return 0, fmt.Errorf("rate: %d %s is more than 100 years", n, unit)
	}
	return time.Duration(n) * d, nil
}

// maxRate bounds a rate's period, far from time.Duration's 292 years.
const maxRate = 100 * 365 * 24 * time.Hour

// cronExpr is a parsed six-field AWS cron expression. Sets are bit masks.
type cronExpr struct {
	minutes uint64 // bits 0-59
	hours   uint64 // bits 0-23
	months  uint64 // bits 1-12
	years   [4]uint64
	dom     domSpec
	dow     dowSpec
}

// domSpec is the day-of-month field.
type domSpec struct {
	any     bool   // ? or *
	days    uint64 // bits 1-31
	last    bool   // L
	weekday int    // nW: the weekday nearest day n; -1 with last for LW
}

// dowSpec is the day-of-week field; days are 1 (SUN) to 7 (SAT).
type dowSpec struct {
	any    bool
	days   uint64 // bits 1-7
	lastOf int    // nL: the last day n of the month
	nth    int    // n#k: the k-th day n of the month
	nthDay int
}

var (
	monthNames = map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}
	dayNames   = map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
)

func parseCron(body string) (*cronExpr, error) {
	f := strings.Fields(body)
	if len(f) != 6 {
		return nil, fmt.Errorf("cron: want 6 fields (minutes hours day-of-month month day-of-week year), got %d", len(f))
	}
	c := &cronExpr{}
	var err error
	if c.minutes, err = parseSet("minutes", f[0], 0, 59, nil); err != nil {
		return nil, err
	}
	if c.hours, err = parseSet("hours", f[1], 0, 23, nil); err != nil {
		return nil, err
	}
	if c.months, err = parseSet("month", strings.ToUpper(f[3]), 1, 12, monthNames); err != nil {
		return nil, err
	}
	if f[5] == "*" {
		for y := MinYear; y <= MaxYear; y++ {
			c.setYear(y)
		}
	} else if err := c.parseYears(f[5]); err != nil {
		return nil, err
	}
	domQ, dowQ := f[2] == "?", f[4] == "?"
	if domQ == dowQ {
		return nil, errors.New("cron: one of day-of-month and day-of-week must be ?, and only one")
	}
	if err := c.parseDOM(f[2]); err != nil {
		return nil, err
	}
	if err := c.parseDOW(strings.ToUpper(f[4])); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *cronExpr) setYear(y int)      { i := y - MinYear; c.years[i/64] |= 1 << (i % 64) }
func (c *cronExpr) hasYear(y int) bool { i := y - MinYear; return c.years[i/64]&(1<<(i%64)) != 0 }

func (c *cronExpr) parseYears(field string) error {
	for _, part := range strings.Split(field, ",") {
		lo, hi, step, err := parseRange("year", part, MinYear, MaxYear, nil)
		if err != nil {
			return err
		}
		for y := lo; y <= hi; y += step {
			c.setYear(y)
		}
	}
	return nil
}

func (c *cronExpr) parseDOM(field string) error {
	switch {
	case field == "?" || field == "*":
		c.dom.any = true
	case field == "L":
		c.dom.last = true
	case field == "LW":
		c.dom.last, c.dom.weekday = true, -1
	case strings.HasSuffix(field, "W"):
		n, err := strconv.Atoi(strings.TrimSuffix(field, "W"))
		if err != nil || n < 1 || n > 31 {
			return fmt.Errorf("day-of-month: %q: W needs a day 1-31 before it (15W) or L (LW)", field)
		}
		c.dom.weekday = n
	default:
		set, err := parseSet("day-of-month", field, 1, 31, nil)
		if err != nil {
			return err
		}
		c.dom.days = set
	}
	return nil
}

func (c *cronExpr) parseDOW(field string) error {
	switch {
	case field == "?" || field == "*":
		c.dow.any = true
	case field == "L":
		c.dow.days = 1 << 7 // the last day of the week: Saturday
	case strings.Contains(field, "#"):
		d, k, _ := strings.Cut(field, "#")
		day, err := dayValue(d)
		n, err2 := strconv.Atoi(k)
		if err != nil || err2 != nil || n < 1 || n > 5 {
			return fmt.Errorf("day-of-week: %q: # wants a day (1-7 or SUN-SAT) and an occurrence 1-5, such as 3#2", field)
		}
		c.dow.nthDay, c.dow.nth = day, n
	case len(field) > 1 && strings.HasSuffix(field, "L"):
		day, err := dayValue(strings.TrimSuffix(field, "L"))
		if err != nil {
			return fmt.Errorf("day-of-week: %q: L wants a day (1-7 or SUN-SAT) before it, such as 6L", field)
		}
		c.dow.lastOf = day
	default:
		set, err := parseSet("day-of-week", field, 1, 7, dayNames)
		if err != nil {
			return err
		}
		c.dow.days = set
	}
	return nil
}

func dayValue(s string) (int, error) {
	if d, ok := dayNames[s]; ok {
		return d, nil
	}
	d, err := strconv.Atoi(s)
	if err != nil || d < 1 || d > 7 {
		return 0, errors.New("bad day")
	}
	return d, nil
}

// parseSet parses a list of values, ranges and steps into a bit mask.
func parseSet(field, s string, lo, hi int, names map[string]int) (uint64, error) {
	var set uint64
	for _, part := range strings.Split(s, ",") {
		a, b, step, err := parseRange(field, part, lo, hi, names)
		if err != nil {
			return 0, err
		}
		for v := a; v <= b; v += step {
			set |= 1 << v
		}
	}
	return set, nil
}

// parseRange parses *, v, a-b, */n, v/n or a-b/n.
func parseRange(field, part string, lo, hi int, names map[string]int) (a, b, step int, err error) {
	bad := func(why string) (int, int, int, error) {
		return 0, 0, 0, fmt.Errorf("%s: %q %s", field, part, why)
	}
	value := func(s string) (int, bool) {
		if v, ok := names[s]; ok {
			return v, true
		}
		v, err := strconv.Atoi(s)
		return v, err == nil
	}
	rng, stepText, hasStep := strings.Cut(part, "/")
	step = 1
	if hasStep {
		n, err := strconv.Atoi(stepText)
		if err != nil || n < 1 {
			return bad("has a bad step (want a positive integer after /)")
		}
		step = n
	}
	switch {
	case rng == "*":
		a, b = lo, hi
	case strings.Contains(rng, "-"):
		x, y, _ := strings.Cut(rng, "-")
		var ok1, ok2 bool
		a, ok1 = value(x)
		b, ok2 = value(y)
		if !ok1 || !ok2 {
			return bad(fmt.Sprintf("is not a range of values %d-%d", lo, hi))
		}
	default:
		v, ok := value(rng)
		if !ok {
			return bad(fmt.Sprintf("is not a value %d-%d", lo, hi))
		}
		a, b = v, v
		if hasStep {
			b = hi
		}
	}
	if a < lo || b > hi || a > b {
		return bad(fmt.Sprintf("is out of range %d-%d", lo, hi))
	}
	return a, b, step, nil
}

// matchDay reports whether the date y-m-d (a valid date) matches the day
// fields.
func (c *cronExpr) matchDay(y int, m time.Month, d int) bool {
	last := daysIn(y, m)
	wd := int(time.Date(y, m, d, 12, 0, 0, 0, time.UTC).Weekday()) + 1 // 1 = SUN
	switch {
	case !c.dom.any:
		switch {
		case c.dom.weekday != 0:
			target := c.dom.weekday
			if target == -1 || target > last {
				target = last
			}
			return d == nearestWeekday(y, m, target, last)
		case c.dom.last:
			return d == last
		default:
			return c.dom.days&(1<<d) != 0
		}
	case !c.dow.any:
		switch {
		case c.dow.lastOf != 0:
			return wd == c.dow.lastOf && d+7 > last
		case c.dow.nth != 0:
			return wd == c.dow.nthDay && (d-1)/7+1 == c.dow.nth
		default:
			return c.dow.days&(1<<wd) != 0
		}
	}
	return true
}

// nearestWeekday is the weekday (Monday to Friday) nearest day n of the
// month, never crossing into another month (as Quartz and AWS).
func nearestWeekday(y int, m time.Month, n, last int) int {
	switch time.Date(y, m, n, 12, 0, 0, 0, time.UTC).Weekday() {
	case time.Saturday:
		if n == 1 {
			return 3
		}
		return n - 1
	case time.Sunday:
		if n == last {
			return n - 2
		}
		return n + 1
	}
	return n
}

func daysIn(y int, m time.Month) int { return time.Date(y, m+1, 0, 12, 0, 0, 0, time.UTC).Day() }

// next returns the first time strictly after t (in loc) matching the
// expression, or false when none is left before MaxYear ends. A local
// time skipped by a daylight-saving change does not fire; a local time
// repeated by one fires once, at its first occurrence.
func (c *cronExpr) next(t time.Time, loc *time.Location) (time.Time, bool) {
	t = t.In(loc)
	y, m, d := t.Date()
	for day := time.Date(y, m, d, 12, 0, 0, 0, time.UTC); day.Year() <= MaxYear; day = day.AddDate(0, 0, 1) {
		y, m, d = day.Date()
		if y < MinYear {
			day = time.Date(MinYear, 1, 0, 12, 0, 0, 0, time.UTC) // the loop adds a day
			continue
		}
		if !c.hasYear(y) {
			day = time.Date(y+1, 1, 0, 12, 0, 0, 0, time.UTC)
			continue
		}
		if c.months&(1<<uint(m)) == 0 {
			day = time.Date(y, m+1, 0, 12, 0, 0, 0, time.UTC)
			continue
		}
		if !c.matchDay(y, m, d) {
			continue
		}
		for hs := c.hours; hs != 0; hs &= hs - 1 {
			h := bits.TrailingZeros64(hs)
			for ms := c.minutes; ms != 0; ms &= ms - 1 {
				mi := bits.TrailingZeros64(ms)
				at := time.Date(y, m, d, h, mi, 0, 0, loc)
				if at.Hour() != h || at.Minute() != mi || at.Day() != d {
					continue // skipped by a daylight-saving change
				}
				at = firstOccurrence(at)
				if at.After(t) {
					return at, true
				}
			}
		}
	}
	return time.Time{}, false
}

// firstOccurrence returns the earlier instant of a local time repeated by
// a daylight-saving change (the same wall clock one hour before), else at.
func firstOccurrence(at time.Time) time.Time {
	for _, back := range []time.Duration{time.Hour, 30 * time.Minute} {
		e := at.Add(-back)
		if e.Hour() == at.Hour() && e.Minute() == at.Minute() && e.Day() == at.Day() {
			return e
		}
	}
	return at
}
