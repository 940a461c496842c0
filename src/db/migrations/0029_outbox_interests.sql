CREATE TABLE "outbox_interests" (
	"project_id" uuid NOT NULL,
	"consumer" text NOT NULL,
	"types" text[] NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "outbox_interests_project_id_consumer_pk" PRIMARY KEY("project_id","consumer")
);
--> statement-breakpoint
-- The webhooks that exist already listen from now on (docs/events.md#recorded-on-demand).
INSERT INTO "outbox_interests" ("project_id", "consumer", "types")
SELECT w.project_id, 'webhooks', array_agg(DISTINCT e.type ORDER BY e.type)
FROM "webhooks" w CROSS JOIN LATERAL unnest(w.events) AS e(type)
GROUP BY w.project_id;
