CREATE TABLE "task_datasets" (
	"task_id" uuid NOT NULL,
	"dataset_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"added_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "task_datasets_task_id_dataset_id_pk" PRIMARY KEY("task_id","dataset_id")
);
--> statement-breakpoint
ALTER TABLE "recipes" ADD COLUMN "allow_empty" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "dataset_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "invalid_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "annotations" ADD COLUMN "invalid_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "annotations" ADD COLUMN "invalid_reason" text;--> statement-breakpoint
ALTER TABLE "annotations" ADD COLUMN "invalid_by" uuid;--> statement-breakpoint
ALTER TABLE "task_datasets" ADD CONSTRAINT "task_datasets_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_datasets" ADD CONSTRAINT "task_datasets_dataset_id_datasets_id_fk" FOREIGN KEY ("dataset_id") REFERENCES "public"."datasets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "task_datasets_dataset_idx" ON "task_datasets" USING btree ("dataset_id","task_id");--> statement-breakpoint
CREATE INDEX "annotations_invalid_idx" ON "annotations" USING btree ("task_id","invalid_at","id") WHERE "annotations"."invalid_at" is not null;