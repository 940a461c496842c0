import { and, eq, ne, sql, SQL } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.ts';
import { isId } from '../core/ids.ts';
import { priorityRank } from './priorities.ts';
import { taskLinks, tasks } from './tasks.table.ts';
import type { TaskRow } from './task-access.ts';

/**
 * The task row's reads and writes for the modules above (tasks: create, edit, lock, workflow,
 * delete; datasets of a task): this module owns the `tasks` and `task_links` tables. Each write
 * runs in the caller's transaction; none reads more than the row it touches.
 */

export type TaskLink = { kind: 'item' | 'finding' | 'evaluation_result'; id: string };
type TaskInsert = typeof tasks.$inferInsert;

/** A new task's fields (`priorityRank` follows `priority`). */
export type NewTask = Omit<TaskInsert, 'priorityRank'>;

/** Inserts a task row and answers it. */
export async function insertTask(tx: Tx, values: NewTask): Promise<TaskRow> {
  const [row] = await tx
    .insert(tasks)
    .values({ ...values, priorityRank: priorityRank(values.priority) })
    .returning();
  return row!;
}

type Editable = 'name' | 'ownerId' | 'priority' | 'dueDate' | 'lockAfterDueDate' | 'recipeId' | 'description' | 'allocation' | 'locked' | 'autoLockLiftedFor' | 'archived' | 'workflowState' | 'reviewNote' | 'datasetId' | 'datasetCount' | 'updatedAt';

/** Fields of a task that its owner module may set (a value, or an SQL expression); `priorityRank` follows `priority`. */
export type TaskEdit = { [K in Editable]?: TaskInsert[K] | SQL };

/** Sets fields of a task row and answers the row as written (undefined when there is none). */
export async function updateTaskRow(tx: Tx, taskId: string, edit: TaskEdit): Promise<TaskRow | undefined> {
  const set = edit.priority !== undefined && !(edit.priority instanceof SQL) ? { ...edit, priorityRank: priorityRank(edit.priority) } : edit;
  const [row] = await tx.update(tasks).set(set).where(eq(tasks.id, taskId)).returning();
  return row;
}

/** Moves a task's dataset count by `delta` and sets its first dataset (`tasks.dataset_id`). */
export async function moveDatasetCount(tx: Tx, taskId: string, delta: number, datasetId: string | null, now: Date) {
  await tx
    .update(tasks)
    .set({ datasetCount: sql`${tasks.datasetCount} + ${delta}`, datasetId, updatedAt: now })
    .where(eq(tasks.id, taskId));
}

/** The task row locked FOR UPDATE, or undefined when there is none. */
export async function lockTaskRow(tx: Tx, taskId: string): Promise<TaskRow | undefined> {
  const [row] = isId(taskId) ? await tx.select().from(tasks).where(eq(tasks.id, taskId)).for('update') : [];
  return row;
}

/** The task row as it is now (in the caller's transaction: with its writes), or undefined. */
export async function readTaskRow(db: Db, taskId: string): Promise<TaskRow | undefined> {
  const [row] = await db.select().from(tasks).where(eq(tasks.id, taskId));
  return row;
}

/** Deletes a task row (its units, assignments, links and counters go with it by cascade). */
export async function deleteTaskRow(tx: Tx, taskId: string) {
  await tx.delete(tasks).where(eq(tasks.id, taskId));
}

/** Whether the task exists in the project. */
export async function taskInProject(db: Db, taskId: string, projectId: string): Promise<boolean> {
  const [row] = await db.select({ id: tasks.id }).from(tasks).where(and(eq(tasks.id, taskId), eq(tasks.projectId, projectId)));
  return Boolean(row);
}

/** Links a ticket to its subjects (each once). */
export async function insertTaskLinks(tx: Tx, task: { id: string; projectId: string }, links: TaskLink[]) {
  if (links.length) await tx.insert(taskLinks).values(links.map((l) => ({ taskId: task.id, projectId: task.projectId, kind: l.kind, targetId: l.id })));
}

/** A ticket's links. */
export async function linksOf(db: Db, taskId: string): Promise<TaskLink[]> {
  return db.select({ kind: taskLinks.kind, id: taskLinks.targetId }).from(taskLinks).where(eq(taskLinks.taskId, taskId));
}

/**
 * The ids of unresolved tickets linked to an item (archived tickets no longer hold it). Indexed
 * on `task_links.target_id`.
 */
export async function unresolvedTicketsLinkedTo(db: Db, itemId: string): Promise<string[]> {
  const rows = await db
    .select({ id: tasks.id })
    .from(taskLinks)
    .innerJoin(tasks, eq(tasks.id, taskLinks.taskId))
    .where(and(eq(taskLinks.targetId, itemId), eq(taskLinks.kind, 'item'), ne(tasks.workflowState, 'resolved'), eq(tasks.archived, false)));
  return rows.map((r) => r.id);
}

/**
 * A ticket's links as a JSON array, a scalar subquery on the `tasks` row of the enclosing
 * statement (null for other types).
 */
export const linksJsonSql = () => sql<TaskLink[] | null>`case when "tasks"."type" = 'ticket' then coalesce(
  (select json_agg(json_build_object('kind', l.kind, 'id', l.target_id)) from ${taskLinks} l where l.task_id = "tasks"."id"), '[]'::json) end`;
