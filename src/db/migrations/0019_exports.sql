CREATE TABLE "export_definitions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"name" text NOT NULL,
	"task_ids" jsonb NOT NULL,
	"format" text NOT NULL,
	"scope" jsonb NOT NULL,
	"options" jsonb NOT NULL,
	"next_version" integer DEFAULT 1 NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "export_item_digests" (
	"export_id" uuid NOT NULL,
	"task_item_id" uuid NOT NULL,
	"item_id" uuid NOT NULL,
	"digest" text NOT NULL,
	CONSTRAINT "export_item_digests_export_id_task_item_id_pk" PRIMARY KEY("export_id","task_item_id")
);
--> statement-breakpoint
CREATE TABLE "exports" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"definition_id" uuid,
	"version" integer,
	"definition_key" text NOT NULL,
	"task_ids" jsonb NOT NULL,
	"format" text NOT NULL,
	"scope" jsonb NOT NULL,
	"options" jsonb NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"job_id" text,
	"progress_done" integer DEFAULT 0 NOT NULL,
	"progress_total" integer DEFAULT 0 NOT NULL,
	"rows" integer DEFAULT 0 NOT NULL,
	"bytes" bigint DEFAULT 0 NOT NULL,
	"file_name" text NOT NULL,
	"stored_as" text,
	"snapshot_at" timestamp with time zone,
	"since" timestamp with time zone,
	"manifest" jsonb,
	"error" text,
	"file_deleted" boolean DEFAULT false NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "job_logs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"job_id" text NOT NULL,
	"level" text DEFAULT 'info' NOT NULL,
	"message" text NOT NULL,
	"data" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "job_queue_state" (
	"id" integer PRIMARY KEY NOT NULL,
	"paused" boolean DEFAULT false NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "export_item_digests" ADD CONSTRAINT "export_item_digests_export_id_exports_id_fk" FOREIGN KEY ("export_id") REFERENCES "public"."exports"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "exports" ADD CONSTRAINT "exports_definition_id_export_definitions_id_fk" FOREIGN KEY ("definition_id") REFERENCES "public"."export_definitions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "export_definitions_project_idx" ON "export_definitions" USING btree ("project_id","id");--> statement-breakpoint
CREATE INDEX "exports_project_idx" ON "exports" USING btree ("project_id","id");--> statement-breakpoint
CREATE INDEX "exports_definition_key_idx" ON "exports" USING btree ("definition_key","finished_at");--> statement-breakpoint
CREATE UNIQUE INDEX "exports_definition_version_uq" ON "exports" USING btree ("definition_id","version");--> statement-breakpoint
CREATE INDEX "job_logs_job_idx" ON "job_logs" USING btree ("job_id","id");