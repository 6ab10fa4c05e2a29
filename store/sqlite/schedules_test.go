package sqlite_test

import (
	"testing"

	"github.com/stepwise-dev/stepwise/store/storetest"
)

// TestSchedules runs the shared schedule suite on SQLite.
func TestSchedules(t *testing.T) {
	storetest.RunSchedules(t, func(t testing.TB) storetest.ScheduleStore { return newStore(t) })
}
