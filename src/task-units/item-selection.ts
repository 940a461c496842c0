import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.ts';
import { ruleBroken } from '../core/errors.ts';
import { compileItemFilter, type ItemFilter } from '../datasets/item-filter.ts';
import { items } from '../datasets/datasets.table.ts';

/** Which items of a dataset: given ids, a filter, or all of them (`null`). */
export type ItemSelection = { itemIds: string[] } | { filter: ItemFilter } | null;

export const rowsOf = <T>(result: unknown): T[] => ((result as { rows?: T[] }).rows ?? (result as T[])) as T[];

/** Refuses ids that are not items of the dataset (422), so a typo never silently shrinks a task. */
export async function assertItemsInDataset(db: Db, datasetId: string, itemIds: string[]) {
  if (!itemIds.length) return;
  const found = await db.select({ id: items.id }).from(items).where(and(eq(items.datasetId, datasetId), inArray(items.id, itemIds)));
  if (found.length !== new Set(itemIds).size) {
    const known = new Set(found.map((f) => f.id));
    throw ruleBroken('Some items are not in the task’s dataset', { unknownItemIds: itemIds.filter((id) => !known.has(id)).slice(0, 100) });
  }
}

export function selectionCondition(datasetId: string, selection: ItemSelection): SQL {
  const parts: SQL[] = [eq(items.datasetId, datasetId)];
  if (selection && 'itemIds' in selection) parts.push(inArray(items.id, selection.itemIds.length ? selection.itemIds : ['00000000-0000-0000-0000-000000000000']));
  if (selection && 'filter' in selection) parts.push(compileItemFilter(selection.filter));
  return and(...parts)!;
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
  const exclude = excludeIds.length ? sql` and not (${inArray(items.id, excludeIds)})` : sql``;
  const result = await tx.execute(sql`with ins as (
      insert into task_items (id, project_id, task_id, item_id, copy, position, created_at)
      select gen_random_uuid(), ${task.projectId}::uuid, ${task.id}::uuid, items.id, c.copy, items.seq, ${now.toISOString()}::timestamptz
      from items cross join generate_series(0, ${copies - 1}::int) as c(copy)
      where ${selectionCondition(datasetId, selection)}${exclude}
        and not exists (select 1 from task_items x where x.task_id = ${task.id}::uuid and x.item_id = items.id and not x.is_gold)
      on conflict do nothing
      returning 1)
    select count(*)::int as n from ins`);
  return Number(rowsOf<{ n: number }>(result)[0]?.n ?? 0);
}
