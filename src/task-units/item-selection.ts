import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.ts';
import { ruleBroken } from '../core/errors.ts';
import { itemIdsInDatasets, pickedItems, type ItemPick } from '../datasets/item-reads.ts';

/** Which items of a dataset: given ids, a filter, or all of them (`null`). */
export type ItemSelection = ItemPick;

export const rowsOf = <T>(result: unknown): T[] => ((result as { rows?: T[] }).rows ?? (result as T[])) as T[];

/** Refuses ids that are not items of the dataset (422), so a typo never silently shrinks a task. */
export async function assertItemsInDataset(db: Db, datasetId: string, itemIds: string[]) {
  if (!itemIds.length) return;
  const known = await itemIdsInDatasets(db, [datasetId], itemIds);
  if (known.size !== new Set(itemIds).size) {
    throw ruleBroken('Some items are not in the task’s dataset', { unknownItemIds: itemIds.filter((id) => !known.has(id)).slice(0, 100) });
  }
}

/**
 * Adds the selected items to a task as units (`copies` per item: consensus copies), in one
 * INSERT … SELECT that never ships item rows through the server; items already in the task and
 * `excludeIds` (honeypot gold) are skipped. Returns the number of units added.
 */
export async function insertUnits(
  tx: Tx,
  task: { id: string; projectId: string },
  datasetId: string,
  selection: ItemSelection,
  copies: number,
  now: Date,
  excludeIds: string[] = [],
): Promise<number> {
  const result = await tx.execute(sql`with ins as (
      insert into task_items (id, project_id, task_id, item_id, copy, position, created_at)
      select gen_random_uuid(), ${task.projectId}::uuid, ${task.id}::uuid, items.id, c.copy, items.seq, ${now.toISOString()}::timestamptz
      from ${pickedItems(datasetId, selection, excludeIds)} cross join generate_series(0, ${copies - 1}::int) as c(copy)
      where not exists (select 1 from task_items x where x.task_id = ${task.id}::uuid and x.item_id = items.id and not x.is_gold)
      on conflict do nothing
      returning 1)
    select count(*)::int as n from ins`);
  return Number(rowsOf<{ n: number }>(result)[0]?.n ?? 0);
}
