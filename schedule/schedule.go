package schedule

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/internal/arn"
)

// States of a schedule.
const (
	Enabled  = "ENABLED"
	Disabled = "DISABLED"
)

// Flexible time window modes.
const (
	WindowOff      = "OFF"
	WindowFlexible = "FLEXIBLE"
)

// Catch-up rules: what a schedule does with the ticks it missed while no
// scheduler ran, that is when its next tick is more than
// Config.MissedAfter late (a Stepwise extension; AWS has no such
// setting). Ticks found due together by a late poll all fire.
const (
	// CatchUpOne fires the missed ticks once: one execution, for the
	// latest tick due. The default.
	CatchUpOne = "ONE"
	// CatchUpAll fires every missed tick, oldest first.
	CatchUpAll = "ALL"
	// CatchUpNone drops the missed ticks: the latest due fires only if it
	// is less than Config.MissedAfter late.
	CatchUpNone = "NONE"
)

// Actions after a schedule's last tick.
const (
	AfterNone   = "NONE"
	AfterDelete = "DELETE"
)

// DefaultGroup is the schedule group every account has.
const DefaultGroup = "default"

// Schedule is an EventBridge Scheduler schedule. Its JSON form is what the
// stores keep.
type Schedule struct {
	Name, Group string
	Description string `json:",omitempty"`
	// Expression is the ScheduleExpression: rate(...), cron(...) or at(...).
	Expression string
	// Timezone is the IANA time zone cron and at expressions are read in.
	// "" is UTC.
	Timezone  string    `json:",omitempty"`
	StartDate time.Time `json:",omitzero"` // no tick before it
	EndDate   time.Time `json:",omitzero"` // no tick at or after it
	State     string    // Enabled or Disabled
	Window    Window
	Target    Target
	// CatchUp is the catch-up rule (CatchUpOne, CatchUpAll, CatchUpNone).
	CatchUp string `json:",omitempty"`
	// ActionAfterCompletion is AfterNone or AfterDelete: delete the
	// schedule after its last tick.
	ActionAfterCompletion string `json:",omitempty"`
	KmsKeyArn             string `json:",omitempty"`
	// ClientToken is the idempotency token of the request that created
	// the schedule: creating it again with the same token is not a
	// conflict (the AWS CLI and SDKs send one, and retry with it).
	ClientToken       string `json:",omitempty"`
	Created, Modified time.Time
}

// Window is a FlexibleTimeWindow: with Mode WindowFlexible each tick fires
// within MaximumWindowInMinutes after its scheduled time, at an offset
// derived from the schedule and the tick (so every replica agrees on it).
type Window struct {
	Mode                   string
	MaximumWindowInMinutes int `json:",omitempty"`
}

// Target is what a tick starts: an execution of a state machine, of a
// version (…:stateMachine:name:3) or through an alias
// (…:stateMachine:name:prod, which picks a version by its weights at
// each tick).
type Target struct {
	Arn     string
	RoleArn string `json:",omitempty"`
	// Input is the execution's input (JSON text; "" is {}). The
	// placeholders <aws.scheduler.scheduled-time>,
	// <aws.scheduler.schedule-arn>, <aws.scheduler.execution-id> and
	// <aws.scheduler.attempt-number> are replaced at each tick, as on AWS.
	Input            string `json:",omitempty"`
	RetryPolicy      RetryPolicy
	DeadLetterConfig string `json:",omitempty"` // kept, not used
}

// RetryPolicy bounds the attempts to start a tick's execution while
// StartExecution fails for a reason that may pass (the database is down).
// A zero policy is AWS's default (185 retries within 86400 s).
type RetryPolicy struct {
	MaximumEventAgeInSeconds int // 60 to 86400; defaults to 86400
	MaximumRetryAttempts     int // 0 to 185
}

var nameRE = regexp.MustCompile(`^[0-9a-zA-Z\-_.]{1,64}$`)

// ValidName checks a schedule or group name: 1 to 64 letters, digits,
// '-', '_' or '.'.
func ValidName(field, name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("%w: %s %q must be 1 to 64 letters, digits, '-', '_' or '.'", engine.ErrInvalidInput, field, name)
	}
	return nil
}

// Normalize applies the defaults (AWS's) and checks the schedule, naming
// every field at fault. The errors wrap engine.ErrInvalidInput.
func (s *Schedule) Normalize() error {
	if s.Group == "" {
		s.Group = DefaultGroup
	}
	if s.State == "" {
		s.State = Enabled
	}
	if s.Window.Mode == "" {
		s.Window.Mode = WindowOff
	}
	if s.CatchUp == "" {
		s.CatchUp = CatchUpOne
	}
	if s.ActionAfterCompletion == "" {
		s.ActionAfterCompletion = AfterNone
	}
	rp := &s.Target.RetryPolicy
	if *rp == (RetryPolicy{}) { // no policy: AWS's
		rp.MaximumRetryAttempts = 185
	}
	if rp.MaximumEventAgeInSeconds == 0 {
		rp.MaximumEventAgeInSeconds = 86400
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if err := ValidName("Name", s.Name); err != nil {
		errs = append(errs, err)
	}
	if err := ValidName("GroupName", s.Group); err != nil {
		errs = append(errs, err)
	}
	if utf8.RuneCountInString(s.Description) > 512 {
		bad("Description: at most 512 characters")
	}
	if _, err := ParseExpression(s.Expression); err != nil {
		bad("ScheduleExpression: %v", err)
	}
	if _, err := s.location(); err != nil {
		bad("ScheduleExpressionTimezone: unknown time zone %q", s.Timezone)
	}
	if !s.StartDate.IsZero() && !s.EndDate.IsZero() && !s.EndDate.After(s.StartDate) {
		bad("EndDate: must be after StartDate")
	}
	if s.State != Enabled && s.State != Disabled {
		bad("State: %q must be ENABLED or DISABLED", s.State)
	}
	switch s.Window.Mode {
	case WindowOff:
		if s.Window.MaximumWindowInMinutes != 0 {
			bad("FlexibleTimeWindow.MaximumWindowInMinutes: only with Mode FLEXIBLE")
		}
	case WindowFlexible:
		if s.Window.MaximumWindowInMinutes < 1 || s.Window.MaximumWindowInMinutes > 1440 {
			bad("FlexibleTimeWindow.MaximumWindowInMinutes: %d must be 1 to 1440", s.Window.MaximumWindowInMinutes)
		}
	default:
		bad("FlexibleTimeWindow.Mode: %q must be OFF or FLEXIBLE", s.Window.Mode)
	}
	if _, _, err := TargetMachine(s.Target.Arn); err != nil {
		bad("Target.Arn: %v", err)
	}
	if s.Target.Input != "" && !jsonish(s.Target.Input) {
		bad("Target.Input: must be JSON text")
	}
	if rp.MaximumEventAgeInSeconds < 60 || rp.MaximumEventAgeInSeconds > 86400 {
		bad("Target.RetryPolicy.MaximumEventAgeInSeconds: %d must be 60 to 86400", rp.MaximumEventAgeInSeconds)
	}
	if rp.MaximumRetryAttempts < 0 || rp.MaximumRetryAttempts > 185 {
		bad("Target.RetryPolicy.MaximumRetryAttempts: %d must be 0 to 185", rp.MaximumRetryAttempts)
	}
	switch s.CatchUp {
	case CatchUpOne, CatchUpAll, CatchUpNone:
	default:
		bad("CatchUp: %q must be ONE, ALL or NONE", s.CatchUp)
	}
	switch s.ActionAfterCompletion {
	case AfterNone, AfterDelete:
	default:
		bad("ActionAfterCompletion: %q must be NONE or DELETE", s.ActionAfterCompletion)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", engine.ErrInvalidInput, err)
	}
	return nil
}

// jsonish is a cheap check that text is a JSON object or array; the
// engine checks the input fully at each start.
func jsonish(s string) bool {
	t := strings.TrimSpace(s)
	return strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") || strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]") ||
		strings.HasPrefix(t, "\"") || t == "null" || t == "true" || t == "false" || (t != "" && strings.ContainsAny(t[:1], "-0123456789"))
}

// TargetMachine returns the state machine a target ARN names, and its
// qualifier: "" (the latest revision), a version number or an alias name.
// Only Step Functions state machines are targets here.
func TargetMachine(target string) (machine, qualifier string, err error) {
	m, err := arn.ParseStateMachine(target)
	if err != nil {
		if _, uerr := arn.ParseStateMachine(strings.TrimSuffix(target, ":")); uerr == nil && strings.HasSuffix(target, ":") {
			return "", "", fmt.Errorf("%q: an empty version or alias", target)
		}
		return "", "", fmt.Errorf("%q is not a state machine ARN (arn:aws:states:region:account:stateMachine:name[:version or alias])", target)
	}
	return m.Name, m.Qualifier, nil
}

func (s *Schedule) location() (*time.Location, error) {
	if s.Timezone == "" {
		return time.UTC, nil
	}
	return time.LoadLocation(s.Timezone)
}

// NextTick returns the first tick of the schedule strictly after t, or
// false when it has none left (an at schedule that fired, an EndDate
// passed, a cron year range ended). A rate schedule ticks every period
// from its StartDate, or from its creation (its first tick one period
// after it). Cron and at expressions are read in the schedule's time
// zone: a local time a daylight-saving change skips does not fire, one
// it repeats fires once.
func (s *Schedule) NextTick(t time.Time) (time.Time, bool) {
	e, err := ParseExpression(s.Expression)
	if err != nil {
		return time.Time{}, false
	}
	loc, err := s.location()
	if err != nil {
		return time.Time{}, false
	}
	if !s.StartDate.IsZero() && t.Before(s.StartDate) {
		t = s.StartDate.Add(-time.Nanosecond)
	}
	var next time.Time
	switch e.Kind {
	case KindRate:
		anchor := s.StartDate
		if anchor.IsZero() {
			anchor = s.Created
		}
		anchor = anchor.Truncate(time.Second)
		if t.Before(anchor) {
			next = anchor
		} else {
			k := t.Sub(anchor)/e.Rate + 1
			next = anchor.Add(k * e.Rate)
		}
	case KindCron:
		var ok bool
		if next, ok = e.cron.next(t, loc); !ok {
			return time.Time{}, false
		}
	case KindAt:
		a := e.At
		next = time.Date(a.Year(), a.Month(), a.Day(), a.Hour(), a.Minute(), a.Second(), 0, loc)
		if !next.After(t) {
			return time.Time{}, false
		}
	}
	if !s.EndDate.IsZero() && !next.Before(s.EndDate) {
		return time.Time{}, false
	}
	return next.UTC(), true
}

// Offset is where in the flexible time window the tick fires: a
// deterministic fraction of the window, from a hash of the schedule and
// the tick. Zero when the window is OFF.
func (s *Schedule) Offset(tick time.Time) time.Duration {
	if s.Window.Mode != WindowFlexible || s.Window.MaximumWindowInMinutes <= 0 {
		return 0
	}
	h := sha256.Sum256([]byte(s.Group + "/" + s.Name + "/" + strconv.FormatInt(tick.Unix(), 10)))
	window := int64(s.Window.MaximumWindowInMinutes) * 60
	return time.Duration(binary.BigEndian.Uint64(h[:8])%uint64(window)) * time.Second
}

// DueAt is when a tick fires: the tick plus its offset in the window.
func (s *Schedule) DueAt(tick time.Time) time.Time { return tick.Add(s.Offset(tick)) }

// ExecutionName is the name of the execution a tick starts: the schedule
// (its group too unless default) and the tick in UTC,
// "<name>-20261224T180000Z". It is what makes a tick start one execution
// whoever fires it and however often: the engine refuses a second
// execution of a name. A name longer than AWS's 80 characters keeps a
// prefix and a hash of the whole.
func (s *Schedule) ExecutionName(tick time.Time) string {
	base := s.Name
	if s.Group != DefaultGroup && s.Group != "" {
		base = s.Group + "." + s.Name
	}
	stamp := "-" + tick.UTC().Format("20060102T150405Z")
	if len(base)+len(stamp) <= 80 {
		return base + stamp
	}
	h := sha256.Sum256([]byte(s.Group + "/" + s.Name))
	hash := "-" + hex.EncodeToString(h[:5])
	return base[:80-len(stamp)-len(hash)] + hash + stamp
}

// ARN returns the schedule's ARN.
func (s *Schedule) ARN(region, account string) string {
	return arn.In(region, account).Schedule(s.Group, s.Name)
}

// GroupARN returns a schedule group's ARN.
func GroupARN(region, account, group string) string {
	return arn.In(region, account).ScheduleGroup(group)
}

// Input returns the target's input for a tick with the context
// placeholders replaced (values JSON-escaped as plain strings or numbers).
func (s *Schedule) Input(tick time.Time, scheduleARN, executionName string, attempt int) string {
	in := s.Target.Input
	if in == "" {
		return "{}"
	}
	if !strings.Contains(in, "<aws.scheduler.") {
		return in
	}
	return strings.NewReplacer(
		"<aws.scheduler.scheduled-time>", tick.UTC().Format(time.RFC3339),
		"<aws.scheduler.schedule-arn>", scheduleARN,
		"<aws.scheduler.execution-id>", executionName,
		"<aws.scheduler.attempt-number>", strconv.Itoa(attempt),
	).Replace(in)
}

// Plan returns the record of s as of now, to store on its creation or
// update: its first tick after now, when that is due, no attempts.
func Plan(s Schedule, now time.Time) Record {
	r := Record{Schedule: s}
	if next, ok := s.NextTick(now); ok {
		r.NextTick, r.DueAt = next, s.DueAt(next)
	}
	return r
}
