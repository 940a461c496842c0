import { sql, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import type { Db, Tx } from '../db/client.ts';
import { isId } from '../core/ids.ts';
import { randomInt, type Random } from '../core/random.ts';
import type { TaskRow } from '../task-units/task-access.ts';
import { rowsOf } from '../task-units/item-selection.ts';
import { queueStartSql } from '../task-units/queue-start.ts';

/** A unit as the claim and the gold insert return it (raw SQL: snake_case). */
export interface UnitSqlRow {
  id: string;
  task_id: string;
  item_id: string;
  copy: number;
  position: number | string;
  status: string | null;
  done: boolean;
  assignment_id: string | null;
  worker_id: string | null;
  lease_expires_at: Date | string | null;
  started_at: Date | string | null;
  finished_at: Date | string | null;
  open_issues: number;
  for_review: number;
}
export interface ClaimedRow extends UnitSqlRow {
  old_assignment: string | null;
}

export const UNIT_COLUMNS = sql.raw('u.id, u.task_id, u.item_id, u.copy, u.position, u.status, u.done, u.assignment_id, u.worker_id, u.lease_expires_at, u.started_at, u.finished_at, u.open_issues, u.for_review');
const asDate = (v: Date | string | null) => (v === null ? null : v instanceof Date ? v : new Date(v));

/** The API view of a unit returned by raw SQL (same shape as `unitView`). */
export const sqlUnitView = (u: UnitSqlRow) => ({
  taskId: u.task_id,
  itemId: u.item_id,
  copy: Number(u.copy),
  status: u.status,
  done: u.done,
  assignmentId: u.assignment_id,
  workerId: u.worker_id,
  leaseExpiresAt: asDate(u.lease_expires_at),
  startedAt: asDate(u.started_at),
  finishedAt: asDate(u.finished_at),
  openIssues: Number(u.open_issues),
  forReview: Number(u.for_review),
});

/** A pulled unit's API view, with its queue position for ordering the answer. */
export type PulledUnit = ReturnType<typeof sqlUnitView> & { position: number };
export const pulledView = (u: UnitSqlRow): PulledUnit => ({ ...sqlUnitView(u), position: Number(u.position) });
export const byQueueOrder = (a: PulledUnit, b: PulledUnit) => a.position - b.position || a.copy - b.copy;

/**
 * The claim's inputs, as SQL: bound parameters when the claim runs inline (`claimFree`), the
 * function's parameter names when it is compiled into `loupe_pull_claim` (`claimFunctionSql`).
 */
interface ClaimArgs {
  task: SQL;
  user: SQL;
  assignment: SQL;
  n: SQL;
  maxWorkload: SQL;
  copies: SQL;
  now: SQL;
  lease: SQL;
}

/**
 * The claim's candidates: the first `limit` free units of the task in queue order that the
 * person has no copy of, locked, skipping units other claimers hold. A unit returned by a sweep
 * keeps its last lease's end, and a claimer whose clock reading is older than that end skips it:
 * a pull that read the clock just before another pull swept the unit back (several server
 * processes, or a slow request) would otherwise stamp a lease that starts before the previous
 * one ended. Its plan is read by test/tasks/queue-plan.test.ts: it must walk
 * `task_items_free_idx` from its head and meet no held unit, however many there are.
 *
 * The walk starts where the task's queue starts (`queueStartSql`): the entries before it are
 * of units claimed or finished since the last VACUUM, which the index keeps until then.
 *
 * The "no copy of this item yet" check probes each candidate's item (`task_items_item_idx`), a
 * few rows, never the person's history: `offset 0` keeps it a per-candidate subquery (the
 * planner cannot turn it into a join over all of the person's units), and `is not distinct from`
 * is the person test the indexes on `worker_id` cannot serve. Written as a plain `worker_id =`
 * anti join, statistics taken before the person worked anything (a fresh ANALYZE; autovacuum off)
 * estimated their units at one row, and every claim read all of them: the soak's throughput fell
 * as each annotator's finished units piled up (docs/benchmarks.md, "Soak").
 */
const candidatesSql = (a: Pick<ClaimArgs, 'task' | 'user' | 'now'>, limit: SQL) => sql`
  select t.id, t.item_id, t.position, t.copy, t.assignment_id
  from task_items t
  where t.task_id = ${a.task} and t.worker_id is null and t.status is null and not t.is_gold
    and t.position >= ${queueStartSql(a.task)}
    and (t.lease_expires_at is null or t.lease_expires_at <= ${a.now})
    and not exists (select 1 from task_items o
                    where o.item_id = t.item_id and o.task_id = t.task_id and o.id <> t.id
                      and o.worker_id is not distinct from ${a.user}
                    offset 0)
  order by t.position, t.copy
  limit ${limit}
  for update skip locked`;

/**
 * THE claim, the only text of it: up to `n` free units (fewer when `maxWorkload` leaves less
 * room), first in queue order, skipping units other claimers hold and items the person already
 * has a copy of. The candidate scan's LIMIT is `n × copies` so the planner walks
 * `task_items_free_idx` from its head; the room left under `maxWorkload` trims the pick
 * afterwards. Returns the claimed units with the assignment they counted to before.
 */
const claimSql = (a: ClaimArgs) => sql`
  with room as (
    select greatest(0, least(${a.n}, ${a.maxWorkload} - count(*)::int)) as n
    from task_items h
    where h.task_id = ${a.task} and h.worker_id = ${a.user} and h.status is null and h.lease_expires_at > ${a.now}
  ), cand as (${candidatesSql(a, sql`${a.n} * ${a.copies}`)}), one_per_item as (
    select distinct on (c.item_id) c.* from cand c order by c.item_id, c.copy
  ), pick as (
    select p.* from one_per_item p order by p.position, p.copy limit (select room.n from room)
  )
  update task_items u
  set worker_id = ${a.user}, assignment_id = ${a.assignment}, lease_expires_at = ${a.lease}, started_at = coalesce(u.started_at, ${a.now})
  from pick where u.id = pick.id and u.worker_id is null
  returning ${UNIT_COLUMNS}, pick.assignment_id as old_assignment`;

const bound = (task: TaskRow, userId: string, assignmentId: string, n: number, now: Date, lease: Date): ClaimArgs => ({
  task: sql`${task.id}::uuid`,
  user: sql`${userId}::uuid`,
  assignment: sql`${assignmentId}::uuid`,
  n: sql`${n}::int`,
  maxWorkload: sql`${task.allocation.maxWorkload}::int`,
  copies: sql`${task.consensus?.annotatorsPerItem ?? 1}::int`,
  now: sql`${now.toISOString()}::timestamptz`,
  lease: sql`${lease.toISOString()}::timestamptz`,
});

/** THE claim with bound values, for the plan test (the statement `loupe_pull_claim` runs, as a prepared statement). */
export const boundClaim = (task: TaskRow, userId: string, assignmentId: string, n: number, now: Date, lease: Date) => claimSql(bound(task, userId, assignmentId, n, now, lease));

/** `claimCandidates` with bound values, for the plan test. */
export const claimCandidates = (taskId: string, userId: string, limit: number, now: Date) =>
  candidatesSql({ task: sql`${taskId}::uuid`, user: sql`${userId}::uuid`, now: sql`${now.toISOString()}::timestamptz` }, sql`${limit}`);

/** The claim inside the caller's transaction (the full path: after a sweep, beside gold). */
export async function claimFree(tx: Tx, task: TaskRow, userId: string, assignmentId: string, n: number, now: Date, lease: Date) {
  if (n <= 0) return [];
  return rowsOf<ClaimedRow>(await tx.execute(claimSql(bound(task, userId, assignmentId, n, now, lease))));
}

const p = (name: string) => sql.raw(name);

/**
 * `loupe_pull_claim` runs its statements on generic plans. Left to choose, PL/pgSQL planned the
 * claim afresh on every call: its generic plan's estimate (LIMIT and room unknown) always came out
 * dearer than a custom plan's, and planning the four-CTE claim was a fifth of PostgreSQL's CPU per
 * pull (docs/benchmarks.md, eighth pass). The generic plan walks the free-unit index from its
 * head like the custom one (test/tasks/queue-plan.test.ts).
 */
export const CLAIM_PLAN_CACHE_MODE = 'plan_cache_mode=force_generic_plan';

/**
 * `loupe_pull_claim`: the pull's common path in one call (the per-person advisory lock, THE
 * claim compiled in from `claimSql`, the assignment counters in id order and the `task.pull`
 * audit event), so the claim's text exists once. Each statement of a VOLATILE PL/pgSQL function
 * takes a fresh snapshot, so the claim sees every pull of this person that committed before the
 * advisory lock was granted: `maxWorkload` holds, and a consensus item is never handed twice to
 * one person. PL/pgSQL keeps each inner statement's plan for the connection's life.
 */
export function claimFunctionSql(): string {
  const args: ClaimArgs = { task: p('p_task'), user: p('p_user'), assignment: p('p_assignment'), n: p('p_n'), maxWorkload: p('p_max_workload'), copies: p('p_copies'), now: p('p_now'), lease: p('p_lease') };
  const claim = new PgDialect().sqlToQuery(claimSql(args));
  if (claim.params.length) throw new Error('loupe_pull_claim: the claim must be compiled without bound parameters');
  return `CREATE OR REPLACE FUNCTION loupe_pull_claim(
  p_task uuid, p_project uuid, p_user uuid, p_assignment uuid,
  p_n int, p_max_workload int, p_copies int,
  p_now timestamptz, p_lease timestamptz, p_lease_iso text, p_audit_id uuid
) RETURNS TABLE (
  id uuid, task_id uuid, item_id uuid, copy smallint, "position" bigint, status text, done boolean,
  assignment_id uuid, worker_id uuid, lease_expires_at timestamptz, started_at timestamptz,
  finished_at timestamptz, open_issues integer, for_review integer, old_assignment uuid
)
LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = ${CLAIM_PLAN_CACHE_MODE.split('=')[1]}
AS $loupe$
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
  FOR r IN ${claim.sql}
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
$loupe$`;
}

const installed = new WeakMap<Db, Promise<void>>();

/**
 * Installs `loupe_pull_claim` from `claimFunctionSql` once per database handle, unless the
 * database already holds exactly this text with these settings (another process, or an earlier
 * start, installed it). Several processes starting at once serialize on an advisory lock: `CREATE OR REPLACE`
 * of one function by two sessions at once fails with "tuple concurrently updated".
 */
export function ensureClaimFunction(db: Db): Promise<void> {
  let done = installed.get(db);
  if (!done) {
    const text = claimFunctionSql();
    const body = text.slice(text.indexOf('$loupe$') + '$loupe$'.length, text.lastIndexOf('$loupe$'));
    done = db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended('loupe_pull_claim', 0))`);
      const [row] = rowsOf<{ same: boolean }>(
        await tx.execute(sql`select exists (select 1 from pg_proc where proname = 'loupe_pull_claim' and prosrc = ${body}
          and coalesce(proconfig, '{}') = array[${CLAIM_PLAN_CACHE_MODE}]::text[]) as same`),
      );
      if (!row?.same) await tx.execute(sql.raw(text));
    });
    done.catch(() => installed.delete(db));
    installed.set(db, done);
  }
  return done;
}

/** Unfinished items the person holds under a live lease in the task. */
export async function heldCount(tx: Tx, taskId: string, userId: string, now: Date) {
  const [held] = rowsOf<{ n: number }>(await tx.execute(sql`select count(*)::int as n from task_items
    where task_id = ${taskId}::uuid and worker_id = ${userId}::uuid and status is null and lease_expires_at > ${now.toISOString()}::timestamptz`));
  return Number(held?.n ?? 0);
}

export interface Served {
  all: number;
  gold: number;
}

/** Units the person has been handed in the task so far, and how many of them were gold. */
export async function servedTo(tx: Tx, taskId: string, userId: string): Promise<Served> {
  const [row] = rowsOf<{ all: number; gold: number }>(await tx.execute(sql`select count(*)::int as "all", count(*) filter (where is_gold)::int as gold
    from task_items where task_id = ${taskId}::uuid and worker_id = ${userId}::uuid`));
  return { all: Number(row?.all ?? 0), gold: Number(row?.gold ?? 0) };
}

/**
 * How many gold units go with `claimed` regular ones: g such that gold is `ratio` of everything
 * served, g / (served + claimed + g) ≈ ratio, never more than the room kept for it.
 */
export function goldShare(ratio: number, served: Served, claimed: number, room: number) {
  const g = Math.round((ratio * (served.all + claimed) - served.gold) / (1 - ratio));
  return Math.max(0, Math.min(room, g));
}

/**
 * Honeypot: adds `k` gold units owned by the puller, each gold item at most once per person, in
 * an order of the gold set drawn from the `random` port (md5 of a drawn seed and the item id). Returns them (their counters are moved by the caller with the
 * claim's).
 */
export async function mixGold(tx: Tx, random: Random, task: TaskRow, userId: string, assignmentId: string, k: number, now: Date, lease: Date): Promise<UnitSqlRow[]> {
  if (k <= 0) return [];
  const goldIds = task.honeypot!.goldItemIds.filter(isId);
  if (!goldIds.length) return [];
  return rowsOf<UnitSqlRow>(
    await tx.execute(sql`
      insert into task_items as u (id, project_id, task_id, item_id, copy, is_gold, position, assignment_id, worker_id, lease_expires_at, started_at, created_at)
      select gen_random_uuid(), ${task.projectId}::uuid, ${task.id}::uuid, i.id, 0, true, i.seq, ${assignmentId}::uuid, ${userId}::uuid,
             ${lease.toISOString()}::timestamptz, ${now.toISOString()}::timestamptz, ${now.toISOString()}::timestamptz
      from items i
      where i.id in (${sql.join(goldIds.map((id) => sql`${id}::uuid`), sql`, `)})
        and not exists (select 1 from task_items g where g.task_id = ${task.id}::uuid and g.item_id = i.id and g.worker_id = ${userId}::uuid and g.is_gold)
      order by md5(${String(randomInt(random, 2 ** 31))}::text || i.id::text)
      limit ${k}
      on conflict do nothing
      returning ${UNIT_COLUMNS}`),
  );
}

