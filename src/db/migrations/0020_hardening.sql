CREATE TABLE "item_imports" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"dataset_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"caller_is_admin" boolean DEFAULT false NOT NULL,
	"status" text NOT NULL,
	"format" text NOT NULL,
	"mode" text NOT NULL,
	"kind" text,
	"staging_path" text NOT NULL,
	"bytes" bigint NOT NULL,
	"lines" integer DEFAULT 0 NOT NULL,
	"bytes_read" bigint DEFAULT 0 NOT NULL,
	"created" integer DEFAULT 0 NOT NULL,
	"updated" integer DEFAULT 0 NOT NULL,
	"failed" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"failed_count" integer DEFAULT 0 NOT NULL,
	"error" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "deactivated_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "auto_lock_lifted_for" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "item_imports" ADD CONSTRAINT "item_imports_dataset_id_datasets_id_fk" FOREIGN KEY ("dataset_id") REFERENCES "public"."datasets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "item_imports_dataset_idx" ON "item_imports" USING btree ("dataset_id","id");