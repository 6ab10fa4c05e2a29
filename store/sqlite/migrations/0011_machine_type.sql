-- Stepwise schema, version 11 (store/postgres's version 12): EXPRESS
-- machines and logging. A machine's type and loggingConfiguration are the
-- machine's, for all its revisions and versions, as on AWS. logging is
-- engine.Logging as JSON, '' when the machine logs nothing.
ALTER TABLE state_machines ADD COLUMN type TEXT NOT NULL DEFAULT 'STANDARD';
ALTER TABLE state_machines ADD COLUMN logging TEXT NOT NULL DEFAULT '';
