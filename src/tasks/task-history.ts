import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { tasks } from '../task-units/tasks.table.ts';

/**
 * True when some task over this dataset has analytics history (any status or annotation ever
 * set), archived tasks included: such a dataset cannot be deleted (409 `dataset_in_use`).
 * One indexed lookup on `tasks.dataset_id`; never reads items.
 */
export async function datasetHasTaskHistory(db: Db, datasetId: string): Promise<boolean> {
  const [row] = await db
    .select({ one: sql<number>`1` })
    .from(tasks)
    .where(and(eq(tasks.datasetId, datasetId), eq(tasks.hasHistory, true)))
    .limit(1);
  return Boolean(row);
}
