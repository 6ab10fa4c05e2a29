-- Stepwise schema (SQLite), version 4: child executions (engine v2). A
-- child runs for a task of its parent (parent_token) and answers it when it
-- ends.

ALTER TABLE executions ADD COLUMN parent_id INTEGER;
ALTER TABLE executions ADD COLUMN parent_token TEXT;
CREATE INDEX executions_by_parent_token ON executions (parent_token) WHERE parent_token IS NOT NULL;
-- The open tasks that wait for a child (EndedChildren starts from them).
CREATE INDEX tasks_open_children ON tasks (token)
 WHERE status IN ('SCHEDULED', 'STARTED') AND resource LIKE 'arn:aws:states:::states:startExecution.sync%';
