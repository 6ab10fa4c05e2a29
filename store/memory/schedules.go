package memory

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/schedule"
)

// scheduleRow is a schedule's row: its Schedule kept as the JSON the SQL
// stores keep (so a read returns a copy), and its fired ticks, newest
// last.
type scheduleRow struct {
	spec     []byte
	state    string
	next     time.Time
	due      time.Time
	attempts int
	version  int64
	ticks    []schedule.Tick
}

func (r *scheduleRow) record() (schedule.Record, error) {
	rec := schedule.Record{NextTick: r.next, DueAt: r.due, Attempts: r.attempts, Version: r.version}
	if err := json.Unmarshal(r.spec, &rec.Schedule); err != nil {
		return rec, fmt.Errorf("stored schedule: %w", err)
	}
	return rec, nil
}

// CreateScheduleGroup implements schedule.Store.
func (s *Store) CreateScheduleGroup(_ context.Context, g schedule.Group) error {
	return s.write(func() error {
		if _, ok := s.groups[g.Name]; ok {
			return fmt.Errorf("%w: schedule group %q exists", engine.ErrConflict, g.Name)
		}
		g.Created, g.Modified = ts(g.Created), ts(g.Modified)
		s.groups[g.Name] = g
		return nil
	})
}

// GetScheduleGroup implements schedule.Store.
func (s *Store) GetScheduleGroup(_ context.Context, name string) (schedule.Group, error) {
	var g schedule.Group
	err := s.read(func() error {
		var ok bool
		if g, ok = s.groups[name]; !ok {
			return fmt.Errorf("schedule group %q: %w", name, engine.ErrNotFound)
		}
		return nil
	})
	return g, err
}

// DeleteScheduleGroup implements schedule.Store: with its schedules.
func (s *Store) DeleteScheduleGroup(_ context.Context, name string) error {
	return s.write(func() error {
		if _, ok := s.groups[name]; !ok {
			return fmt.Errorf("schedule group %q: %w", name, engine.ErrNotFound)
		}
		delete(s.groups, name)
		for k := range s.schedules {
			if k[0] == name {
				delete(s.schedules, k)
			}
		}
		return nil
	})
}

// ListScheduleGroups implements schedule.Store.
func (s *Store) ListScheduleGroups(_ context.Context, namePrefix, afterName string, limit int) ([]schedule.Group, error) {
	var out []schedule.Group
	err := s.read(func() error {
		for _, n := range after(sortedKeys(s.groups), namePrefix, afterName, limit) {
			out = append(out, s.groups[n])
		}
		return nil
	})
	return out, err
}

// CreateSchedule implements schedule.Store.
func (s *Store) CreateSchedule(_ context.Context, r schedule.Record) error {
	spec, err := json.Marshal(r.Schedule)
	if err != nil {
		return err
	}
	sc := &r.Schedule
	return s.write(func() error {
		if _, ok := s.groups[sc.Group]; !ok {
			return fmt.Errorf("schedule group %q: %w", sc.Group, engine.ErrNotFound)
		}
		k := [2]string{sc.Group, sc.Name}
		if s.schedules[k] != nil {
			return fmt.Errorf("%w: schedule %s/%s exists", engine.ErrConflict, sc.Group, sc.Name)
		}
		s.schedules[k] = &scheduleRow{spec: spec, state: sc.State, next: ts(r.NextTick), due: ts(r.DueAt), attempts: r.Attempts, version: 1}
		return nil
	})
}

// UpdateSchedule implements schedule.Store.
func (s *Store) UpdateSchedule(_ context.Context, r schedule.Record) error {
	spec, err := json.Marshal(r.Schedule)
	if err != nil {
		return err
	}
	sc := &r.Schedule
	return s.write(func() error {
		row := s.schedules[[2]string{sc.Group, sc.Name}]
		if row == nil {
			return fmt.Errorf("schedule %s/%s: %w", sc.Group, sc.Name, engine.ErrNotFound)
		}
		row.spec, row.state, row.next, row.due, row.attempts = spec, sc.State, ts(r.NextTick), ts(r.DueAt), r.Attempts
		row.version++
		return nil
	})
}

// GetSchedule implements schedule.Store.
func (s *Store) GetSchedule(_ context.Context, group, name string) (schedule.Record, error) {
	var out schedule.Record
	err := s.read(func() error {
		row := s.schedules[[2]string{group, name}]
		if row == nil {
			return fmt.Errorf("schedule %s/%s: %w", group, name, engine.ErrNotFound)
		}
		var err error
		out, err = row.record()
		return err
	})
	return out, err
}

// DeleteSchedule implements schedule.Store: with its ticks.
func (s *Store) DeleteSchedule(_ context.Context, group, name string) error {
	return s.write(func() error {
		k := [2]string{group, name}
		if s.schedules[k] == nil {
			return fmt.Errorf("schedule %s/%s: %w", group, name, engine.ErrNotFound)
		}
		delete(s.schedules, k)
		return nil
	})
}

// sortedSchedules returns the keys of the schedules that pass keep, by
// group then name.
func (s *Store) sortedSchedules(keep func([2]string, *scheduleRow) bool) [][2]string {
	var ks [][2]string
	for k, row := range s.schedules {
		if keep(k, row) {
			ks = append(ks, k)
		}
	}
	slices.SortFunc(ks, func(a, b [2]string) int { return cmp.Or(strings.Compare(a[0], b[0]), strings.Compare(a[1], b[1])) })
	return ks
}

// ListSchedules implements schedule.Store: by group, then name.
func (s *Store) ListSchedules(_ context.Context, f schedule.ListFilter) ([]schedule.Record, error) {
	var out []schedule.Record
	err := s.read(func() error {
		ks := s.sortedSchedules(func(k [2]string, row *scheduleRow) bool {
			return (f.Group == "" || k[0] == f.Group) && strings.HasPrefix(k[1], f.NamePrefix) &&
				(f.State == "" || row.state == f.State) && (k[0] > f.AfterGroup || (k[0] == f.AfterGroup && k[1] > f.AfterName))
		})
		for _, k := range limited(ks, f.Limit) {
			r, err := s.schedules[k].record()
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// ClaimDueSchedules implements schedule.Store: due enabled schedules,
// soonest first, each one's due time moved to now+lease and its version
// bumped.
func (s *Store) ClaimDueSchedules(_ context.Context, now time.Time, lease time.Duration, limit int) ([]schedule.Record, error) {
	var out []schedule.Record
	err := s.write(func() error {
		ks := s.sortedSchedules(func(_ [2]string, row *scheduleRow) bool {
			return row.state == schedule.Enabled && !row.due.IsZero() && row.due.UnixMicro() <= now.UnixMicro()
		})
		slices.SortStableFunc(ks, func(a, b [2]string) int { return s.schedules[a].due.Compare(s.schedules[b].due) })
		ks = limited(ks, limit)
		recs := make([]schedule.Record, 0, len(ks))
		for _, k := range ks { // read them all before changing any
			r, err := s.schedules[k].record()
			if err != nil {
				return err
			}
			recs = append(recs, r)
		}
		for i, k := range ks {
			row := s.schedules[k]
			row.due = ts(now.Add(lease))
			row.version++
			recs[i].DueAt, recs[i].Version = row.due, row.version
		}
		out = recs
		return nil
	})
	return out, err
}

// AdvanceSchedule implements schedule.Store.
func (s *Store) AdvanceSchedule(_ context.Context, r schedule.Record, fired *schedule.Tick, remove bool) error {
	sc := &r.Schedule
	return s.write(func() error {
		k := [2]string{sc.Group, sc.Name}
		row := s.schedules[k]
		if row == nil || row.version != r.Version {
			return fmt.Errorf("%w: schedule %s/%s is no longer at version %d", engine.ErrConflict, sc.Group, sc.Name, r.Version)
		}
		var at *scheduleRow // where the tick is recorded
		if fired != nil && !remove {
			if at = s.schedules[[2]string{fired.Group, fired.Name}]; at == nil {
				return fmt.Errorf("record the tick of %s/%s: %w", fired.Group, fired.Name, engine.ErrNotFound)
			}
		}
		if remove {
			delete(s.schedules, k)
			return nil
		}
		row.next, row.due, row.attempts = ts(r.NextTick), ts(r.DueAt), r.Attempts
		row.version++
		if at != nil {
			at.recordTick(*fired)
		}
		return nil
	})
}

// recordTick adds a tick unless one of that time is recorded, and keeps
// the newest schedule.KeepTicks.
func (r *scheduleRow) recordTick(t schedule.Tick) {
	t.Time, t.Fired = ts(t.Time), ts(t.Fired)
	i, found := slices.BinarySearchFunc(r.ticks, t.Time, func(a schedule.Tick, at time.Time) int { return a.Time.Compare(at) })
	if found {
		return
	}
	r.ticks = slices.Insert(r.ticks, i, t)
	if n := len(r.ticks) - schedule.KeepTicks; n > 0 {
		r.ticks = slices.Delete(r.ticks, 0, n)
	}
}

// ListTicks implements schedule.Store: newest first.
func (s *Store) ListTicks(_ context.Context, group, name string, limit int) ([]schedule.Tick, error) {
	var out []schedule.Tick
	err := s.read(func() error {
		row := s.schedules[[2]string{group, name}]
		if row == nil {
			return nil
		}
		for i := len(row.ticks) - 1; i >= 0 && (limit < 0 || len(out) < limit); i-- {
			out = append(out, row.ticks[i])
		}
		return nil
	})
	return out, err
}
