package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/schedule"
)

var _ schedule.Store = (*Store)(nil)

// CreateScheduleGroup implements schedule.Store.
func (s *Store) CreateScheduleGroup(ctx context.Context, g schedule.Group) error {
	return s.execOne(ctx, engine.ErrConflict, q("CreateScheduleGroup"), g.Name, g.Created, g.Modified)
}

// execOne runs a statement that must change a row: none is the error
// none.
func (s *Store) execOne(ctx context.Context, none error, query string, args ...any) error {
	tag, err := s.pool.Exec(ctx, query, args...)
	if err != nil {
		return translate(err)
	}
	if tag.RowsAffected() == 0 {
		return none
	}
	return nil
}

// GetScheduleGroup implements schedule.Store.
func (s *Store) GetScheduleGroup(ctx context.Context, name string) (schedule.Group, error) {
	return scan.ScheduleGroup(s.pool.QueryRow(ctx, q("GetScheduleGroup"), name))
}

// DeleteScheduleGroup implements schedule.Store.
func (s *Store) DeleteScheduleGroup(ctx context.Context, name string) error {
	return s.execOne(ctx, engine.ErrNotFound, q("DeleteScheduleGroup"), name)
}

// ListScheduleGroups implements schedule.Store.
func (s *Store) ListScheduleGroups(ctx context.Context, namePrefix, afterName string, limit int) ([]schedule.Group, error) {
	rows, err := s.pool.Query(ctx, q("ListScheduleGroups"), afterName, namePrefix, limit)
	return collect(rows, err, scan.ScheduleGroup)
}

// CreateSchedule implements schedule.Store.
func (s *Store) CreateSchedule(ctx context.Context, r schedule.Record) error {
	spec, err := json.Marshal(r.Schedule)
	if err != nil {
		return err
	}
	sc := &r.Schedule
	var one int
	err = s.pool.QueryRow(ctx, q("CreateSchedule"), sc.Group, sc.Name, spec, sc.State,
		nullTime(r.NextTick), nullTime(r.DueAt), r.Attempts).Scan(&one)
	if !errors.Is(err, pgx.ErrNoRows) {
		return translate(err)
	}
	var n int
	if err := s.pool.QueryRow(ctx, q("ScheduleGroupExists"), sc.Group).Scan(&n); err != nil {
		return translate(err)
	}
	if n == 0 {
		return engine.ErrNotFound
	}
	return engine.ErrConflict
}

// UpdateSchedule implements schedule.Store.
func (s *Store) UpdateSchedule(ctx context.Context, r schedule.Record) error {
	spec, err := json.Marshal(r.Schedule)
	if err != nil {
		return err
	}
	sc := &r.Schedule
	return s.execOne(ctx, engine.ErrNotFound, q("UpdateSchedule"), sc.Group, sc.Name, spec, sc.State,
		nullTime(r.NextTick), nullTime(r.DueAt), r.Attempts)
}

// GetSchedule implements schedule.Store.
func (s *Store) GetSchedule(ctx context.Context, group, name string) (schedule.Record, error) {
	return scan.Schedule(s.pool.QueryRow(ctx, q("GetSchedule"), group, name))
}

// DeleteSchedule implements schedule.Store.
func (s *Store) DeleteSchedule(ctx context.Context, group, name string) error {
	return s.execOne(ctx, engine.ErrNotFound, q("DeleteSchedule"), group, name)
}

// ListSchedules implements schedule.Store.
func (s *Store) ListSchedules(ctx context.Context, f schedule.ListFilter) ([]schedule.Record, error) {
	rows, err := s.pool.Query(ctx, q("ListSchedules"), f.Group, f.NamePrefix, f.State, f.AfterGroup, f.AfterName, f.Limit)
	return collect(rows, err, scan.Schedule)
}

// ClaimDueSchedules implements schedule.Store.
func (s *Store) ClaimDueSchedules(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]schedule.Record, error) {
	rows, err := s.pool.Query(ctx, q("ClaimDueSchedules"), now, now.Add(lease), limit)
	return collect(rows, err, scan.Schedule)
}

// AdvanceSchedule implements schedule.Store.
func (s *Store) AdvanceSchedule(ctx context.Context, r schedule.Record, fired *schedule.Tick, remove bool) error {
	sc := &r.Schedule
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var tag interface{ RowsAffected() int64 }
		var err error
		if remove {
			tag, err = tx.Exec(ctx, q("DeleteScheduleAt"), sc.Group, sc.Name, r.Version)
		} else {
			tag, err = tx.Exec(ctx, q("AdvanceSchedule"), sc.Group, sc.Name, r.Version, nullTime(r.NextTick), nullTime(r.DueAt), r.Attempts)
		}
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return engine.ErrConflict
		}
		if fired == nil || remove {
			return nil
		}
		if _, err := tx.Exec(ctx, q("RecordTick"), fired.Group, fired.Name, fired.Time, fired.ExecutionARN, fired.Error, fired.Attempts, fired.Fired); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, q("PruneTicks"), fired.Group, fired.Name, schedule.KeepTicks)
		return err
	})
	if errors.Is(err, engine.ErrConflict) {
		return err
	}
	return translate(err)
}

// ListTicks implements schedule.Store.
func (s *Store) ListTicks(ctx context.Context, group, name string, limit int) ([]schedule.Tick, error) {
	rows, err := s.pool.Query(ctx, q("ListTicks"), group, name, limit)
	return collect(rows, err, scan.Tick)
}
