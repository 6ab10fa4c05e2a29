package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
)

var _ engine.TaskStore = (*Store)(nil)

// CreateActivity implements engine.TaskStore.
func (s *Store) CreateActivity(ctx context.Context, a engine.Activity) (engine.Activity, error) {
	var out engine.Activity
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, q("CreateActivity"), a.Name, a.ARN, micros(a.CreationDate))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			if out, err = scan.Activity(tx.QueryRowContext(ctx, q("GetActivityByName"), a.Name)); err != nil {
				return err
			}
			return engine.ErrConflict
		}
		out = a
		return nil
	})
	if errors.Is(err, engine.ErrConflict) {
		return out, err
	}
	if err != nil {
		return engine.Activity{}, translate(err)
	}
	return out, nil
}

// GetActivity implements engine.TaskStore.
func (s *Store) GetActivity(ctx context.Context, arn string) (engine.Activity, error) {
	return scan.Activity(s.r.QueryRowContext(ctx, q("GetActivity"), arn))
}

// DeleteActivity implements engine.TaskStore.
func (s *Store) DeleteActivity(ctx context.Context, arn string) error {
	_, err := s.w.ExecContext(ctx, q("DeleteActivity"), arn)
	return translate(err)
}

// ListActivities implements engine.TaskStore.
func (s *Store) ListActivities(ctx context.Context, afterName string, limit int) ([]engine.Activity, error) {
	rows, err := s.r.QueryContext(ctx, q("ListActivities"), afterName, limit)
	return collect(rows, err, scan.Activity)
}

// ClaimActivityTask implements engine.TaskStore: one write transaction
// claims the task and starts its heartbeat clock.
func (s *Store) ClaimActivityTask(ctx context.Context, resource string, now time.Time) (engine.Task, error) {
	var t engine.Task
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		var err error
		if t, err = scan.Task(tx.QueryRowContext(ctx, q("ClaimActivityTask"), resource)); err != nil {
			return err
		}
		if t.HeartbeatSeconds > 0 {
			_, err = tx.ExecContext(ctx, q("MoveHeartbeatTimer"), t.ExecutionID, t.Token,
				micros(now.Add(time.Duration(t.HeartbeatSeconds)*time.Second)))
		}
		return err
	})
	if err != nil {
		return engine.Task{}, translate(err)
	}
	return t, nil
}

// ReopenStarted implements engine.TaskStore.
func (s *Store) ReopenStarted(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		var err error
		n, err = execCount(ctx, tx, q("ReopenStarted"), micros(before))
		return err
	})
	return n, translate(err)
}
