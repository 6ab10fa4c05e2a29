-- Stepwise schema, version 13: RedriveExecution (engine/redrive.go). An
-- execution's redrives (count, date of the last) for DescribeExecution and
-- ListExecutions, and until when the frames an unsuccessful execution keeps
-- in its state for a redrive are kept: the maintenance loop drops them
-- after that (ExpireRedrives), reading the partial index of the executions
-- that keep some.

ALTER TABLE executions
    ADD COLUMN redrive_count integer NOT NULL DEFAULT 0,
    ADD COLUMN redrive_date timestamptz,
    ADD COLUMN redrive_until timestamptz;

CREATE INDEX executions_redrive_until ON executions (redrive_until) WHERE redrive_until IS NOT NULL;
