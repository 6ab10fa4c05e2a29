-- Stepwise schema, version 17: a Map Run's EXPRESS children that run now
-- (engine.MapRun.Running, added to DescribeMapRun's running), which have
-- no row until they end. The parent's steps write it with the row when it
-- changes; 0 for a Map Run of STANDARD children and once the run ends.

ALTER TABLE map_runs ADD COLUMN running bigint NOT NULL DEFAULT 0;
