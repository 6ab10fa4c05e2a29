-- Stepwise schema for SQLite, version 2: the API (store/postgres's
-- 0002_api.sql).

-- A deleted machine keeps its row and its versions for the executions
-- that still run them; the engine reports it as not found.
ALTER TABLE state_machines ADD COLUMN deleted_at INTEGER;

-- Tags on state machines and activities, by resource ARN.
CREATE TABLE resource_tags (
    resource_arn TEXT NOT NULL,
    key          TEXT NOT NULL,
    value        TEXT NOT NULL,
    PRIMARY KEY (resource_arn, key)
);

-- Filtered listings (CEL filters push these columns into SQL) across
-- every machine.
CREATE INDEX executions_by_status_all ON executions (status, id DESC);
CREATE INDEX executions_by_name ON executions (name);
CREATE INDEX executions_by_start ON executions (start_date);
CREATE INDEX executions_by_stop ON executions (stop_date);
