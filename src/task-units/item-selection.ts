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
 * The INSERT … SELECT of `insertUnits`, to run under `withIndexProbes`. The "item already in the
 * task" check is a per-item subquery (`offset 0` keeps the planner from turning it into a join)
 * on the task and the item: an index probe of a few pages. As a join, with statistics taken
 * before the dataset's items were imported (a task created right after a large import, before
 * autovacuum analyzed it), the planner estimated one item and chose a nested loop whose inner
 * side read every unit of the task for each item, the ones this statement had just inserted
 * included: creating a task over 585,000 such items was stopped after 14 minutes (86 s with
 * fresh statistics, 59 s with this probe), growing with the square of the items
 * (test/tasks/task-create-plan.test.ts).
 */
export const insertUnitsSql = (task: { id: string; projectId: string }, datasetId: string, selection: ItemSelection, copies: number, now: Date, excludeIds: string[] = []) => sql`with ins as (
      insert into task_items (id, project_id, task_id, item_id, copy, position, created_at)
      select gen_random_uuid(), ${task.projectId}::uuid, ${task.id}::uuid, items.id, c.copy, items.seq, ${now.toISOString()}::timestamptz
      from ${pickedItems(datasetId, selection, excludeIds)} cross join generate_series(0, ${copies - 1}::int) as c(copy)
      where not exists (select 1 from task_items x where x.task_id = ${task.id}::uuid and x.item_id = items.id and not x.is_gold offset 0)
      on conflict do nothing
      returning 1)
    select count(*)::int as n from ins`;

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
  const result = await withIndexProbes(tx, () => tx.execute(insertUnitsSql(task, datasetId, selection, copies, now, excludeIds)));
  return Number(rowsOf<{ n: number }>(result)[0]?.n ?? 0);
}

/**
 * Runs `fn` with sequential scans planned only where nothing else can serve (`enable_seqscan`
 * off in the transaction while `fn` runs, then back as it was; when `fn` throws, the transaction
 * is aborted and the setting goes with it). For statements that probe a table
 * per row while they insert into it: on a table the planner believes small (analyzed while it
 * was nearly empty, as on a new installation), a sequential scan per row reads every row inserted
 * so far, and the statement grows with the square of its rows.
 */
export async function withIndexProbes<T>(tx: Tx, fn: () => Promise<T>): Promise<T> {
  const [before] = rowsOf<{ setting: string }>(await tx.execute(sql`select current_setting('enable_seqscan') as setting, set_config('enable_seqscan', 'off', true)`));
  const result = await fn();
  await tx.execute(sql`select set_config('enable_seqscan', ${before?.setting ?? 'on'}, true)`);
  return result;
}
