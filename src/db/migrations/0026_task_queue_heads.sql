CREATE TABLE "task_queue_heads" (
	"task_id" uuid PRIMARY KEY NOT NULL,
	"free_from" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "task_queue_heads" ADD CONSTRAINT "task_queue_heads_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- Where a pulling task's queue starts (src/task-units/queue-start.ts, docs/allocation.md): no
-- unit without a status may sit before `free_from`. A unit that loses its status, and units
-- inserted, lower it in their own transaction. A missing row is created at -1 (no start) first,
-- so that a first raise running beside this transaction waits for it (the primary key).
CREATE OR REPLACE FUNCTION loupe_queue_start_cleared() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO task_queue_heads (task_id, free_from) VALUES (NEW.task_id, -1) ON CONFLICT (task_id) DO NOTHING;
  UPDATE task_queue_heads SET free_from = NEW.position WHERE task_id = NEW.task_id AND free_from > NEW.position;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER task_items_queue_start_cleared AFTER UPDATE OF status ON task_items FOR EACH ROW
  WHEN (OLD.status IS NOT NULL AND NEW.status IS NULL AND NOT NEW.is_gold)
  EXECUTE FUNCTION loupe_queue_start_cleared();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION loupe_queue_start_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO task_queue_heads (task_id, free_from)
    SELECT DISTINCT n.task_id, -1::bigint FROM loupe_new_units n WHERE n.status IS NULL AND NOT n.is_gold
    ON CONFLICT (task_id) DO NOTHING;
  UPDATE task_queue_heads h SET free_from = m.first
    FROM (SELECT n.task_id, min(n.position) AS first FROM loupe_new_units n WHERE n.status IS NULL AND NOT n.is_gold GROUP BY n.task_id) m
    WHERE h.task_id = m.task_id AND h.free_from > m.first;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER task_items_queue_start_inserted AFTER INSERT ON task_items
  REFERENCING NEW TABLE AS loupe_new_units FOR EACH STATEMENT
  EXECUTE FUNCTION loupe_queue_start_inserted();
