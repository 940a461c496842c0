-- The task list's `status` filter (docs/workflow.md, Task lists): the derived status of the task
-- row's base counters, and an index on it in list order. Tasks with counter shards are checked on
-- their exact counters; `foldCounterShards` (src/task-units/counter-fold.ts) keeps them few.
ALTER TABLE "tasks" ADD COLUMN "base_status" text GENERATED ALWAYS AS (case when status_count = 0 then 'open' when status_count < item_count then 'in_progress' when open_issues + for_review > 0 then 'completed_with_issues' else 'completed' end) STORED;--> statement-breakpoint
CREATE INDEX "tasks_project_base_status_idx" ON "tasks" USING btree ("project_id","archived","base_status","id");