-- Stepwise schema, version 3: activities (issue 4).

CREATE TABLE activities (
    name       text PRIMARY KEY,
    arn        text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL
);

-- GetActivityTask claims the oldest SCHEDULED task of an activity ARN.
CREATE INDEX tasks_by_resource ON tasks (resource, created_at) WHERE status = 'SCHEDULED';
