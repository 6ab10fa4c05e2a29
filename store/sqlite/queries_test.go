package sqlite_test

import (
	"context"
	"testing"

	"github.com/stepwise-dev/stepwise/store/internal/namedsql"
	"github.com/stepwise-dev/stepwise/store/sqlite"
)

// TestQueries checks the named queries at test time: every q("Name") of
// the package names a query and every query is used, and each one
// prepares on a migrated database (its SQL, tables and columns hold).
func TestQueries(t *testing.T) {
	calls, err := namedsql.Calls(".", "q")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range sqlite.Queries.Check(calls) {
		t.Error(p)
	}
	s := newStore(t)
	for name, sql := range sqlite.Queries {
		st, err := s.Reader().PrepareContext(context.Background(), sql)
		if err != nil {
			t.Errorf("query %s does not prepare: %v", name, err)
			continue
		}
		st.Close()
	}
}
