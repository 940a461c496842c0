import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Caller, Ctx } from '../context.ts';
import type { Tx } from '../db/client.ts';
import { DomainError } from '../core/errors.ts';
import { isId } from '../core/ids.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { taskItems } from '../tasks/task-items.table.ts';
import { assertWritable, findTask, taskActor, type TaskActor, type TaskRow } from '../tasks/task-access.ts';
import { frozenForAnnotators } from '../tasks/task-workflow.ts';
import { moveAssignmentCounters, moveTaskCounters } from '../tasks/task-counters.ts';
import { rowsOf } from '../tasks/item-selection.ts';
import { unitView } from '../tasks/task-items.service.ts';
import { isPausedFromPulling } from '../quality/scoring.service.ts';
import { taskAssignees } from './assignments.table.ts';

interface ClaimedRow {
  id: string;
  item_id: string;
  old_assignment: string | null;
  open_issues: number;
  for_review: number;
}

/** Which of the caller's assignments a pull is counted to: their own, else their group's. */
async function pullAssignment(tx: Tx, task: TaskRow, actor: TaskActor) {
  if (!actor.annotatorAssignmentIds.length) throw new DomainError('forbidden', 'Only the task’s annotators pull items');
  const [own] = await tx
    .select({ id: taskAssignees.id })
    .from(taskAssignees)
    .where(and(eq(taskAssignees.taskId, task.id), eq(taskAssignees.assigneeId, actor.userId), eq(taskAssignees.role, 'annotator')));
  return own?.id ?? actor.annotatorAssignmentIds[0]!;
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
 */
export async function pullItems(ctx: Ctx, caller: Caller, taskId: string, input: { count?: number }) {
  const task = await findTask(ctx.db, taskId);
  const actor = await taskActor(ctx.db, caller, task, 'annotator');
  if (task.allocation.method !== 'pulling') throw new DomainError('conflict', 'This task distributes its items: open your assigned items instead of pulling');
  if (frozenForAnnotators(task.type, task.workflowState)) throw new DomainError('forbidden', `The task is ${task.workflowState}: nothing more to pull`);
  // Honeypot policy (src/quality): an annotator whose gold accuracy fell below the task's threshold pulls nothing more.
  if (await isPausedFromPulling(ctx.db, task.id, caller.userId)) throw new DomainError('forbidden', 'You are paused from pulling in this task: your accuracy on gold items is below its threshold');
  const now = ctx.clock.now();
  assertWritable(task, now);
  return ctx.db.transaction(async (tx) => {
    const assignmentId = await pullAssignment(tx, task, actor);
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`pull:${task.id}:${caller.userId}`}, 0))`);
    const [held] = await tx
      .select({ n: sql<number>`count(*)::int` })
      .from(taskItems)
      .where(and(eq(taskItems.taskId, task.id), eq(taskItems.workerId, caller.userId), sql`${taskItems.status} is null and ${taskItems.leaseExpiresAt} > ${now.toISOString()}::timestamptz`));
    const room = task.allocation.maxWorkload - Number(held?.n ?? 0);
    const want = Math.min(input.count ?? task.allocation.batchSize, room);
    if (want <= 0) return { items: [] };
    const lease = new Date(now.getTime() + task.allocation.leaseSeconds * 1000);
    const goldIds = task.honeypot ? await mixGold(tx, task, caller.userId, assignmentId, want, now, lease) : [];
    const gold = goldIds.length;
    const copies = task.consensus?.annotatorsPerItem ?? 1;
    const claimed = rowsOf<ClaimedRow>(
      await tx.execute(sql`
        with cand as (
          select t.id, t.item_id, t.position, t.copy, t.assignment_id, t.open_issues, t.for_review
          from task_items t
          where t.task_id = ${task.id}::uuid and t.status is null and not t.is_gold
            and (t.worker_id is null or t.lease_expires_at < ${now.toISOString()}::timestamptz)
            and not exists (select 1 from task_items o
                            where o.task_id = t.task_id and o.item_id = t.item_id and o.worker_id = ${caller.userId}::uuid and o.id <> t.id)
          order by t.position, t.copy
          limit ${(want - gold) * copies}
          for update skip locked
        ), one_per_item as (
          select distinct on (item_id) * from cand order by item_id, copy
        ), pick as (
          select * from one_per_item order by position, copy limit ${want - gold}
        )
        update task_items u
        set worker_id = ${caller.userId}::uuid, assignment_id = ${assignmentId}::uuid,
            lease_expires_at = ${lease.toISOString()}::timestamptz, started_at = coalesce(u.started_at, ${now.toISOString()}::timestamptz)
        from pick where u.id = pick.id
        returning u.id, u.item_id, pick.assignment_id as old_assignment, pick.open_issues, pick.for_review`),
    );
    // Counters follow the units: to the puller's assignment, away from an expired holder's.
    const moved = claimed.filter((c) => c.old_assignment !== assignmentId);
    if (moved.length) {
      await moveAssignmentCounters(tx, assignmentId, {
        items: moved.length,
        openIssues: moved.reduce((s, c) => s + Number(c.open_issues), 0),
        forReview: moved.reduce((s, c) => s + Number(c.for_review), 0),
      });
      const bySource = new Map<string, ClaimedRow[]>();
      for (const c of moved) if (c.old_assignment) bySource.set(c.old_assignment, [...(bySource.get(c.old_assignment) ?? []), c]);
      for (const [from, rows] of bySource) {
        await moveAssignmentCounters(tx, from, {
          items: -rows.length,
          openIssues: -rows.reduce((s, c) => s + Number(c.open_issues), 0),
          forReview: -rows.reduce((s, c) => s + Number(c.for_review), 0),
        });
      }
    }
    const ids = [...goldIds, ...claimed.map((c) => c.id)];
    if (!ids.length) return { items: [] };
    const units = await tx.select().from(taskItems).where(inArray(taskItems.id, ids)).orderBy(taskItems.position, taskItems.copy);
    await recordAudit(tx, {
      projectId: task.projectId,
      actorId: caller.userId,
      action: 'task.pull',
      subjectKind: 'task',
      subjectId: task.id,
      after: { itemIds: units.map((u) => u.itemId), leaseExpiresAt: lease.toISOString() },
    });
    return { items: units.map(unitView) };
  });
}

/**
 * Honeypot: adds gold units owned by the puller so that gold makes up about `ratio` of what the
 * person has been served, each gold item at most once per person. Returns their ids.
 */
async function mixGold(tx: Tx, task: TaskRow, userId: string, assignmentId: string, want: number, now: Date, lease: Date): Promise<string[]> {
  const [served] = await tx
    .select({ all: sql<number>`count(*)::int`, gold: sql<number>`count(*) filter (where ${taskItems.isGold})::int` })
    .from(taskItems)
    .where(and(eq(taskItems.taskId, task.id), eq(taskItems.workerId, userId)));
  const target = Math.round(task.honeypot!.ratio * (Number(served?.all ?? 0) + want));
  const k = Math.min(want, Math.max(0, target - Number(served?.gold ?? 0)));
  if (k <= 0) return [];
  const goldIds = task.honeypot!.goldItemIds.filter(isId);
  const inserted = rowsOf<{ id: string }>(
    await tx.execute(sql`
      insert into task_items (id, project_id, task_id, item_id, copy, is_gold, position, assignment_id, worker_id, lease_expires_at, started_at, created_at)
      select gen_random_uuid(), ${task.projectId}::uuid, ${task.id}::uuid, i.id, 0, true, i.seq, ${assignmentId}::uuid, ${userId}::uuid,
             ${lease.toISOString()}::timestamptz, ${now.toISOString()}::timestamptz, ${now.toISOString()}::timestamptz
      from items i
      where i.id in (${sql.join(goldIds.map((id) => sql`${id}::uuid`), sql`, `)})
        and not exists (select 1 from task_items g where g.task_id = ${task.id}::uuid and g.item_id = i.id and g.worker_id = ${userId}::uuid and g.is_gold)
      order by random()
      limit ${k}
      on conflict do nothing
      returning id`),
  );
  await moveTaskCounters(tx, task.id, assignmentId, { items: inserted.length });
  return inserted.map((r) => r.id);
}

/**
 * Renews the caller's lease on an item they hold (`leaseSeconds` from now). Touches only the
 * unindexed `lease_expires_at` column, so it is a HOT update. 409 `conflict` when the caller no
 * longer holds the item (its lease ran out and someone else claimed it, or it is finished).
 */
export async function heartbeat(ctx: Ctx, caller: Caller, taskId: string, itemId: string) {
  const task = await findTask(ctx.db, taskId);
  await taskActor(ctx.db, caller, task, 'annotator');
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
