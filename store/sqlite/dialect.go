package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/stepwise-dev/stepwise/store/internal/filter"
	"github.com/stepwise-dev/stepwise/store/internal/rowmap"
)

// This file holds what is SQLite's own on the Go side: how errors, times
// and rows cross database/sql, and how ListExecutions' conditions are
// spelt. Rows are mapped to engine values by store/internal/rowmap and
// conditions rendered by store/internal/filter, with these hooks, as
// store/postgres does with its own.

// scan maps rows (store/internal/rowmap) with times stored as
// microseconds and SQLite's errors.
var scan = rowmap.Scanner{Time: scanTime, NoRows: sql.ErrNoRows, Conflict: conflict}

// translate maps database/sql and SQLite errors to the engine's sentinels.
func translate(err error) error { return scan.Err(err) }

// conflict reports the errors that are engine.ErrConflict.
func conflict(err error) (string, bool) {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return se.Error(), true
		}
	}
	return "", false
}

// micros and fromMicros convert times to and from the stored integers.
func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(n int64) time.Time { return time.UnixMicro(n).UTC() }

// nullMicros is NULL for the zero time.
func nullMicros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// scanTime is the scan destination of a time column (microseconds):
// NULL is the zero time.
func scanTime(t *time.Time) any { return (*microsDest)(t) }

type microsDest time.Time

// Scan implements sql.Scanner.
func (d *microsDest) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d = microsDest{}
	case int64:
		*d = microsDest(fromMicros(v))
	default:
		return fmt.Errorf("a time column holds %T, not microseconds", src)
	}
	return nil
}

// collect maps every row of a query (rows and err as QueryContext
// returns them) with one, and closes the rows.
func collect[T any](rows *sql.Rows, err error, one func(rowmap.Row) (T, error)) ([]T, error) {
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	return rowmap.All(scan, rows, one)
}

// listSQL renders ListExecutions' conditions: positional parameters (in
// the order of the text), times as microseconds, a prefix by substr
// (which counts characters, as Postgres's starts_with does) and IN lists.
var listSQL = filter.Dialect{
	Param: func(args *[]any, v any) string {
		*args = append(*args, v)
		return "?"
	},
	Time: func(t time.Time) any { return micros(t) },
	Prefix: func(col, p string, param func(any) string) string {
		return "substr(" + col + ", 1, length(" + param(p) + ")) = " + param(p)
	},
	In: func(col string, vs []string, param func(any) string) string {
		if len(vs) == 0 {
			return "0"
		}
		ps := make([]string, len(vs))
		for i, v := range vs {
			ps[i] = param(v)
		}
		return col + " IN (" + strings.Join(ps, ", ") + ")"
	},
	NoSlash: func(col string) string { return "instr(" + col + ", '/') = 0" },
}
