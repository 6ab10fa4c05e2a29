-- Map Runs (engine.MapRun). Each starts with "-- name: Name".

-- name: UpsertMapRun
-- A run's start date is kept from its first row.
INSERT INTO map_runs (arn, execution_id, state_name, status, max_concurrency, tolerated_failure_count,
                      tolerated_failure_percentage, total, results_written, start_date, stop_date,
                      redrive_count, redrive_date, pending_redrive, running)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (arn) DO UPDATE
   SET status = excluded.status, max_concurrency = excluded.max_concurrency,
       tolerated_failure_count = excluded.tolerated_failure_count,
       tolerated_failure_percentage = excluded.tolerated_failure_percentage,
       total = excluded.total, results_written = excluded.results_written, stop_date = excluded.stop_date,
       redrive_count = excluded.redrive_count, redrive_date = excluded.redrive_date,
       pending_redrive = excluded.pending_redrive, running = excluded.running;

-- name: GetMapRun
SELECT r.arn, r.execution_id, x.arn, r.state_name, r.status, r.max_concurrency, r.tolerated_failure_count,
       r.tolerated_failure_percentage, r.total, r.results_written, r.start_date, r.stop_date,
       r.redrive_count, r.redrive_date, r.pending_redrive, r.running
  FROM map_runs r JOIN executions x ON x.id = r.execution_id
 WHERE r.arn = ?;

-- name: ListMapRuns
SELECT r.arn, r.execution_id, '', r.state_name, r.status, r.max_concurrency, r.tolerated_failure_count,
       r.tolerated_failure_percentage, r.total, r.results_written, r.start_date, r.stop_date,
       r.redrive_count, r.redrive_date, r.pending_redrive, r.running
  FROM map_runs r
 WHERE r.execution_id = ?1
 ORDER BY r.start_date, r.arn
 LIMIT ?3 OFFSET ?2;

-- name: CountMapRunChildren
-- The children of execution ?1 running machine ?2 that started within
-- [?3, ?4] (?4 NULL: the run is running): see engine.MapRunChildren.
SELECT status, count(*) FROM executions
 WHERE parent_id = ?1 AND state_machine = ?2 AND start_date >= ?3
   AND (?4 IS NULL OR start_date <= ?4)
 GROUP BY status;
