package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/store/internal/filter"
	"github.com/stepwise-dev/stepwise/store/internal/rowmap"
	"github.com/stepwise-dev/stepwise/store/internal/versioning"
)

// ListStateMachines implements engine.Store.
func (s *Store) ListStateMachines(ctx context.Context, afterName string, limit int) ([]engine.StateMachine, error) {
	rows, err := s.r.QueryContext(ctx, q("ListStateMachines"), afterName, limit)
	return collect(rows, err, scan.StateMachine)
}

// DeleteStateMachine implements engine.Store.
func (s *Store) DeleteStateMachine(ctx context.Context, name string, now time.Time) error {
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		var arn string
		if err := tx.QueryRowContext(ctx, q("DeleteStateMachine"), name, micros(now)).Scan(&arn); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, q("DeleteAllTags"), arn); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, q("DeleteMachineAliases"), name); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, q("DeleteMachineVersions"), name, micros(now))
		return err
	})
	return translate(err)
}

// TagResource implements engine.Store. The write transaction makes the
// upsert and the count one step (Postgres needs an advisory lock for it).
func (s *Store) TagResource(ctx context.Context, arn string, tags []engine.Tag, max int) error {
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		for _, t := range tags {
			if _, err := tx.ExecContext(ctx, q("UpsertTag"), arn, t.Key, t.Value); err != nil {
				return err
			}
		}
		var n int
		if err := tx.QueryRowContext(ctx, q("CountTags"), arn).Scan(&n); err != nil {
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
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, q("DeleteTag"), arn, k); err != nil {
				return err
			}
		}
		return nil
	})
	return translate(err)
}

// ListTags implements engine.Store.
func (s *Store) ListTags(ctx context.Context, arn string) ([]engine.Tag, error) {
	rows, err := s.r.QueryContext(ctx, q("ListTags"), arn)
	return collect(rows, err, scan.Tag)
}

// ListExecutions implements engine.Store.
func (s *Store) ListExecutions(ctx context.Context, f engine.ListFilter) ([]*engine.Execution, error) {
	where, args, err := listSQL.Where(f, []any{filter.Before(f)})
	if err != nil {
		return nil, err
	}
	args = append(args, f.Limit) // the last ? of the text
	return queryExecutions(s.r.QueryContext(ctx, strings.Replace(q("FilterExecutions"), "/*conditions*/", where, 1), args...))
}

// latestRevision reads a live machine's latest revision (inside a write
// transaction, which is the lock).
func latestRevision(ctx context.Context, tx *sql.Tx, name string) (engine.StateMachine, error) {
	return scan.LatestRevision(name, tx.QueryRowContext(ctx, q("LockLatestRevision"), name))
}

// ReviseStateMachine implements engine.Store.
func (s *Store) ReviseStateMachine(ctx context.Context, name string, definition, roleARN *string, now time.Time) (engine.StateMachine, error) {
	var sm engine.StateMachine
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		var err error
		if sm, err = latestRevision(ctx, tx, name); err != nil {
			return err
		}
		if !versioning.Revise(&sm, definition, roleARN, now) {
			return nil // nothing changes
		}
		if err := tx.QueryRowContext(ctx, q("BumpRevision"), name, sm.RoleARN).Scan(&sm.Version); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, q("InsertRevision"), name, sm.Version, sm.Definition, sm.RoleARN, micros(now))
		return err
	})
	return sm, translate(err)
}

// SetStateMachineLogging implements engine.VersionStore.
func (s *Store) SetStateMachineLogging(ctx context.Context, name string, logging *engine.Logging) error {
	var n int64
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, q("SetStateMachineLogging"), name, engine.EncodeLogging(logging))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return translate(err)
	}
	if n == 0 {
		return engine.ErrNotFound
	}
	return nil
}

// StateMachineCreatedAt implements engine.Store.
func (s *Store) StateMachineCreatedAt(ctx context.Context, name string) (time.Time, error) {
	var t time.Time
	err := s.r.QueryRowContext(ctx, q("StateMachineCreatedAt"), name).Scan(scanTime(&t))
	return t, translate(err)
}

// PublishVersion implements engine.Store.
func (s *Store) PublishVersion(ctx context.Context, name string, revision int, description string, now time.Time) (engine.Version, error) {
	var v engine.Version
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		sm, err := latestRevision(ctx, tx, name)
		if err != nil {
			return err
		}
		if sm.Version != revision {
			return engine.ErrConflict
		}
		v, err = scan.Version(name, tx.QueryRowContext(ctx, q("NewestVersion"), name))
		if err == nil && v.Revision == revision {
			return nil // already published
		}
		if err != nil && !errors.Is(err, engine.ErrNotFound) {
			return err
		}
		v = engine.Version{StateMachine: name, Revision: revision, RoleARN: sm.RoleARN, Description: description, CreatedAt: now}
		return tx.QueryRowContext(ctx, q("InsertVersion"), name, revision, sm.RoleARN, description, micros(now)).Scan(&v.Number)
	})
	return v, translate(err)
}

// GetVersion implements engine.Store.
func (s *Store) GetVersion(ctx context.Context, name string, number int) (engine.Version, error) {
	return scan.Version(name, s.r.QueryRowContext(ctx, q("GetVersion"), name, number))
}

// VersionOfRevision implements engine.Store.
func (s *Store) VersionOfRevision(ctx context.Context, name string, revision int) (engine.Version, error) {
	return scan.Version(name, s.r.QueryRowContext(ctx, q("VersionOfRevision"), name, revision))
}

// ListVersions implements engine.Store.
func (s *Store) ListVersions(ctx context.Context, name string, before, limit int) ([]engine.Version, error) {
	rows, err := s.r.QueryContext(ctx, q("ListVersions"), name, before, limit)
	return collect(rows, err, func(r rowmap.Row) (engine.Version, error) { return scan.Version(name, r) })
}

// DeleteVersion implements engine.Store.
func (s *Store) DeleteVersion(ctx context.Context, name string, number int, now time.Time) ([]string, error) {
	var aliases []string
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, q("AliasesOfVersion"), name, number)
		aliases, err = collect(rows, err, func(r rowmap.Row) (a string, err error) { return a, r.Scan(&a) })
		if err != nil || len(aliases) > 0 {
			return err
		}
		_, err = tx.ExecContext(ctx, q("DeleteVersion"), name, number, micros(now))
		return err
	})
	return aliases, translate(err)
}

// checkRoutes checks, inside a write transaction, that the machine is live
// and the versions an alias routes to exist (ErrNotFound otherwise).
func checkRoutes(ctx context.Context, tx *sql.Tx, a engine.Alias) error {
	var n string
	if err := tx.QueryRowContext(ctx, q("LockMachine"), a.StateMachine).Scan(&n); err != nil {
		return err
	}
	r := versioning.Columns(a.Routes)
	var live int
	if err := tx.QueryRowContext(ctx, q("CountLiveVersions"), a.StateMachine, r[0], r[2]).Scan(&live); err != nil {
		return err
	}
	if live != len(a.Routes) {
		return engine.ErrNotFound
	}
	return nil
}

// CreateAlias implements engine.Store.
func (s *Store) CreateAlias(ctx context.Context, a engine.Alias) error {
	return s.writeAlias(ctx, a, q("InsertAlias"), engine.ErrConflict, micros(a.CreatedAt), micros(a.UpdatedAt))
}

// UpdateAlias implements engine.Store.
func (s *Store) UpdateAlias(ctx context.Context, a engine.Alias) error {
	return s.writeAlias(ctx, a, q("UpdateAlias"), engine.ErrNotFound, micros(a.UpdatedAt))
}

// writeAlias runs query (the SQL of InsertAlias or UpdateAlias) for a, with times
// after its routing columns, in a write transaction that first checks its
// routes; noRow is the error when the query returns no row.
func (s *Store) writeAlias(ctx context.Context, a engine.Alias, query string, noRow error, times ...any) error {
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		if err := checkRoutes(ctx, tx, a); err != nil {
			return err
		}
		args := append(append([]any{a.StateMachine, a.Name, a.Description}, versioning.Columns(a.Routes)...), times...)
		var n string
		err := tx.QueryRowContext(ctx, query, args...).Scan(&n)
		if errors.Is(err, sql.ErrNoRows) {
			return noRow
		}
		return err
	})
	return translate(err)
}

// GetAlias implements engine.Store.
func (s *Store) GetAlias(ctx context.Context, machine, name string) (engine.Alias, error) {
	return scan.Alias(machine, s.r.QueryRowContext(ctx, q("GetAlias"), machine, name))
}

// ListAliases implements engine.Store.
func (s *Store) ListAliases(ctx context.Context, machine string, before engine.AliasKey, limit int) ([]engine.Alias, error) {
	rows, err := s.r.QueryContext(ctx, q("ListAliases"), machine, nullMicros(before.CreatedAt), before.Name, limit)
	return collect(rows, err, func(r rowmap.Row) (engine.Alias, error) { return scan.Alias(machine, r) })
}

// DeleteAlias implements engine.Store.
func (s *Store) DeleteAlias(ctx context.Context, machine, name string) error {
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, q("DeleteAlias"), machine, name)
		return err
	})
	return translate(err)
}
