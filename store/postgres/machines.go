package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stepwise-dev/stepwise/engine"
)

// ListStateMachines implements engine.Store.
func (s *Store) ListStateMachines(ctx context.Context, afterName string, limit int) ([]engine.StateMachine, error) {
	rows, err := s.pool.Query(ctx, q("ListStateMachines"), afterName, limit)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []engine.StateMachine
	for rows.Next() {
		var sm engine.StateMachine
		if err := rows.Scan(&sm.Name, &sm.ARN, &sm.RoleARN, &sm.Version, &sm.Definition, &sm.CreatedAt, &sm.Deleted); err != nil {
			return nil, translate(err)
		}
		out = append(out, sm)
	}
	return out, translate(rows.Err())
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

// conditionsSQL renders conditions as " AND column op $n" clauses whose
// values are appended to args (parameters start at len(args)+1).
func conditionsSQL(conds []engine.Condition, args []any) (string, []any, error) {
	var sb strings.Builder
	param := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
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
			sb.WriteString(" AND " + col + " " + op + " " + param(v))
		case string:
			if isTime {
				return "", nil, bad
			}
			switch c.Op {
			case engine.OpEq, engine.OpNe:
				sb.WriteString(" AND " + col + " " + comparisons[c.Op] + " " + param(v))
			case engine.OpPrefix:
				sb.WriteString(" AND starts_with(" + col + ", " + param(v) + ")")
			default:
				return "", nil, bad
			}
		case []string:
			if isTime || c.Op != engine.OpIn {
				return "", nil, bad
			}
			sb.WriteString(" AND " + col + " = ANY(" + param(v) + "::text[])")
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
	where, args, err := conditionsSQL(conds, []any{before, f.Limit})
	if err != nil {
		return nil, err
	}
	sql := strings.Replace(q("FilterExecutions"), "/*conditions*/", where, 1)
	return queryExecutions(s.pool.Query(ctx, sql, args...))
}
