package sqlite_test

import (
	"testing"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/store/storetest"
)

// TestBacklog runs the shared Backlog scenario (the telemetry gauges'
// counts) on SQLite.
func TestBacklog(t *testing.T) {
	storetest.RunBacklog(t, func(t testing.TB) engine.Store { return newStore(t) })
}
