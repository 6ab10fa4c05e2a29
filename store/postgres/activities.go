package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
)

var _ engine.TaskStore = (*Store)(nil)

// CreateActivity implements engine.TaskStore.
func (s *Store) CreateActivity(ctx context.Context, a engine.Activity) (engine.Activity, error) {
	tag, err := s.pool.Exec(ctx, q("CreateActivity"), a.Name, a.ARN, a.CreationDate)
	if err != nil {
		return engine.Activity{}, translate(err)
	}
	if tag.RowsAffected() == 0 {
		old, err := scan.Activity(s.pool.QueryRow(ctx, q("GetActivityByName"), a.Name))
		if err != nil {
			return engine.Activity{}, err
		}
		return old, engine.ErrConflict
	}
	return a, nil
}

// GetActivity implements engine.TaskStore.
func (s *Store) GetActivity(ctx context.Context, arn string) (engine.Activity, error) {
	return scan.Activity(s.pool.QueryRow(ctx, q("GetActivity"), arn))
}

// DeleteActivity implements engine.TaskStore.
func (s *Store) DeleteActivity(ctx context.Context, arn string) error {
	_, err := s.pool.Exec(ctx, q("DeleteActivity"), arn)
	return translate(err)
}

// ListActivities implements engine.TaskStore.
func (s *Store) ListActivities(ctx context.Context, afterName string, limit int) ([]engine.Activity, error) {
	rows, err := s.pool.Query(ctx, q("ListActivities"), afterName, limit)
	return collect(rows, err, scan.Activity)
}

// ClaimActivityTask implements engine.TaskStore.
func (s *Store) ClaimActivityTask(ctx context.Context, resource string, now time.Time) (engine.Task, error) {
	t, err := scan.Task(s.pool.QueryRow(ctx, q("ClaimActivityTask"), resource, now))
	if errors.Is(err, engine.ErrNotFound) {
		return engine.Task{}, engine.ErrNotFound
	}
	return t, err
}

// ReopenStarted implements engine.TaskStore.
func (s *Store) ReopenStarted(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, q("ReopenStarted"), before)
	return tag.RowsAffected(), translate(err)
}
