-- Named queries of the SQLite store. Each starts with "-- name: Name".
-- Parameters are numbered (?1, ?2, ...); times are Unix microseconds.
-- Every statement that writes runs on the store's one write connection,
-- inside BEGIN IMMEDIATE when it is part of a transaction.

-- name: UpsertStateMachine
-- A deleted machine of the same name comes back with its next version; a
-- live one returns no row (the name is taken).
INSERT INTO state_machines AS m (name, arn, role_arn, latest_version, created_at, type, logging)
VALUES (?1, ?2, ?3, 1, ?4, ?5, ?6)
ON CONFLICT (name) DO UPDATE
   SET latest_version = m.latest_version + 1, role_arn = excluded.role_arn,
       created_at = excluded.created_at, deleted_at = NULL, type = excluded.type, logging = excluded.logging
 WHERE m.deleted_at IS NOT NULL
RETURNING latest_version;

-- name: BumpStateMachineVersion
UPDATE state_machines SET latest_version = latest_version + 1
 WHERE name = ?1 AND deleted_at IS NULL
RETURNING arn, role_arn, latest_version;

-- name: InsertStateMachineVersion
INSERT INTO state_machine_versions (state_machine, version, definition, created_at)
VALUES (?1, ?2, ?3, ?4);

-- name: GetStateMachine
SELECT m.name, m.arn, coalesce(v.role_arn, m.role_arn), v.version, v.definition, v.created_at, m.deleted_at IS NOT NULL,
       m.type, m.logging
  FROM state_machines m
  JOIN state_machine_versions v ON v.state_machine = m.name
 WHERE m.name = ?1 AND v.version = CASE WHEN ?2 = 0 THEN m.latest_version ELSE ?2 END;

-- name: InsertExecution
INSERT INTO executions (arn, state_machine, state_machine_version, state_machine_arn, name, status, input, start_date, state,
                        parent_id, parent_token)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, nullif(?10, 0), nullif(?11, ''))
ON CONFLICT DO NOTHING
RETURNING id;

-- name: GetExecution
SELECT id, arn, name, state_machine, state_machine_version, state_machine_arn, status, input,
       coalesce(output, ''), coalesce(error, ''), coalesce(cause, ''), start_date, stop_date,
       version, last_event_id, state, parent_id, coalesce(parent_token, ''),
       redrive_count, redrive_date, redrive_until
  FROM executions WHERE id = ?1;

-- name: GetExecutionByARN
SELECT id, arn, name, state_machine, state_machine_version, state_machine_arn, status, input,
       coalesce(output, ''), coalesce(error, ''), coalesce(cause, ''), start_date, stop_date,
       version, last_event_id, state, parent_id, coalesce(parent_token, ''),
       redrive_count, redrive_date, redrive_until
  FROM executions WHERE arn = ?1;

-- name: GetExecutionByName
SELECT id, arn, name, state_machine, state_machine_version, state_machine_arn, status, input,
       coalesce(output, ''), coalesce(error, ''), coalesce(cause, ''), start_date, stop_date,
       version, last_event_id, state, parent_id, coalesce(parent_token, ''),
       redrive_count, redrive_date, redrive_until
  FROM executions WHERE state_machine = ?1 AND name = ?2;

-- name: HistoryForward
-- The chunks holding ids ?2+1 .. ?2+?3 (a chunk's ids are consecutive).
SELECT data FROM history_chunks
 WHERE execution_id = ?1 AND last_id > ?2 AND first_id <= ?2 + ?3
 ORDER BY first_id;

-- name: HistoryReverse
-- The chunks holding the ?3 ids before ?2 (0: the end).
SELECT data FROM history_chunks
 WHERE execution_id = ?1
   AND first_id < (CASE WHEN ?2 > 0 THEN ?2
                        ELSE coalesce((SELECT max(last_id) FROM history_chunks WHERE execution_id = ?1), 0) + 1 END)
   AND last_id >= (CASE WHEN ?2 > 0 THEN ?2
                        ELSE coalesce((SELECT max(last_id) FROM history_chunks WHERE execution_id = ?1), 0) + 1 END) - ?3
 ORDER BY first_id;

-- name: Advance
-- The version check: no row changed means another writer committed first,
-- and the store rolls the transaction back with engine.ErrConflict.
UPDATE executions
   SET version = ?2 + 1, status = ?3, state = ?4, last_event_id = ?5,
       output = nullif(?6, ''), error = nullif(?7, ''), cause = nullif(?8, ''), stop_date = ?9
 WHERE id = ?1 AND version = ?2;

-- name: InsertChunk
INSERT INTO history_chunks (execution_id, first_id, last_id, data) VALUES (?1, ?2, ?3, ?4);

-- name: InsertTask
INSERT INTO tasks (token, execution_id, state_name, attempt, resource, input, status,
                   timeout_seconds, heartbeat_seconds, created_at, dispatch_after)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'SCHEDULED', ?7, ?8, ?9, ?10);

-- name: CloseTask
UPDATE tasks SET status = ?2, closed_at = ?3
 WHERE token = ?1 AND status IN ('SCHEDULED', 'STARTED');

-- name: CancelOpenTasks
UPDATE tasks SET status = 'CANCELLED', closed_at = ?2
 WHERE execution_id = ?1 AND status IN ('SCHEDULED', 'STARTED');

-- name: UpsertTimer
INSERT INTO timers (execution_id, key, fire_at) VALUES (?1, ?2, ?3)
ON CONFLICT (execution_id, key) DO UPDATE SET fire_at = excluded.fire_at;

-- name: DeleteTimer
DELETE FROM timers WHERE execution_id = ?1 AND key = ?2;

-- name: DeleteAllTimers
DELETE FROM timers WHERE execution_id = ?1;

-- name: LoadParts
SELECT frame, slot, data FROM state_parts WHERE execution_id = ?1;

-- name: DropFrameParts
DELETE FROM state_parts WHERE execution_id = ?1 AND frame = ?2;

-- name: DropAllParts
DELETE FROM state_parts WHERE execution_id = ?1;

-- name: UpsertPart
INSERT INTO state_parts (execution_id, frame, slot, data) VALUES (?1, ?2, ?3, ?4)
    ON CONFLICT (execution_id, frame, slot) DO UPDATE SET data = excluded.data;

-- name: ClaimDueTimers
-- One statement on the one writer: the equivalent of Postgres's FOR UPDATE
-- SKIP LOCKED, since no other writer runs meanwhile (in this process or,
-- through SQLite's write lock, in another).
UPDATE timers SET fire_at = ?2
 WHERE rowid IN (SELECT rowid FROM timers WHERE fire_at <= ?1 ORDER BY fire_at LIMIT ?3)
RETURNING execution_id, key;

-- name: ReopenStarted
UPDATE tasks SET status = 'SCHEDULED', dispatch_after = ?1
 WHERE status = 'STARTED' AND resource LIKE '%.waitForTaskToken' AND created_at < ?1;

-- name: ClaimUndispatched
UPDATE tasks SET dispatch_after = ?2
 WHERE token IN (SELECT token FROM tasks
                  WHERE status = 'SCHEDULED' AND dispatch_after <= ?1
                  ORDER BY dispatch_after
                  LIMIT ?3)
RETURNING token, execution_id, (SELECT x.arn FROM executions x WHERE x.id = tasks.execution_id),
          state_name, attempt, resource, input, timeout_seconds, heartbeat_seconds, created_at, dispatch_after;

-- name: StartTask
UPDATE tasks SET status = 'STARTED'
 WHERE token = ?1 AND status IN ('SCHEDULED', 'STARTED')
RETURNING execution_id, heartbeat_seconds;

-- name: MoveHeartbeatTimer
UPDATE timers SET fire_at = ?3 WHERE execution_id = ?1 AND key = 'hb:' || ?2;

-- name: GetTask
SELECT t.token, t.execution_id, x.arn, t.state_name, t.attempt, t.resource, t.input,
       t.timeout_seconds, t.heartbeat_seconds, t.created_at, t.dispatch_after, t.status
  FROM tasks t JOIN executions x ON x.id = t.execution_id
 WHERE t.token = ?1;

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
 LIMIT ?1;

-- name: StrandedChildren
-- Running child executions whose parent's .sync task was closed without a
-- result: the parent ended (or timed the task out, or left the state) and
-- its engine stopped before it stopped them. Served by
-- executions_running_children (named: without statistics SQLite would take
-- executions_by_status_all, every running execution).
SELECT c.id, c.arn, c.name, c.state_machine, c.state_machine_version, c.state_machine_arn, c.status, c.input,
       coalesce(c.output, ''), coalesce(c.error, ''), coalesce(c.cause, ''), c.start_date, c.stop_date,
       c.version, c.last_event_id, '', c.parent_id, coalesce(c.parent_token, ''),
       c.redrive_count, c.redrive_date, c.redrive_until
  FROM executions c INDEXED BY executions_running_children
  JOIN tasks t ON t.token = c.parent_token
 WHERE c.status = 'RUNNING' AND c.parent_token IS NOT NULL
   AND t.status IN ('CANCELLED', 'TIMED_OUT') AND t.resource LIKE 'arn:aws:states:::states:startExecution.sync%'
 LIMIT ?1;

-- name: SetRedrive
-- The redrive columns of an execution a mutation redrove or ended with
-- frames kept for a redrive (engine.Mutation.Redrive), and the new parent
-- token of a redriven Map Run's child ('': unchanged).
UPDATE executions SET redrive_count = ?2, redrive_date = ?3, redrive_until = ?4,
       parent_token = coalesce(nullif(?5, ''), parent_token)
 WHERE id = ?1;

-- name: ExpireRedrives
-- The frames ended executions keep for a redrive, once their window has
-- passed: dropped from the state. Served by executions_redrive_until.
UPDATE executions SET state = json_remove(state, '$.frames'), redrive_until = NULL
 WHERE id IN (SELECT id FROM executions WHERE redrive_until < ?1 AND status <> 'RUNNING'
               ORDER BY redrive_until LIMIT ?2);

-- name: ExecutionIDByName
SELECT id FROM executions WHERE state_machine = ?1 AND name = ?2;

-- name: UpsertEnded
-- The row of an ended EXPRESS child of a distributed Map
-- (engine.GroupWrite.Ended): inserted, or replacing the row of its
-- (state machine, name), which keeps its id.
INSERT INTO executions (arn, state_machine, state_machine_version, state_machine_arn, name, status, input,
                        output, error, cause, start_date, stop_date, version, last_event_id, state,
                        parent_id, parent_token, redrive_count, redrive_date, redrive_until)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, nullif(?8, ''), nullif(?9, ''), nullif(?10, ''), ?11, ?12, 0, 0, ?13,
        nullif(?14, 0), nullif(?15, ''), ?16, ?17, ?18)
    ON CONFLICT (state_machine, name) DO UPDATE
   SET arn = excluded.arn, state_machine_version = excluded.state_machine_version,
       state_machine_arn = excluded.state_machine_arn, status = excluded.status, input = excluded.input,
       output = excluded.output, error = excluded.error, cause = excluded.cause,
       start_date = excluded.start_date, stop_date = excluded.stop_date, version = 0, last_event_id = 0,
       state = excluded.state, parent_id = excluded.parent_id, parent_token = excluded.parent_token,
       redrive_count = excluded.redrive_count, redrive_date = excluded.redrive_date,
       redrive_until = excluded.redrive_until;

-- name: DeleteChunks
DELETE FROM history_chunks WHERE execution_id = ?1;
