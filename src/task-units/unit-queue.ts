import { and, asc, eq, isNull, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { taskItems } from './task-items.table.ts';

type UnitRow = typeof taskItems.$inferSelect;

/** Which of a task's units `unitsInQueueOrder` lists. */
export interface UnitListFilter {
  /** `pending` (no status), `done`, or a status name. */
  status?: string;
  /** Units worked by this person, or belonging to an assignment of this person or group. */
  assigneeId?: string;
  /** Only these units: worked by `userId`, or belonging to one of `assignmentIds` (an annotator's share). */
  visibleTo?: { userId: string; assignmentIds: string[] };
  /** Keyset: units after this (position, id). */
  after?: { position: number; id: string };
  limit: number;
}

/** A task's units in queue order (position, id), for the tasks module's item list. No permission check. */
export async function unitsInQueueOrder(db: Db, taskId: string, f: UnitListFilter): Promise<UnitRow[]> {
  const conditions = [eq(taskItems.taskId, taskId)];
  if (f.status === 'pending') conditions.push(isNull(taskItems.status));
  else if (f.status === 'done') conditions.push(eq(taskItems.done, true));
  else if (f.status) conditions.push(eq(taskItems.status, f.status));
  if (f.assigneeId) conditions.push(or(eq(taskItems.workerId, f.assigneeId), sql`${taskItems.assignmentId} in (select id from task_assignees where task_id = ${taskId} and assignee_id = ${f.assigneeId})`)!);
  if (f.visibleTo) {
    const ids = f.visibleTo.assignmentIds;
    const mine = ids.length ? sql` or ${taskItems.assignmentId} in (${sql.join(ids.map((id) => sql`${id}::uuid`), sql`, `)})` : sql``;
    conditions.push(sql`(${taskItems.workerId} = ${f.visibleTo.userId}${mine})`);
  }
  if (f.after) conditions.push(sql`(${taskItems.position}, ${taskItems.id}) > (${f.after.position}, ${f.after.id}::uuid)`);
  return db.select().from(taskItems).where(and(...conditions)).orderBy(asc(taskItems.position), asc(taskItems.id)).limit(f.limit);
}

/**
 * Renews `userId`'s lease on their unfinished unit of the item in the task until `lease`.
 * Touches only the unindexed `lease_expires_at` column (a HOT update). Null when they hold no
 * such unit (it was swept back and claimed by someone else, or it is finished).
 */
export async function renewLease(db: Db, taskId: string, itemId: string, userId: string, lease: Date) {
  const [row] = await db
    .update(taskItems)
    .set({ leaseExpiresAt: lease })
    .where(and(eq(taskItems.taskId, taskId), eq(taskItems.itemId, itemId), eq(taskItems.workerId, userId), sql`${taskItems.status} is null`))
    .returning({ itemId: taskItems.itemId, leaseExpiresAt: taskItems.leaseExpiresAt });
  return row ?? null;
}
