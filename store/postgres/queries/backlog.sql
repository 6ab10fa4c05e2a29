-- Named queries for the backlog gauges (telemetry.Backlog). Each starts
-- with "-- name: Name".

-- name: Backlog
-- Open tasks (scheduled or started, not yet answered) and running
-- executions, in the whole installation. Both counts read partial or
-- status indexes (tasks_open, executions_by_status_all).
SELECT (SELECT count(*) FROM tasks WHERE status IN ('SCHEDULED', 'STARTED')),
       (SELECT count(*) FROM executions WHERE status = 'RUNNING');
