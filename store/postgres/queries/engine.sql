-- Named queries of the Postgres store. Each starts with "-- name: Name".

-- name: CreateStateMachine
-- A deleted machine of the same name comes back with its next version.
WITH sm AS (
    INSERT INTO state_machines AS m (name, arn, role_arn, latest_version, created_at, type, logging)
    VALUES ($1, $2, $3, 1, $5, $6, $7)
    ON CONFLICT (name) DO UPDATE
       SET latest_version = m.latest_version + 1, role_arn = excluded.role_arn,
           created_at = excluded.created_at, deleted_at = NULL, type = excluded.type, logging = excluded.logging
     WHERE m.deleted_at IS NOT NULL
    RETURNING name, latest_version
)
INSERT INTO state_machine_versions (state_machine, version, definition, created_at)
SELECT name, latest_version, $4, $5 FROM sm
RETURNING version;

-- name: AddStateMachineVersion
WITH sm AS (
    UPDATE state_machines SET latest_version = latest_version + 1
     WHERE name = $1 AND deleted_at IS NULL
    RETURNING name, arn, role_arn, latest_version
)
INSERT INTO state_machine_versions (state_machine, version, definition, created_at)
SELECT name, latest_version, $2, $3 FROM sm
RETURNING (SELECT arn FROM sm), (SELECT role_arn FROM sm), version;

-- name: GetStateMachine
SELECT m.name, m.arn, coalesce(v.role_arn, m.role_arn), v.version, v.definition, v.created_at, m.deleted_at IS NOT NULL,
       m.type, m.logging
  FROM state_machines m
  JOIN state_machine_versions v ON v.state_machine = m.name
 WHERE m.name = $1 AND v.version = CASE WHEN $2::integer = 0 THEN m.latest_version ELSE $2::integer END;

-- name: InsertExecution
INSERT INTO executions (arn, state_machine, state_machine_version, state_machine_arn, name, status, input, start_date, state,
                        parent_id, parent_token)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, nullif($10::bigint, 0), nullif($11, ''))
ON CONFLICT DO NOTHING
RETURNING id;

-- name: GetExecution
SELECT id, arn, name, state_machine, state_machine_version, state_machine_arn, status, input,
       coalesce(output, ''), coalesce(error, ''), coalesce(cause, ''), start_date, stop_date,
       version, last_event_id, state, parent_id, coalesce(parent_token, ''),
       redrive_count, redrive_date, redrive_until
  FROM executions WHERE id = $1;

-- name: GetExecutionByARN
SELECT id, arn, name, state_machine, state_machine_version, state_machine_arn, status, input,
       coalesce(output, ''), coalesce(error, ''), coalesce(cause, ''), start_date, stop_date,
       version, last_event_id, state, parent_id, coalesce(parent_token, ''),
       redrive_count, redrive_date, redrive_until
  FROM executions WHERE arn = $1;

-- name: GetExecutionByName
SELECT id, arn, name, state_machine, state_machine_version, state_machine_arn, status, input,
       coalesce(output, ''), coalesce(error, ''), coalesce(cause, ''), start_date, stop_date,
       version, last_event_id, state, parent_id, coalesce(parent_token, ''),
       redrive_count, redrive_date, redrive_until
  FROM executions WHERE state_machine = $1 AND name = $2;

-- name: HistoryForward
-- The chunks holding ids $2+1 .. $2+$3 (a chunk's ids are consecutive).
SELECT data FROM history_chunks
 WHERE execution_id = $1 AND last_id > $2 AND first_id <= $2 + $3
 ORDER BY first_id;

-- name: HistoryReverse
-- The chunks holding the $3 ids before $2 (0: the end).
WITH b AS (
    SELECT CASE WHEN $2::bigint > 0 THEN $2::bigint
                ELSE coalesce((SELECT max(last_id) FROM history_chunks WHERE execution_id = $1), 0) + 1 END AS before
)
SELECT data FROM history_chunks, b
 WHERE execution_id = $1 AND first_id < b.before AND last_id >= b.before - $3
 ORDER BY first_id;

-- name: ClaimDueTimers
UPDATE timers t SET fire_at = $2
  FROM (SELECT execution_id, key FROM timers
         WHERE fire_at <= $1
         ORDER BY fire_at
         LIMIT $3
           FOR UPDATE SKIP LOCKED) due
 WHERE t.execution_id = due.execution_id AND t.key = due.key
RETURNING t.execution_id, t.key;

-- name: ReopenStarted
UPDATE tasks SET status = 'SCHEDULED', dispatch_after = $1
 WHERE status = 'STARTED' AND resource LIKE '%.waitForTaskToken' AND created_at < $1;

-- name: ClaimUndispatched
UPDATE tasks t SET dispatch_after = $2
  FROM (SELECT token FROM tasks
         WHERE status = 'SCHEDULED' AND dispatch_after <= $1
         ORDER BY dispatch_after
         LIMIT $3
           FOR UPDATE SKIP LOCKED) due,
       executions x
 WHERE t.token = due.token AND x.id = t.execution_id
RETURNING t.token, t.execution_id, x.arn, t.state_name, t.attempt, t.resource, t.input,
          t.timeout_seconds, t.heartbeat_seconds, t.created_at, t.dispatch_after;

-- name: GetTask
SELECT t.token, t.execution_id, x.arn, t.state_name, t.attempt, t.resource, t.input,
       t.timeout_seconds, t.heartbeat_seconds, t.created_at, t.dispatch_after, t.status
  FROM tasks t JOIN executions x ON x.id = t.execution_id
 WHERE t.token = $1;

-- name: EndedChildren
-- Child executions that ended while their parent's task is still open: the
-- parent was not told (its engine stopped between the two commits).
SELECT c.id, c.arn, c.name, c.state_machine, c.state_machine_version, c.state_machine_arn, c.status, c.input,
       coalesce(c.output, ''), coalesce(c.error, ''), coalesce(c.cause, ''), c.start_date, c.stop_date,
       c.version, c.last_event_id, '', c.parent_id, coalesce(c.parent_token, ''),
       c.redrive_count, c.redrive_date, c.redrive_until
  FROM tasks t
  JOIN executions c ON c.parent_token = t.token
 WHERE t.status IN ('SCHEDULED', 'STARTED') AND t.resource LIKE 'arn:aws:states:::states:startExecution.sync%'
   AND c.status <> 'RUNNING'
 LIMIT $1;

-- name: StrandedChildren
-- Running child executions whose parent's .sync task was closed without a
-- result: the parent ended (or timed the task out, or left the state) and
-- its engine stopped before it stopped them. Served by
-- executions_running_children.
SELECT c.id, c.arn, c.name, c.state_machine, c.state_machine_version, c.state_machine_arn, c.status, c.input,
       coalesce(c.output, ''), coalesce(c.error, ''), coalesce(c.cause, ''), c.start_date, c.stop_date,
       c.version, c.last_event_id, '', c.parent_id, coalesce(c.parent_token, ''),
       c.redrive_count, c.redrive_date, c.redrive_until
  FROM executions c
  JOIN tasks t ON t.token = c.parent_token
 WHERE c.status = 'RUNNING' AND c.parent_token IS NOT NULL
   AND t.status IN ('CANCELLED', 'TIMED_OUT') AND t.resource LIKE 'arn:aws:states:::states:startExecution.sync%'
 LIMIT $1;
