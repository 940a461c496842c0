CREATE TABLE "eval_decisions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"run_id" uuid NOT NULL,
	"subject_kind" text NOT NULL,
	"trace_id" text,
	"span_id" text,
	"item_id" uuid,
	"evaluator_id" uuid,
	"decision" text NOT NULL,
	"message" text,
	"result_id" uuid,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "eval_results" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"task_id" uuid NOT NULL,
	"run_id" uuid NOT NULL,
	"evaluator_id" uuid NOT NULL,
	"subject_kind" text NOT NULL,
	"subject_key" text NOT NULL,
	"trace_id" text,
	"span_id" text,
	"item_id" uuid,
	"label" text NOT NULL,
	"score" real NOT NULL,
	"passed" boolean NOT NULL,
	"explanation" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "eval_run_logs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"run_id" uuid NOT NULL,
	"level" text NOT NULL,
	"message" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "eval_runs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"task_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"scored" integer DEFAULT 0 NOT NULL,
	"error" integer DEFAULT 0 NOT NULL,
	"filtered_out" integer DEFAULT 0 NOT NULL,
	"sampled_out" integer DEFAULT 0 NOT NULL,
	"draft" integer DEFAULT 0 NOT NULL,
	"duplicate" integer DEFAULT 0 NOT NULL,
	"rate_limited" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"ended_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "eval_task_traces" (
	"task_id" uuid NOT NULL,
	"trace_id" text NOT NULL,
	"run_id" uuid NOT NULL
);
--> statement-breakpoint
CREATE TABLE "eval_tasks" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"name" text NOT NULL,
	"evaluator_ids" uuid[] NOT NULL,
	"target_kind" text NOT NULL,
	"dataset_id" uuid,
	"filter" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"sampling_rate" real NOT NULL,
	"mapping" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"continuous" boolean DEFAULT false NOT NULL,
	"quiet_seconds" integer DEFAULT 30 NOT NULL,
	"block_after_errors" integer DEFAULT 20 NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"blocked_reason" text,
	"consecutive_errors" integer DEFAULT 0 NOT NULL,
	"watermark" timestamp with time zone,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "evaluators" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"check" text,
	"params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"model" text,
	"template" text,
	"labels" jsonb,
	"base_url" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "eval_decisions" ADD CONSTRAINT "eval_decisions_run_id_eval_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."eval_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "eval_results" ADD CONSTRAINT "eval_results_task_id_eval_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."eval_tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "eval_run_logs" ADD CONSTRAINT "eval_run_logs_run_id_eval_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."eval_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "eval_runs" ADD CONSTRAINT "eval_runs_task_id_eval_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."eval_tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "eval_task_traces" ADD CONSTRAINT "eval_task_traces_task_id_eval_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."eval_tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "eval_decisions_run_idx" ON "eval_decisions" USING btree ("run_id","id");--> statement-breakpoint
CREATE INDEX "eval_decisions_run_decision_idx" ON "eval_decisions" USING btree ("run_id","decision","id");--> statement-breakpoint
CREATE UNIQUE INDEX "eval_results_once_uq" ON "eval_results" USING btree ("evaluator_id","task_id","subject_key");--> statement-breakpoint
CREATE INDEX "eval_results_run_idx" ON "eval_results" USING btree ("run_id","item_id","id");--> statement-breakpoint
CREATE INDEX "eval_results_span_idx" ON "eval_results" USING btree ("project_id","trace_id","span_id");--> statement-breakpoint
CREATE INDEX "eval_results_label_idx" ON "eval_results" USING btree ("project_id","label","evaluator_id");--> statement-breakpoint
CREATE INDEX "eval_run_logs_run_idx" ON "eval_run_logs" USING btree ("run_id","id");--> statement-breakpoint
CREATE INDEX "eval_runs_task_idx" ON "eval_runs" USING btree ("task_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "eval_task_traces_pk" ON "eval_task_traces" USING btree ("task_id","trace_id");--> statement-breakpoint
CREATE INDEX "eval_tasks_project_idx" ON "eval_tasks" USING btree ("project_id","id");--> statement-breakpoint
CREATE INDEX "eval_tasks_continuous_idx" ON "eval_tasks" USING btree ("id") WHERE "eval_tasks"."continuous" and "eval_tasks"."status" = 'active';--> statement-breakpoint
CREATE INDEX "evaluators_project_idx" ON "evaluators" USING btree ("project_id","id");