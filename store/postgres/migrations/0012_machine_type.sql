-- Stepwise schema, version 12: EXPRESS machines and logging (issue 14).
-- A machine's type and loggingConfiguration are the machine's, for all its
-- revisions and versions, as on AWS. logging is engine.Logging as JSON, ''
-- when the machine logs nothing.
ALTER TABLE state_machines ADD COLUMN type text NOT NULL DEFAULT 'STANDARD';
ALTER TABLE state_machines ADD COLUMN logging text NOT NULL DEFAULT '';
