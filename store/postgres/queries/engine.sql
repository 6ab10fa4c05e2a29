-- Named queries of the Postgres store. Each starts with "-- name: Name".

-- name: CreateStateMachine
-- A deleted machine of the same name comes back with its next version.
WITH sm AS (
    INSERT INTO state_machines AS m (name, arn, role_arn, latest_version, created_at)
    VALUES ($1, $2, $3, 1, $5)
    ON CONFLICT (name) DO UPDATE
       SET latest_version = m.latest_version + 1, role_arn = excluded.role_arn,
           created_at = excluded.created_at, deleted_at = NULL
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
SELECT m.name, m.arn, m.role_arn, v.version, v.definition, v.created_at, m.deleted_at IS NOT NULL
  FROM state_machines m
  JOIN state_machine_versions v ON v.state_machine = m.name
 WHERE m.name = $1 AND v.version = CASE WHEN $2::integer = 0 THEN m.latest_version ELSE $2::integer END;

-- name: InsertExecution
INSERT INTO executions (arn, state_machine, state_machine_version, state_machine_arn, name, status, input, start_date, state)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT DO NOTHING
RETURNING id;

-- name: GetExecution
SELECT id, arn, name, state_machine, state_machine_version, state_machine_arn, status, input,
       coalesce(output, ''), coalesce(error, ''), coalesce(cause, ''), start_date, stop_date,
       version, last_event_id, state
  FROM executions WHERE id = $1;

-- name: GetExecutionByARN
SELECT id, arn, name, state_machine, state_machine_version, state_machine_arn, status, input,
       coalesce(output, ''), coalesce(error, ''), coalesce(cause, ''), start_date, stop_date,
       version, last_event_id, state
  FROM executions WHERE arn = $1;

-- name: GetExecutionByName
SELECT id, arn, name, state_machine, state_machine_version, state_machine_arn, status, input,
       coalesce(output, ''), coalesce(error, ''), coalesce(cause, ''), start_date, stop_date,
       version, last_event_id, state
  FROM executions WHERE state_machine = $1 AND name = $2;

-- name: HistoryForward
SELECT id, previous_event_id, type, timestamp, details::text
  FROM history_events
 WHERE execution_id = $1 AND id > $2
 ORDER BY id
 LIMIT $3;

-- name: HistoryReverse
SELECT id, previous_event_id, type, timestamp, details::text
  FROM history_events
 WHERE execution_id = $1 AND ($2::bigint = 0 OR id < $2::bigint)
 ORDER BY id DESC
 LIMIT $3;

-- name: Advance
SELECT stepwise_advance($1, $2, $3, $4, $5, nullif($6, ''), nullif($7, ''), nullif($8, ''), $9);

-- name: InsertEvents
INSERT INTO history_events (execution_id, id, previous_event_id, type, timestamp, details)
SELECT $1, e.id, e.prev, e.type, e.ts, e.details::jsonb
  FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::timestamptz[], $6::text[])
       AS e(id, prev, type, ts, details);

-- name: InsertTask
INSERT INTO tasks (token, execution_id, state_name, attempt, resource, input, status,
                   timeout_seconds, heartbeat_seconds, created_at, dispatch_after)
VALUES ($1, $2, $3, $4, $5, $6, 'SCHEDULED', $7, $8, $9, $10);

-- name: CloseTask
UPDATE tasks SET status = $2, closed_at = $3
 WHERE token = $1 AND status IN ('SCHEDULED', 'STARTED');

-- name: CancelOpenTasks
UPDATE tasks SET status = 'CANCELLED', closed_at = $2
 WHERE execution_id = $1 AND status IN ('SCHEDULED', 'STARTED');

-- name: UpsertTimers
INSERT INTO timers (execution_id, key, fire_at)
SELECT $1, t.key, t.fire_at FROM unnest($2::text[], $3::timestamptz[]) AS t(key, fire_at)
ON CONFLICT (execution_id, key) DO UPDATE SET fire_at = excluded.fire_at;

-- name: DeleteTimers
DELETE FROM timers WHERE execution_id = $1 AND key = ANY($2::text[]);

-- name: DeleteAllTimers
DELETE FROM timers WHERE execution_id = $1;

-- name: ClaimDueTimers
UPDATE timers t SET fire_at = $2
  FROM (SELECT execution_id, key FROM timers
         WHERE fire_at <= $1
         ORDER BY fire_at
         LIMIT $3
           FOR UPDATE SKIP LOCKED) due
 WHERE t.execution_id = due.execution_id AND t.key = due.key
RETURNING t.execution_id, t.key;

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

-- name: TaskHeartbeat
WITH t AS (
    UPDATE tasks SET status = 'STARTED'
     WHERE token = $1 AND status IN ('SCHEDULED', 'STARTED')
    RETURNING execution_id, token, heartbeat_seconds
), hb AS (
    UPDATE timers SET fire_at = $2::timestamptz + make_interval(secs => t.heartbeat_seconds)
      FROM t
     WHERE timers.execution_id = t.execution_id AND timers.key = 'hb:' || t.token AND t.heartbeat_seconds > 0
)
SELECT count(*) FROM t;

-- name: GetTask
SELECT t.token, t.execution_id, x.arn, t.state_name, t.attempt, t.resource, t.input,
       t.timeout_seconds, t.heartbeat_seconds, t.created_at, t.dispatch_after, t.status
  FROM tasks t JOIN executions x ON x.id = t.execution_id
 WHERE t.token = $1;
