package postgres

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/store/internal/filter"
	"github.com/stepwise-dev/stepwise/store/internal/rowmap"
	"github.com/stepwise-dev/stepwise/store/internal/versioning"
)

// ListStateMachines implements engine.Store.
func (s *Store) ListStateMachines(ctx context.Context, afterName string, limit int) ([]engine.StateMachine, error) {
	rows, err := s.pool.Query(ctx, q("ListStateMachines"), afterName, limit)
	return collect(rows, err, scan.StateMachine)
}

// DeleteStateMachine implements engine.Store.
func (s *Store) DeleteStateMachine(ctx context.Context, name string, now time.Time) error {
	var n int64
	if err := s.pool.QueryRow(ctx, q("DeleteStateMachine"), name, now).Scan(&n); err != nil {
		return translate(err)
	}
	if n == 0 {
		return engine.ErrNotFound
	}
	return nil
}

// TagResource implements engine.Store. An advisory lock per ARN makes the
// upsert and the count one step, so concurrent calls cannot exceed max.
func (s *Store) TagResource(ctx context.Context, arn string, tags []engine.Tag, max int) error {
	keys, values := make([]string, len(tags)), make([]string, len(tags))
	for i, t := range tags {
		keys[i], values[i] = t.Key, t.Value
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, q("LockResourceTags"), arn); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, q("UpsertTags"), arn, keys, values); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, q("CountTags"), arn).Scan(&n); err != nil {
			return err
		}
		if n > max {
			return engine.ErrTooManyTags // rolls the upsert back
		}
		return nil
	})
	if errors.Is(err, engine.ErrTooManyTags) {
		return err
	}
	return translate(err)
}

// UntagResource implements engine.Store.
func (s *Store) UntagResource(ctx context.Context, arn string, keys []string) error {
	_, err := s.pool.Exec(ctx, q("DeleteTags"), arn, keys)
	return translate(err)
}

// ListTags implements engine.Store.
func (s *Store) ListTags(ctx context.Context, arn string) ([]engine.Tag, error) {
	rows, err := s.pool.Query(ctx, q("ListTags"), arn)
	return collect(rows, err, scan.Tag)
}

// ListExecutions implements engine.Store.
func (s *Store) ListExecutions(ctx context.Context, f engine.ListFilter) ([]*engine.Execution, error) {
	where, args, err := listSQL.Where(f, []any{filter.Before(f), f.Limit})
	if err != nil {
		return nil, err
	}
	return queryExecutions(s.pool.Query(ctx, strings.Replace(q("FilterExecutions"), "/*conditions*/", where, 1), args...))
}

// lockLatestRevision locks a live machine's row and reads its latest
// revision.
func lockLatestRevision(ctx context.Context, tx pgx.Tx, name string) (engine.StateMachine, error) {
	return scan.LatestRevision(name, tx.QueryRow(ctx, q("LockLatestRevision"), name))
}

// ReviseStateMachine implements engine.Store.
func (s *Store) ReviseStateMachine(ctx context.Context, name string, definition, roleARN *string, now time.Time) (engine.StateMachine, error) {
	var sm engine.StateMachine
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if sm, err = lockLatestRevision(ctx, tx, name); err != nil {
			return err
		}
		if !versioning.Revise(&sm, definition, roleARN, now) {
			return nil // nothing changes
		}
		if err := tx.QueryRow(ctx, q("BumpRevision"), name, sm.RoleARN).Scan(&sm.Version); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, q("InsertRevision"), name, sm.Version, sm.Definition, sm.RoleARN, now)
		return err
	})
	return sm, translate(err)
}

// SetStateMachineLogging implements engine.VersionStore.
func (s *Store) SetStateMachineLogging(ctx context.Context, name string, logging *engine.Logging) error {
	tag, err := s.pool.Exec(ctx, q("SetStateMachineLogging"), name, engine.EncodeLogging(logging))
	if err != nil {
		return translate(err)
	}
	if tag.RowsAffected() == 0 {
		return engine.ErrNotFound
	}
	return nil
}

// StateMachineCreatedAt implements engine.Store.
func (s *Store) StateMachineCreatedAt(ctx context.Context, name string) (time.Time, error) {
	var t time.Time
	err := s.pool.QueryRow(ctx, q("StateMachineCreatedAt"), name).Scan(scanTime(&t))
	return t, translate(err)
}

// PublishVersion implements engine.Store.
func (s *Store) PublishVersion(ctx context.Context, name string, revision int, description string, now time.Time) (engine.Version, error) {
	var v engine.Version
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		sm, err := lockLatestRevision(ctx, tx, name)
		if err != nil {
			return err
		}
		if sm.Version != revision {
			return engine.ErrConflict
		}
		v, err = scan.Version(name, tx.QueryRow(ctx, q("NewestVersion"), name))
		if err == nil && v.Revision == revision {
			return nil // already published
		}
		if err != nil && !errors.Is(err, engine.ErrNotFound) {
			return err
		}
		v = engine.Version{StateMachine: name, Revision: revision, RoleARN: sm.RoleARN, Description: description, CreatedAt: now}
		return tx.QueryRow(ctx, q("InsertVersion"), name, revision, sm.RoleARN, description, now).Scan(&v.Number)
	})
	return v, translate(err)
}

// GetVersion implements engine.Store.
func (s *Store) GetVersion(ctx context.Context, name string, number int) (engine.Version, error) {
	return scan.Version(name, s.pool.QueryRow(ctx, q("GetVersion"), name, number))
}

// VersionOfRevision implements engine.Store.
func (s *Store) VersionOfRevision(ctx context.Context, name string, revision int) (engine.Version, error) {
	return scan.Version(name, s.pool.QueryRow(ctx, q("VersionOfRevision"), name, revision))
}

// ListVersions implements engine.Store.
func (s *Store) ListVersions(ctx context.Context, name string, before, limit int) ([]engine.Version, error) {
	rows, err := s.pool.Query(ctx, q("ListVersions"), name, before, limit)
	return collect(rows, err, func(r rowmap.Row) (engine.Version, error) { return scan.Version(name, r) })
}

// DeleteVersion implements engine.Store.
func (s *Store) DeleteVersion(ctx context.Context, name string, number int, now time.Time) ([]string, error) {
	var aliases []string
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, q("LockMachine"), name); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, q("AliasesOfVersion"), name, number)
		if err != nil {
			return err
		}
		if aliases, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil || len(aliases) > 0 {
			return err
		}
		_, err = tx.Exec(ctx, q("DeleteVersion"), name, number, now)
		return err
	})
	return aliases, translate(err)
}

// lockRoutes locks a live machine's row and checks that the versions an
// alias routes to exist (ErrNotFound otherwise).
func lockRoutes(ctx context.Context, tx pgx.Tx, a engine.Alias) error {
	var n string
	if err := tx.QueryRow(ctx, q("LockMachine"), a.StateMachine).Scan(&n); err != nil {
		return err
	}
	r := versioning.Columns(a.Routes)
	var live int
	if err := tx.QueryRow(ctx, q("CountLiveVersions"), a.StateMachine, r[0], r[2]).Scan(&live); err != nil {
		return err
	}
	if live != len(a.Routes) {
		return engine.ErrNotFound
	}
	return nil
}

// CreateAlias implements engine.Store.
func (s *Store) CreateAlias(ctx context.Context, a engine.Alias) error {
	return s.writeAlias(ctx, a, q("InsertAlias"), engine.ErrConflict, a.CreatedAt, a.UpdatedAt)
}

// UpdateAlias implements engine.Store.
func (s *Store) UpdateAlias(ctx context.Context, a engine.Alias) error {
	return s.writeAlias(ctx, a, q("UpdateAlias"), engine.ErrNotFound, a.UpdatedAt)
}

// writeAlias runs query (the SQL of InsertAlias or UpdateAlias) for a, with times
// after its routing columns, under its machine's lock; noRow is the error
// when the query returns no row.
func (s *Store) writeAlias(ctx context.Context, a engine.Alias, query string, noRow error, times ...any) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := lockRoutes(ctx, tx, a); err != nil {
			return err
		}
		args := append(append([]any{a.StateMachine, a.Name, a.Description}, versioning.Columns(a.Routes)...), times...)
		var n string
		err := tx.QueryRow(ctx, query, args...).Scan(&n)
		if errors.Is(err, pgx.ErrNoRows) {
			return noRow
		}
		return err
	})
	return translate(err)
}

// GetAlias implements engine.Store.
func (s *Store) GetAlias(ctx context.Context, machine, name string) (engine.Alias, error) {
	return scan.Alias(machine, s.pool.QueryRow(ctx, q("GetAlias"), machine, name))
}

// ListAliases implements engine.Store.
func (s *Store) ListAliases(ctx context.Context, machine string, before engine.AliasKey, limit int) ([]engine.Alias, error) {
	var at any // NULL: from the newest
	if !before.CreatedAt.IsZero() {
		at = before.CreatedAt
	}
	rows, err := s.pool.Query(ctx, q("ListAliases"), machine, at, before.Name, limit)
	return collect(rows, err, func(r rowmap.Row) (engine.Alias, error) { return scan.Alias(machine, r) })
}

// DeleteAlias implements engine.Store.
func (s *Store) DeleteAlias(ctx context.Context, machine, name string) error {
	_, err := s.pool.Exec(ctx, q("DeleteAlias"), machine, name)
	return translate(err)
}
