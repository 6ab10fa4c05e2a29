-- Named queries for schedules and schedule groups (package schedule).
-- Each starts with "-- name: Name".

-- name: CreateScheduleGroup
INSERT INTO schedule_groups (name, created_at, modified_at) VALUES (?1, ?2, ?3)
ON CONFLICT (name) DO NOTHING;

-- name: GetScheduleGroup
SELECT name, created_at, modified_at FROM schedule_groups WHERE name = ?1;

-- name: DeleteScheduleGroup
DELETE FROM schedule_groups WHERE name = ?1;

-- name: ListScheduleGroups
SELECT name, created_at, modified_at FROM schedule_groups
 WHERE name > ?1 AND substr(name, 1, length(?2)) = ?2
 ORDER BY name LIMIT ?3;

-- name: CreateSchedule
INSERT INTO schedules (group_name, name, spec, state, next_tick, due_at, attempts)
SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7
 WHERE EXISTS (SELECT 1 FROM schedule_groups WHERE name = ?1)
ON CONFLICT (group_name, name) DO NOTHING
RETURNING 1;

-- name: ScheduleGroupExists
SELECT count(*) FROM schedule_groups WHERE name = ?1;

-- name: UpdateSchedule
UPDATE schedules SET spec = ?3, state = ?4, next_tick = ?5, due_at = ?6, attempts = ?7, version = version + 1
 WHERE group_name = ?1 AND name = ?2;

-- name: GetSchedule
SELECT spec, next_tick, due_at, attempts, version FROM schedules WHERE group_name = ?1 AND name = ?2;

-- name: DeleteSchedule
DELETE FROM schedules WHERE group_name = ?1 AND name = ?2;

-- name: ListSchedules
-- ?1 group ('' any), ?2 name prefix, ?3 state ('' any), (?4, ?5) the
-- (group, name) to list after, ?6 the limit.
SELECT spec, next_tick, due_at, attempts, version FROM schedules
 WHERE (?1 = '' OR group_name = ?1) AND substr(name, 1, length(?2)) = ?2 AND (?3 = '' OR state = ?3)
   AND (group_name > ?4 OR (group_name = ?4 AND name > ?5))
 ORDER BY group_name, name LIMIT ?6;

-- name: ClaimDueSchedules
-- Claims due enabled schedules: moves their due time to the end of the
-- lease (?2) and bumps their version. The single writer makes it what
-- FOR UPDATE SKIP LOCKED is in Postgres.
UPDATE schedules SET due_at = ?2, version = version + 1
 WHERE (group_name, name) IN (SELECT group_name, name FROM schedules
                               WHERE state = 'ENABLED' AND due_at IS NOT NULL AND due_at <= ?1
                               ORDER BY due_at
                               LIMIT ?3)
RETURNING spec, next_tick, due_at, attempts, version;

-- name: AdvanceSchedule
UPDATE schedules SET next_tick = ?4, due_at = ?5, attempts = ?6, version = version + 1
 WHERE group_name = ?1 AND name = ?2 AND version = ?3;

-- name: DeleteScheduleAt
DELETE FROM schedules WHERE group_name = ?1 AND name = ?2 AND version = ?3;

-- name: RecordTick
INSERT INTO schedule_ticks (group_name, name, tick, execution_arn, error, attempts, fired_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
ON CONFLICT (group_name, name, tick) DO NOTHING;

-- name: PruneTicks
-- Keeps a schedule's newest ?3 ticks.
DELETE FROM schedule_ticks
 WHERE group_name = ?1 AND name = ?2
   AND tick <= (SELECT tick FROM schedule_ticks WHERE group_name = ?1 AND name = ?2
                 ORDER BY tick DESC LIMIT 1 OFFSET ?3);

-- name: ListTicks
SELECT group_name, name, tick, execution_arn, error, attempts, fired_at FROM schedule_ticks
 WHERE group_name = ?1 AND name = ?2
 ORDER BY tick DESC LIMIT ?3;
