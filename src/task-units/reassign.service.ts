import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Caller, Ctx } from '../context.ts';
import type { Tx } from '../db/client.ts';
import { DomainError, ruleBroken } from '../core/errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { bumpProjectCounters } from '../projects/projects.service.ts';
import { taskItems } from './task-items.table.ts';
import { assertWritable, findTask, taskActor, type TaskRow } from './task-access.ts';
import { moveAssignmentCounters } from './task-counters.ts';
import { taskAssignees, type AssignmentRole } from './assignments.table.ts';
import { resolveAssignees, type Assignee } from './resolve-assignees.ts';
import { distributeUnits, dropReleasedGold, moveUnits, shareQualificationItems } from './distribute.ts';
import { assignmentsOf, ensureAssignments, sharesOf } from './assignment-rows.ts';

/**
 * Replaces a task's assignees of one role. Leaving annotators' items that have no status go
 * back to the queue (pulling) or to the remaining annotators (distribution); an assignment that
 * still holds items with a status stays (its history counts) but gets nothing new.
 */
export async function replaceAssignees(tx: Tx, task: TaskRow, role: AssignmentRole, next: Assignee[], now: Date) {
  const current = await assignmentsOf(tx, task.id, role);
  const keep = new Set(next.map((a) => a.id));
  // In id order, like every multi-assignment counter write (see moveAssignmentCountersInOrder).
  const leaving = current.filter((a) => !keep.has(a.assigneeId)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const a of leaving) {
    const released = await tx
      .update(taskItems)
      .set({ assignmentId: null, workerId: null, leaseExpiresAt: null })
      .where(and(eq(taskItems.assignmentId, a.id), isNull(taskItems.status)))
      .returning({ openIssues: taskItems.openIssues, forReview: taskItems.forReview });
    await moveAssignmentCounters(tx, a.id, {
      items: -released.length,
      openIssues: -released.reduce((s, r) => s + r.openIssues, 0),
      forReview: -released.reduce((s, r) => s + r.forReview, 0),
    });
    const [rest] = await tx.select({ n: sql<number>`count(*)::int` }).from(taskItems).where(eq(taskItems.assignmentId, a.id));
    if (!Number(rest?.n)) {
      await tx.delete(taskAssignees).where(eq(taskAssignees.id, a.id));
      await bumpProjectCounters(tx, task.projectId, { assignments: -1 });
    }
  }
  const after = await ensureAssignments(tx, task, role, next.filter((a) => !current.some((c) => c.assigneeId === a.id)), undefined, now);
  const active = after.filter((a) => keep.has(a.assigneeId));
  if (role === 'annotator' && task.type === 'qualification' && task.datasetId) {
    await shareQualificationItems(tx, task, active, now);
  } else if (role === 'annotator' && task.allocation.method === 'distribution') {
    await distributeUnits(tx, task.id, sharesOf(active), { onlyUnassigned: false });
  } else if (role === 'annotator' && task.type === 'honeypot' && leaving.length) {
    await dropReleasedGold(tx, task.id);
  }
  return active;
}

async function assignmentOf(tx: Tx, taskId: string, ref: string, projectId: string) {
  const [who] = await resolveAssignees(tx, projectId, [ref]);
  const [row] = await tx
    .select()
    .from(taskAssignees)
    .where(and(eq(taskAssignees.taskId, taskId), eq(taskAssignees.assigneeId, who!.id), eq(taskAssignees.role, 'annotator')));
  return { who: who!, row };
}

/**
 * Moves items from one assignee to another (manager): the given items, or all of the source's
 * unfinished items. Items with a status never move, nor do honeypot gold units: gold belongs to
 * the person it was mixed in for (their accuracy is measured on it), so it stays with them. The target becomes an assignee when it was
 * not one. One transaction with counters and the audit event; locks the moved units.
 */
export async function reassignItems(ctx: Ctx, caller: Caller, taskId: string, input: { fromId: string; toId: string; itemIds?: string[] }) {
  const task = await findTask(ctx.db, taskId);
  await taskActor(ctx.db, caller, task, 'manager');
  return ctx.db.transaction(async (tx) => reassignInTx(tx, ctx, caller, task, input));
}

export async function reassignInTx(tx: Tx, ctx: Ctx, caller: Caller, task: TaskRow, input: { fromId: string; toId: string; itemIds?: string[] }) {
  const now = ctx.clock.now();
  assertWritable(task, now);
  const from = await assignmentOf(tx, task.id, input.fromId, task.projectId);
  if (!from.row) throw ruleBroken(`${input.fromId} is not an annotator of this task`);
  let to = (await assignmentOf(tx, task.id, input.toId, task.projectId)).row;
  if (!to) {
    const [target] = await resolveAssignees(tx, task.projectId, [input.toId]);
    [to] = (await ensureAssignments(tx, task, 'annotator', [target!], undefined, now)).filter((a) => a.assigneeId === target!.id);
  }
  if (to!.id === from.row.id) throw ruleBroken('fromId and toId are the same assignee');
  const units = await tx
    .select({ id: taskItems.id, itemId: taskItems.itemId, workerId: taskItems.workerId })
    .from(taskItems)
    .where(and(eq(taskItems.assignmentId, from.row.id), isNull(taskItems.status), eq(taskItems.isGold, false), input.itemIds ? inArray(taskItems.itemId, input.itemIds) : undefined));
  // A consensus item is never given twice to one person.
  const toUser = to!.assigneeKind === 'user' ? to!.assigneeId : null;
  const held = toUser
    ? new Set(
        (await tx.select({ itemId: taskItems.itemId }).from(taskItems).where(and(eq(taskItems.taskId, task.id), sql`(${taskItems.workerId} = ${toUser} or ${taskItems.assignmentId} = ${to!.id})`))).map(
          (r) => r.itemId,
        ),
      )
    : new Set<string>();
  const movable = units.filter((u) => !held.has(u.itemId));
  const moved = await moveUnits(tx, movable.map((u) => u.id), to!.id);
  await recordAudit(tx, {
    projectId: task.projectId,
    actorId: caller.userId,
    action: 'task.reassign',
    subjectKind: 'task',
    subjectId: task.id,
    before: { assigneeId: from.who.id },
    after: { assigneeId: to!.assigneeId, items: moved },
  });
  return { moved };
}

/**
 * Redistributes the items that have no status among the current annotators (distribution
 * tasks; balanced or by their percentages). Pulling tasks have nothing to rebalance: the queue
 * is shared. One transaction; locks the units it considers.
 */
export async function rebalanceTask(ctx: Ctx, caller: Caller, taskId: string) {
  const task = await findTask(ctx.db, taskId);
  await taskActor(ctx.db, caller, task, 'manager');
  assertWritable(task, ctx.clock.now());
  if (task.allocation.method !== 'distribution' || task.type === 'qualification') return { moved: 0 };
  return ctx.db.transaction(async (tx) => {
    const annotators = await assignmentsOf(tx, task.id, 'annotator');
    if (!annotators.length) throw new DomainError('conflict', 'The task has no annotators to rebalance among');
    // Percentages that name only some of the current annotators (others added without one)
    // would leave the rest with nothing: rebalance among all of them evenly (docs/hardening.md).
    const shares = annotators.some((a) => a.workload === null) ? annotators.map((a) => ({ assignmentId: a.id, weight: null })) : sharesOf(annotators);
    const moved = await distributeUnits(tx, task.id, shares, { onlyUnassigned: false });
    await recordAudit(tx, { projectId: task.projectId, actorId: caller.userId, action: 'task.rebalance', subjectKind: 'task', subjectId: task.id, after: { moved } });
    return { moved };
  });
}
