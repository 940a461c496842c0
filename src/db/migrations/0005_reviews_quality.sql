CREATE TABLE "comments" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"subject_kind" text NOT NULL,
	"subject_id" uuid NOT NULL,
	"author_id" uuid,
	"kind" text DEFAULT 'comment' NOT NULL,
	"body" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "issues" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"task_id" uuid NOT NULL,
	"task_item_id" uuid NOT NULL,
	"item_id" uuid NOT NULL,
	"annotation_id" uuid NOT NULL,
	"review_task_id" uuid,
	"review_task_item_id" uuid,
	"assignee_id" uuid,
	"opened_by" uuid NOT NULL,
	"status" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "qa_tasks" (
	"review_task_id" uuid PRIMARY KEY NOT NULL,
	"source_task_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"sample_rate" double precision DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "annotator_pauses" (
	"task_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"accuracy" double precision NOT NULL,
	"answers" integer NOT NULL,
	"paused_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "annotator_pauses_task_id_user_id_pk" PRIMARY KEY("task_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "scores" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"task_id" uuid NOT NULL,
	"item_id" uuid NOT NULL,
	"task_item_id" uuid NOT NULL,
	"annotator_id" uuid NOT NULL,
	"reference_id" uuid,
	"tool" text NOT NULL,
	"label" text DEFAULT '' NOT NULL,
	"fn" text NOT NULL,
	"value" double precision NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "task_quality_settings" (
	"task_id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"scoring" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"honeypot" jsonb,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "qa_tasks" ADD CONSTRAINT "qa_tasks_review_task_id_tasks_id_fk" FOREIGN KEY ("review_task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "annotator_pauses" ADD CONSTRAINT "annotator_pauses_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scores" ADD CONSTRAINT "scores_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_quality_settings" ADD CONSTRAINT "task_quality_settings_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "comments_subject_idx" ON "comments" USING btree ("subject_kind","subject_id","id");--> statement-breakpoint
CREATE INDEX "issues_task_idx" ON "issues" USING btree ("task_id","id");--> statement-breakpoint
CREATE INDEX "issues_review_task_idx" ON "issues" USING btree ("review_task_id","id") WHERE "issues"."review_task_id" is not null;--> statement-breakpoint
CREATE INDEX "issues_assignee_idx" ON "issues" USING btree ("assignee_id","id");--> statement-breakpoint
CREATE INDEX "issues_annotation_idx" ON "issues" USING btree ("annotation_id");--> statement-breakpoint
CREATE INDEX "issues_task_item_idx" ON "issues" USING btree ("task_item_id");--> statement-breakpoint
CREATE INDEX "qa_tasks_source_idx" ON "qa_tasks" USING btree ("source_task_id");--> statement-breakpoint
CREATE INDEX "scores_task_annotator_idx" ON "scores" USING btree ("task_id","annotator_id");--> statement-breakpoint
CREATE INDEX "scores_task_item_idx" ON "scores" USING btree ("task_id","item_id");--> statement-breakpoint
CREATE INDEX "scores_unit_idx" ON "scores" USING btree ("task_item_id");