-- Stepwise schema, version 12 (store/postgres's version 13):
-- RedriveExecution (engine/redrive.go). An execution's redrives (count,
-- date of the last, in microseconds) for DescribeExecution and
-- ListExecutions, and until when the frames an unsuccessful execution keeps
-- in its state for a redrive are kept: the maintenance loop drops them
-- after that (ExpireRedrives), reading the partial index of the executions
-- that keep some.

ALTER TABLE executions ADD COLUMN redrive_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN redrive_date INTEGER;
ALTER TABLE executions ADD COLUMN redrive_until INTEGER;

CREATE INDEX executions_redrive_until ON executions (redrive_until) WHERE redrive_until IS NOT NULL;
