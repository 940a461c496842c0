-- The task list's `status` filter reads an index (docs/workflow.md, "A status filter reads an
-- index"): tasks carry the status of their base counters, and the counter shards, which the
-- `counters.fold-shards` job now moves into the base every minute, say which project they count for.
-- The column first: its ACCESS EXCLUSIVE lock keeps status writes out until this commits.
ALTER TABLE "task_counter_shards" ADD COLUMN "project_id" uuid;--> statement-breakpoint
-- Every shard folded into its task's base now (the sums move in one transaction: counts stay exact).
UPDATE "tasks" t SET "status_count" = t."status_count" + s."statuses", "done_count" = t."done_count" + s."done"
FROM (SELECT "task_id", sum("statuses")::int AS "statuses", sum("done")::int AS "done" FROM "task_counter_shards" GROUP BY "task_id") s
WHERE t."id" = s."task_id";--> statement-breakpoint
DELETE FROM "task_counter_shards";--> statement-breakpoint
ALTER TABLE "task_counter_shards" ALTER COLUMN "project_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "base_status" text GENERATED ALWAYS AS (case when status_count = 0 then 'open' when status_count < item_count then 'in_progress' when open_issues + for_review > 0 then 'completed_with_issues' else 'completed' end) STORED;--> statement-breakpoint
CREATE INDEX "task_counter_shards_project_idx" ON "task_counter_shards" USING btree ("project_id","task_id");--> statement-breakpoint
CREATE INDEX "tasks_project_status_idx" ON "tasks" USING btree ("project_id","archived","base_status","id");--> statement-breakpoint
CREATE INDEX "tasks_project_status_name_idx" ON "tasks" USING btree ("project_id","archived","base_status","name","id");--> statement-breakpoint
CREATE INDEX "tasks_project_status_priority_idx" ON "tasks" USING btree ("project_id","archived","base_status","priority_rank","id");--> statement-breakpoint
CREATE INDEX "tasks_project_status_due_idx" ON "tasks" USING btree ("project_id","archived","base_status",coalesce("due_date", 'infinity'::timestamptz),"id");--> statement-breakpoint
CREATE INDEX "tasks_project_status_updated_idx" ON "tasks" USING btree ("project_id","archived","base_status","updated_at","id");
