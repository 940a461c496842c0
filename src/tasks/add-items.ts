import type { Caller, Ctx } from '../context.ts';
import { ruleBroken } from '../core/errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { parseItemFilter } from '../datasets/item-filter.ts';
import { assertWritable, findTask, taskActor } from '../task-units/task-access.ts';
import { assertHasItems, fillTask } from './create-task.ts';
import { assertItemsInDataset, type ItemSelection } from '../task-units/item-selection.ts';

/**
 * Adds items to an existing task (manager or owner): by ids, by filter, or every dataset item
 * not yet in it. They enter the task's allocation (distributed now, or queued for pulling).
 * Items already in the task are skipped. One transaction; answers how many units were added.
 */
export async function addTaskItems(ctx: Ctx, caller: Caller, taskId: string, input: { itemIds?: string[]; filter?: unknown; allRemaining?: boolean }) {
  const task = await findTask(ctx.db, taskId);
  await taskActor(ctx.db, caller, task, 'manager');
  assertHasItems(task);
  const given = [input.itemIds, input.filter, input.allRemaining || undefined].filter((x) => x !== undefined).length;
  if (given !== 1) throw ruleBroken('Give exactly one of itemIds, filter or allRemaining: true');
  const selection: ItemSelection = input.itemIds ? { itemIds: input.itemIds } : input.filter !== undefined ? { filter: parseItemFilter(input.filter) } : null;
  return ctx.db.transaction(async (tx) => {
    assertWritable(task, ctx.clock.now());
    if (input.itemIds) await assertItemsInDataset(tx, task.datasetId!, input.itemIds);
    const added = await fillTask(tx, task, selection, ctx.clock.now());
    await recordAudit(tx, { projectId: task.projectId, actorId: caller.userId, action: 'task.add_items', subjectKind: 'task', subjectId: task.id, after: { added } });
    return { added };
  });
}
