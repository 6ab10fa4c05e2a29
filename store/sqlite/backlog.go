package sqlite

import (
	"context"
	"fmt"
)

// Backlog returns how many tasks are open (SCHEDULED or STARTED) and how
// many executions are RUNNING: the gauges stepwise_tasks_open and
// stepwise_executions_running of package telemetry, which finds this
// method on the store (telemetry.Backlog) and calls it at each scrape. It
// reads on the reader pool, one statement, so both counts are of one
// snapshot and the writer is not held.
func (s *Store) Backlog(ctx context.Context) (openTasks, runningExecutions int64, err error) {
	if err := s.r.QueryRowContext(ctx, q("Backlog")).Scan(&openTasks, &runningExecutions); err != nil {
		return 0, 0, fmt.Errorf("backlog: %w", translate(err))
	}
	return openTasks, runningExecutions, nil
}
