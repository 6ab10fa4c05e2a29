-- Stepwise schema, version 2: the API (issue 5).

-- A deleted machine keeps its row and its versions for the executions
-- that still run them; the engine reports it as not found.
ALTER TABLE state_machines ADD COLUMN deleted_at timestamptz;

-- Tags on state machines and activities, by resource ARN.
CREATE TABLE resource_tags (
    resource_arn text NOT NULL,
    key          text NOT NULL,
    value        text NOT NULL,
    PRIMARY KEY (resource_arn, key)
);

-- Filtered listings (CEL filters push these columns into SQL) across
-- every machine.
CREATE INDEX executions_by_status_all ON executions (status, id DESC);
CREATE INDEX executions_by_name ON executions (name);
CREATE INDEX executions_by_start ON executions (start_date);
CREATE INDEX executions_by_stop ON executions (stop_date);
