-- Stepwise schema, version 8: history in chunks (store/internal/histchunk).
-- One row per commit and execution holds the events that commit appended,
-- ids first_id..last_id, encoded and compressed together. Migrate moves the
-- rows of history_events into chunks in the same transaction, then drops it.

CREATE TABLE history_chunks (
    execution_id bigint NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    first_id     bigint NOT NULL,
    last_id      bigint NOT NULL,
    data         bytea NOT NULL,
    PRIMARY KEY (execution_id, first_id)
);
