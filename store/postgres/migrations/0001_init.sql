-- Stepwise schema, version 1.

CREATE TABLE state_machines (
    name           text PRIMARY KEY,
    arn            text NOT NULL UNIQUE,
    role_arn       text NOT NULL DEFAULT '',
    latest_version integer NOT NULL,
    created_at     timestamptz NOT NULL
);

-- One immutable definition per version.
CREATE TABLE state_machine_versions (
    state_machine text NOT NULL REFERENCES state_machines (name) ON DELETE CASCADE,
    version       integer NOT NULL,
    definition    text NOT NULL,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (state_machine, version)
);

CREATE TABLE executions (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    arn                   text NOT NULL UNIQUE,
    state_machine         text NOT NULL,
    state_machine_version integer NOT NULL,
    state_machine_arn     text NOT NULL,
    name                  text NOT NULL,
    status                text NOT NULL,
    input                 text NOT NULL,
    output                text,
    error                 text,
    cause                 text,
    start_date            timestamptz NOT NULL,
    stop_date             timestamptz,
    -- version guards every transition (compare-and-set).
    version               bigint NOT NULL DEFAULT 0,
    last_event_id         bigint NOT NULL DEFAULT 0,
    -- the engine's decider state (JSON text, exact number types).
    state                 text NOT NULL,
    UNIQUE (state_machine, name)
);
CREATE INDEX executions_by_machine ON executions (state_machine, id DESC);
CREATE INDEX executions_by_status ON executions (state_machine, status, id DESC);

-- Append-only history, details in AWS's event detail shapes.
CREATE TABLE history_events (
    execution_id      bigint NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    id                bigint NOT NULL,
    previous_event_id bigint NOT NULL,
    type              text NOT NULL,
    timestamp         timestamptz NOT NULL,
    details           jsonb,
    PRIMARY KEY (execution_id, id)
);

-- The outbox of tasks handed to workers after commit.
CREATE TABLE tasks (
    token             text PRIMARY KEY,
    execution_id      bigint NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    state_name        text NOT NULL,
    attempt           bigint NOT NULL,
    resource          text NOT NULL,
    input             text NOT NULL,
    status            text NOT NULL,
    timeout_seconds   bigint NOT NULL DEFAULT 0,
    heartbeat_seconds bigint NOT NULL DEFAULT 0,
    created_at        timestamptz NOT NULL,
    dispatch_after    timestamptz NOT NULL,
    closed_at         timestamptz
);
CREATE INDEX tasks_undispatched ON tasks (dispatch_after) WHERE status = 'SCHEDULED';
CREATE INDEX tasks_open ON tasks (execution_id) WHERE status IN ('SCHEDULED', 'STARTED');

-- Waits, retry backoffs, execution and task deadlines.
CREATE TABLE timers (
    execution_id bigint NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    key          text NOT NULL,
    fire_at      timestamptz NOT NULL,
    PRIMARY KEY (execution_id, key)
);
CREATE INDEX timers_due ON timers (fire_at);

-- stepwise_advance moves an execution to its next version or raises
-- serialization_failure (40001) when another writer got there first, which
-- aborts the whole (implicit) transaction the call is part of.
CREATE FUNCTION stepwise_advance(p_id bigint, p_version bigint, p_status text, p_state text,
    p_last_event_id bigint, p_output text, p_error text, p_cause text, p_stop_date timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE executions
       SET version = p_version + 1, status = p_status, state = p_state, last_event_id = p_last_event_id,
           output = p_output, error = p_error, cause = p_cause, stop_date = p_stop_date
     WHERE id = p_id AND version = p_version;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'stepwise: execution % is no longer at version %', p_id, p_version
            USING ERRCODE = '40001';
    END IF;
END
$$;
