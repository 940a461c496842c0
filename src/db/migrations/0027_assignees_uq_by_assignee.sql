-- The caller's own assignments in a task (task_id = … and assignee_id = any(…), read by every pull,
-- status write and annotation save) are one probe each on (task, assignee, role); on (task, role,
-- assignee) the read walked every assignment entry of the task, dead ones included until VACUUM.
DROP INDEX "task_assignees_uq";--> statement-breakpoint
CREATE UNIQUE INDEX "task_assignees_uq" ON "task_assignees" USING btree ("task_id","assignee_id","role");
