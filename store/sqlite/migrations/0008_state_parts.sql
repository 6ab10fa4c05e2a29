-- Stepwise schema, version 8 (store/postgres's version 9): the decider state of a running execution in
-- parts (engine.StatePart): executions.state keeps its counters; each frame,
-- each Parallel's or Map's inputs and each of their results is a row here,
-- so a step writes what it changed. An execution's parts are deleted when it
-- ends. A state written whole in executions.state (before version 8) is
-- read as it is and written in parts by its next step.

CREATE TABLE state_parts (
    execution_id INTEGER NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    frame        INTEGER NOT NULL,
    slot         INTEGER NOT NULL,
    data         TEXT NOT NULL,
    PRIMARY KEY (execution_id, frame, slot)
) WITHOUT ROWID;
