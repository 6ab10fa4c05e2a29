-- Named queries for activities, activity tasks and dispatch
-- confirmation. Each starts with "-- name: Name".

-- name: CreateActivity
INSERT INTO activities (name, arn, created_at) VALUES (?1, ?2, ?3)
ON CONFLICT (name) DO NOTHING;

-- name: GetActivityByName
SELECT name, arn, created_at FROM activities WHERE name = ?1;

-- name: GetActivity
SELECT name, arn, created_at FROM activities WHERE arn = ?1;

-- name: DeleteActivity
DELETE FROM activities WHERE arn = ?1;

-- name: ListActivities
SELECT name, arn, created_at FROM activities WHERE name > ?1 ORDER BY name LIMIT ?2;

-- name: ClaimActivityTask
-- Takes the oldest SCHEDULED task of the activity and marks it STARTED;
-- the store then starts its heartbeat clock (MoveHeartbeatTimer) in the
-- same transaction.
UPDATE tasks SET status = 'STARTED'
 WHERE token = (SELECT token FROM tasks
                 WHERE resource = ?1 AND status = 'SCHEDULED'
                   AND resource LIKE 'arn:%:states:%:activity:%' -- tasks_of_activities
                 ORDER BY created_at
                 LIMIT 1)
RETURNING token, execution_id, (SELECT x.arn FROM executions x WHERE x.id = tasks.execution_id),
          state_name, attempt, resource, input, timeout_seconds, heartbeat_seconds, created_at, dispatch_after;

-- name: ConfirmDispatch
UPDATE tasks SET dispatch_after = ?2 WHERE token = ?1 AND status = 'SCHEDULED';

-- name: MarkTaskStarted
UPDATE tasks SET status = 'STARTED' WHERE token = ?1 AND status IN ('SCHEDULED', 'STARTED');
