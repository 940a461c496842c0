import { and, eq, sql } from 'drizzle-orm';
import type { Caller, Ctx, SweepLog } from '../context.ts';
import { randomInt, type Random } from '../core/random.ts';
import type { Tx } from '../db/client.ts';
import { DomainError } from '../core/errors.ts';
import { isId, newId } from '../core/ids.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { taskItems } from '../task-units/task-items.table.ts';
import { assertWritable, findTaskAs, type TaskActor, type TaskRow } from '../task-units/task-access.ts';
import { frozenForAnnotators } from '../core/shared/task-workflow.ts';
import { moveAssignmentCountersInOrder, moveTaskCounters, type UnitDelta } from '../task-units/task-counters.ts';
import { rowsOf } from '../task-units/item-selection.ts';
import { taskAssignees } from '../task-units/assignments.table.ts';
import { itemContents } from '../datasets/item-contents.ts';

/** A unit as the claim and the gold insert return it (raw SQL: snake_case). */
interface UnitSqlRow {
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
interface ClaimedRow extends UnitSqlRow {
  old_assignment: string | null;
}

const UNIT_COLUMNS = sql.raw('u.id, u.task_id, u.item_id, u.copy, u.position, u.status, u.done, u.assignment_id, u.worker_id, u.lease_expires_at, u.started_at, u.finished_at, u.open_issues, u.for_review');
const asDate = (v: Date | string | null) => (v === null ? null : v instanceof Date ? v : new Date(v));

/** The API view of a unit returned by raw SQL (same shape as `unitView`). */
const sqlUnitView = (u: UnitSqlRow) => ({
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

/** Which of the caller's assignments a pull is counted to: their own, else their group's. */
function pullAssignment(actor: TaskActor) {
  if (!actor.annotatorAssignmentIds.length) throw new DomainError('forbidden', 'Only the task’s annotators pull items');
  return actor.ownAnnotatorAssignmentId ?? actor.annotatorAssignmentIds[0]!;
}

/**
 * Hands the caller the next items of a pulling task: `count` (default `batchSize`), never more
 * than `maxWorkload` unfinished items held at once, in item order, each leased for
 * `leaseSeconds`. Items whose lease ran out return to the queue (see `returnExpiredLeases`) and
 * are claimed like new ones.
 *
 * Guarantees, under any concurrency and on several server processes: an item (a consensus copy)
 * is held by at most one live lease — the claim is ONE `UPDATE … FROM (SELECT … FOR UPDATE SKIP
 * LOCKED)` statement over free units only, never find-then-update; a consensus item is never
 * handed twice to one person and so reaches exactly `annotatorsPerItem` distinct people (one pull
 * per person and task at a time, by a transaction-scoped advisory lock, and the claim skips items
 * the person already has); honeypot gold items are mixed in at `ratio`, each at most once per
 * person, unannounced. The held count is read inside the claim statement, after the advisory
 * lock (a fresh snapshot), so `maxWorkload` holds too. Counter rows are locked task first, then
 * assignments in id order (never deadlocks with another pull returning this one's expired
 * items). One transaction with the audit events: lock, sweep, claim, counters, audit; the common
 * path (no gold, no sweep due) is that transaction as ONE database call (`claimInOneCall`).
 *
 * Throughput does not decay as held items pile up: the claim reads `task_items_free_idx`, which
 * holds only units nobody works (`worker_id is null`), so its head is always claimable. Expired
 * leases come back into that index by a sweep, not by a `lease_expires_at < now()` test in the
 * claim: a pull sweeps its task at most every `SWEEP_EVERY_MS` of the server's clock, and
 * whenever the free queue cannot fill the request; the `queue.return-expired-leases` job sweeps
 * every pulling task each minute, so idle tasks show returned items too.
 */
export async function pullItems(ctx: Ctx, caller: Caller, taskId: string, input: { count?: number }) {
  const { task, actor } = await findTaskAs(ctx.db, caller, taskId, 'annotator');
  if (task.allocation.method !== 'pulling') throw new DomainError('conflict', 'This task distributes its items: open your assigned items instead of pulling');
  if (frozenForAnnotators(task.type, task.workflowState)) throw new DomainError('forbidden', `The task is ${task.workflowState}: nothing more to pull`);
  const assignmentId = pullAssignment(actor);
  // Honeypot policy (src/quality): an annotator whose gold accuracy fell below the task's threshold
  // pulls nothing more. Only honeypot tasks pause anyone, so other pulls skip the query.
  if (task.type === 'honeypot' && (await ctx.pullGate.isPausedFromPulling(ctx.db, task.id, caller.userId))) throw new DomainError('forbidden', 'You are paused from pulling in this task: your accuracy on gold items is below its threshold');
  const now = ctx.clock.now();
  assertWritable(task, now);
  const requested = input.count ?? task.allocation.batchSize;
  if (requested <= 0) return { items: [] };
  const sweep = sweepDue(ctx.sweeps, task.id, now);
  let units: PulledUnit[];
  if (task.honeypot || sweep) {
    units = await pullInTransaction(ctx, caller, task, assignmentId, requested, now, sweep);
  } else {
    // The common path: one call. Only when it comes back short (the free queue ran dry, or the
    // person's workload is full) does the full path run for the rest, sweeping expired leases
    // back into the queue first.
    units = await claimInOneCall(ctx, caller, task, assignmentId, requested, now);
    if (units.length < requested) units.push(...(await pullInTransaction(ctx, caller, task, assignmentId, requested - units.length, now, true)));
  }
  // What the workspace needs per item comes in the same answer (docs/hardening.md): payload,
  // kind and external id, never the gold answer, so a honeypot's gold stays unannounced.
  const contents = await itemContents(ctx.db, units.map((u) => u.itemId));
  return {
    items: units.sort(byQueueOrder).map(({ position: _, ...unit }) => {
      const item = contents.get(unit.itemId);
      return { ...unit, externalId: item?.externalId ?? null, kind: item?.kind ?? null, payload: item?.payload ?? null };
    }),
  };
}

/** A pulled unit's API view, with its queue position for ordering the answer. */
type PulledUnit = ReturnType<typeof sqlUnitView> & { position: number };
const pulledView = (u: UnitSqlRow): PulledUnit => ({ ...sqlUnitView(u), position: Number(u.position) });
const byQueueOrder = (a: PulledUnit, b: PulledUnit) => a.position - b.position || a.copy - b.copy;

/**
 * The pull's common path (no honeypot gold, no sweep due) as one database call: the
 * `loupe_pull_claim` function (migration 0010) takes the per-person advisory lock, claims exactly
 * as `claimFree` does, moves the assignment counters in id order and writes the `task.pull`
 * audit event, all in the one statement's transaction. Six round trips become one, and the
 * claim's plan is kept per connection.
 */
async function claimInOneCall(ctx: Ctx, caller: Caller, task: TaskRow, assignmentId: string, n: number, now: Date) {
  const lease = new Date(now.getTime() + task.allocation.leaseSeconds * 1000);
  const rows = rowsOf<ClaimedRow>(
    await ctx.db.execute(sql`select * from loupe_pull_claim(
      ${task.id}::uuid, ${task.projectId}::uuid, ${caller.userId}::uuid, ${assignmentId}::uuid,
      ${n}::int, ${task.allocation.maxWorkload}::int, ${task.consensus?.annotatorsPerItem ?? 1}::int,
      ${now.toISOString()}::timestamptz, ${lease.toISOString()}::timestamptz, ${lease.toISOString()}, ${newId()}::uuid)`),
  );
  return rows.map(pulledView);
}

/**
 * The full pull, in one transaction: lock, sweep (when asked, or when the free queue runs
 * short), claim, honeypot gold, counters, audit.
 */
async function pullInTransaction(ctx: Ctx, caller: Caller, task: TaskRow, assignmentId: string, requested: number, now: Date, sweep: boolean): Promise<PulledUnit[]> {
  return ctx.db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`pull:${task.id}:${caller.userId}`}, 0))`);
    const lease = new Date(now.getTime() + task.allocation.leaseSeconds * 1000);
    let want = requested;
    let goldRoom = 0;
    let served: Served | null = null;
    if (task.honeypot) {
      // Gold needs the room before the claim (its share depends on it); plain pulls read it in the claim.
      const room = task.allocation.maxWorkload - (await heldCount(tx, task.id, caller.userId, now));
      want = Math.min(requested, room);
      if (want <= 0) return [];
      served = await servedTo(tx, task.id, caller.userId);
      goldRoom = Math.min(want, Math.max(0, Math.round(task.honeypot.ratio * (served.all + want)) - served.gold));
    }
    const returned: ReturnedUnits[] = [];
    if (sweep) returned.push(...(await sweepExpired(tx, task.id, now)));
    const claim = (n: number) => claimFree(tx, task, caller.userId, assignmentId, n, now, lease);
    const claimed = await claim(want - goldRoom);
    if (goldRoom + claimed.length < want && !returned.length) {
      // The free queue ran short: expired leases may be waiting to come back.
      const more = await sweepExpired(tx, task.id, now);
      returned.push(...more);
      if (more.length) claimed.push(...(await claim(want - goldRoom - claimed.length)));
    }
    // Gold is sized from what the claim really handed out, so a short queue never makes a batch
    // mostly gold (an empty queue hands out no gold at all once the person is at `ratio`).
    const gold = served ? await mixGold(tx, ctx.random, task, caller.userId, assignmentId, goldShare(task.honeypot!.ratio, served, claimed.length, goldRoom), now, lease) : [];
    await moveClaimCounters(tx, task.id, assignmentId, gold.length, claimed, returned);
    if (returned.length) await auditReturned(tx, task, returned, now);
    const units = [...gold, ...claimed].sort((a, b) => Number(a.position) - Number(b.position) || Number(a.copy) - Number(b.copy));
    if (!units.length) return [];
    await recordAudit(tx, {
      projectId: task.projectId,
      actorId: caller.userId,
      action: 'task.pull',
      subjectKind: 'task',
      subjectId: task.id,
      after: { itemIds: units.map((u) => u.item_id), leaseExpiresAt: lease.toISOString() },
    });
    return units.map(pulledView);
  });
}

/**
 * The claim: up to `n` free units (fewer when `maxWorkload` leaves less room), first in queue
 * order, skipping units other claimers hold and items the person already has a copy of. The
 * candidate scan's LIMIT is a constant so the planner walks `task_items_free_idx` from its head;
 * the room left under `maxWorkload` trims the pick afterwards.
 */
async function claimFree(tx: Tx, task: TaskRow, userId: string, assignmentId: string, n: number, now: Date, lease: Date) {
  if (n <= 0) return [];
  const copies = task.consensus?.annotatorsPerItem ?? 1;
  return rowsOf<ClaimedRow>(
    await tx.execute(sql`
      with room as (
        select greatest(0, least(${n}::int, ${task.allocation.maxWorkload}::int - count(*)::int)) as n
        from task_items h
        where h.task_id = ${task.id}::uuid and h.worker_id = ${userId}::uuid and h.status is null
          and h.lease_expires_at > ${now.toISOString()}::timestamptz
      ), cand as (${claimCandidates(task.id, userId, n * copies, now)}), one_per_item as (
        select distinct on (item_id) * from cand order by item_id, copy
      ), pick as (
        select * from one_per_item order by position, copy limit (select n from room)
      )
      update task_items u
      set worker_id = ${userId}::uuid, assignment_id = ${assignmentId}::uuid,
          lease_expires_at = ${lease.toISOString()}::timestamptz, started_at = coalesce(u.started_at, ${now.toISOString()}::timestamptz)
      from pick where u.id = pick.id and u.worker_id is null
      returning ${UNIT_COLUMNS}, pick.assignment_id as old_assignment`),
  );
}

/**
 * The claim's candidates: the first `limit` free units of the task in queue order that the
 * person has no copy of, locked, skipping units other claimers hold. A unit returned by a sweep
 * keeps its last lease's end, and a claimer whose clock reading is older than that end skips it:
 * a pull that read the clock just before another pull swept the unit back (several server
 * processes, or a slow request) would otherwise stamp a lease that starts before the previous
 * one ended. Exported for the test that
 * reads its plan (test/tasks/queue-plan.test.ts): it must walk `task_items_free_idx` from its
 * head and meet no held unit, however many there are.
 */
export const claimCandidates = (taskId: string, userId: string, limit: number, now: Date) => sql`
  select t.id, t.item_id, t.position, t.copy, t.assignment_id
  from task_items t
  where t.task_id = ${taskId}::uuid and t.worker_id is null and t.status is null and not t.is_gold
    and (t.lease_expires_at is null or t.lease_expires_at <= ${now.toISOString()}::timestamptz)
    and not exists (select 1 from task_items o
                    where o.task_id = t.task_id and o.item_id = t.item_id and o.worker_id = ${userId}::uuid and o.id <> t.id)
  order by t.position, t.copy
  limit ${limit}
  for update skip locked`;

/** Units an expired lease returned to the queue, by the assignment they were counted to. */
interface ReturnedUnits {
  assignment_id: string | null;
  item_ids: string[];
  open_issues: number;
  for_review: number;
}

/** How often, by the server's clock, a pull also sweeps its task (per process). */
export const SWEEP_EVERY_MS = 10_000;

function sweepDue(lastSweep: SweepLog, taskId: string, now: Date) {
  const last = lastSweep.get(taskId);
  if (last !== undefined && now.getTime() - last < SWEEP_EVERY_MS && now.getTime() >= last) return false;
  if (lastSweep.size > 10_000) lastSweep.clear();
  lastSweep.set(taskId, now.getTime());
  return true;
}

/**
 * Returns a pulling task's expired, unfinished units to the queue: clears their worker and
 * assignment so they are in `task_items_free_idx` again (the lease's end stays, see
 * `claimCandidates`). Units another transaction
 * holds (a holder finishing one right now) are skipped, not waited for. The caller moves the
 * assignment counters (`moveClaimCounters`) and writes the audit event.
 */
async function sweepExpired(tx: Tx, taskId: string, now: Date): Promise<ReturnedUnits[]> {
  return rowsOf<ReturnedUnits>(
    await tx.execute(sql`
      with expired as (
        select id, assignment_id, open_issues, for_review
        from task_items
        where task_id = ${taskId}::uuid and worker_id is not null and status is null and not is_gold
          and lease_expires_at < ${now.toISOString()}::timestamptz
        for update skip locked
      ), back as (
        update task_items u set worker_id = null, assignment_id = null
        from expired e where u.id = e.id
        returning e.assignment_id, u.item_id, e.open_issues, e.for_review
      )
      select assignment_id, array_agg(item_id)::text[] as item_ids,
             sum(open_issues)::int as open_issues, sum(for_review)::int as for_review
      from back group by assignment_id`),
  );
}

async function auditReturned(tx: Tx, task: { id: string; projectId: string }, returned: ReturnedUnits[], now: Date) {
  await recordAudit(
    tx,
    {
      projectId: task.projectId,
      actorId: null,
      action: 'task.leases_expired',
      subjectKind: 'task',
      subjectId: task.id,
      after: { itemIds: returned.flatMap((r) => r.item_ids) },
    },
    now,
  );
}

/**
 * The `queue.return-expired-leases` job's work: sweeps every pulling task (of one project, when
 * given) that has an expired, unfinished unit, one transaction per task (with its counters and
 * audit event). Returns how many units went back to their queues.
 */
export async function returnExpiredLeases(ctx: Ctx, scope: { projectId?: string } = {}): Promise<number> {
  const now = ctx.clock.now();
  const due = rowsOf<{ id: string; project_id: string }>(
    await ctx.db.execute(sql`
      select t.id, t.project_id from tasks t
      where t.allocation->>'method' = 'pulling'
        ${scope.projectId ? sql`and t.project_id = ${scope.projectId}::uuid` : sql``}
        and exists (select 1 from task_items u
                    where u.task_id = t.id and u.worker_id is not null and u.status is null and not u.is_gold
                      and u.lease_expires_at < ${now.toISOString()}::timestamptz)`),
  );
  let total = 0;
  for (const t of due) {
    total += await ctx.db.transaction(async (tx) => {
      const returned = await sweepExpired(tx, t.id, now);
      if (!returned.length) return 0;
      await moveClaimCounters(tx, t.id, null, 0, [], returned);
      await auditReturned(tx, { id: t.id, projectId: t.project_id }, returned, now);
      return returned.reduce((s, r) => s + r.item_ids.length, 0);
    });
  }
  return total;
}

/** Unfinished items the person holds under a live lease in the task. */
async function heldCount(tx: Tx, taskId: string, userId: string, now: Date) {
  const [held] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(taskItems)
    .where(and(eq(taskItems.taskId, taskId), eq(taskItems.workerId, userId), sql`${taskItems.status} is null and ${taskItems.leaseExpiresAt} > ${now.toISOString()}::timestamptz`));
  return Number(held?.n ?? 0);
}

/**
 * Counters follow the units: gold units are new (task and puller's assignment), claimed units
 * move to the puller's assignment (from an expired holder's, when the unit still counted to
 * one), returned units leave their expired holder's assignment. Every delta is gathered first
 * and applied task row first, then assignment rows in id order: two annotators re-claiming each
 * other's expired items would otherwise lock their two assignment rows in opposite orders.
 */
async function moveClaimCounters(tx: Tx, taskId: string, assignmentId: string | null, goldAdded: number, claimed: ClaimedRow[], returned: ReturnedUnits[]) {
  const deltas: Array<[string, UnitDelta]> = [];
  if (goldAdded && assignmentId) deltas.push([assignmentId, { items: goldAdded }]);
  for (const r of returned) {
    if (r.assignment_id) deltas.push([r.assignment_id, { items: -r.item_ids.length, openIssues: -Number(r.open_issues), forReview: -Number(r.for_review) }]);
  }
  for (const c of claimed) {
    if (c.old_assignment === assignmentId || !assignmentId) continue;
    const d = { items: 1, openIssues: Number(c.open_issues), forReview: Number(c.for_review) };
    deltas.push([assignmentId, d]);
    if (c.old_assignment) deltas.push([c.old_assignment, { items: -1, openIssues: -d.openIssues, forReview: -d.forReview }]);
  }
  if (goldAdded) await moveTaskCounters(tx, taskId, null, { items: goldAdded });
  await moveAssignmentCountersInOrder(tx, deltas);
}

interface Served {
  all: number;
  gold: number;
}

/** Units the person has been handed in the task so far, and how many of them were gold. */
async function servedTo(tx: Tx, taskId: string, userId: string): Promise<Served> {
  const [row] = await tx
    .select({ all: sql<number>`count(*)::int`, gold: sql<number>`count(*) filter (where ${taskItems.isGold})::int` })
    .from(taskItems)
    .where(and(eq(taskItems.taskId, taskId), eq(taskItems.workerId, userId)));
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
 * an order of the gold set drawn from the `random` port (md5 of a drawn seed and the item id).
 * Returns them (their counters are moved by the caller with the
 * claim's).
 */
async function mixGold(tx: Tx, random: Random, task: TaskRow, userId: string, assignmentId: string, k: number, now: Date, lease: Date): Promise<UnitSqlRow[]> {
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

/**
 * Renews the caller's lease on an item they hold (`leaseSeconds` from now). Touches only the
 * unindexed `lease_expires_at` column, so it is a HOT update. 409 `conflict` when the caller no
 * longer holds the item (its lease ran out and someone else claimed it, or it is finished).
 */
export async function heartbeat(ctx: Ctx, caller: Caller, taskId: string, itemId: string) {
  const { task } = await findTaskAs(ctx.db, caller, taskId, 'annotator');
  const now = ctx.clock.now();
  assertWritable(task, now);
  if (!isId(itemId)) throw new DomainError('not_found', 'Task item not found');
  const lease = new Date(now.getTime() + task.allocation.leaseSeconds * 1000);
  const [row] = await ctx.db
    .update(taskItems)
    .set({ leaseExpiresAt: lease })
    .where(and(eq(taskItems.taskId, taskId), eq(taskItems.itemId, itemId), eq(taskItems.workerId, caller.userId), sql`${taskItems.status} is null`))
    .returning({ itemId: taskItems.itemId, leaseExpiresAt: taskItems.leaseExpiresAt });
  if (!row) throw new DomainError('conflict', 'You do not hold this item (its lease ran out or it is finished): pull again');
  return row;
}
