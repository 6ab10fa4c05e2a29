-- Stepwise schema, version 15: a Map Run's children waiting for its
-- redrive (engine.MapRun.PendingRedrive, DescribeMapRun's pendingRedrive).
-- The parent's steps write it with the row: the number of unsuccessful
-- children its last redrive has not run again yet, 0 once it ends.

ALTER TABLE map_runs ADD COLUMN pending_redrive bigint NOT NULL DEFAULT 0;
