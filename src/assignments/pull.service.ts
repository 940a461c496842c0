import { and, eq, sql } from 'drizzle-orm';
import type { Caller, Ctx } from '../context.ts';
import type { Tx } from '../db/client.ts';
import { DomainError } from '../core/errors.ts';
import { isId } from '../core/ids.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { taskItems } from '../tasks/task-items.table.ts';
import { assertWritable, findTaskAs, type TaskActor, type TaskRow } from '../tasks/task-access.ts';
import { frozenForAnnotators } from '../tasks/task-workflow.ts';
import { moveAssignmentCountersInOrder, moveTaskCounters, type UnitDelta } from '../tasks/task-counters.ts';
import { rowsOf } from '../tasks/item-selection.ts';
import { isPausedFromPulling } from '../quality/scoring.service.ts';
import { taskAssignees } from './assignments.table.ts';

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
 * `leaseSeconds`. Items whose lease ran out return to the queue and are claimed like new ones.
 *
 * Guarantees, under any concurrency and on several server processes: an item (a consensus copy)
 * is held by at most one live lease — the claim is ONE `UPDATE … FROM (SELECT … FOR UPDATE SKIP
 * LOCKED)` statement, never find-then-update; a consensus item is never handed twice to one
 * person and so reaches exactly `annotatorsPerItem` distinct people (one pull per person and task
 * at a time, by a transaction-scoped advisory lock, and the claim skips items the person already
 * has); honeypot gold items are mixed in at `ratio`, each at most once per person, unannounced.
 * The held count is read inside the claim statement, after the advisory lock (a fresh snapshot),
 * so `maxWorkload` holds too. Counter rows are locked task first, then assignments in id order
 * (never deadlocks with another pull re-claiming this one's expired items). One transaction with
 * the audit event: lock, claim, counters, audit.
 */
export async function pullItems(ctx: Ctx, caller: Caller, taskId: string, input: { count?: number }) {
  const { task, actor } = await findTaskAs(ctx.db, caller, taskId, 'annotator');
  if (task.allocation.method !== 'pulling') throw new DomainError('conflict', 'This task distributes its items: open your assigned items instead of pulling');
  if (frozenForAnnotators(task.type, task.workflowState)) throw new DomainError('forbidden', `The task is ${task.workflowState}: nothing more to pull`);
  const assignmentId = pullAssignment(actor);
  // Honeypot policy (src/quality): an annotator whose gold accuracy fell below the task's threshold pulls nothing more.
  if (await isPausedFromPulling(ctx.db, task.id, caller.userId)) throw new DomainError('forbidden', 'You are paused from pulling in this task: your accuracy on gold items is below its threshold');
  const now = ctx.clock.now();
  assertWritable(task, now);
  const requested = input.count ?? task.allocation.batchSize;
  if (requested <= 0) return { items: [] };
  return ctx.db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`pull:${task.id}:${caller.userId}`}, 0))`);
    const lease = new Date(now.getTime() + task.allocation.leaseSeconds * 1000);
    let gold: UnitSqlRow[] = [];
    let want = requested;
    if (task.honeypot) {
      // Gold needs the room before the claim (its share depends on it); plain pulls read it in the claim.
      const room = task.allocation.maxWorkload - (await heldCount(tx, task.id, caller.userId, now));
      want = Math.min(requested, room);
      if (want <= 0) return { items: [] };
      gold = await mixGold(tx, task, caller.userId, assignmentId, want, now, lease);
    }
    const copies = task.consensus?.annotatorsPerItem ?? 1;
    const claimed = rowsOf<ClaimedRow>(
      await tx.execute(sql`
        with room as (
          select greatest(0, least(${want - gold.length}::int, ${task.allocation.maxWorkload}::int - count(*)::int)) as n
          from task_items h
          where h.task_id = ${task.id}::uuid and h.worker_id = ${caller.userId}::uuid and h.status is null
            and h.lease_expires_at > ${now.toISOString()}::timestamptz
        ), cand as (
          select t.id, t.item_id, t.position, t.copy, t.assignment_id
          from task_items t
          where t.task_id = ${task.id}::uuid and t.status is null and not t.is_gold
            and (t.worker_id is null or t.lease_expires_at < ${now.toISOString()}::timestamptz)
            and not exists (select 1 from task_items o
                            where o.task_id = t.task_id and o.item_id = t.item_id and o.worker_id = ${caller.userId}::uuid and o.id <> t.id)
          order by t.position, t.copy
          limit (select n from room) * ${copies}::int
          for update skip locked
        ), one_per_item as (
          select distinct on (item_id) * from cand order by item_id, copy
        ), pick as (
          select * from one_per_item order by position, copy limit (select n from room)
        )
        update task_items u
        set worker_id = ${caller.userId}::uuid, assignment_id = ${assignmentId}::uuid,
            lease_expires_at = ${lease.toISOString()}::timestamptz, started_at = coalesce(u.started_at, ${now.toISOString()}::timestamptz)
        from pick where u.id = pick.id
        returning ${UNIT_COLUMNS}, pick.assignment_id as old_assignment`),
    );
    await moveClaimCounters(tx, task.id, assignmentId, gold.length, claimed);
    const units = [...gold, ...claimed].sort((a, b) => Number(a.position) - Number(b.position) || Number(a.copy) - Number(b.copy));
    if (!units.length) return { items: [] };
    await recordAudit(tx, {
      projectId: task.projectId,
      actorId: caller.userId,
      action: 'task.pull',
      subjectKind: 'task',
      subjectId: task.id,
      after: { itemIds: units.map((u) => u.item_id), leaseExpiresAt: lease.toISOString() },
    });
    return { items: units.map(sqlUnitView) };
  });
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
 * move to the puller's assignment from an expired holder's. Every delta is gathered first and
 * applied task row first, then assignment rows in id order: two annotators re-claiming each
 * other's expired items would otherwise lock their two assignment rows in opposite orders.
 */
async function moveClaimCounters(tx: Tx, taskId: string, assignmentId: string, goldAdded: number, claimed: ClaimedRow[]) {
  const deltas: Array<[string, UnitDelta]> = [];
  if (goldAdded) deltas.push([assignmentId, { items: goldAdded }]);
  for (const c of claimed) {
    if (c.old_assignment === assignmentId) continue;
    const d = { items: 1, openIssues: Number(c.open_issues), forReview: Number(c.for_review) };
    deltas.push([assignmentId, d]);
    if (c.old_assignment) deltas.push([c.old_assignment, { items: -1, openIssues: -d.openIssues, forReview: -d.forReview }]);
  }
  if (goldAdded) await moveTaskCounters(tx, taskId, null, { items: goldAdded });
  await moveAssignmentCountersInOrder(tx, deltas);
}

/**
 * Honeypot: adds gold units owned by the puller so that gold makes up about `ratio` of what the
 * person has been served, each gold item at most once per person. Returns them (their counters
 * are moved by the caller with the claim's).
 */
async function mixGold(tx: Tx, task: TaskRow, userId: string, assignmentId: string, want: number, now: Date, lease: Date): Promise<UnitSqlRow[]> {
  const [served] = await tx
    .select({ all: sql<number>`count(*)::int`, gold: sql<number>`count(*) filter (where ${taskItems.isGold})::int` })
    .from(taskItems)
    .where(and(eq(taskItems.taskId, task.id), eq(taskItems.workerId, userId)));
  const target = Math.round(task.honeypot!.ratio * (Number(served?.all ?? 0) + want));
  const k = Math.min(want, Math.max(0, target - Number(served?.gold ?? 0)));
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
      order by random()
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
