-- Where a pulling task's queue starts (src/task-units/queue-start.ts, docs/allocation.md): the
-- triggers of 0026 lowered `free_from` with `UPDATE ... WHERE free_from > NEW.position`. When the
-- start already sat at or before the unit, that UPDATE matched no row and so locked none, and a
-- raise running beside the transaction took the head row's lock at once, looked with a snapshot
-- that did not yet see the unit without its status (or the inserted units), and raised the start
-- past them: a free unit no claim would reach. Now the triggers always update the head row (to
-- the lower of the two positions), so they hold its lock until they commit, and a raise waits
-- for them before it looks.
CREATE OR REPLACE FUNCTION loupe_queue_start_cleared() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO task_queue_heads (task_id, free_from) VALUES (NEW.task_id, -1) ON CONFLICT (task_id) DO NOTHING;
  UPDATE task_queue_heads SET free_from = least(free_from, NEW.position) WHERE task_id = NEW.task_id;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION loupe_queue_start_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO task_queue_heads (task_id, free_from)
    SELECT DISTINCT n.task_id, -1::bigint FROM loupe_new_units n WHERE n.status IS NULL AND NOT n.is_gold
    ON CONFLICT (task_id) DO NOTHING;
  UPDATE task_queue_heads h SET free_from = least(h.free_from, m.first)
    FROM (SELECT n.task_id, min(n.position) AS first FROM loupe_new_units n WHERE n.status IS NULL AND NOT n.is_gold GROUP BY n.task_id) m
    WHERE h.task_id = m.task_id;
  RETURN NULL;
END
$$;
