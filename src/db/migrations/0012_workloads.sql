CREATE TABLE "workload_cycle_items" (
	"cycle_id" uuid NOT NULL,
	"item_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"reviewee_id" text,
	"origin" text DEFAULT 'sampled' NOT NULL,
	"skipped_at" timestamp with time zone,
	"skipped_by" uuid,
	"skip_reason" text,
	"replaced_by" uuid,
	"ai_values" jsonb,
	"ai_explanation" text,
	CONSTRAINT "workload_cycle_items_cycle_id_item_id_pk" PRIMARY KEY("cycle_id","item_id")
);
--> statement-breakpoint
CREATE TABLE "workload_cycles" (
	"id" uuid PRIMARY KEY NOT NULL,
	"workload_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"period_start" timestamp with time zone NOT NULL,
	"period_end" timestamp with time zone NOT NULL,
	"status" text DEFAULT 'in_progress' NOT NULL,
	"target" integer NOT NULL,
	"done" integer DEFAULT 0 NOT NULL,
	"skipped" integer DEFAULT 0 NOT NULL,
	"task_id" uuid,
	"seed" text NOT NULL,
	"config" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"closed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "workloads" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"name" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"config" jsonb NOT NULL,
	"subscriber_ids" uuid[] DEFAULT '{}' NOT NULL,
	"created_by" uuid NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "workload_cycle_items" ADD CONSTRAINT "workload_cycle_items_cycle_id_workload_cycles_id_fk" FOREIGN KEY ("cycle_id") REFERENCES "public"."workload_cycles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workload_cycles" ADD CONSTRAINT "workload_cycles_workload_id_workloads_id_fk" FOREIGN KEY ("workload_id") REFERENCES "public"."workloads"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "workload_cycles_period_uq" ON "workload_cycles" USING btree ("workload_id","period_start") WHERE status <> 'cancelled';--> statement-breakpoint
CREATE INDEX "workload_cycles_workload_idx" ON "workload_cycles" USING btree ("workload_id","period_start");--> statement-breakpoint
CREATE INDEX "workload_cycles_task_idx" ON "workload_cycles" USING btree ("task_id");--> statement-breakpoint
CREATE INDEX "workloads_project_idx" ON "workloads" USING btree ("project_id","status","id");--> statement-breakpoint
CREATE INDEX "workloads_status_idx" ON "workloads" USING btree ("status");