package postgres_test

import (
	"testing"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/store/storetest"
)

// TestStore runs the shared store suite (store/storetest) on Postgres, a
// fresh schema per scenario.
func TestStore(t *testing.T) {
	storetest.Run(t, func(t testing.TB) engine.Store {
		s, _ := newStore(t)
		return s
	})
}
