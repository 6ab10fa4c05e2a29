package postgres

import (
	"context"
	"fmt"
)

// Backlog returns how many tasks are open (SCHEDULED or STARTED) and how
// many executions are RUNNING, in the whole database: the gauges
// stepwise_tasks_open and stepwise_executions_running of package
// telemetry, which finds this method on the store (telemetry.Backlog)
// and calls it at each scrape. Both counts are one statement, so they are
// of one snapshot.
func (s *Store) Backlog(ctx context.Context) (openTasks, runningExecutions int64, err error) {
	if err := s.pool.QueryRow(ctx, q("Backlog")).Scan(&openTasks, &runningExecutions); err != nil {
		return 0, 0, fmt.Errorf("backlog: %w", translate(err))
	}
	return openTasks, runningExecutions, nil
}
