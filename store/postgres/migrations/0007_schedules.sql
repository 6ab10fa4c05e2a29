-- Stepwise schema, version 7: schedules (issue 17; package schedule).

CREATE TABLE schedule_groups (
    name        text PRIMARY KEY,
    created_at  timestamptz NOT NULL,
    modified_at timestamptz NOT NULL
);

-- Every account has the default group.
INSERT INTO schedule_groups (name, created_at, modified_at) VALUES ('default', now(), now());

-- A schedule's definition is its JSON (schedule.Schedule); the columns
-- beside it are what the scheduler claims and advances.
CREATE TABLE schedules (
    group_name text NOT NULL REFERENCES schedule_groups (name) ON DELETE CASCADE,
    name       text NOT NULL,
    spec       jsonb NOT NULL,
    state      text NOT NULL,
    next_tick  timestamptz,         -- NULL: no tick left
    due_at     timestamptz,         -- when next_tick fires; a claim moves it by the lease
    attempts   integer NOT NULL DEFAULT 0,
    version    bigint NOT NULL DEFAULT 1,
    PRIMARY KEY (group_name, name)
);

CREATE INDEX schedules_due ON schedules (due_at) WHERE state = 'ENABLED' AND due_at IS NOT NULL;

-- The ticks fired: one row per (schedule, scheduled time).
CREATE TABLE schedule_ticks (
    group_name    text NOT NULL,
    name          text NOT NULL,
    tick          timestamptz NOT NULL,
    execution_arn text NOT NULL DEFAULT '',
    error         text NOT NULL DEFAULT '',
    attempts      integer NOT NULL,
    fired_at      timestamptz NOT NULL,
    PRIMARY KEY (group_name, name, tick),
    FOREIGN KEY (group_name, name) REFERENCES schedules (group_name, name) ON DELETE CASCADE
);
