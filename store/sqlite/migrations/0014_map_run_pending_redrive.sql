-- Stepwise schema, version 14 (store/postgres's version 15): a Map Run's
-- children waiting for its redrive (engine.MapRun.PendingRedrive,
-- DescribeMapRun's pendingRedrive), written with the row by the parent's
-- steps; 0 once the run ends.

ALTER TABLE map_runs ADD COLUMN pending_redrive INTEGER NOT NULL DEFAULT 0;
