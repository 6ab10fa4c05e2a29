package postgres_test

import (
	"context"
	"testing"

	"github.com/stepwise-dev/stepwise/internal/pgtest"
	"github.com/stepwise-dev/stepwise/store/internal/namedsql"
	"github.com/stepwise-dev/stepwise/store/postgres"
)

// TestQueries checks the named queries at test time: every q("Name") of
// the package names a query and every query is used, and each one
// prepares on a migrated database (its SQL, tables, columns and
// parameter types hold).
func TestQueries(t *testing.T) {
	calls, err := namedsql.Calls(".", "q")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range postgres.Queries.Check(calls) {
		t.Error(p)
	}
	_, pool := pgtest.Store(t)
	ctx := context.Background()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	for name, sql := range postgres.Queries {
		if _, err := conn.Conn().Prepare(ctx, "check_"+name, sql); err != nil {
			t.Errorf("query %s does not prepare: %v", name, err)
		}
	}
}
