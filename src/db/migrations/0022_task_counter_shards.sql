CREATE TABLE "task_counter_shards" (
	"task_id" uuid NOT NULL,
	"shard" smallint NOT NULL,
	"statuses" integer DEFAULT 0 NOT NULL,
	"done" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "task_counter_shards_task_id_shard_pk" PRIMARY KEY("task_id","shard")
);
--> statement-breakpoint
ALTER TABLE "task_counter_shards" ADD CONSTRAINT "task_counter_shards_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "tasks_project_for_review_idx" ON "tasks" USING btree ("project_id","archived","id") WHERE "tasks"."for_review" > 0;--> statement-breakpoint
CREATE INDEX "tasks_project_open_issues_idx" ON "tasks" USING btree ("project_id","archived","id") WHERE "tasks"."open_issues" > 0;--> statement-breakpoint
ALTER TABLE "tasks" DROP COLUMN "status";--> statement-breakpoint
-- Every status write of a task updates one of its 16 shard rows: room on the page keeps those updates HOT.
ALTER TABLE "task_counter_shards" SET (fillfactor = 50, autovacuum_vacuum_scale_factor = 0.0, autovacuum_vacuum_threshold = 1000);
