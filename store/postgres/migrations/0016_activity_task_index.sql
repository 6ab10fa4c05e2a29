-- Stepwise schema, version 16: the index GetActivityTask claims from holds
-- only activities' tasks. It held every SCHEDULED task (a Lambda's too,
-- about 80 bytes each, written and left dead with every task).

DROP INDEX IF EXISTS tasks_by_resource;
CREATE INDEX tasks_of_activities ON tasks (resource, created_at)
 WHERE status = 'SCHEDULED' AND resource LIKE 'arn:%:states:%:activity:%';
