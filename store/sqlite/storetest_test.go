package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/store/sqlite"
	"github.com/stepwise-dev/stepwise/store/storetest"
)

// newStore returns a migrated store in a new file under t.TempDir().
func newStore(t testing.TB) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(sqlite.Config{Path: filepath.Join(t.TempDir(), "stepwise.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestStore runs the shared store suite on SQLite.
func TestStore(t *testing.T) {
	storetest.Run(t, func(t testing.TB) engine.Store { return newStore(t) })
}
