-- Named queries for the backlog gauges (telemetry.Backlog), as
-- store/postgres's backlog.sql. Each starts with "-- name: Name".

-- name: Backlog
-- Open tasks (scheduled or started, not yet answered) and running
-- executions, in the whole installation.
SELECT (SELECT count(*) FROM tasks WHERE status IN ('SCHEDULED', 'STARTED')),
       (SELECT count(*) FROM executions WHERE status = 'RUNNING');
