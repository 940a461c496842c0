-- The pull queue's common path in one call: the per-person lock, the claim, the assignment
-- counters and the `task.pull` audit event (src/assignments/pull.service.ts, `claimInOneCall`).
-- One statement from the server instead of six (begin, lock, claim, counters, audit, commit), and
-- PL/pgSQL keeps each inner statement's plan for the connection's life. It is the same claim as
-- `claimFree` + `claimCandidates` in pull.service.ts; change both together (the pull tests run
-- both paths on both databases).
--
-- Each statement of a VOLATILE PL/pgSQL function takes a fresh snapshot, so the claim sees every
-- pull of this person that committed before the advisory lock was granted: `maxWorkload` holds,
-- and a consensus item is never handed twice to one person. Assignment counter rows are locked in
-- id order, as `moveAssignmentCountersInOrder` does. Callable inside or outside a transaction.
CREATE FUNCTION loupe_pull_claim(
  p_task uuid, p_project uuid, p_user uuid, p_assignment uuid,
  p_n int, p_max_workload int, p_copies int,
  p_now timestamptz, p_lease timestamptz, p_lease_iso text, p_audit_id uuid
) RETURNS TABLE (
  id uuid, task_id uuid, item_id uuid, copy smallint, "position" bigint, status text, done boolean,
  assignment_id uuid, worker_id uuid, lease_expires_at timestamptz, started_at timestamptz,
  finished_at timestamptz, open_issues integer, for_review integer, old_assignment uuid
)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
  r record;
  d record;
  v_items uuid[] := '{}';
  v_old uuid[] := '{}';
  v_oi integer[] := '{}';
  v_fr integer[] := '{}';
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('pull:' || p_task::text || ':' || p_user::text, 0));
  FOR r IN
    WITH room AS (
      SELECT greatest(0, least(p_n, p_max_workload - count(*)::int)) AS n
      FROM task_items h
      WHERE h.task_id = p_task AND h.worker_id = p_user AND h.status IS NULL AND h.lease_expires_at > p_now
    ), cand AS (
      SELECT t.id, t.item_id, t.position, t.copy, t.assignment_id
      FROM task_items t
      WHERE t.task_id = p_task AND t.worker_id IS NULL AND t.status IS NULL AND NOT t.is_gold
        AND (t.lease_expires_at IS NULL OR t.lease_expires_at <= p_now)
        AND NOT EXISTS (SELECT 1 FROM task_items o
                        WHERE o.task_id = t.task_id AND o.item_id = t.item_id AND o.worker_id = p_user AND o.id <> t.id)
      ORDER BY t.position, t.copy
      LIMIT p_n * p_copies
      FOR UPDATE SKIP LOCKED
    ), one_per_item AS (
      SELECT DISTINCT ON (c.item_id) c.* FROM cand c ORDER BY c.item_id, c.copy
    ), pick AS (
      SELECT p.* FROM one_per_item p ORDER BY p.position, p.copy LIMIT (SELECT room.n FROM room)
    ), claimed AS (
      UPDATE task_items u
      SET worker_id = p_user, assignment_id = p_assignment, lease_expires_at = p_lease, started_at = coalesce(u.started_at, p_now)
      FROM pick WHERE u.id = pick.id AND u.worker_id IS NULL
      RETURNING u.id, u.task_id, u.item_id, u.copy, u.position, u.status, u.done, u.assignment_id, u.worker_id,
                u.lease_expires_at, u.started_at, u.finished_at, u.open_issues, u.for_review, pick.assignment_id AS old_assignment
    )
    SELECT c.* FROM claimed c ORDER BY c.position, c.copy
  LOOP
    id := r.id; task_id := r.task_id; item_id := r.item_id; copy := r.copy; "position" := r.position;
    status := r.status; done := r.done; assignment_id := r.assignment_id; worker_id := r.worker_id;
    lease_expires_at := r.lease_expires_at; started_at := r.started_at; finished_at := r.finished_at;
    open_issues := r.open_issues; for_review := r.for_review; old_assignment := r.old_assignment;
    RETURN NEXT;
    v_items := v_items || r.item_id;
    v_old := v_old || r.old_assignment;
    v_oi := v_oi || r.open_issues;
    v_fr := v_fr || r.for_review;
  END LOOP;
  IF cardinality(v_items) = 0 THEN
    RETURN;
  END IF;
  -- Claimed units count to the puller's assignment (and leave a previous one's, if they still
  -- counted to one), rows locked in id order.
  FOR d IN
    SELECT x.a, sum(x.n)::int AS n, sum(x.oi)::int AS oi, sum(x.fr)::int AS fr
    FROM (
      SELECT p_assignment AS a, 1 AS n, u.oi, u.fr FROM unnest(v_old, v_oi, v_fr) AS u(old, oi, fr) WHERE u.old IS DISTINCT FROM p_assignment
      UNION ALL
      SELECT u.old, -1, -u.oi, -u.fr FROM unnest(v_old, v_oi, v_fr) AS u(old, oi, fr) WHERE u.old IS NOT NULL AND u.old <> p_assignment
    ) x
    GROUP BY x.a ORDER BY x.a
  LOOP
    UPDATE task_assignees a SET item_count = a.item_count + d.n, open_issues = a.open_issues + d.oi, for_review = a.for_review + d.fr
    WHERE a.id = d.a;
  END LOOP;
  INSERT INTO audit_events (id, project_id, actor_id, action, subject_kind, subject_id, "after", created_at)
  VALUES (p_audit_id, p_project, p_user, 'task.pull', 'task', p_task,
          jsonb_build_object('itemIds', to_jsonb(v_items), 'leaseExpiresAt', p_lease_iso), p_now);
END
$$;
