-- Stepwise schema, version 14: Map Run redrives (engine/redrive.go). A
-- parent's redrive redrives its failed distributed Map's Map Run in place:
-- the run counts its redrives and dates the last one, for DescribeMapRun's
-- redriveCount and redriveDate. (A redriven child's new parent token is
-- written to executions.parent_token, which exists since version 5.)

ALTER TABLE map_runs
    ADD COLUMN redrive_count bigint NOT NULL DEFAULT 0,
    ADD COLUMN redrive_date timestamptz;
