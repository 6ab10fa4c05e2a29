-- Stepwise schema, version 7: history in chunks (store/internal/histchunk),
-- as store/postgres's version 8. Migrate moves the rows of history_events
-- into chunks in the same transaction, then drops it.

CREATE TABLE history_chunks (
    execution_id INTEGER NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    first_id     INTEGER NOT NULL,
    last_id      INTEGER NOT NULL,
    data         BLOB NOT NULL,
    PRIMARY KEY (execution_id, first_id)
) WITHOUT ROWID;
