package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/store/internal/versioning"
)

// ListStateMachines implements engine.Store.
func (s *Store) ListStateMachines(ctx context.Context, afterName string, limit int) ([]engine.StateMachine, error) {
	rows, err := s.r.QueryContext(ctx, q("ListStateMachines"), afterName, limit)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []engine.StateMachine
	for rows.Next() {
		var sm engine.StateMachine
		var created int64
		var logging string
		if err := rows.Scan(&sm.Name, &sm.ARN, &sm.RoleARN, &sm.Version, &sm.Definition, &created, &sm.Deleted, &sm.Type, &logging); err != nil {
			return nil, translate(err)
		}
		if sm.Logging, err = engine.DecodeLogging(logging); err != nil {
			return nil, err
		}
		sm.CreatedAt = fromMicros(created)
		out = append(out, sm)
	}
	return out, translate(rows.Err())
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
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []engine.Tag
	for rows.Next() {
		var t engine.Tag
		if err := rows.Scan(&t.Key, &t.Value); err != nil {
			return nil, translate(err)
		}
		out = append(out, t)
	}
	return out, translate(rows.Err())
}

// columns maps the fields a condition may test to their columns; only
// these names ever reach the SQL text.
var columns = map[engine.Field]string{
	engine.FieldName:         "name",
	engine.FieldStatus:       "status",
	engine.FieldStateMachine: "state_machine",
	engine.FieldStartTime:    "start_date",
	engine.FieldStopTime:     "stop_date",
}

// comparisons maps condition operators to SQL; only these reach the SQL
// text.
var comparisons = map[engine.Op]string{
	engine.OpEq: "=", engine.OpNe: "<>", engine.OpLt: "<", engine.OpLe: "<=", engine.OpGt: ">", engine.OpGe: ">=",
}

// conditionsSQL renders conditions as " AND column op ?" clauses whose
// values are appended to args. Times compare as stored microseconds; a
// NULL stop date fails every comparison, as in Postgres.
func conditionsSQL(conds []engine.Condition, args []any) (string, []any, error) {
	var sb strings.Builder
	for _, c := range conds {
		col, ok := columns[c.Field]
		if !ok {
			return "", nil, fmt.Errorf("%w: cannot filter on %q", engine.ErrInvalidInput, c.Field)
		}
		isTime := c.Field == engine.FieldStartTime || c.Field == engine.FieldStopTime
		bad := fmt.Errorf("%w: bad condition %s %s %T", engine.ErrInvalidInput, c.Field, c.Op, c.Value)
		switch v := c.Value.(type) {
		case time.Time:
			op, ok := comparisons[c.Op]
			if !isTime || !ok {
				return "", nil, bad
			}
			sb.WriteString(" AND " + col + " " + op + " ?")
			args = append(args, micros(v))
		case string:
			if isTime {
				return "", nil, bad
			}
			switch c.Op {
			case engine.OpEq, engine.OpNe:
				sb.WriteString(" AND " + col + " " + comparisons[c.Op] + " ?")
				args = append(args, v)
			case engine.OpPrefix:
				// substr counts characters, as Postgres's starts_with does.
				sb.WriteString(" AND substr(" + col + ", 1, length(?)) = ?")
				args = append(args, v, v)
			default:
				return "", nil, bad
			}
		case []string:
			if isTime || c.Op != engine.OpIn {
				return "", nil, bad
			}
			if len(v) == 0 {
				sb.WriteString(" AND 0")
				continue
			}
			sb.WriteString(" AND " + col + " IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(v)), ", ") + ")")
			for _, x := range v {
				args = append(args, x)
			}
		default:
			return "", nil, bad
		}
	}
	return sb.String(), args, nil
}

// ListExecutions implements engine.Store.
func (s *Store) ListExecutions(ctx context.Context, f engine.ListFilter) ([]*engine.Execution, error) {
	before := f.BeforeID
	if before <= 0 {
		before = math.MaxInt64
	}
	conds := f.Conditions
	if f.StateMachine != "" || f.Status != "" {
		conds = append([]engine.Condition(nil), conds...)
		if f.StateMachine != "" {
			conds = append(conds, engine.Condition{Field: engine.FieldStateMachine, Op: engine.OpEq, Value: f.StateMachine})
		}
		if f.Status != "" {
			conds = append(conds, engine.Condition{Field: engine.FieldStatus, Op: engine.OpEq, Value: f.Status})
		}
	}
	where, args, err := conditionsSQL(conds, []any{before})
	if err != nil {
		return nil, err
	}
	if f.ParentID != 0 { // executions_by_parent
		where += " AND parent_id = ?"
		args = append(args, f.ParentID)
	}
	args = append(args, f.Limit)
	return queryExecutions(s.r.QueryContext(ctx, strings.Replace(q("FilterExecutions"), "/*conditions*/", where, 1), args...))
}

// row is what QueryRowContext and Rows give to scan.
type row interface{ Scan(dest ...any) error }

// collect scans every row of a query (rows and err as QueryContext
// returns them) and closes it.
func collect[T any](rows *sql.Rows, err error, scan func(row) (T, error)) ([]T, error) {
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, translate(err)
		}
		out = append(out, v)
	}
	return out, translate(rows.Err())
}

// latestRevision reads a live machine's latest revision (inside a write
// transaction, which is the lock).
func latestRevision(ctx context.Context, tx *sql.Tx, name string) (engine.StateMachine, error) {
	sm := engine.StateMachine{Name: name}
	var created int64
	err := tx.QueryRowContext(ctx, q("LockLatestRevision"), name).Scan(&sm.Version, &sm.Definition, &sm.RoleARN, &sm.ARN, &created)
	sm.CreatedAt = fromMicros(created)
	return sm, err
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
	var t int64
	if err := s.r.QueryRowContext(ctx, q("StateMachineCreatedAt"), name).Scan(&t); err != nil {
		return time.Time{}, translate(err)
	}
	return fromMicros(t), nil
}

func scanVersion(name string, r row) (engine.Version, error) {
	v := engine.Version{StateMachine: name}
	var created int64
	err := r.Scan(&v.Number, &v.Revision, &v.RoleARN, &v.Description, &created)
	v.CreatedAt = fromMicros(created)
	return v, err
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
		v, err = scanVersion(name, tx.QueryRowContext(ctx, q("NewestVersion"), name))
		if err == nil && v.Revision == revision {
			return nil // already published
		}
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		v = engine.Version{StateMachine: name, Revision: revision, RoleARN: sm.RoleARN, Description: description, CreatedAt: now}
		return tx.QueryRowContext(ctx, q("InsertVersion"), name, revision, sm.RoleARN, description, micros(now)).Scan(&v.Number)
	})
	return v, translate(err)
}

// GetVersion implements engine.Store.
func (s *Store) GetVersion(ctx context.Context, name string, number int) (engine.Version, error) {
	v, err := scanVersion(name, s.r.QueryRowContext(ctx, q("GetVersion"), name, number))
	return v, translate(err)
}

// VersionOfRevision implements engine.Store.
func (s *Store) VersionOfRevision(ctx context.Context, name string, revision int) (engine.Version, error) {
	v, err := scanVersion(name, s.r.QueryRowContext(ctx, q("VersionOfRevision"), name, revision))
	return v, translate(err)
}

// ListVersions implements engine.Store.
func (s *Store) ListVersions(ctx context.Context, name string, before, limit int) ([]engine.Version, error) {
	rows, err := s.r.QueryContext(ctx, q("ListVersions"), name, before, limit)
	return collect(rows, err, func(r row) (engine.Version, error) { return scanVersion(name, r) })
}

// DeleteVersion implements engine.Store.
func (s *Store) DeleteVersion(ctx context.Context, name string, number int, now time.Time) ([]string, error) {
	var aliases []string
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, q("AliasesOfVersion"), name, number)
		aliases, err = collect(rows, err, func(r row) (a string, err error) { return a, r.Scan(&a) })
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

func scanAlias(machine string, r row) (engine.Alias, error) {
	a := engine.Alias{StateMachine: machine}
	var rs versioning.Scanned
	var created, updated int64
	err := r.Scan(append(append([]any{&a.Name, &a.Description}, rs.Dest()...), &created, &updated)...)
	a.CreatedAt, a.UpdatedAt, a.Routes = fromMicros(created), fromMicros(updated), rs.Routes()
	return a, err
}

// GetAlias implements engine.Store.
func (s *Store) GetAlias(ctx context.Context, machine, name string) (engine.Alias, error) {
	a, err := scanAlias(machine, s.r.QueryRowContext(ctx, q("GetAlias"), machine, name))
	return a, translate(err)
}

// ListAliases implements engine.Store.
func (s *Store) ListAliases(ctx context.Context, machine string, before engine.AliasKey, limit int) ([]engine.Alias, error) {
	rows, err := s.r.QueryContext(ctx, q("ListAliases"), machine, nullMicros(before.CreatedAt), before.Name, limit)
	return collect(rows, err, func(r row) (engine.Alias, error) { return scanAlias(machine, r) })
}

// DeleteAlias implements engine.Store.
func (s *Store) DeleteAlias(ctx context.Context, machine, name string) error {
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, q("DeleteAlias"), machine, name)
		return err
	})
	return translate(err)
}
