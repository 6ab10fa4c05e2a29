package storetest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/schedule"
)

// ScheduleStore is a store that keeps schedules too.
type ScheduleStore interface {
	engine.Store
	schedule.Store
}

// NewScheduleStore returns a fresh, migrated, empty ScheduleStore.
type NewScheduleStore func(t testing.TB) ScheduleStore

// RunSchedules runs the schedule scenarios as subtests, each on its own
// store: the schedule.Store contract (groups, schedules, leased claims,
// fenced advances) and the Scheduler on a real engine firing each tick
// exactly once across schedulers, crashes and downtime.
func RunSchedules(t *testing.T, newStore NewScheduleStore) {
	for _, sc := range []struct {
		name string
		fn   func(t *testing.T, s ScheduleStore)
	}{
		{"ScheduleGroups", testScheduleGroups},
		{"Schedules", testSchedules},
		{"ScheduleClaims", testScheduleClaims},
		{"ScheduleExactlyOnce", testScheduleExactlyOnce},
		{"ScheduleCatchUp", testScheduleCatchUp},
		{"ScheduleLatePoll", testScheduleLatePoll},
		{"ScheduleFailures", testScheduleFailures},
		{"ScheduleVersionsAliases", testScheduleVersionsAliases},
	} {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			sc.fn(t, newStore(t))
		})
	}
}

var schedEpoch = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func testSchedule(group, name, expr string) schedule.Schedule {
	s := schedule.Schedule{Name: name, Group: group, Expression: expr, Created: schedEpoch, Modified: schedEpoch,
		Target: schedule.Target{Arn: "arn:aws:states:us-east-1:111111111111:stateMachine:sched-target"}}
	if err := s.Normalize(); err != nil {
		panic(err)
	}
	return s
}

func testScheduleGroups(t *testing.T, s ScheduleStore) {
	ctx := context.Background()
	if _, err := s.GetScheduleGroup(ctx, "default"); err != nil {
		t.Fatalf("GetScheduleGroup(default) = %v; want the default group", err)
	}
	for _, n := range []string{"ops-a", "ops-b", "reports"} {
		if err := s.CreateScheduleGroup(ctx, schedule.Group{Name: n, Created: schedEpoch, Modified: schedEpoch}); err != nil {
			t.Fatalf("CreateScheduleGroup(%q) = %v", n, err)
		}
	}
	if err := s.CreateScheduleGroup(ctx, schedule.Group{Name: "ops-a", Created: schedEpoch, Modified: schedEpoch}); !errors.Is(err, engine.ErrConflict) {
		t.Fatalf("CreateScheduleGroup(ops-a) again = %v; want ErrConflict", err)
	}
	g, err := s.GetScheduleGroup(ctx, "reports")
	if err != nil || g.Name != "reports" || !g.Created.Equal(schedEpoch) {
		t.Fatalf("GetScheduleGroup(reports) = %+v, %v; want it created at %s", g, err, schedEpoch)
	}
	page, err := s.ListScheduleGroups(ctx, "ops-", "", 1)
	if err != nil || len(page) != 1 || page[0].Name != "ops-a" {
		t.Fatalf("ListScheduleGroups(ops-, limit 1) = %+v, %v; want ops-a", page, err)
	}
	page, err = s.ListScheduleGroups(ctx, "ops-", "ops-a", 10)
	if err != nil || len(page) != 1 || page[0].Name != "ops-b" {
		t.Fatalf("ListScheduleGroups(ops-, after ops-a) = %+v, %v; want ops-b", page, err)
	}
	if err := s.CreateSchedule(ctx, schedule.Plan(testSchedule("reports", "nightly", "rate(1 day)"), schedEpoch)); err != nil {
		t.Fatalf("CreateSchedule(reports/nightly) = %v", err)
	}
	if err := s.DeleteScheduleGroup(ctx, "reports"); err != nil {
		t.Fatalf("DeleteScheduleGroup(reports) = %v", err)
	}
	if _, err := s.GetSchedule(ctx, "reports", "nightly"); !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("GetSchedule(reports/nightly) after its group's deletion = %v; want ErrNotFound", err)
	}
	if err := s.DeleteScheduleGroup(ctx, "reports"); !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("DeleteScheduleGroup(reports) again = %v; want ErrNotFound", err)
	}
}

func testSchedules(t *testing.T, s ScheduleStore) {
	ctx := context.Background()
	r := schedule.Plan(testSchedule("default", "every-5", "rate(5 minutes)"), schedEpoch)
	if err := s.CreateSchedule(ctx, r); err != nil {
		t.Fatalf("CreateSchedule = %v", err)
	}
	if err := s.CreateSchedule(ctx, r); !errors.Is(err, engine.ErrConflict) {
		t.Fatalf("CreateSchedule again = %v; want ErrConflict", err)
	}
	if err := s.CreateSchedule(ctx, schedule.Plan(testSchedule("nogroup", "x", "rate(5 minutes)"), schedEpoch)); !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("CreateSchedule in a missing group = %v; want ErrNotFound", err)
	}
	got, err := s.GetSchedule(ctx, "default", "every-5")
	if err != nil {
		t.Fatalf("GetSchedule = %v", err)
	}
	if want := schedEpoch.Add(5 * time.Minute); !got.NextTick.Equal(want) || !got.DueAt.Equal(want) || got.Schedule.Expression != "rate(5 minutes)" ||
		got.Schedule.Target != r.Schedule.Target || !got.Schedule.Created.Equal(schedEpoch) {
		t.Fatalf("GetSchedule = %+v; want next tick %s and the schedule as created", got, want)
	}
	upd := got
	upd.Schedule.Expression, upd.Schedule.State = "cron(0 12 * * ? *)", schedule.Disabled
	upd = schedule.Plan(upd.Schedule, schedEpoch)
	if err := s.UpdateSchedule(ctx, upd); err != nil {
		t.Fatalf("UpdateSchedule = %v", err)
	}
	again, err := s.GetSchedule(ctx, "default", "every-5")
	if err != nil || again.Schedule.State != schedule.Disabled || again.Version <= got.Version || !again.NextTick.Equal(schedEpoch.Add(2*time.Hour)) {
		t.Fatalf("GetSchedule after UpdateSchedule = %+v, %v; want DISABLED, a newer version, next tick 12:00", again, err)
	}
	if err := s.UpdateSchedule(ctx, schedule.Plan(testSchedule("default", "missing", "rate(1 day)"), schedEpoch)); !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("UpdateSchedule(missing) = %v; want ErrNotFound", err)
	}
	for _, n := range []string{"a-1", "a-2", "b-1"} {
		if err := s.CreateSchedule(ctx, schedule.Plan(testSchedule("default", n, "rate(1 hour)"), schedEpoch)); err != nil {
			t.Fatal(err)
		}
	}
	names := func(rs []schedule.Record) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Schedule.Name)
		}
		return out
	}
	list, err := s.ListSchedules(ctx, schedule.ListFilter{NamePrefix: "a-", Limit: 10})
	if err != nil || fmt.Sprint(names(list)) != "[a-1 a-2]" {
		t.Fatalf("ListSchedules(a-) = %v, %v; want [a-1 a-2]", names(list), err)
	}
	list, err = s.ListSchedules(ctx, schedule.ListFilter{Group: "default", AfterGroup: "default", AfterName: "a-2", Limit: 2})
	if err != nil || fmt.Sprint(names(list)) != "[b-1 every-5]" {
		t.Fatalf("ListSchedules(after a-2, limit 2) = %v, %v; want [b-1 every-5]", names(list), err)
	}
	list, err = s.ListSchedules(ctx, schedule.ListFilter{State: schedule.Disabled, Limit: 10})
	if err != nil || fmt.Sprint(names(list)) != "[every-5]" {
		t.Fatalf("ListSchedules(DISABLED) = %v, %v; want [every-5]", names(list), err)
	}
	if err := s.DeleteSchedule(ctx, "default", "a-1"); err != nil {
		t.Fatalf("DeleteSchedule = %v", err)
	}
	if err := s.DeleteSchedule(ctx, "default", "a-1"); !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("DeleteSchedule again = %v; want ErrNotFound", err)
	}
}

func testScheduleClaims(t *testing.T, s ScheduleStore) {
	ctx := context.Background()
	for _, n := range []string{"due", "later"} {
		if err := s.CreateSchedule(ctx, schedule.Plan(testSchedule("default", n, "rate(1 minute)"), schedEpoch)); err != nil {
			t.Fatal(err)
		}
	}
	off := testSchedule("default", "off", "rate(1 minute)")
	off.State = schedule.Disabled
	if err := s.CreateSchedule(ctx, schedule.Plan(off, schedEpoch)); err != nil {
		t.Fatal(err)
	}
	later, _ := s.GetSchedule(ctx, "default", "later")
	later.DueAt = schedEpoch.Add(time.Hour)
	if err := s.UpdateSchedule(ctx, later); err != nil {
		t.Fatal(err)
	}
	now := schedEpoch.Add(90 * time.Second)
	claimed, err := s.ClaimDueSchedules(ctx, now, 30*time.Second, 10)
	if err != nil || len(claimed) != 1 || claimed[0].Schedule.Name != "due" {
		t.Fatalf("ClaimDueSchedules = %d records, %v; want the one due and enabled", len(claimed), err)
	}
	c := claimed[0]
	if !c.DueAt.Equal(now.Add(30*time.Second)) || !c.NextTick.Equal(schedEpoch.Add(time.Minute)) {
		t.Fatalf("claimed %+v; want due at the lease's end, next tick unchanged", c)
	}
	if again, err := s.ClaimDueSchedules(ctx, now, 30*time.Second, 10); err != nil || len(again) != 0 {
		t.Fatalf("ClaimDueSchedules during the lease = %d records, %v; want none", len(again), err)
	}
	// The lease runs out: another scheduler claims it; the first one's
	// advance is refused.
	taken, err := s.ClaimDueSchedules(ctx, now.Add(31*time.Second), 30*time.Second, 10)
	if err != nil || len(taken) != 1 || taken[0].Version <= c.Version {
		t.Fatalf("ClaimDueSchedules after the lease = %+v, %v; want it claimed again at a newer version", taken, err)
	}
	tick := &schedule.Tick{Group: "default", Name: "due", Time: c.NextTick, ExecutionARN: "arn:x", Attempts: 1, Fired: now}
	stale := c
	stale.NextTick, stale.DueAt = c.NextTick.Add(time.Minute), c.NextTick.Add(time.Minute)
	if err := s.AdvanceSchedule(ctx, stale, tick, false); !errors.Is(err, engine.ErrConflict) {
		t.Fatalf("AdvanceSchedule at the first claim's version = %v; want ErrConflict", err)
	}
	if ticks, _ := s.ListTicks(ctx, "default", "due", 10); len(ticks) != 0 {
		t.Fatalf("a refused advance recorded ticks %+v", ticks)
	}
	fresh := taken[0]
	fresh.NextTick, fresh.DueAt = stale.NextTick, stale.DueAt
	if err := s.AdvanceSchedule(ctx, fresh, tick, false); err != nil {
		t.Fatalf("AdvanceSchedule at the claim's version = %v", err)
	}
	got, _ := s.GetSchedule(ctx, "default", "due")
	if !got.NextTick.Equal(stale.NextTick) || got.Version != fresh.Version+1 {
		t.Fatalf("after AdvanceSchedule: %+v; want next tick %s, version %d", got, stale.NextTick, fresh.Version+1)
	}
	ticks, err := s.ListTicks(ctx, "default", "due", 10)
	if err != nil || len(ticks) != 1 || ticks[0].ExecutionARN != "arn:x" || !ticks[0].Time.Equal(c.NextTick) {
		t.Fatalf("ListTicks = %+v, %v; want the one tick", ticks, err)
	}
	// The last tick of an ActionAfterCompletion DELETE schedule removes it.
	got.NextTick, got.DueAt = time.Time{}, time.Time{}
	if err := s.AdvanceSchedule(ctx, got, nil, true); err != nil {
		t.Fatalf("AdvanceSchedule(remove) = %v", err)
	}
	if _, err := s.GetSchedule(ctx, "default", "due"); !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("GetSchedule after a removing advance = %v; want ErrNotFound", err)
	}
}

// schedHarness is an engine and schedulers on one manual clock.
type schedHarness struct {
	t     *testing.T
	ctx   context.Context
	store ScheduleStore
	clock *clock
	eng   *engine.Engine
}

// quiet drops the schedulers' warnings about the failures the scenarios
// cause on purpose.
var quiet = slog.New(slog.DiscardHandler)

const schedMachine = `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`

func newSchedHarness(t *testing.T, s ScheduleStore) *schedHarness {
	h := &schedHarness{t: t, ctx: context.Background(), store: s, clock: &clock{now: schedEpoch}}
	eng, err := engine.New(engine.Config{Store: s, Now: h.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	h.eng = eng
	if _, err := eng.CreateStateMachine(h.ctx, "sched-target", schedMachine, role); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *schedHarness) scheduler(st schedule.Store, starter schedule.Starter) *schedule.Scheduler {
	if starter == nil {
		starter = h.eng
	}
	sc, err := schedule.New(schedule.Config{Store: st, Starter: starter, Now: h.clock.Now, Lease: 10 * time.Second, Logger: quiet})
	if err != nil {
		h.t.Fatal(err)
	}
	return sc
}

func (h *schedHarness) create(s schedule.Schedule) {
	h.t.Helper()
	if err := h.store.CreateSchedule(h.ctx, schedule.Plan(s, h.clock.Now())); err != nil {
		h.t.Fatalf("CreateSchedule(%s) = %v", s.Name, err)
	}
}

// executions returns the names of the target's executions, sorted.
func (h *schedHarness) executions() []string {
	h.t.Helper()
	var names []string
	token := ""
	for {
		xs, next, err := h.eng.ListExecutions(h.ctx, engine.ListExecutionsInput{StateMachine: "sched-target", NextToken: token})
		if err != nil {
			h.t.Fatalf("ListExecutions = %v", err)
		}
		for _, x := range xs {
			names = append(names, x.Name)
		}
		if token = next; token == "" {
			break
		}
	}
	sort.Strings(names)
	return names
}

// crashingStore loses every AdvanceSchedule, as a scheduler killed after
// starting a tick's execution and before recording the tick.
type crashingStore struct{ schedule.Store }

func (crashingStore) AdvanceSchedule(context.Context, schedule.Record, *schedule.Tick, bool) error {
	return errors.New("killed before the commit")
}

// testScheduleExactlyOnce fires a rate(1 second) schedule (catch-up ALL)
// for ten minutes on a manual clock (609 ticks), with two schedulers
// passing at once on every tick, and a third that dies after the start it
// makes every 21st tick, before recording the tick, leaving its lease to
// run out over 10 more ticks (29 deaths): every tick starts exactly one
// execution.
func testScheduleExactlyOnce(t *testing.T, s ScheduleStore) {
	h := newSchedHarness(t, s)
	sc := testSchedule("default", "every-second", "rate(1 second)")
	sc.CatchUp = schedule.CatchUpAll
	h.create(sc)
	a, b := h.scheduler(s, nil), h.scheduler(s, nil)
	crashy := h.scheduler(crashingStore{s}, nil)
	both := func() {
		t.Helper()
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for k, x := range []*schedule.Scheduler{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[k] = x.Tick(h.ctx)
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
	}
	ticks := 0
	for range 29 { // 609 ticks: ten minutes of rate(1 second)
		for range 10 {
			h.clock.Add(time.Second)
			ticks++
			both()
		}
		h.clock.Add(time.Second)
		ticks++
		if _, err := crashy.Tick(h.ctx); err == nil {
			t.Fatalf("tick %d: the crashing scheduler reported no error", ticks)
		}
		both() // the schedule is leased: nothing fires
		h.clock.Add(10 * time.Second)
		ticks += 10
		both() // the lease has run out: the crashed tick and the 10 after it
	}
	var want []string
	for i := 1; i <= ticks; i++ {
		want = append(want, sc.ExecutionName(schedEpoch.Add(time.Duration(i)*time.Second)))
	}
	sort.Strings(want)
	if got := h.executions(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("executions:\n%v\nwant one per tick:\n%v", got, want)
	}
	// The store keeps the newest KeepTicks ticks.
	recorded, err := s.ListTicks(h.ctx, "default", "every-second", 1000)
	if err != nil || len(recorded) != min(ticks, schedule.KeepTicks) || !recorded[0].Time.Equal(schedEpoch.Add(time.Duration(ticks)*time.Second)) {
		t.Fatalf("ListTicks = %d ticks, %v; want the newest %d", len(recorded), err, min(ticks, schedule.KeepTicks))
	}
	for _, tk := range recorded {
		if tk.ExecutionARN == "" || tk.Error != "" {
			t.Fatalf("tick %+v recorded no execution", tk)
		}
	}
}

// testScheduleCatchUp stops firing for ten minutes of a rate(1 minute)
// schedule and checks each catch-up rule's executions: ONE fires the
// latest tick, ALL every tick, NONE none (its latest tick is 30 s late,
// more than MissedAfter).
func testScheduleCatchUp(t *testing.T, s ScheduleStore) {
	h := newSchedHarness(t, s)
	for _, rule := range []string{schedule.CatchUpOne, schedule.CatchUpAll, schedule.CatchUpNone} {
		sc := testSchedule("default", "catch-"+rule, "rate(1 minute)")
		sc.CatchUp = rule
		h.create(sc)
	}
	h.clock.Add(10*time.Minute + 30*time.Second) // ticks 10:01 to 10:10 missed
	x, err := schedule.New(schedule.Config{Store: s, Starter: h.eng, Now: h.clock.Now, MissedAfter: 20 * time.Second, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x.Tick(h.ctx); err != nil {
		t.Fatalf("Tick() = %v", err)
	}
	count := map[string]int{}
	latest := map[string]string{}
	for _, n := range h.executions() {
		for _, rule := range []string{"ONE", "ALL", "NONE"} {
			if len(n) > len("catch-"+rule) && n[:len("catch-"+rule)+1] == "catch-"+rule+"-" {
				count[rule]++
				latest[rule] = max(latest[rule], n)
			}
		}
	}
	if count["ONE"] != 1 || latest["ONE"] != "catch-ONE-20260301T101000Z" || count["ALL"] != 10 || count["NONE"] != 0 {
		t.Fatalf("executions per rule %v (ONE's %s); want ONE: 1 (the 10:10 tick), ALL: 10, NONE: 0", count, latest["ONE"])
	}
	for _, rule := range []string{"ONE", "ALL", "NONE"} {
		r, err := s.GetSchedule(h.ctx, "default", "catch-"+rule)
		if want := schedEpoch.Add(11 * time.Minute); err != nil || !r.NextTick.Equal(want) {
			t.Fatalf("%s: next tick %s, %v; want %s", rule, r.NextTick, err, want)
		}
	}
}

// testScheduleLatePoll checks that ticks a late poll finds due together
// are not missed ticks: under the default rule (ONE) a rate(1 second)
// schedule polled after 3 s fires its 3 ticks.
func testScheduleLatePoll(t *testing.T, s ScheduleStore) {
	h := newSchedHarness(t, s)
	sc := testSchedule("default", "late-poll", "rate(1 second)")
	h.create(sc)
	h.clock.Add(3 * time.Second)
	if n, err := h.scheduler(s, nil).Tick(h.ctx); n != 3 || err != nil {
		t.Fatalf("Tick() = %d, %v; want 3 ticks", n, err)
	}
	var want []string
	for i := 1; i <= 3; i++ {
		want = append(want, sc.ExecutionName(schedEpoch.Add(time.Duration(i)*time.Second)))
	}
	if got := h.executions(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("executions %v; want %v", got, want)
	}
}

// flakyStarter fails its first calls for names with a prefix as a
// database outage would.
type flakyStarter struct {
	schedule.Starter
	prefix string
	mu     sync.Mutex
	fails  int
}

func (f *flakyStarter) StartExecution(ctx context.Context, in engine.StartExecutionInput) (*engine.Execution, error) {
	f.mu.Lock()
	fail := false
	if strings.HasPrefix(in.Name, f.prefix) {
		fail = f.fails > 0
		f.fails--
	}
	f.mu.Unlock()
	if fail {
		return nil, errors.New("connection refused")
	}
	return f.Starter.StartExecution(ctx, in)
}

// testScheduleFailures covers a missing target, a start retried after a
// passing failure, a disabled schedule, a flexible window and an at
// schedule deleted after its tick.
func testScheduleFailures(t *testing.T, s ScheduleStore) {
	h := newSchedHarness(t, s)
	missing := testSchedule("default", "missing-target", "rate(1 minute)")
	missing.Target.Arn = "arn:aws:states:us-east-1:111111111111:stateMachine:no-such-machine"
	h.create(missing)
	off := testSchedule("default", "off", "rate(1 minute)")
	off.State = schedule.Disabled
	h.create(off)
	once := testSchedule("default", "once", "at(2026-03-01T10:00:30)")
	once.ActionAfterCompletion = schedule.AfterDelete
	h.create(once)
	flex := testSchedule("default", "flex", "cron(0 11 * * ? *)")
	flex.Window = schedule.Window{Mode: schedule.WindowFlexible, MaximumWindowInMinutes: 30}
	h.create(flex)
	flaky := &flakyStarter{Starter: h.eng, prefix: "once-", fails: 2}
	x := h.scheduler(s, flaky)

	h.clock.Add(time.Minute)
	// missing-target fails for good; once fails twice (flaky) and waits.
	_, err := x.Tick(h.ctx)
	if err == nil {
		t.Fatalf("Tick() with a failing start = nil; want the failure")
	}
	ticks, _ := s.ListTicks(h.ctx, "default", "missing-target", 10)
	if len(ticks) != 1 || ticks[0].Error == "" || ticks[0].ExecutionARN != "" {
		t.Fatalf("missing-target ticks %+v; want one recorded with its error", ticks)
	}
	if r, _ := s.GetSchedule(h.ctx, "default", "missing-target"); !r.NextTick.Equal(schedEpoch.Add(2 * time.Minute)) {
		t.Fatalf("missing-target next tick %s; want it advanced past the failed one", r.NextTick)
	}
	for range 5 {
		h.clock.Add(5 * time.Second)
		x.Tick(h.ctx) //nolint:errcheck // once fails once more, then starts
	}
	if _, err := s.GetSchedule(h.ctx, "default", "once"); !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("GetSchedule(once) after its tick = %v; want it deleted (ActionAfterCompletion DELETE)", err)
	}
	got := h.executions()
	if fmt.Sprint(got) != "[once-20260301T100030Z]" {
		t.Fatalf("executions %v; want once's, started on a retry, and none of the disabled schedule's", got)
	}
	fr, _ := s.GetSchedule(h.ctx, "default", "flex")
	tick := schedEpoch.Add(time.Hour)
	if !fr.NextTick.Equal(tick) || !fr.DueAt.Equal(tick.Add(fr.Schedule.Offset(tick))) {
		t.Fatalf("flex: next tick %s due %s; want 11:00 plus its offset %s", fr.NextTick, fr.DueAt, fr.Schedule.Offset(tick))
	}
	h.clock.Add(tick.Sub(h.clock.Now()))
	x.Tick(h.ctx) //nolint:errcheck // missing-target fails again
	if fr.DueAt.After(tick) {
		if n := len(h.executions()); n != 1 {
			t.Fatalf("flex fired at 11:00, before its offset %s", fr.Schedule.Offset(tick))
		}
	}
	h.clock.Add(fr.DueAt.Sub(h.clock.Now()))
	x.Tick(h.ctx) //nolint:errcheck
	if got := h.executions(); len(got) != 2 || got[0] != "flex-20260301T110000Z" {
		t.Fatalf("executions %v; want flex's 11:00 tick at its offset", got)
	}
}

// testScheduleVersionsAliases targets a published version and an alias:
// each tick's execution runs that version's revision, started through
// the target's ARN.
func testScheduleVersionsAliases(t *testing.T, s ScheduleStore) {
	h := newSchedHarness(t, s)
	v1, err := h.eng.PublishStateMachineVersion(h.ctx, "sched-target", "", "one")
	if err != nil {
		t.Fatalf("PublishStateMachineVersion = %v", err)
	}
	if _, err := h.eng.UpdateStateMachine(h.ctx, "sched-target", `{"StartAt":"Q","States":{"Q":{"Type":"Pass","End":true}}}`); err != nil {
		t.Fatal(err)
	}
	if _, err := h.eng.CreateStateMachineAlias(h.ctx, engine.Alias{StateMachine: "sched-target", Name: "prod",
		Routes: []engine.Route{{Version: v1.Number, Weight: 100}}}); err != nil {
		t.Fatalf("CreateStateMachineAlias = %v", err)
	}
	base := "arn:aws:states:us-east-1:111111111111:stateMachine:sched-target"
	for name, arn := range map[string]string{"on-version": base + ":1", "on-alias": base + ":prod", "on-latest": base, "on-missing": base + ":nope"} {
		sc := testSchedule("default", name, "rate(1 minute)")
		sc.Target.Arn = arn
		h.create(sc)
	}
	h.clock.Add(time.Minute)
	if _, err := h.scheduler(s, nil).Tick(h.ctx); err != nil {
		t.Fatalf("Tick() = %v", err)
	}
	latest, err := h.eng.DescribeStateMachine(h.ctx, "sched-target", 0)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]struct {
		arn      string
		revision int
	}{"on-version": {base + ":1", v1.Revision}, "on-alias": {base + ":prod", v1.Revision}, "on-latest": {"", latest.Version}} {
		x, err := h.eng.DescribeExecution(h.ctx, "arn:aws:states:us-east-1:111111111111:execution:sched-target:"+name+"-20260301T100100Z")
		if err != nil || x.StateMachineARN != want.arn && !(want.arn == "" && x.StateMachineARN == base) || x.StateMachineVersion != want.revision {
			t.Errorf("%s: execution %+v, %v; want it through %q on revision %d", name, x, err, want.arn, want.revision)
		}
	}
	ticks, _ := s.ListTicks(h.ctx, "default", "on-missing", 10)
	if len(ticks) != 1 || ticks[0].Error == "" {
		t.Errorf("on-missing ticks %+v; want one recorded with its error (no such alias)", ticks)
	}
}
