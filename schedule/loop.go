package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
)

// Starter starts executions: *engine.Engine.
type Starter interface {
	// StartTarget resolves a machine and a qualifier (a version or an
	// alias) to what StartExecution runs.
	StartTarget(ctx context.Context, machine, qualifier string) (engine.StartExecutionInput, error)
	StartExecution(ctx context.Context, in engine.StartExecutionInput) (*engine.Execution, error)
}

// Config configures a Scheduler. Zero values take the documented defaults.
type Config struct {
	// Store keeps the schedules. Required.
	Store Store
	// Starter starts the ticks' executions. Required.
	Starter Starter
	// Region and Account build schedule ARNs. Default to "us-east-1" and
	// "111111111111".
	Region, Account string
	// PollInterval is how often the scheduler looks for due schedules.
	// Defaults to 1s.
	PollInterval time.Duration
	// Lease is how long a claimed schedule is hidden from other
	// schedulers while its tick fires; a scheduler that dies mid-tick has
	// the tick fired again after it, and the execution's name makes that
	// second start a no-op. Defaults to 30s.
	Lease time.Duration
	// Batch is how many due schedules one pass claims; a full batch is
	// followed by another pass at once. Defaults to 64.
	Batch int
	// Workers bounds how many claimed schedules fire at once. Defaults to
	// 8.
	Workers int
	// MissedAfter is how late a tick may be and still count as on time:
	// a later one was missed (no scheduler ran), and the schedule's
	// catch-up rule decides what fires. Defaults to 1 minute.
	MissedAfter time.Duration
	// Now is the clock. Defaults to time.Now.
	Now func() time.Time
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.Account == "" {
		c.Account = "111111111111"
	}
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
	}
	if c.Lease <= 0 {
		c.Lease = 30 * time.Second
	}
	if c.Batch <= 0 {
		c.Batch = 64
	}
	if c.Workers <= 0 {
		c.Workers = 8
	}
	if c.MissedAfter <= 0 {
		c.MissedAfter = time.Minute
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Scheduler fires due ticks. Several may share a store.
type Scheduler struct {
	cfg Config
}

// New returns a Scheduler.
func New(cfg Config) (*Scheduler, error) {
	cfg.setDefaults()
	if cfg.Store == nil || cfg.Starter == nil {
		return nil, errors.New("schedule: Config.Store and Config.Starter are required")
	}
	return &Scheduler{cfg: cfg}, nil
}

// Run fires due ticks every PollInterval until ctx ends; it returns nil
// then. A failed pass is logged and retried at the next poll.
func (s *Scheduler) Run(ctx context.Context) error {
	t := time.NewTicker(s.cfg.PollInterval)
	defer t.Stop()
	for {
		claimed, _, err := s.pass(ctx)
		if err != nil && ctx.Err() == nil {
			s.cfg.Logger.Warn("schedules: firing due ticks", "error", err)
		}
		if claimed == s.cfg.Batch && err == nil {
			continue // more may be due: no wait
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Tick runs one pass: it claims up to Batch due schedules and fires each
// one's tick, returning how many ticks it recorded.
func (s *Scheduler) Tick(ctx context.Context) (int, error) {
	_, n, err := s.pass(ctx)
	return n, err
}

// pass claims due schedules and fires them, Workers at a time (their
// starts share the engine's group commits).
func (s *Scheduler) pass(ctx context.Context) (claimed, fired int, err error) {
	recs, err := s.cfg.Store.ClaimDueSchedules(ctx, s.cfg.Now(), s.cfg.Lease, s.cfg.Batch)
	if err != nil {
		return 0, 0, fmt.Errorf("claim due schedules: %w", err)
	}
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
		sem  = make(chan struct{}, s.cfg.Workers)
	)
	for _, r := range recs {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			n, err := s.fire(ctx, r)
			mu.Lock()
			defer mu.Unlock()
			fired += n
			if err != nil {
				errs = append(errs, fmt.Errorf("schedule %s/%s: %w", r.Schedule.Group, r.Schedule.Name, err))
			}
		}()
	}
	wg.Wait()
	return len(recs), fired, errors.Join(errs...)
}

// fire fires a claimed schedule's due tick (per its catch-up rule) and
// advances it, and goes on with the following ticks while they are due
// too (a poll came late), up to Batch of them (the rest in the next pass).
func (s *Scheduler) fire(ctx context.Context, r Record) (int, error) {
	n := 0
	for {
		tick, err := s.fireOne(ctx, r)
		if err != nil || tick.IsZero() {
			return n, err
		}
		n++
		sc := &r.Schedule
		next, ok := sc.NextTick(tick)
		if !ok || sc.DueAt(next).After(s.cfg.Now()) || n >= s.cfg.Batch {
			return n, nil
		}
		r.Version++ // AdvanceSchedule bumped it
		r.NextTick, r.Attempts = next, 0
	}
}

// fireOne fires r's tick and advances r, returning the tick recorded
// (zero: none: dropped, or to be retried).
func (s *Scheduler) fireOne(ctx context.Context, r Record) (time.Time, error) {
	sc := &r.Schedule
	now := s.cfg.Now()
	tick := r.NextTick
	// A tick more than MissedAfter late was missed (no scheduler ran):
	// the catch-up rule decides. A tick being retried keeps its time.
	if late := now.Sub(sc.DueAt(tick)) > s.cfg.MissedAfter; late && r.Attempts == 0 && sc.CatchUp != CatchUpAll {
		tick = latestDue(sc, tick, now)
		if sc.CatchUp == CatchUpNone && now.Sub(sc.DueAt(tick)) > s.cfg.MissedAfter {
			_, err := s.advance(ctx, r, tick, nil) // dropped: missed
			return time.Time{}, err
		}
	}
	name := sc.ExecutionName(tick)
	arn := sc.ARN(s.cfg.Region, s.cfg.Account)
	machine, qualifier, err := TargetMachine(sc.Target.Arn)
	var in engine.StartExecutionInput
	if err == nil {
		in, err = s.cfg.Starter.StartTarget(ctx, machine, qualifier)
	}
	var x *engine.Execution
	if err == nil {
		in.Name, in.Input = name, sc.Input(tick, arn, name, r.Attempts+1)
		x, err = s.cfg.Starter.StartExecution(ctx, in)
	}
	fired := &Tick{Group: sc.Group, Name: sc.Name, Time: tick, Attempts: r.Attempts + 1, Fired: now}
	switch {
	case err == nil, errors.Is(err, engine.ErrExecutionAlreadyExists) && x != nil:
		fired.ExecutionARN = x.ARN // started now, or before by whoever fired this tick
	case ctx.Err() != nil:
		return time.Time{}, nil // stopping: the lease runs out and the tick fires again
	case permanent(err):
		fired.Error = err.Error()
		s.cfg.Logger.Warn("schedules: tick started no execution", "schedule", sc.Group+"/"+sc.Name, "tick", tick, "error", err)
	default:
		rp := sc.Target.RetryPolicy
		if r.Attempts < rp.MaximumRetryAttempts && now.Sub(tick) < time.Duration(rp.MaximumEventAgeInSeconds)*time.Second {
			r.NextTick, r.Attempts, r.DueAt = tick, r.Attempts+1, now.Add(backoff(r.Attempts))
			if aerr := s.cfg.Store.AdvanceSchedule(ctx, r, nil, false); aerr != nil && !errors.Is(aerr, engine.ErrConflict) {
				return time.Time{}, aerr
			}
			return time.Time{}, err
		}
		fired.Error = err.Error()
	}
	if ok, err := s.advance(ctx, r, tick, fired); !ok {
		return time.Time{}, err
	}
	return tick, nil
}

// advance records fired (nil: nothing fired) and moves the schedule to
// the tick after tick. A schedule written meanwhile (updated, or claimed
// again after the lease) is left as it is, and advance reports false.
func (s *Scheduler) advance(ctx context.Context, r Record, tick time.Time, fired *Tick) (bool, error) {
	sc := &r.Schedule
	next, ok := sc.NextTick(tick)
	r.NextTick, r.DueAt, r.Attempts = time.Time{}, time.Time{}, 0
	if ok {
		r.NextTick, r.DueAt = next, sc.DueAt(next)
	}
	err := s.cfg.Store.AdvanceSchedule(ctx, r, fired, !ok && sc.ActionAfterCompletion == AfterDelete)
	if errors.Is(err, engine.ErrConflict) {
		return false, nil
	}
	return err == nil, err
}

// latestDue returns the latest tick due by now, from tick on: the one
// execution CatchUpOne starts for a run of missed ticks. It starts its
// walk two days before now when a tick is due there (a cron of every
// minute missed for months), or one period before now for a rate.
func latestDue(sc *Schedule, tick, now time.Time) time.Time {
	back := 48 * time.Hour
	if e, err := ParseExpression(sc.Expression); err == nil && e.Kind == KindRate {
		back = e.Rate
	}
	if probe := now.Add(-back); probe.After(tick) {
		if next, ok := sc.NextTick(probe); ok && !sc.DueAt(next).After(now) {
			tick = next
		}
	}
	for range 100000 {
		next, ok := sc.NextTick(tick)
		if !ok || sc.DueAt(next).After(now) {
			return tick
		}
		tick = next
	}
	return tick
}

// permanent reports whether a start failed for a reason retrying cannot
// change (AWS sends such a tick to the dead-letter queue at once).
func permanent(err error) bool {
	return errors.Is(err, engine.ErrNotFound) || errors.Is(err, engine.ErrInvalidInput) ||
		errors.Is(err, engine.ErrPayloadTooLarge) || errors.Is(err, engine.ErrExecutionAlreadyExists)
}

// backoff is the wait before attempt n+2: 1s doubling, at most 5 minutes.
func backoff(n int) time.Duration {
	if n > 8 {
		return 5 * time.Minute
	}
	return min(time.Second<<n, 5*time.Minute)
}
