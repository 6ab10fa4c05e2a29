-- Stepwise schema for SQLite, version 3: activities (store/postgres's
-- 0003_activities.sql).

CREATE TABLE activities (
    name       TEXT PRIMARY KEY,
    arn        TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

-- GetActivityTask claims the oldest SCHEDULED task of an activity ARN.
CREATE INDEX tasks_by_resource ON tasks (resource, created_at) WHERE status = 'SCHEDULED';
