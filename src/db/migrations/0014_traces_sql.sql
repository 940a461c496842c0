-- Spans (src/traces/traces.table.ts, docs/traces.md): range-partitioned by start_time, one
-- partition per UTC day, so retention drops whole days instead of deleting rows. drizzle-kit
-- cannot generate partitioned tables, hence this hand-written file.
CREATE TABLE "spans" (
	"project_id" uuid NOT NULL REFERENCES "projects"("id") ON DELETE CASCADE,
	"trace_id" text NOT NULL,
	"span_id" text NOT NULL,
	"parent_span_id" text,
	"name" text NOT NULL,
	"otel_kind" text NOT NULL,
	"span_kind" text,
	"start_time" timestamp with time zone NOT NULL,
	"end_time" timestamp with time zone NOT NULL,
	"duration_ms" double precision NOT NULL,
	"status_code" text NOT NULL,
	"status_message" text,
	"model" text,
	"prompt_tokens" integer,
	"completion_tokens" integer,
	"total_tokens" integer,
	"service_name" text,
	"attributes" jsonb NOT NULL,
	"resource" jsonb NOT NULL,
	"events" jsonb NOT NULL,
	"input_value" text,
	"output_value" text,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
) PARTITION BY RANGE ("start_time");--> statement-breakpoint
-- The dedup key: a unique index on a partitioned table must contain the partition key.
CREATE UNIQUE INDEX "spans_key_uq" ON "spans" ("project_id","trace_id","span_id","start_time");--> statement-breakpoint
CREATE INDEX "spans_project_start_idx" ON "spans" ("project_id","start_time","trace_id","span_id");--> statement-breakpoint
CREATE INDEX "spans_project_kind_idx" ON "spans" ("project_id","span_kind","start_time");--> statement-breakpoint
CREATE INDEX "spans_project_model_idx" ON "spans" ("project_id","model","start_time");--> statement-breakpoint
-- Creates the daily partitions covering [from_day, to_day] (UTC) that do not exist yet. Safe to
-- call concurrently: a partition another session created first is not an error.
CREATE FUNCTION loupe_spans_ensure_partitions(from_day date, to_day date) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	d date := from_day;
	created integer := 0;
	part text;
BEGIN
	WHILE d <= to_day LOOP
		part := 'spans_p' || to_char(d, 'YYYYMMDD');
		IF to_regclass(quote_ident(part)) IS NULL THEN
			BEGIN
				EXECUTE format(
					'CREATE TABLE %I PARTITION OF spans FOR VALUES FROM (%L) TO (%L)',
					part, d::text || ' 00:00:00+00', (d + 1)::text || ' 00:00:00+00');
				created := created + 1;
			EXCEPTION WHEN duplicate_table OR unique_violation THEN
				NULL;
			END;
		END IF;
		d := d + 1;
	END LOOP;
	RETURN created;
END;
$$;--> statement-breakpoint
-- Drops the daily partitions that end on or before `before_day` (UTC): retention in O(days).
CREATE FUNCTION loupe_spans_drop_partitions(before_day date) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
	r record;
	dropped integer := 0;
BEGIN
	FOR r IN
		SELECT c.relname FROM pg_inherits i
		JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'spans'::regclass AND c.relname ~ '^spans_p[0-9]{8}$'
	LOOP
		IF to_date(substr(r.relname, 8), 'YYYYMMDD') + 1 <= before_day THEN
			EXECUTE format('DROP TABLE %I', r.relname);
			dropped := dropped + 1;
		END IF;
	END LOOP;
	RETURN dropped;
END;
$$;--> statement-breakpoint
SELECT loupe_spans_ensure_partitions((now() AT TIME ZONE 'UTC')::date - 1, (now() AT TIME ZONE 'UTC')::date + 2);
