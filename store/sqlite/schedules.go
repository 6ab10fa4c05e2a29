package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/schedule"
)

var _ schedule.Store = (*Store)(nil)

// CreateScheduleGroup implements schedule.Store.
func (s *Store) CreateScheduleGroup(ctx context.Context, g schedule.Group) error {
	return s.execOne(ctx, engine.ErrConflict, q("CreateScheduleGroup"), g.Name, micros(g.Created), micros(g.Modified))
}

// GetScheduleGroup implements schedule.Store.
func (s *Store) GetScheduleGroup(ctx context.Context, name string) (schedule.Group, error) {
	return scan.ScheduleGroup(s.r.QueryRowContext(ctx, q("GetScheduleGroup"), name))
}

// DeleteScheduleGroup implements schedule.Store.
func (s *Store) DeleteScheduleGroup(ctx context.Context, name string) error {
	return s.execOne(ctx, engine.ErrNotFound, q("DeleteScheduleGroup"), name)
}

// execOne runs a statement that must change a row: none is the error
// none.
func (s *Store) execOne(ctx context.Context, none error, query string, args ...any) error {
	res, err := s.w.ExecContext(ctx, query, args...)
	if err != nil {
		return translate(err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return none
	}
	return nil
}

// ListScheduleGroups implements schedule.Store.
func (s *Store) ListScheduleGroups(ctx context.Context, namePrefix, afterName string, limit int) ([]schedule.Group, error) {
	rows, err := s.r.QueryContext(ctx, q("ListScheduleGroups"), afterName, namePrefix, limit)
	return collect(rows, err, scan.ScheduleGroup)
}

// CreateSchedule implements schedule.Store.
func (s *Store) CreateSchedule(ctx context.Context, r schedule.Record) error {
	spec, err := json.Marshal(r.Schedule)
	if err != nil {
		return err
	}
	sc := &r.Schedule
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, q("CreateSchedule"), sc.Group, sc.Name, string(spec), sc.State,
			nullMicros(r.NextTick), nullMicros(r.DueAt), r.Attempts).Scan(&one)
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, q("ScheduleGroupExists"), sc.Group).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return engine.ErrNotFound
		}
		return engine.ErrConflict
	})
	if errors.Is(err, engine.ErrNotFound) || errors.Is(err, engine.ErrConflict) {
		return err
	}
	return translate(err)
}

// UpdateSchedule implements schedule.Store.
func (s *Store) UpdateSchedule(ctx context.Context, r schedule.Record) error {
	spec, err := json.Marshal(r.Schedule)
	if err != nil {
		return err
	}
	sc := &r.Schedule
	return s.execOne(ctx, engine.ErrNotFound, q("UpdateSchedule"), sc.Group, sc.Name, string(spec), sc.State,
		nullMicros(r.NextTick), nullMicros(r.DueAt), r.Attempts)
}

// GetSchedule implements schedule.Store.
func (s *Store) GetSchedule(ctx context.Context, group, name string) (schedule.Record, error) {
	return scan.Schedule(s.r.QueryRowContext(ctx, q("GetSchedule"), group, name))
}

// DeleteSchedule implements schedule.Store.
func (s *Store) DeleteSchedule(ctx context.Context, group, name string) error {
	return s.execOne(ctx, engine.ErrNotFound, q("DeleteSchedule"), group, name)
}

// ListSchedules implements schedule.Store.
func (s *Store) ListSchedules(ctx context.Context, f schedule.ListFilter) ([]schedule.Record, error) {
	rows, err := s.r.QueryContext(ctx, q("ListSchedules"), f.Group, f.NamePrefix, f.State, f.AfterGroup, f.AfterName, f.Limit)
	return collect(rows, err, scan.Schedule)
}

// ClaimDueSchedules implements schedule.Store: one UPDATE … RETURNING on
// the single writer.
func (s *Store) ClaimDueSchedules(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]schedule.Record, error) {
	var out []schedule.Record
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, q("ClaimDueSchedules"), micros(now), micros(now.Add(lease)), limit)
		out, err = collect(rows, err, scan.Schedule)
		return err
	})
	return out, translate(err)
}

// AdvanceSchedule implements schedule.Store.
func (s *Store) AdvanceSchedule(ctx context.Context, r schedule.Record, fired *schedule.Tick, remove bool) error {
	sc := &r.Schedule
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		var res sql.Result
		var err error
		if remove {
			res, err = tx.ExecContext(ctx, q("DeleteScheduleAt"), sc.Group, sc.Name, r.Version)
		} else {
			res, err = tx.ExecContext(ctx, q("AdvanceSchedule"), sc.Group, sc.Name, r.Version, nullMicros(r.NextTick), nullMicros(r.DueAt), r.Attempts)
		}
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return engine.ErrConflict
		}
		if fired == nil || remove {
			return nil
		}
		if _, err := tx.ExecContext(ctx, q("RecordTick"), fired.Group, fired.Name, micros(fired.Time), fired.ExecutionARN, fired.Error, fired.Attempts, micros(fired.Fired)); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, q("PruneTicks"), fired.Group, fired.Name, schedule.KeepTicks)
		return err
	})
	if errors.Is(err, engine.ErrConflict) {
		return err
	}
	return translate(err)
}

// ListTicks implements schedule.Store.
func (s *Store) ListTicks(ctx context.Context, group, name string, limit int) ([]schedule.Tick, error) {
	rows, err := s.r.QueryContext(ctx, q("ListTicks"), group, name, limit)
	return collect(rows, err, scan.Tick)
}
