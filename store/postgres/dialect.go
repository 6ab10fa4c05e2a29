package postgres

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/stepwise-dev/stepwise/store/internal/filter"
	"github.com/stepwise-dev/stepwise/store/internal/rowmap"
)

// This file holds what is Postgres's own on the Go side: how errors,
// times and rows cross pgx, and how ListExecutions' conditions are
// spelt. Rows are mapped to engine values by store/internal/rowmap and
// conditions rendered by store/internal/filter, with these hooks, as
// store/sqlite does with its own.

// scan maps rows (store/internal/rowmap) with pgx's timestamptz and
// errors.
var scan = rowmap.Scanner{Time: scanTime, NoRows: pgx.ErrNoRows, Conflict: conflict}

// translate maps pgx errors to the engine's sentinels.
func translate(err error) error { return scan.Err(err) }

// conflict reports the errors that are engine.ErrConflict.
func conflict(err error) (string, bool) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "40001", "40P01", "23505": // serialization_failure, deadlock_detected (task bookkeeping of two replicas' groups), unique_violation
			return pe.Message, true
		}
	}
	return "", false
}

// scanTime is the scan destination of a timestamptz column: NULL is the
// zero time.
func scanTime(t *time.Time) any { return (*timeDest)(t) }

type timeDest time.Time

// ScanTimestamptz implements pgtype.TimestamptzScanner, pgx's plan for a
// timestamptz without boxing.
func (d *timeDest) ScanTimestamptz(v pgtype.Timestamptz) error {
	switch {
	case !v.Valid:
		*d = timeDest{}
	case v.InfinityModifier != pgtype.Finite:
		return fmt.Errorf("cannot scan an infinite timestamp into a time.Time")
	default:
		*d = timeDest(v.Time)
	}
	return nil
}

// nullTime is NULL for the zero time.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// nullStamp is nullTime as an element of a timestamptz array.
func nullStamp(t time.Time) pgtype.Timestamptz {
	return pgtype.Timestamptz{Time: t, Valid: !t.IsZero()}
}

// collect maps every row of a query (rows and err as Query returns them)
// with one, and closes the rows.
func collect[T any](rows pgx.Rows, err error, one func(rowmap.Row) (T, error)) ([]T, error) {
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	return rowmap.All(scan, rows, one)
}

// listSQL renders ListExecutions' conditions: numbered parameters,
// starts_with, and = ANY of a text array.
var listSQL = filter.Dialect{
	Param: func(args *[]any, v any) string {
		*args = append(*args, v)
		return "$" + strconv.Itoa(len(*args))
	},
	Time: func(t time.Time) any { return t },
	Prefix: func(col, p string, param func(any) string) string {
		return "starts_with(" + col + ", " + param(p) + ")"
	},
	In: func(col string, vs []string, param func(any) string) string {
		return col + " = ANY(" + param(vs) + "::text[])"
	},
	NoSlash: func(col string) string { return "strpos(" + col + ", '/') = 0" },
}
