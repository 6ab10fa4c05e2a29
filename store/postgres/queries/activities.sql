-- Named queries for activities, activity tasks and dispatch
-- confirmation. Each starts with "-- name: Name".

-- name: CreateActivity
INSERT INTO activities (name, arn, created_at) VALUES ($1, $2, $3)
ON CONFLICT (name) DO NOTHING;

-- name: GetActivityByName
SELECT name, arn, created_at FROM activities WHERE name = $1;

-- name: GetActivity
SELECT name, arn, created_at FROM activities WHERE arn = $1;

-- name: DeleteActivity
DELETE FROM activities WHERE arn = $1;

-- name: ListActivities
SELECT name, arn, created_at FROM activities WHERE name > $1 ORDER BY name LIMIT $2;

-- name: ClaimActivityTask
-- Takes the oldest SCHEDULED task of the activity, marks it STARTED and
-- starts its heartbeat clock.
WITH t AS (
    UPDATE tasks SET status = 'STARTED'
     WHERE token = (SELECT token FROM tasks
                     WHERE resource = $1 AND status = 'SCHEDULED'
                       AND resource LIKE 'arn:%:states:%:activity:%' -- tasks_of_activities
                     ORDER BY created_at
                     LIMIT 1
                       FOR UPDATE SKIP LOCKED)
    RETURNING token, execution_id, state_name, attempt, resource, input,
              timeout_seconds, heartbeat_seconds, created_at, dispatch_after
), hb AS (
    UPDATE timers SET fire_at = $2::timestamptz + make_interval(secs => t.heartbeat_seconds)
      FROM t
     WHERE timers.execution_id = t.execution_id AND timers.key = 'hb:' || t.token AND t.heartbeat_seconds > 0
)
SELECT t.token, t.execution_id, x.arn, t.state_name, t.attempt, t.resource, t.input,
       t.timeout_seconds, t.heartbeat_seconds, t.created_at, t.dispatch_after
  FROM t JOIN executions x ON x.id = t.execution_id;
