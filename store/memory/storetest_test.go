package memory_test

import (
	"testing"

	"github.com/stepwise-dev/stepwise/engine"
	"github.com/stepwise-dev/stepwise/store/memory"
	"github.com/stepwise-dev/stepwise/store/storetest"
)

// TestStore runs the shared store suite in memory.
func TestStore(t *testing.T) {
	storetest.Run(t, func(testing.TB) engine.Store { return memory.New() })
}

// TestBacklog runs the shared Backlog scenario (the telemetry gauges'
// counts) in memory.
func TestBacklog(t *testing.T) {
	storetest.RunBacklog(t, func(testing.TB) engine.Store { return memory.New() })
}

// TestSchedules runs the shared schedule suite in memory.
func TestSchedules(t *testing.T) {
	storetest.RunSchedules(t, func(testing.TB) storetest.ScheduleStore { return memory.New() })
}
