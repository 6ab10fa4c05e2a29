package postgres_test

import (
	"testing"

	"github.com/stepwise-dev/stepwise/store/storetest"
)

// TestSchedules runs the shared schedule suite on Postgres.
func TestSchedules(t *testing.T) {
	storetest.RunSchedules(t, func(t testing.TB) storetest.ScheduleStore {
		s, _ := newStore(t)
		return s
	})
}
