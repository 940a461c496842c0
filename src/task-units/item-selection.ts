import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.ts';
import { ruleBroken } from '../core/errors.ts';
import { itemIdsInDatasets, itemIdsOfDataset, pickedItems, type ItemPick } from '../datasets/item-reads.ts';

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
 * The INSERT … SELECT of `insertUnits`, to run under `withIndexProbes`. With `probe`, an item
 * already in the task is skipped by a per-item subquery (`offset 0` keeps the planner from turning
 * it into a join) on the task and the item. Without it, every picked item gets its units, and
 * `on conflict do nothing` still refuses a unit the task holds (same task, item and copy).
 *
 * `insertUnits` leaves the probe out when the task holds no unit of the dataset, which is every
 * task creation: the probe could only find what the statement inserts itself, and that it cannot
 * see. The probe is what made creation quadratic. The statistics of a new task say it has no
 * units, and the planner then chose, for the probe, the index on the task alone, with the item as
 * a filter: each item read every unit inserted so far. Creating a task over 585,000 freshly
 * imported items ran for more than 11 minutes. As a join, with statistics that predated the
 * items, it ran 14 (docs/benchmarks.md, "Issue 19", ninth to eleventh pass;
 * test/tasks/task-create-plan.test.ts).
 */
export const insertUnitsSql = (
  task: { id: string; projectId: string },
  datasetId: string,
  selection: ItemSelection,
  copies: number,
  now: Date,
  excludeIds: string[] = [],
  probe = true,
) => sql`with ins as (
      insert into task_items (id, project_id, task_id, item_id, copy, position, created_at)
      select gen_random_uuid(), ${task.projectId}::uuid, ${task.id}::uuid, items.id, c.copy, items.seq, ${now.toISOString()}::timestamptz
      from ${pickedItems(datasetId, selection, excludeIds)} cross join generate_series(0, ${copies - 1}::int) as c(copy)
      ${probe ? sql`where not exists (select 1 from task_items x where x.task_id = ${task.id}::uuid and x.item_id = items.id and not x.is_gold offset 0)` : sql``}
      on conflict do nothing
      returning 1)
    select count(*)::int as n from ins`;

/**
 * Inserts the units of a distributed task that holds none yet, each already in its share, in one
 * statement: what `insertUnits` then `distributeUnits` do, without reading every unit back into
 * the server and writing it a second time (a 1.7M-unit task took minutes, most of it there).
 * Only for equal shares (no workload percentages) and at most one copy per share: there the
 * greedy plan of `distributeUnits` (each unit to the least loaded share, ties to the earlier,
 * never two copies of an item to one share) is exactly round-robin in queue order, which this
 * statement computes. `fillTask` decides when it applies. Returns the units per assignment.
 */
export async function insertDistributedUnits(
  tx: Tx,
  task: { id: string; projectId: string },
  datasetId: string,
  selection: ItemSelection,
  copies: number,
  shareIds: string[],
  now: Date,
): Promise<Map<string, number>> {
  // Unit k (from 1, in queue order: item position, then copy) goes to share (k - 1) mod n.
  const rows = rowsOf<{ assignment_id: string; n: number }>(
    await tx.execute(sql`with ins as (
      insert into task_items (id, project_id, task_id, item_id, copy, position, assignment_id, created_at)
      select gen_random_uuid(), ${task.projectId}::uuid, ${task.id}::uuid, u.id, u.copy, u.seq,
        (${`{${shareIds.join(',')}}`}::uuid[])[1 + ((u.k - 1) % ${shareIds.length}::int)], ${now.toISOString()}::timestamptz
      from (select items.id, items.seq, c.copy, row_number() over (order by items.seq, c.copy) as k
        from ${pickedItems(datasetId, selection)} cross join generate_series(0, ${copies - 1}::int) as c(copy)) as u
      on conflict do nothing
      returning assignment_id)
    select assignment_id, count(*)::int as n from ins group by assignment_id`),
  );
  return new Map(rows.map((r) => [r.assignment_id, Number(r.n)]));
}

/** Whether the task holds any unit at all (one index probe). */
export async function taskHoldsUnits(tx: Tx, taskId: string): Promise<boolean> {
  const [row] = rowsOf<{ held: boolean }>(await tx.execute(sql`select exists (select 1 from task_items x where x.task_id = ${taskId}::uuid) as held`));
  return Boolean(row?.held);
}

/**
 * Whether the units' insert must check "item already in the task" (`insertUnitsSql`'s `probe`):
 * whether the task may hold a unit (gold aside) of one of the dataset's items. Looks at no more
 * than the task's first 1,000 units, each one's item by its key: false when the task has none
 * (every task being created), true when one of them is in the dataset, and true, to be safe,
 * when all 1,000 are of other datasets and there may be more. Never a pass over a large task.
 */
export async function taskMayHoldDatasetUnits(tx: Tx, taskId: string, datasetId: string): Promise<boolean> {
  const [row] = rowsOf<{ seen: number; found: boolean }>(
    await tx.execute(sql`with first_units as (
        select x.item_id from task_items x where x.task_id = ${taskId}::uuid and not x.is_gold limit 1000)
      select (select count(*)::int from first_units) as seen,
        exists (select 1 from first_units f where exists (select 1 from ${itemIdsOfDataset(datasetId)} as d(id) where d.id = f.item_id offset 0)) as found`),
  );
  return row !== undefined && (row.found || row.seen >= 1000);
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
  const probe = await taskMayHoldDatasetUnits(tx, task.id, datasetId);
  const result = await withIndexProbes(tx, () => tx.execute(insertUnitsSql(task, datasetId, selection, copies, now, excludeIds, probe)));
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
