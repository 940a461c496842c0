CREATE TABLE "task_done_hourly" (
	"task_id" uuid NOT NULL,
	"assignment_id" uuid NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"project_id" uuid NOT NULL,
	"done" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "task_done_hourly_task_id_assignment_id_hour_pk" PRIMARY KEY("task_id","assignment_id","hour")
);
--> statement-breakpoint
CREATE TABLE "task_links" (
	"task_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"target_id" uuid NOT NULL,
	CONSTRAINT "task_links_task_id_kind_target_id_pk" PRIMARY KEY("task_id","kind","target_id")
);
--> statement-breakpoint
CREATE TABLE "tasks" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"name" text NOT NULL,
	"type" text NOT NULL,
	"dataset_id" uuid,
	"recipe_id" uuid,
	"owner_id" uuid,
	"priority" text,
	"priority_rank" smallint DEFAULT 3 NOT NULL,
	"due_date" timestamp with time zone,
	"lock_after_due_date" boolean DEFAULT false NOT NULL,
	"locked" boolean DEFAULT false NOT NULL,
	"archived" boolean DEFAULT false NOT NULL,
	"workflow_state" text NOT NULL,
	"description" text,
	"allocation" jsonb NOT NULL,
	"consensus" jsonb,
	"honeypot" jsonb,
	"source_task_id" uuid,
	"review_note" jsonb,
	"has_history" boolean DEFAULT false NOT NULL,
	"item_count" integer DEFAULT 0 NOT NULL,
	"done_count" integer DEFAULT 0 NOT NULL,
	"status_count" integer DEFAULT 0 NOT NULL,
	"open_issues" integer DEFAULT 0 NOT NULL,
	"for_review" integer DEFAULT 0 NOT NULL,
	"status" text GENERATED ALWAYS AS (case
  when status_count = 0 then 'open'
  when status_count < item_count then 'in_progress'
  when open_issues + for_review > 0 then 'completed_with_issues'
  else 'completed' end) STORED,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "task_items" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"task_id" uuid NOT NULL,
	"item_id" uuid NOT NULL,
	"copy" smallint DEFAULT 0 NOT NULL,
	"is_gold" boolean DEFAULT false NOT NULL,
	"position" bigint NOT NULL,
	"assignment_id" uuid,
	"worker_id" uuid,
	"lease_expires_at" timestamp with time zone,
	"status" text,
	"done" boolean DEFAULT false NOT NULL,
	"status_by" uuid,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"open_issues" integer DEFAULT 0 NOT NULL,
	"for_review" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "task_assignees" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"task_id" uuid NOT NULL,
	"role" text NOT NULL,
	"assignee_kind" text NOT NULL,
	"assignee_id" uuid NOT NULL,
	"workload" integer,
	"item_count" integer DEFAULT 0 NOT NULL,
	"done_count" integer DEFAULT 0 NOT NULL,
	"status_count" integer DEFAULT 0 NOT NULL,
	"open_issues" integer DEFAULT 0 NOT NULL,
	"for_review" integer DEFAULT 0 NOT NULL,
	"status" text GENERATED ALWAYS AS (case
  when status_count = 0 then 'open'
  when status_count < item_count then 'in_progress'
  when open_issues + for_review > 0 then 'completed_with_issues'
  else 'completed' end) STORED,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "annotation_versions" (
	"annotation_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"project_id" uuid NOT NULL,
	"author_id" uuid,
	"shapes" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "annotations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"task_id" uuid NOT NULL,
	"item_id" uuid NOT NULL,
	"task_item_id" uuid NOT NULL,
	"author_id" uuid,
	"shapes" jsonb NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "task_done_hourly" ADD CONSTRAINT "task_done_hourly_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_links" ADD CONSTRAINT "task_links_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_items" ADD CONSTRAINT "task_items_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_items" ADD CONSTRAINT "task_items_item_id_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."items"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_assignees" ADD CONSTRAINT "task_assignees_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "annotation_versions" ADD CONSTRAINT "annotation_versions_annotation_id_annotations_id_fk" FOREIGN KEY ("annotation_id") REFERENCES "public"."annotations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "annotations" ADD CONSTRAINT "annotations_task_item_id_task_items_id_fk" FOREIGN KEY ("task_item_id") REFERENCES "public"."task_items"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "task_links_target_idx" ON "task_links" USING btree ("target_id");--> statement-breakpoint
CREATE INDEX "tasks_project_idx" ON "tasks" USING btree ("project_id","archived","id");--> statement-breakpoint
CREATE INDEX "tasks_project_name_idx" ON "tasks" USING btree ("project_id","archived","name","id");--> statement-breakpoint
CREATE INDEX "tasks_project_priority_idx" ON "tasks" USING btree ("project_id","archived","priority_rank","id");--> statement-breakpoint
CREATE INDEX "tasks_project_due_idx" ON "tasks" USING btree ("project_id","archived",coalesce("due_date", 'infinity'::timestamptz),"id");--> statement-breakpoint
CREATE INDEX "tasks_project_updated_idx" ON "tasks" USING btree ("project_id","archived","updated_at","id");--> statement-breakpoint
CREATE INDEX "tasks_project_owner_idx" ON "tasks" USING btree ("project_id","owner_id");--> statement-breakpoint
CREATE INDEX "tasks_dataset_idx" ON "tasks" USING btree ("dataset_id");--> statement-breakpoint
CREATE INDEX "tasks_source_idx" ON "tasks" USING btree ("source_task_id");--> statement-breakpoint
CREATE UNIQUE INDEX "task_items_unit_uq" ON "task_items" USING btree ("task_id","item_id","copy") WHERE not "task_items"."is_gold";--> statement-breakpoint
CREATE UNIQUE INDEX "task_items_gold_uq" ON "task_items" USING btree ("task_id","item_id","worker_id") WHERE "task_items"."is_gold";--> statement-breakpoint
CREATE INDEX "task_items_queue_idx" ON "task_items" USING btree ("task_id","position","copy") WHERE "task_items"."status" is null and not "task_items"."is_gold";--> statement-breakpoint
CREATE INDEX "task_items_worker_idx" ON "task_items" USING btree ("task_id","worker_id") WHERE "task_items"."worker_id" is not null;--> statement-breakpoint
CREATE INDEX "task_items_assignment_idx" ON "task_items" USING btree ("assignment_id","position");--> statement-breakpoint
CREATE INDEX "task_items_task_idx" ON "task_items" USING btree ("task_id","position","id");--> statement-breakpoint
CREATE INDEX "task_items_item_idx" ON "task_items" USING btree ("item_id");--> statement-breakpoint
CREATE UNIQUE INDEX "task_assignees_uq" ON "task_assignees" USING btree ("task_id","role","assignee_id");--> statement-breakpoint
CREATE INDEX "task_assignees_assignee_idx" ON "task_assignees" USING btree ("assignee_id","task_id");--> statement-breakpoint
CREATE UNIQUE INDEX "annotation_versions_uq" ON "annotation_versions" USING btree ("annotation_id","version");--> statement-breakpoint
CREATE UNIQUE INDEX "annotations_task_item_uq" ON "annotations" USING btree ("task_item_id");--> statement-breakpoint
CREATE INDEX "annotations_task_idx" ON "annotations" USING btree ("task_id","id");