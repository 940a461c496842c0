import { and, asc, eq, sql, type SQL } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { DomainError, notFound, ruleBroken } from '../core/errors.ts';
import { isId } from '../core/ids.ts';
import { taskItems } from './task-items.table.ts';
import { tasks, type TaskType } from './tasks.table.ts';
import type { TaskActor, TaskRow } from './task-access.ts';
import { moveAssignmentCounters, moveAssignmentCountersInOrder, moveTaskCounters, type UnitDelta } from './task-counters.ts';
import { taskAssignees } from './assignments.table.ts';
import { rowsOf } from './item-selection.ts';

export type UnitRow = typeof taskItems.$inferSelect;

/**
 * The unit of `itemId` in a task that the actor means, locked FOR UPDATE: the actor's own copy
 * (consensus, gold), else the copy worked by `workerId` (managers), else the only copy.
 */
export async function lockUnit(tx: Tx, task: TaskRow, itemId: string, actor: TaskActor, workerId?: string): Promise<UnitRow> {
  return pickUnit(await lockUnits(tx, task.id, itemId), actor, workerId);
}

/** Every unit of `itemId` in a task (consensus copies, gold), in copy order, locked FOR UPDATE (`pickUnit` chooses among them). */
export async function lockUnits(tx: Tx, taskId: string, itemId: string): Promise<UnitRow[]> {
  if (!isId(itemId)) throw notFound('Task item');
  return tx.select().from(taskItems).where(and(eq(taskItems.taskId, taskId), eq(taskItems.itemId, itemId))).orderBy(taskItems.copy).for('update');
}

/** `lockUnit`'s choice among an item's units (all its copies in the task, in copy order, locked). */
export function pickUnit(units: UnitRow[], actor: TaskActor, workerId?: string): UnitRow {
  // Honeypot gold stays unannounced: below manager, another person's gold unit does not exist.
  const visible = actor.isManager ? units : units.filter((u) => !u.isGold || u.workerId === actor.userId);
  if (!visible.length) throw notFound('Task item');
  const wanted = workerId ?? actor.userId;
  const own = visible.find((u) => u.workerId === wanted);
  if (own) return own;
  if (workerId) throw notFound('Task item');
  const open = visible.filter((u) => !u.isGold);
  if (open.length === 1) return open[0]!;
  // Consensus copies: an assignee works the one of their share that nobody works yet.
  const mine = open.find((u) => u.workerId === null && u.assignmentId !== null && actor.annotatorAssignmentIds.includes(u.assignmentId));
  if (mine) return mine;
  // Who else works the item is a manager's business (blind consensus): others are just refused.
  if (!actor.isManager && !actor.reviewerAssignmentIds.length) throw new DomainError('forbidden', 'Only the item’s assignee or a manager can change it');
  throw ruleBroken('This item has several annotators in this task: name one with ?workerId=', { workerIds: visible.map((u) => u.workerId) });
}

const defaultStatuses: Record<TaskType, string[]> = {
  labeling: ['completed', 'discarded'],
  consensus: ['completed', 'discarded'],
  qualification: ['completed', 'discarded'],
  honeypot: ['completed', 'discarded'],
  review: ['approved', 'discarded'],
  ticket: [],
};

export interface StatusRule {
  countsAsDone: boolean;
}

/** The statuses a task offers: its type's defaults plus its recipe's own, with `countsAsDone` (default true). */
export function statusesFrom(type: TaskType, recipeStatuses: ReadonlyArray<{ name: string; countsAsDone?: boolean | null }>): Map<string, StatusRule> {
  const out = new Map<string, StatusRule>(defaultStatuses[type].map((s) => [s, { countsAsDone: true }]));
  for (const s of recipeStatuses) out.set(s.name, { countsAsDone: s.countsAsDone ?? true });
  return out;
}

/** Marks the task as having analytics history (it will be archived, not deleted). Writes only once. */
export async function markHistory(tx: Tx, taskId: string) {
  await tx.execute(markHistoryCte(taskId));
}

/**
 * Locks the first copy of an item's unit in a task (`FOR UPDATE`) and returns its id, or null
 * when the item is not in the task. For machine writers (AutoQA) that act for no person.
 */
export async function lockFirstUnitId(tx: Tx, taskId: string, itemId: string): Promise<string | null> {
  const [unit] = await tx
    .select({ id: taskItems.id })
    .from(taskItems)
    .where(and(eq(taskItems.taskId, taskId), eq(taskItems.itemId, itemId)))
    .orderBy(taskItems.copy)
    .limit(1)
    .for('update');
  return unit?.id ?? null;
}

/**
 * Records that a unit is being worked as an answer is saved: its worker (kept once set), its
 * start, and the worker's lease renewed until `leaseExpiresAt` when given. The body of a CTE for
 * the annotation save's statement, `returning 1` when it wrote. With `version` (the row's `xmin`
 * as read), it writes only that row version, so the statement can tell that the unit changed
 * since it was read; without it, the caller holds the unit locked (`lockUnits`).
 */
export function touchUnitCte(unitId: string, set: { workerId: string | null; startedAt: Date; leaseExpiresAt?: Date }, version: string | null): SQL {
  const lease = set.leaseExpiresAt ? sql`, lease_expires_at = ${set.leaseExpiresAt.toISOString()}::timestamptz` : sql``;
  return sql`update ${taskItems} set worker_id = ${set.workerId}::uuid, started_at = ${set.startedAt.toISOString()}::timestamptz${lease}
    where id = ${unitId}::uuid${version === null ? sql`` : sql` and xmin = ${version}::xid`} returning 1`;
}

/** `markHistory`'s statement, also the body of a CTE for a statement built elsewhere. */
export const markHistoryCte = (taskId: string): SQL => sql`update ${tasks} set has_history = true where id = ${taskId}::uuid and not has_history returning 1`;

/**
 * Removes a task's units whose item is in `itemIds` (a subquery), in the caller's transaction,
 * and moves the item counters of the task and of each assignment (honeypot gold is not counted).
 * Answers how many counted units left.
 */
export async function removeUnits(tx: Tx, taskId: string, itemIds: SQL): Promise<number> {
  const removed = await tx
    .delete(taskItems)
    .where(and(eq(taskItems.taskId, taskId), sql`${taskItems.itemId} in ${itemIds}`))
    .returning({ assignmentId: taskItems.assignmentId, isGold: taskItems.isGold });
  const counted = removed.filter((r) => !r.isGold);
  await moveTaskCounters(tx, taskId, null, { items: -counted.length });
  const perAssignment = new Map<string, UnitDelta>();
  for (const r of counted) if (r.assignmentId) perAssignment.set(r.assignmentId, { items: (perAssignment.get(r.assignmentId)?.items ?? 0) - 1 });
  await moveAssignmentCountersInOrder(tx, perAssignment);
  return counted.length;
}

/**
 * Adds to a review task one unit per item of its source task whose every unit (consensus copies
 * included, gold left out) is done there and that `sampled(itemId)` keeps; `itemId` narrows it
 * to one item. One INSERT … SELECT in the caller's transaction that never ships rows through
 * the server; items already in the review task are skipped. Answers the new units' ids (the
 * caller moves the counters).
 */
export async function addDoneItemsOf(tx: Tx, review: { id: string; projectId: string }, sourceTaskId: string, sampled: (itemId: SQL) => SQL, now: Date, itemId?: string): Promise<string[]> {
  const oneItem = itemId ? sql` and s.item_id = ${itemId}::uuid` : sql``;
  const result = await tx.execute(sql`with ins as (
      insert into task_items (id, project_id, task_id, item_id, copy, position, created_at)
      select gen_random_uuid(), ${review.projectId}::uuid, ${review.id}::uuid, s.item_id, 0, min(s.position), ${now.toISOString()}::timestamptz
      from task_items s
      where s.task_id = ${sourceTaskId}::uuid and not s.is_gold${oneItem}
      group by s.item_id
      having bool_and(s.done) and ${sampled(sql`s.item_id`)}
      on conflict do nothing
      returning id)
    select id from ins`);
  return rowsOf<{ id: string }>(result).map((r) => r.id);
}

/** Gives one new unit to the annotator-role share holding the fewest items (distribution tasks), in the caller's transaction. */
export async function assignToLightestShare(tx: Tx, task: Pick<TaskRow, 'id' | 'allocation'>, unitId: string) {
  if (task.allocation.method !== 'distribution') return;
  const [share] = await tx
    .select({ id: taskAssignees.id })
    .from(taskAssignees)
    .where(and(eq(taskAssignees.taskId, task.id), eq(taskAssignees.role, 'annotator')))
    .orderBy(asc(taskAssignees.itemCount), asc(taskAssignees.id))
    .limit(1);
  if (!share) return;
  await tx.update(taskItems).set({ assignmentId: share.id }).where(eq(taskItems.id, unitId));
  await moveAssignmentCounters(tx, share.id, { items: 1 });
}

/**
 * Takes an item out of a task where nobody has dealt with it yet (no status, no open or
 * for-review issue), in the caller's transaction, moving the item counters of the task and its
 * assignment. Answers how many units left.
 */
export async function removeUntouchedUnits(tx: Tx, taskId: string, itemId: string): Promise<number> {
  const removed = await tx
    .delete(taskItems)
    .where(and(eq(taskItems.taskId, taskId), eq(taskItems.itemId, itemId), sql`${taskItems.status} is null`, eq(taskItems.openIssues, 0), eq(taskItems.forReview, 0)))
    .returning({ assignmentId: taskItems.assignmentId });
  for (const r of removed) await moveTaskCounters(tx, taskId, r.assignmentId, { items: -1 });
  return removed.length;
}
