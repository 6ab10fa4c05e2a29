-- Named queries for state machine listing and deletion, tags and filtered
-- execution listing. Each starts with "-- name: Name".

-- name: ListStateMachines
-- A machine's creationDate is its own, not its latest revision's.
SELECT m.name, m.arn, m.role_arn, v.version, v.definition, m.created_at, false, m.type, m.logging
  FROM state_machines m
  JOIN state_machine_versions v ON v.state_machine = m.name AND v.version = m.latest_version
 WHERE m.deleted_at IS NULL AND m.name > $1
 ORDER BY m.name
 LIMIT $2;

-- name: DeleteStateMachine
-- Its aliases go, its versions are marked deleted.
WITH sm AS (
    UPDATE state_machines SET deleted_at = $2
     WHERE name = $1 AND deleted_at IS NULL
    RETURNING name, arn
), tags AS (
    DELETE FROM resource_tags WHERE resource_arn IN (SELECT arn FROM sm)
), aliases AS (
    DELETE FROM state_machine_aliases WHERE state_machine IN (SELECT name FROM sm)
), versions AS (
    UPDATE published_versions SET deleted_at = $2
     WHERE state_machine IN (SELECT name FROM sm) AND deleted_at IS NULL
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
       version, last_event_id, '', parent_id, coalesce(parent_token, ''),
       redrive_count, redrive_date, redrive_until
  FROM executions
 WHERE id < $1
   /*conditions*/
 ORDER BY id DESC
 LIMIT $2;

-- Revisions, published versions and aliases (engine.VersionStore).

-- name: LockLatestRevision
SELECT m.latest_version, v.definition, coalesce(v.role_arn, m.role_arn), m.arn, v.created_at
  FROM state_machines m
  JOIN state_machine_versions v ON v.state_machine = m.name AND v.version = m.latest_version
 WHERE m.name = $1 AND m.deleted_at IS NULL
   FOR UPDATE OF m;

-- name: BumpRevision
UPDATE state_machines SET latest_version = latest_version + 1, role_arn = $2
 WHERE name = $1
RETURNING latest_version;

-- name: InsertRevision
INSERT INTO state_machine_versions (state_machine, version, definition, role_arn, created_at)
VALUES ($1, $2, $3, $4, $5);

-- name: StateMachineCreatedAt
SELECT created_at FROM state_machines WHERE name = $1 AND deleted_at IS NULL;

-- name: NewestVersion
SELECT number, revision, role_arn, description, created_at
  FROM published_versions
 WHERE state_machine = $1 AND deleted_at IS NULL
 ORDER BY number DESC
 LIMIT 1;

-- name: InsertVersion
-- Numbers are never reused: deleted versions count.
INSERT INTO published_versions (state_machine, number, revision, role_arn, description, created_at)
SELECT $1, coalesce(max(number), 0) + 1, $2, $3, $4, $5
  FROM published_versions WHERE state_machine = $1
RETURNING number;

-- name: GetVersion
SELECT number, revision, role_arn, description, created_at
  FROM published_versions
 WHERE state_machine = $1 AND number = $2 AND deleted_at IS NULL;

-- name: VersionOfRevision
SELECT number, revision, role_arn, description, created_at
  FROM published_versions
 WHERE state_machine = $1 AND revision = $2
 ORDER BY number DESC
 LIMIT 1;

-- name: ListVersions
SELECT number, revision, role_arn, description, created_at
  FROM published_versions
 WHERE state_machine = $1 AND deleted_at IS NULL AND ($2::integer = 0 OR number < $2::integer)
 ORDER BY number DESC
 LIMIT $3;

-- name: LockMachine
SELECT name FROM state_machines WHERE name = $1 AND deleted_at IS NULL FOR UPDATE;

-- name: AliasesOfVersion
SELECT name FROM state_machine_aliases
 WHERE state_machine = $1 AND (version1 = $2 OR version2 = $2)
 ORDER BY name;

-- name: DeleteVersion
UPDATE published_versions SET deleted_at = $3
 WHERE state_machine = $1 AND number = $2 AND deleted_at IS NULL;

-- name: CountLiveVersions
SELECT count(*) FROM published_versions
 WHERE state_machine = $1 AND deleted_at IS NULL AND number IN ($2::integer, coalesce($3::integer, $2::integer));

-- name: InsertAlias
INSERT INTO state_machine_aliases (state_machine, name, description, version1, weight1, version2, weight2,
                                   created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT DO NOTHING
RETURNING name;

-- name: UpdateAlias
UPDATE state_machine_aliases
   SET description = $3, version1 = $4, weight1 = $5, version2 = $6, weight2 = $7, updated_at = $8
 WHERE state_machine = $1 AND name = $2
RETURNING name;

-- name: GetAlias
SELECT name, description, version1, weight1, version2, weight2, created_at, updated_at
  FROM state_machine_aliases
 WHERE state_machine = $1 AND name = $2;

-- name: ListAliases
-- Newest first; $2 and $3 (NULL: from the newest) are the creation time
-- and name of the last alias of the previous page.
SELECT name, description, version1, weight1, version2, weight2, created_at, updated_at
  FROM state_machine_aliases
 WHERE state_machine = $1
   AND ($2::timestamptz IS NULL OR (created_at, name) < ($2::timestamptz, $3::text))
 ORDER BY created_at DESC, name DESC
 LIMIT $4;

-- name: DeleteAlias
DELETE FROM state_machine_aliases WHERE state_machine = $1 AND name = $2;

-- name: SetStateMachineLogging
UPDATE state_machines SET logging = $2 WHERE name = $1 AND deleted_at IS NULL;
