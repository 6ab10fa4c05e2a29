package postgres_test

import (
	"context"
	"testing"

	"github.com/stepwise-dev/stepwise/internal/crashtest"
	"github.com/stepwise-dev/stepwise/internal/pgtest"
)

// crashTarget is a fresh schema for the crash rig.
func crashTarget(t *testing.T) crashtest.Target {
	s, pool := pgtest.Store(t)
	var schema string
	if err := pool.QueryRow(context.Background(), "SELECT current_schema()").Scan(&schema); err != nil {
		t.Fatal(err)
	}
	return crashtest.Target{Store: s, Flags: []string{"-dsn", pgtest.DSN(), "-schema", schema}, Count: crashtest.Counter(pool.QueryRow)}
}

// TestCrash: crashtest.Executions on Postgres.
func TestCrash(t *testing.T) { crashtest.Executions(t, crashTarget(t), 200) }

// TestCrashChildren: crashtest.Children on Postgres.
func TestCrashChildren(t *testing.T) { crashtest.Children(t, crashTarget(t), 60) }

// TestCrashDistributedMap: crashtest.DistributedMap on Postgres.
func TestCrashDistributedMap(t *testing.T) { crashtest.DistributedMap(t, crashTarget(t), 30) }

// TestCrashStrandedChildren: crashtest.StrandedChildren on Postgres.
func TestCrashStrandedChildren(t *testing.T) { crashtest.StrandedChildren(t, crashTarget(t)) }

// TestCrashRedrive: crashtest.Redrives on Postgres.
func TestCrashRedrive(t *testing.T) { crashtest.Redrives(t, crashTarget(t), 60) }

// TestCrashRedriveKilled: crashtest.RedriveKilled on Postgres.
func TestCrashRedriveKilled(t *testing.T) { crashtest.RedriveKilled(t, crashTarget(t)) }

// TestCrashExpressDistributedMap: crashtest.ExpressDistributedMap on Postgres.
func TestCrashExpressDistributedMap(t *testing.T) {
	crashtest.ExpressDistributedMap(t, crashTarget(t), 16)
}
