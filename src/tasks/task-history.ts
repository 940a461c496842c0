import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { taskFacts as tasks } from '../task-units/unit-reads.ts';

/**
 * True when some task over this dataset has analytics history (any status or annotation ever
 * set), archived tasks included: such a dataset cannot be deleted (409 `dataset_in_use`).
 * Indexed lookups on `task_datasets` (every dataset of a task, docs/robotics.md); never reads items.
 */
export async function datasetHasTaskHistory(db: Db, datasetId: string): Promise<boolean> {
  const [row] = await db
    .select({ one: sql<number>`1` })
    .from(tasks)
    .where(and(sql`${tasks.id} in (select td.task_id from task_datasets td where td.dataset_id = ${datasetId}::uuid)`, eq(tasks.hasHistory, true)))
    .limit(1);
  return Boolean(row);
}
