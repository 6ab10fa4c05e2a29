-- Stepwise schema, version 9 (store/postgres's version 10): Map Runs
-- (engine.MapRun). A distributed Map's row is written by its parent's
-- steps, in the same transaction: when it starts, when its items are read,
-- when UpdateMapRun changes it and when it ends. Its children's counts are
-- not stored: they are counted from the child executions (parent_id, state
-- machine, start date within the run's), which executions_by_parent
-- serves, as it serves ListExecutions with mapRunArn. Dates are Unix
-- microseconds.

CREATE TABLE map_runs (
    arn                          TEXT PRIMARY KEY,
    execution_id                 INTEGER NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    state_name                   TEXT NOT NULL,
    status                       TEXT NOT NULL,
    max_concurrency              INTEGER NOT NULL,
    tolerated_failure_count      INTEGER NOT NULL,
    tolerated_failure_percentage REAL NOT NULL,
    total                        INTEGER NOT NULL,
    results_written              INTEGER NOT NULL,
    start_date                   INTEGER NOT NULL,
    stop_date                    INTEGER
);
CREATE INDEX map_runs_by_execution ON map_runs (execution_id, start_date);
CREATE INDEX executions_by_parent ON executions (parent_id, id) WHERE parent_id IS NOT NULL;
