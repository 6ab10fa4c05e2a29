-- Named queries for state machine listing and deletion, tags and filtered
-- execution listing. Each starts with "-- name: Name".

-- name: ListStateMachines
SELECT m.name, m.arn, m.role_arn, v.version, v.definition, v.created_at, 0
  FROM state_machines m
  JOIN state_machine_versions v ON v.state_machine = m.name AND v.version = m.latest_version
 WHERE m.deleted_at IS NULL AND m.name > ?1
 ORDER BY m.name
 LIMIT ?2;

-- name: DeleteStateMachine
UPDATE state_machines SET deleted_at = ?2
 WHERE name = ?1 AND deleted_at IS NULL
RETURNING arn;

-- name: DeleteAllTags
DELETE FROM resource_tags WHERE resource_arn = ?1;

-- name: UpsertTag
INSERT INTO resource_tags (resource_arn, key, value) VALUES (?1, ?2, ?3)
ON CONFLICT (resource_arn, key) DO UPDATE SET value = excluded.value;

-- name: CountTags
SELECT count(*) FROM resource_tags WHERE resource_arn = ?1;

-- name: DeleteTag
DELETE FROM resource_tags WHERE resource_arn = ?1 AND key = ?2;

-- name: ListTags
SELECT key, value FROM resource_tags WHERE resource_arn = ?1;

-- name: FilterExecutions
-- The store puts "AND <column> <op> ?" for the machine, the status and
-- each engine.Condition in place of the conditions marker: column and
-- operator from a fixed table, every value a bound parameter. Its
-- parameters are positional (plain ?), in the order of the text.
SELECT id, arn, name, state_machine, state_machine_version, state_machine_arn, status, input,
       coalesce(output, ''), coalesce(error, ''), coalesce(cause, ''), start_date, stop_date,
       version, last_event_id, '', parent_id, coalesce(parent_token, '')
  FROM executions
 WHERE id < ?
   /*conditions*/
 ORDER BY id DESC
 LIMIT ?;
