import type { Db } from '../db/client.ts';
import { unresolvedTicketsLinkedTo } from '../task-units/task-rows.ts';

/**
 * The ids of unresolved tickets linked to an item (archived tickets no longer hold it). The
 * items service refuses to undraft an item while this is not empty (409 `linked_tasks_unresolved`).
 * Indexed on `task_links.target_id`.
 */
export async function unresolvedLinkedTasks(db: Db, itemId: string): Promise<string[]> {
  return unresolvedTicketsLinkedTo(db, itemId);
}
