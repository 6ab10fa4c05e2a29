package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stepwise-dev/stepwise/internal/crashtest"
	"github.com/stepwise-dev/stepwise/store/sqlite"
)

// crashTarget is a fresh database file for the crash rig; the rig's
// engine process is a second writer on it.
func crashTarget(t *testing.T) crashtest.Target {
	path := filepath.Join(t.TempDir(), "crash.db")
	st, err := sqlite.Open(sqlite.Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return crashtest.Target{Store: st, Flags: []string{"-db", path}, Count: crashtest.Counter(db.QueryRowContext)}
}

// TestCrash: crashtest.Executions on SQLite.
func TestCrash(t *testing.T) { crashtest.Executions(t, crashTarget(t), 150) }

// TestCrashChildren: crashtest.Children on SQLite.
func TestCrashChildren(t *testing.T) { crashtest.Children(t, crashTarget(t), 40) }

// TestCrashDistributedMap: crashtest.DistributedMap on SQLite.
func TestCrashDistributedMap(t *testing.T) { crashtest.DistributedMap(t, crashTarget(t), 24) }

// TestCrashStrandedChildren: crashtest.StrandedChildren on SQLite.
func TestCrashStrandedChildren(t *testing.T) { crashtest.StrandedChildren(t, crashTarget(t)) }

// TestCrashRedrive: crashtest.Redrives on SQLite.
func TestCrashRedrive(t *testing.T) { crashtest.Redrives(t, crashTarget(t), 40) }

// TestCrashRedriveKilled: crashtest.RedriveKilled on SQLite.
func TestCrashRedriveKilled(t *testing.T) { crashtest.RedriveKilled(t, crashTarget(t)) }

// TestCrashExpressDistributedMap: crashtest.ExpressDistributedMap on SQLite.
func TestCrashExpressDistributedMap(t *testing.T) {
	crashtest.ExpressDistributedMap(t, crashTarget(t), 12)
}
