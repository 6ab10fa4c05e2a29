-- Named queries of group commit (engine.Store.CommitGroup): each writes the
-- rows of many executions in one statement, from parallel arrays.

-- name: LockExecutions
SELECT id, arn, name, state_machine, state_machine_version, state_machine_arn, status, input,
       coalesce(output, ''), coalesce(error, ''), coalesce(cause, ''), start_date, stop_date,
       version, last_event_id, state, parent_id, coalesce(parent_token, ''),
       redrive_count, redrive_date, redrive_until
  FROM executions WHERE id = ANY($1::bigint[])
 ORDER BY id
   FOR UPDATE;

-- name: AdvanceGroup
SELECT stepwise_advance_group($1, $2, $3, $4, $5, $6, $7, $8, $9);

-- name: InsertChunksGroup
INSERT INTO history_chunks (execution_id, first_id, last_id, data)
SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bytea[]);

-- name: InsertTasksGroup
INSERT INTO tasks (token, execution_id, state_name, attempt, resource, input, status,
                   timeout_seconds, heartbeat_seconds, created_at, dispatch_after)
SELECT t.token, t.x, t.state_name, t.attempt, t.resource, t.input, 'SCHEDULED',
       t.timeout_seconds, t.heartbeat_seconds, t.created_at, t.dispatch_after
  FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::text[],
              $7::bigint[], $8::bigint[], $9::timestamptz[], $10::timestamptz[])
       AS t(token, x, state_name, attempt, resource, input, timeout_seconds, heartbeat_seconds,
            created_at, dispatch_after);

-- name: CloseTasksGroup
UPDATE tasks t SET status = u.status, closed_at = u.at
  FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS u(token, status, at)
 WHERE t.token = u.token AND t.status IN ('SCHEDULED', 'STARTED');

-- name: DeleteTimersGroup
DELETE FROM timers t
 USING unnest($1::bigint[], $2::text[]) AS u(x, key)
 WHERE t.execution_id = u.x AND t.key = u.key;

-- name: LoadParts
SELECT execution_id, frame, slot, data FROM state_parts WHERE execution_id = ANY($1::bigint[]);

-- name: DropAllPartsGroup
DELETE FROM state_parts WHERE execution_id = ANY($1::bigint[]);

-- name: DropPartsGroup
-- Every part of the frames given (execution, frame).
DELETE FROM state_parts p
 USING unnest($1::bigint[], $2::bigint[]) AS u(x, frame)
 WHERE p.execution_id = u.x AND p.frame = u.frame;

-- name: UpsertPartsGroup
INSERT INTO state_parts (execution_id, frame, slot, data)
SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[])
    ON CONFLICT (execution_id, frame, slot) DO UPDATE SET data = excluded.data;

-- name: EndExecutionsGroup
-- Ended executions: their open tasks are cancelled, their timers and the
-- parts of their state dropped. (The ANY beside the join is the index
-- condition: without it a plan may read every open task and hash them.)
WITH c AS (
    UPDATE tasks t SET status = 'CANCELLED', closed_at = u.at
      FROM unnest($1::bigint[], $2::timestamptz[]) AS u(x, at)
     WHERE t.execution_id = ANY($1::bigint[]) AND t.execution_id = u.x AND t.status IN ('SCHEDULED', 'STARTED')
), p AS (
    DELETE FROM state_parts WHERE execution_id = ANY($1::bigint[])
)
DELETE FROM timers WHERE execution_id = ANY($1::bigint[]);

-- name: UpsertTimersGroup
INSERT INTO timers (execution_id, key, fire_at)
SELECT t.x, t.key, t.fire_at FROM unnest($1::bigint[], $2::text[], $3::timestamptz[]) AS t(x, key, fire_at)
ON CONFLICT (execution_id, key) DO UPDATE SET fire_at = excluded.fire_at;

-- name: ConfirmTasksGroup
UPDATE tasks t SET dispatch_after = u.until
  FROM unnest($1::text[], $2::timestamptz[]) AS u(token, until)
 WHERE t.token = u.token AND t.status = 'SCHEDULED';

-- name: StartTasksGroup
UPDATE tasks SET status = 'STARTED'
 WHERE token = ANY($1::text[]) AND status IN ('SCHEDULED', 'STARTED')
RETURNING token;

-- name: HeartbeatTasksGroup
WITH t AS (
    UPDATE tasks SET status = 'STARTED'
     WHERE token = ANY($1::text[]) AND status IN ('SCHEDULED', 'STARTED')
    RETURNING execution_id, token, heartbeat_seconds
), hb AS (
    UPDATE timers SET fire_at = $2::timestamptz + make_interval(secs => t.heartbeat_seconds)
      FROM t
     WHERE timers.execution_id = t.execution_id AND timers.key = 'hb:' || t.token AND t.heartbeat_seconds > 0
)
SELECT token FROM t;

-- name: InsertExecutionsGroup
-- New executions of a group; a (state machine, name) already taken is
-- skipped (the caller reads the execution that holds it).
INSERT INTO executions (arn, state_machine, state_machine_version, state_machine_arn, name, status, input,
                        start_date, state, parent_id, parent_token)
SELECT u.arn, u.sm, u.smv, u.sma, u.name, u.status, u.input, u.start, u.state, nullif(u.pid, 0), nullif(u.ptok, '')
  FROM unnest($1::text[], $2::text[], $3::integer[], $4::text[], $5::text[], $6::text[], $7::text[],
              $8::timestamptz[], $9::text[], $10::bigint[], $11::text[])
       AS u(arn, sm, smv, sma, name, status, input, start, state, pid, ptok)
ON CONFLICT DO NOTHING
RETURNING id, state_machine, name;

-- name: AdvanceGroupLocked
-- AdvanceGroup for executions this transaction holds locked (or inserted):
-- their versions cannot have moved, so no check is needed.
UPDATE executions x
   SET version = u.version + 1, status = u.status, state = u.state, last_event_id = u.last_event_id,
       output = nullif(u.output, ''), error = nullif(u.error, ''), cause = nullif(u.cause, ''),
       stop_date = u.stop_date
  FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[],
              $9::timestamptz[])
       AS u(id, version, status, state, last_event_id, output, error, cause, stop_date)
 WHERE x.id = u.id;

-- name: RedriveGroup
-- The redrive columns of executions a group redrove or ended with frames
-- kept for a redrive (engine.Mutation.Redrive), and the new parent token
-- of a redriven Map Run's child ('': unchanged).
UPDATE executions x
   SET redrive_count = u.count, redrive_date = u.date, redrive_until = u.until,
       parent_token = coalesce(nullif(u.parent_token, ''), x.parent_token)
  FROM unnest($1::bigint[], $2::integer[], $3::timestamptz[], $4::timestamptz[], $5::text[])
       AS u(id, count, date, until, parent_token)
 WHERE x.id = u.id;

-- name: ExpireRedrives
-- The frames ended executions keep for a redrive, once their window has
-- passed: dropped from the state (a JSON object; its other keys are the
-- counters). Served by executions_redrive_until.
UPDATE executions SET state = (state::jsonb - 'frames')::text, redrive_until = NULL
 WHERE id IN (SELECT id FROM executions WHERE redrive_until < $1 AND status <> 'RUNNING'
               ORDER BY redrive_until LIMIT $2 FOR UPDATE SKIP LOCKED);

-- name: EndedGroup
-- The rows of ended EXPRESS children of distributed Maps
-- (engine.GroupWrite.Ended), no two of one (state machine, name): each is
-- inserted, or replaces the row of its (state machine, name), which keeps
-- its id and loses what it had beside it (history, state parts, timers;
-- its open tasks are cancelled). old reads the replaced rows before the
-- insert (a statement's CTEs share one snapshot).
WITH u AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::integer[], $4::text[], $5::text[], $6::text[], $7::text[],
                         $8::text[], $9::text[], $10::text[], $11::timestamptz[], $12::timestamptz[], $13::text[],
                         $14::bigint[], $15::text[], $16::integer[], $17::timestamptz[], $18::timestamptz[])
           AS u(arn, sm, smv, sma, name, status, input, output, error, cause, start, stop, state, pid, ptok,
                redrive_count, redrive_date, redrive_until)
), old AS (
    SELECT x.id, u.stop FROM executions x JOIN u ON x.state_machine = u.sm AND x.name = u.name
), ins AS (
    INSERT INTO executions (arn, state_machine, state_machine_version, state_machine_arn, name, status, input,
                            output, error, cause, start_date, stop_date, version, last_event_id, state,
                            parent_id, parent_token, redrive_count, redrive_date, redrive_until)
    SELECT u.arn, u.sm, u.smv, u.sma, u.name, u.status, u.input, nullif(u.output, ''), nullif(u.error, ''),
           nullif(u.cause, ''), u.start, u.stop, 0, 0, u.state, nullif(u.pid, 0), nullif(u.ptok, ''),
           u.redrive_count, u.redrive_date, u.redrive_until
      FROM u
        ON CONFLICT (state_machine, name) DO UPDATE
       SET arn = excluded.arn, state_machine_version = excluded.state_machine_version,
           state_machine_arn = excluded.state_machine_arn, status = excluded.status, input = excluded.input,
           output = excluded.output, error = excluded.error, cause = excluded.cause,
           start_date = excluded.start_date, stop_date = excluded.stop_date, version = 0, last_event_id = 0,
           state = excluded.state, parent_id = excluded.parent_id, parent_token = excluded.parent_token,
           redrive_count = excluded.redrive_count, redrive_date = excluded.redrive_date,
           redrive_until = excluded.redrive_until
), c AS (
    DELETE FROM history_chunks WHERE execution_id IN (SELECT id FROM old)
), p AS (
    DELETE FROM state_parts WHERE execution_id IN (SELECT id FROM old)
), tm AS (
    DELETE FROM timers WHERE execution_id IN (SELECT id FROM old)
)
UPDATE tasks t SET status = 'CANCELLED', closed_at = old.stop
  FROM old
 WHERE t.execution_id = old.id AND t.status IN ('SCHEDULED', 'STARTED');
