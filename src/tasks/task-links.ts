import { and, eq, ne } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { taskLinks, tasks } from '../task-units/tasks.table.ts';

/**
 * The ids of unresolved tickets linked to an item (archived tickets no longer hold it). The
 * items service refuses to undraft an item while this is not empty (409 `linked_tasks_unresolved`).
 * Indexed on `task_links.target_id`.
 */
export async function unresolvedLinkedTasks(db: Db, itemId: string): Promise<string[]> {
  const rows = await db
    .select({ id: tasks.id })
    .from(taskLinks)
    .innerJoin(tasks, eq(tasks.id, taskLinks.taskId))
    .where(and(eq(taskLinks.targetId, itemId), eq(taskLinks.kind, 'item'), ne(tasks.workflowState, 'resolved'), eq(tasks.archived, false)));
  return rows.map((r) => r.id);
}
