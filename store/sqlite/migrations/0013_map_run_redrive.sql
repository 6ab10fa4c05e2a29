-- Stepwise schema, version 13 (store/postgres's version 14): Map Run
-- redrives (engine/redrive.go). A parent's redrive redrives its failed
-- distributed Map's Map Run in place: the run counts its redrives and
-- dates the last one (Unix microseconds), for DescribeMapRun's
-- redriveCount and redriveDate. (A redriven child's new parent token is
-- written to executions.parent_token.)

ALTER TABLE map_runs ADD COLUMN redrive_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE map_runs ADD COLUMN redrive_date INTEGER;
