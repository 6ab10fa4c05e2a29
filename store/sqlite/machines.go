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
		if err := rows.Scan(&sm.Name, &sm.ARN, &sm.RoleARN, &sm.Version, &sm.Definition, &created, &sm.Deleted); err != nil {
			return nil, translate(err)
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
		_, err := tx.ExecContext(ctx, q("DeleteAllTags"), arn)
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
	args = append(args, f.Limit)
	return queryExecutions(s.r.QueryContext(ctx, strings.Replace(q("FilterExecutions"), "/*conditions*/", where, 1), args...))
}
