-- Stepwise schema for SQLite, version 1: the tables of store/postgres's
-- 0001_init.sql. Times are integers: microseconds since the Unix epoch
-- (Postgres's timestamptz precision), so comparisons are exact.

CREATE TABLE state_machines (
    name           TEXT PRIMARY KEY,
    arn            TEXT NOT NULL UNIQUE,
    role_arn       TEXT NOT NULL DEFAULT '',
    latest_version INTEGER NOT NULL,
    created_at     INTEGER NOT NULL
);

-- One immutable definition per version.
CREATE TABLE state_machine_versions (
    state_machine TEXT NOT NULL REFERENCES state_machines (name) ON DELETE CASCADE,
    version       INTEGER NOT NULL,
    definition    TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (state_machine, version)
);

CREATE TABLE executions (
    -- AUTOINCREMENT: ids are never reused.
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    arn                   TEXT NOT NULL UNIQUE,
    state_machine         TEXT NOT NULL,
    state_machine_version INTEGER NOT NULL,
    state_machine_arn     TEXT NOT NULL,
    name                  TEXT NOT NULL,
    status                TEXT NOT NULL,
    input                 TEXT NOT NULL,
    output                TEXT,
    error                 TEXT,
    cause                 TEXT,
    start_date            INTEGER NOT NULL,
    stop_date             INTEGER,
    -- version guards every transition (compare-and-set).
    version               INTEGER NOT NULL DEFAULT 0,
    last_event_id         INTEGER NOT NULL DEFAULT 0,
    -- the engine's decider state (JSON text, exact number types).
    state                 TEXT NOT NULL,
    UNIQUE (state_machine, name)
);
CREATE INDEX executions_by_machine ON executions (state_machine, id DESC);
CREATE INDEX executions_by_status ON executions (state_machine, status, id DESC);

-- Append-only history, details as JSON text in AWS's event detail shapes.
CREATE TABLE history_events (
    execution_id      INTEGER NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    id                INTEGER NOT NULL,
    previous_event_id INTEGER NOT NULL,
    type              TEXT NOT NULL,
    timestamp         INTEGER NOT NULL,
    details           TEXT,
    PRIMARY KEY (execution_id, id)
) WITHOUT ROWID;

-- The outbox of tasks handed to workers after commit.
CREATE TABLE tasks (
    token             TEXT PRIMARY KEY,
    execution_id      INTEGER NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    state_name        TEXT NOT NULL,
    attempt           INTEGER NOT NULL,
    resource          TEXT NOT NULL,
    input             TEXT NOT NULL,
    status            TEXT NOT NULL,
    timeout_seconds   INTEGER NOT NULL DEFAULT 0,
    heartbeat_seconds INTEGER NOT NULL DEFAULT 0,
    created_at        INTEGER NOT NULL,
    dispatch_after    INTEGER NOT NULL,
    closed_at         INTEGER
);
CREATE INDEX tasks_undispatched ON tasks (dispatch_after) WHERE status = 'SCHEDULED';
CREATE INDEX tasks_open ON tasks (execution_id) WHERE status IN ('SCHEDULED', 'STARTED');

-- Waits, retry backoffs, execution and task deadlines.
CREATE TABLE timers (
    execution_id INTEGER NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    key          TEXT NOT NULL,
    fire_at      INTEGER NOT NULL,
    PRIMARY KEY (execution_id, key)
);
CREATE INDEX timers_due ON timers (fire_at);
