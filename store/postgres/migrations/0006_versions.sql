-- Stepwise schema, version 6: published versions and aliases (issue 14).

-- The role of each revision: an update of the role alone makes a revision.
-- NULL for revisions written before this migration (the machine's role).
ALTER TABLE state_machine_versions ADD COLUMN role_arn text;

-- Published versions: number N of a machine names one revision. Deleted
-- versions keep their row, so numbers are never reused and executions
-- started through an alias still find their version.
CREATE TABLE published_versions (
    state_machine text NOT NULL REFERENCES state_machines (name) ON DELETE CASCADE,
    number        integer NOT NULL,
    revision      integer NOT NULL,
    role_arn      text NOT NULL,
    description   text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL,
    deleted_at    timestamptz,
    PRIMARY KEY (state_machine, number)
);
CREATE INDEX published_versions_by_revision ON published_versions (state_machine, revision);

-- Aliases route to one or two versions (version2 NULL for one).
CREATE TABLE state_machine_aliases (
    state_machine text NOT NULL REFERENCES state_machines (name) ON DELETE CASCADE,
    name          text NOT NULL,
    description   text NOT NULL DEFAULT '',
    version1      integer NOT NULL,
    weight1       integer NOT NULL,
    version2      integer,
    weight2       integer,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    PRIMARY KEY (state_machine, name)
);
