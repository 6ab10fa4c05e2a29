package schedule

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
)

// Service is the operations of the schedule APIs over a Store: it checks
// schedules and plans their next tick, so every API (the EventBridge
// Scheduler endpoint today) behaves alike.
type Service struct {
	Store Store
	// Now is the clock. Defaults to time.Now.
	Now func() time.Time
}

func (v *Service) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// Create checks and stores a new schedule. Errors: ErrInvalidInput,
// ErrNotFound (no such group), ErrConflict (the name is taken, by another
// request than s.ClientToken's).
func (v *Service) Create(ctx context.Context, s Schedule) (Schedule, error) {
	if err := s.Normalize(); err != nil {
		return Schedule{}, err
	}
	now := v.now().UTC()
	s.Created, s.Modified = now, now
	err := v.Store.CreateSchedule(ctx, Plan(s, now))
	if errors.Is(err, engine.ErrConflict) && s.ClientToken != "" {
		if old, gerr := v.Store.GetSchedule(ctx, s.Group, s.Name); gerr == nil && old.Schedule.ClientToken == s.ClientToken {
			return old.Schedule, nil // the same request again
		}
	}
	if err != nil {
		return Schedule{}, err
	}
	return s, nil
}

// Update replaces a schedule, keeping its creation date; its next tick is
// planned again from now. Errors: ErrInvalidInput, ErrNotFound.
func (v *Service) Update(ctx context.Context, s Schedule) (Schedule, error) {
	if err := s.Normalize(); err != nil {
		return Schedule{}, err
	}
	old, err := v.Store.GetSchedule(ctx, s.Group, s.Name)
	if err != nil {
		return Schedule{}, err
	}
	now := v.now().UTC()
	s.Created, s.Modified, s.ClientToken = old.Schedule.Created, now, old.Schedule.ClientToken
	if err := v.Store.UpdateSchedule(ctx, Plan(s, now)); err != nil {
		return Schedule{}, err
	}
	return s, nil
}

// CreateGroup checks and stores a new schedule group.
func (v *Service) CreateGroup(ctx context.Context, name string) (Group, error) {
	if err := ValidName("Name", name); err != nil {
		return Group{}, err
	}
	now := v.now().UTC()
	g := Group{Name: name, Created: now, Modified: now}
	return g, v.Store.CreateScheduleGroup(ctx, g)
}

// ErrDefaultGroup is the refusal to delete the default group.
var ErrDefaultGroup = fmt.Errorf("%w: the default schedule group cannot be deleted", engine.ErrInvalidInput)

// DeleteGroup deletes a group and its schedules; not the default group.
func (v *Service) DeleteGroup(ctx context.Context, name string) error {
	if name == DefaultGroup {
		return ErrDefaultGroup
	}
	return v.Store.DeleteScheduleGroup(ctx, name)
}

// Detail is a schedule as GetSchedule answers it: the stored record, its
// next ticks (none while disabled) and its latest fired ticks, newest
// first.
type Detail struct {
	Record Record
	Next   []time.Time
	Recent []Tick
}

// Get returns a schedule with up to n next and n latest fired ticks.
// Errors: ErrNotFound.
func (v *Service) Get(ctx context.Context, group, name string, n int) (Detail, error) {
	rec, err := v.Store.GetSchedule(ctx, group, name)
	if err != nil {
		return Detail{}, err
	}
	d := Detail{Record: rec}
	if next := rec.NextTick; !next.IsZero() && rec.Schedule.State == Enabled {
		for ok := true; ok && len(d.Next) < n; next, ok = rec.Schedule.NextTick(next) {
			d.Next = append(d.Next, next)
		}
	}
	if d.Recent, err = v.Store.ListTicks(ctx, rec.Schedule.Group, rec.Schedule.Name, n); err != nil {
		return Detail{}, err
	}
	return d, nil
}
