// Package filter renders the conditions of engine.ListFilter (ListExecutions)
// as SQL for both stores: which fields and operators may reach the SQL
// text, how a condition is checked, and in which order its values are
// bound are written once, here; how SQL spells a parameter, a prefix test
// and a set test, and how a time is bound, are a [Dialect]'s, set in each
// store's dialect.go. Only column names and operators from fixed tables
// reach the SQL text; every value is a bound parameter.
//
// It imports engine only.
package filter

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/engine"
)

// Dialect is how one database spells what the conditions need. Every
// field is required.
type Dialect struct {
	// Param appends v to *args and returns its placeholder.
	Param func(args *[]any, v any) string
	// Time is the value bound for a time.
	Time func(t time.Time) any
	// Prefix is the test that column col starts with the string value p,
	// counted in characters; param binds p (as often as needed).
	Prefix func(col string, p string, param func(any) string) string
	// In is the test that column col is one of vs; param binds a value.
	In func(col string, vs []string, param func(any) string) string
	// NoSlash is the test that column col holds no '/' (ListFilter.Nested),
	// spelled as the predicate of the store's executions_nested_by_parent
	// index, so that the query planner uses that index.
	NoSlash func(col string) string
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

// Before is the id f lists before: f.BeforeID, or every id for none.
func Before(f engine.ListFilter) int64 {
	if f.BeforeID <= 0 {
		return math.MaxInt64
	}
	return f.BeforeID
}

// Where renders f's machine, status, Conditions and parent, in that
// order, as " AND ..." clauses (the text for a query's conditions marker),
// appending their values to args. A NULL stop date fails every
// comparison.
func (d Dialect) Where(f engine.ListFilter, args []any) (string, []any, error) {
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
	var sb strings.Builder
	param := func(v any) string { return d.Param(&args, v) }
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
			sb.WriteString(" AND " + col + " " + op + " " + param(d.Time(v)))
		case string:
			if isTime {
				return "", nil, bad
			}
			switch c.Op {
			case engine.OpEq, engine.OpNe:
				sb.WriteString(" AND " + col + " " + comparisons[c.Op] + " " + param(v))
			case engine.OpPrefix:
				sb.WriteString(" AND " + d.Prefix(col, v, param))
			default:
				return "", nil, bad
			}
		case []string:
			if isTime || c.Op != engine.OpIn {
				return "", nil, bad
			}
			sb.WriteString(" AND " + d.In(col, v, param))
		default:
			return "", nil, bad
		}
	}
	if f.ParentID != 0 { // executions_by_parent
		sb.WriteString(" AND parent_id = " + param(f.ParentID))
	}
	if f.Nested { // executions_nested_by_parent
		sb.WriteString(" AND " + d.NoSlash("state_machine"))
	}
	return sb.String(), args, nil
}
