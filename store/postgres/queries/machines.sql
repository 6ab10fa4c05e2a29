-- Named queries for state machine listing and deletion, tags and filtered
-- execution listing. Each starts with "-- name: Name".

-- name: ListStateMachines
SELECT m.name, m.arn, m.role_arn, v.version, v.definition, v.created_at, false
  FROM state_machines m
  JOIN state_machine_versions v ON v.state_machine = m.name AND v.version = m.latest_version
 WHERE m.deleted_at IS NULL AND m.name > $1
 ORDER BY m.name
 LIMIT $2;

-- name: DeleteStateMachine
WITH sm AS (
    UPDATE state_machines SET deleted_at = $2
     WHERE name = $1 AND deleted_at IS NULL
    RETURNING arn
), tags AS (
    DELETE FROM resource_tags WHERE resource_arn IN (SELECT arn FROM sm)
)
SELECT count(*) FROM sm;

-- name: LockResourceTags
SELECT pg_advisory_xact_lock(hashtextextended($1, 0));

-- name: UpsertTags
INSERT INTO resource_tags (resource_arn, key, value)
SELECT $1, t.key, t.value FROM unnest($2::text[], $3::text[]) AS t(key, value)
ON CONFLICT (resource_arn, key) DO UPDATE SET value = excluded.value;

-- name: CountTags
SELECT count(*) FROM resource_tags WHERE resource_arn = $1;

-- name: DeleteTags
DELETE FROM resource_tags WHERE resource_arn = $1 AND key = ANY($2::text[]);

-- name: ListTags
SELECT key, value FROM resource_tags WHERE resource_arn = $1;

-- name: FilterExecutions
-- The store puts "AND <column> <op> $n" for the machine, the status and
-- each engine.Condition in place of the conditions marker: column and
-- operator from a fixed table, every value a bound parameter.
SELECT id, arn, name, state_machine, state_machine_version, state_machine_arn, status, input,
       coalesce(output, ''), coalesce(error, ''), coalesce(cause, ''), start_date, stop_date,
       version, last_event_id, '', parent_id, coalesce(parent_token, '')
  FROM executions
 WHERE id < $1
   /*conditions*/
 ORDER BY id DESC
 LIMIT $2;
