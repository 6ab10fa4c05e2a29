-- Stepwise schema, version 10: Map Runs (engine.MapRun). A distributed
-- Map's row is written by its parent's steps, in the same transaction:
-- when it starts, when its items are read, when UpdateMapRun changes it and
-- when it ends. Its children's counts are not stored: they are counted
-- from the child executions (parent_id, state machine, start date within
-- the run's), which executions_by_parent serves, as it serves
-- ListExecutions with mapRunArn.

CREATE TABLE map_runs (
    arn                          text PRIMARY KEY,
    execution_id                 bigint NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    state_name                   text NOT NULL,
    status                       text NOT NULL,
    max_concurrency              bigint NOT NULL,
    tolerated_failure_count      bigint NOT NULL,
    tolerated_failure_percentage double precision NOT NULL,
    total                        bigint NOT NULL,
    results_written              bigint NOT NULL,
    start_date                   timestamptz NOT NULL,
    stop_date                    timestamptz
);
CREATE INDEX map_runs_by_execution ON map_runs (execution_id, start_date);
CREATE INDEX executions_by_parent ON executions (parent_id, id) WHERE parent_id IS NOT NULL;
