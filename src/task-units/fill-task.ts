import { and, eq, sql } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { distributeUnits } from './distribute.ts';
import { ensureAssignments, sharesOf } from './assignment-rows.ts';
import { taskItems } from './task-items.table.ts';
import { moveAssignmentCountersInOrder, moveTaskCounters, type UnitDelta } from './task-counters.ts';
import { insertDistributedUnits, insertUnits, taskHoldsUnits, type ItemSelection } from './item-selection.ts';
import type { TaskRow } from './task-access.ts';

/**
 * Fills a task with units from its dataset and gives them out: distribution splits them among
 * the annotators now; pulling leaves them queued. Qualification tasks give every annotator a
 * copy of every item (everyone labels the same gold items); consensus tasks hold
 * `annotatorsPerItem` copies; honeypot tasks leave their gold items out of the shared units
 * (gold is served per person: mixed into each share by `distributeUnits`, or into pulls).
 * Counters move in the caller's transaction, task row first, then assignment rows in id order
 * (the order of status writes and pulls). Returns the number of units added (gold not counted).
 */
export async function fillTask(tx: Tx, task: TaskRow, selection: ItemSelection, now: Date): Promise<number> {
  if (!task.datasetId) return 0;
  const annotators = await ensureAssignments(tx, task, 'annotator', [], undefined, now);
  const gold = task.honeypot?.goldItemIds ?? [];
  if (task.type === 'qualification') {
    const added = await insertUnits(tx, task, task.datasetId, selection, Math.max(1, annotators.length), now);
    // Copy k belongs to the k-th annotator: everyone labels the same items. The new units are
    // rows of this transaction (or queued ones nobody holds).
    const deltas: Array<[string, UnitDelta]> = [];
    for (const [k, a] of annotators.entries()) {
      const res = await tx
        .update(taskItems)
        .set({ assignmentId: a.id })
        .where(and(eq(taskItems.taskId, task.id), eq(taskItems.copy, k), sql`${taskItems.assignmentId} is null`))
        .returning({ id: taskItems.id });
      deltas.push([a.id, { items: res.length }]);
    }
    await moveTaskCounters(tx, task.id, null, { items: added });
    await moveAssignmentCountersInOrder(tx, deltas);
    return added;
  }
  const copies = task.consensus?.annotatorsPerItem ?? 1;
  const shares = sharesOf(annotators);
  // A new task with equal shares: each unit is inserted in its share (`insertDistributedUnits`).
  if (
    task.allocation.method === 'distribution' &&
    task.type !== 'honeypot' &&
    !gold.length &&
    shares.length >= copies &&
    shares.every((s) => s.weight === null) &&
    !(await taskHoldsUnits(tx, task.id))
  ) {
    const perShare = await insertDistributedUnits(tx, task, task.datasetId, selection, copies, shares.map((s) => s.assignmentId), now);
    const added = [...perShare.values()].reduce((a, b) => a + b, 0);
    await moveTaskCounters(tx, task.id, null, { items: added });
    await moveAssignmentCountersInOrder(tx, [...perShare].map(([id, items]) => [id, { items }] as const));
    return added;
  }
  const added = await insertUnits(tx, task, task.datasetId, selection, copies, now, gold);
  if (task.allocation.method === 'distribution') await distributeUnits(tx, task.id, shares, { onlyUnassigned: true, addedItems: added, now });
  else await moveTaskCounters(tx, task.id, null, { items: added });
  return added;
}
