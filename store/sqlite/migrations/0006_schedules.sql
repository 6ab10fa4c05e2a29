-- Stepwise schema for SQLite, version 6: schedules (store/postgres's
-- 0007_schedules.sql). Times are microseconds since the Unix epoch.

CREATE TABLE schedule_groups (
    name        TEXT PRIMARY KEY,
    created_at  INTEGER NOT NULL,
    modified_at INTEGER NOT NULL
);

INSERT INTO schedule_groups (name, created_at, modified_at)
VALUES ('default', CAST(unixepoch('subsec') * 1000000 AS INTEGER), CAST(unixepoch('subsec') * 1000000 AS INTEGER));

CREATE TABLE schedules (
    group_name TEXT NOT NULL REFERENCES schedule_groups (name) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    spec       TEXT NOT NULL,
    state      TEXT NOT NULL,
    next_tick  INTEGER,
    due_at     INTEGER,
    attempts   INTEGER NOT NULL DEFAULT 0,
    version    INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (group_name, name)
);

CREATE INDEX schedules_due ON schedules (due_at) WHERE state = 'ENABLED' AND due_at IS NOT NULL;

CREATE TABLE schedule_ticks (
    group_name    TEXT NOT NULL,
    name          TEXT NOT NULL,
    tick          INTEGER NOT NULL,
    execution_arn TEXT NOT NULL DEFAULT '',
    error         TEXT NOT NULL DEFAULT '',
    attempts      INTEGER NOT NULL,
    fired_at      INTEGER NOT NULL,
    PRIMARY KEY (group_name, name, tick),
    FOREIGN KEY (group_name, name) REFERENCES schedules (group_name, name) ON DELETE CASCADE
);
