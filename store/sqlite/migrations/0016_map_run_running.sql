-- Stepwise schema, version 16 (store/postgres's version 17): a Map Run's
-- EXPRESS children that run now (engine.MapRun.Running, added to
-- DescribeMapRun's running), which have no row until they end; written
-- with the row by the parent's steps when it changes; 0 for a Map Run of
-- STANDARD children and once the run ends.

ALTER TABLE map_runs ADD COLUMN running INTEGER NOT NULL DEFAULT 0;
