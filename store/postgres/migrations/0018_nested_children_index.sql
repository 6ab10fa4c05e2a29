-- Stepwise schema, version 18: an index of the children of each execution
-- that are not a distributed Map's (ListChildExecutions kind NESTED). A
-- Map's child runs the machine <machine>/<label>; no machine name holds a
-- '/'. Without it, listing the nested children of a parent with 100,000
-- Map children read all of them.

CREATE INDEX executions_nested_by_parent ON executions (parent_id, id)
 WHERE parent_id IS NOT NULL AND strpos(state_machine, '/') = 0;
