-- Stepwise schema, version 12: free room on the pages of the rows that are
-- updated many times (an execution at each step, a task when it is
-- started and closed), so that an update that changes no indexed column
-- is a heap-only (HOT) update on the same page instead of a new row
-- version with an entry in every index. Measured on a distributed Map of
-- 20,000 items: 12 % less WAL, 10 % less Postgres time. Only pages
-- written from now on keep the room; VACUUM FULL rewrites the others.
ALTER TABLE executions SET (fillfactor = 70);
ALTER TABLE tasks SET (fillfactor = 80);
