-- Backfill the task–dataset association for tasks that existed before tasks could have
-- several datasets: each task with a dataset gets its one row and dataset_count = 1.
INSERT INTO "task_datasets" ("task_id", "dataset_id", "project_id", "added_at")
SELECT t."id", t."dataset_id", t."project_id", t."created_at"
FROM "tasks" t
WHERE t."dataset_id" IS NOT NULL
ON CONFLICT DO NOTHING;
--> statement-breakpoint
UPDATE "tasks" SET "dataset_count" = 1 WHERE "dataset_id" IS NOT NULL AND "dataset_count" = 0;
