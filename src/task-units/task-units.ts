import { and, eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.ts';
import { DomainError, notFound, ruleBroken } from '../core/errors.ts';
import { isId } from '../core/ids.ts';
import { getRecipe } from '../recipes/recipes.service.ts';
import { taskItems } from './task-items.table.ts';
import { tasks, type TaskType } from './tasks.table.ts';
import type { TaskActor, TaskRow } from './task-access.ts';

export type UnitRow = typeof taskItems.$inferSelect;

/**
 * The unit of `itemId` in a task that the actor means, locked FOR UPDATE: the actor's own copy
 * (consensus, gold), else the copy worked by `workerId` (managers), else the only copy.
 */
export async function lockUnit(tx: Tx, task: TaskRow, itemId: string, actor: TaskActor, workerId?: string): Promise<UnitRow> {
  if (!isId(itemId)) throw notFound('Task item');
  const units = await tx
    .select()
    .from(taskItems)
    .where(and(eq(taskItems.taskId, task.id), eq(taskItems.itemId, itemId)))
    .orderBy(taskItems.copy)
    .for('update');
  return pickUnit(units, actor, workerId);
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

/** The statuses a task offers: its type's defaults plus the recipe's own, with `countsAsDone` (default true). */
export async function statusesOf(db: Db, task: TaskRow): Promise<Map<string, StatusRule>> {
  const out = new Map<string, StatusRule>(defaultStatuses[task.type].map((s) => [s, { countsAsDone: true }]));
  if (task.recipeId) {
    const recipe = await getRecipe(db, task.recipeId);
    for (const s of recipe?.statuses ?? []) out.set(s.name, { countsAsDone: s.countsAsDone ?? true });
  }
  return out;
}

/** Marks the task as having analytics history (it will be archived, not deleted). Writes only once. */
export async function markHistory(tx: Tx, taskId: string) {
  await tx.update(tasks).set({ hasHistory: true }).where(and(eq(tasks.id, taskId), sql`not ${tasks.hasHistory}`));
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
