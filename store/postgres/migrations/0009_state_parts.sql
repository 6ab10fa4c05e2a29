-- Stepwise schema, version 9: the decider state of a running execution in
-- parts (engine.StatePart): executions.state keeps its counters; each frame,
-- each Parallel's or Map's inputs and each of their results is a row here,
-- so a step writes what it changed. An execution's parts are deleted when it
-- ends. A state written whole in executions.state (before version 9) is
-- read as it is and written in parts by its next step.

CREATE TABLE state_parts (
    execution_id bigint NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    frame        bigint NOT NULL,
    slot         bigint NOT NULL,
    data         text NOT NULL,
    PRIMARY KEY (execution_id, frame, slot)
);
