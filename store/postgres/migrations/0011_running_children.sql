-- Stepwise schema, version 11: the running child executions, which the
-- maintenance loop's sweep for stranded children (StrandedChildren: a
-- running child whose parent's task was closed without a result) reads on
-- every pass, without scanning the ended ones.

CREATE INDEX executions_running_children ON executions (parent_token)
 WHERE status = 'RUNNING' AND parent_token IS NOT NULL;
