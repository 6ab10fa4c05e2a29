-- Stepwise schema for SQLite, version 5: published versions and aliases
-- (store/postgres's 0006_versions.sql).

-- The role of each revision: an update of the role alone makes a revision.
-- NULL for revisions written before this migration (the machine's role).
ALTER TABLE state_machine_versions ADD COLUMN role_arn TEXT;

-- Published versions: number N of a machine names one revision. Deleted
-- versions keep their row, so numbers are never reused and executions
-- started through an alias still find their version.
CREATE TABLE published_versions (
    state_machine TEXT NOT NULL REFERENCES state_machines (name) ON DELETE CASCADE,
    number        INTEGER NOT NULL,
    revision      INTEGER NOT NULL,
    role_arn      TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    deleted_at    INTEGER,
    PRIMARY KEY (state_machine, number)
);
CREATE INDEX published_versions_by_revision ON published_versions (state_machine, revision);

-- Aliases route to one or two versions (version2 NULL for one).
CREATE TABLE state_machine_aliases (
    state_machine TEXT NOT NULL REFERENCES state_machines (name) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    version1      INTEGER NOT NULL,
    weight1       INTEGER NOT NULL,
    version2      INTEGER,
    weight2       INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (state_machine, name)
);
