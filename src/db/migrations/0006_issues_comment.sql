ALTER TABLE "issues" ADD COLUMN "comment" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "issues" ALTER COLUMN "comment" DROP DEFAULT;--> statement-breakpoint
DELETE FROM "issues" WHERE "task_id" NOT IN (SELECT "id" FROM "tasks");--> statement-breakpoint
ALTER TABLE "issues" ADD CONSTRAINT "issues_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;
