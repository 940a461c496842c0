import { and, asc, eq, sql } from 'drizzle-orm';
import type { Caller, Ctx } from '../context.ts';
import type { Db, Tx } from '../db/client.ts';
import { DomainError, notFound, ruleBroken } from '../core/errors.ts';
import { isId } from '../core/ids.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { datasetFacts, datasetIdsInProject, itemFacts, itemIdsInDatasets, itemIdsOfDataset } from '../datasets/item-reads.ts';
import { answerFacts } from '../annotations/answer-reads.ts';
import { unitFacts } from '../task-units/unit-reads.ts';
import { lockTaskRow as lockTaskRowIfAny, moveDatasetCount, updateTaskRow } from '../task-units/task-rows.ts';
import { removeUnits } from '../task-units/task-units.ts';
import { taskDatasets } from './task-datasets.table.ts';
import { assertWritable, findTask, taskActor, type TaskRow } from '../task-units/task-access.ts';
import { fillTask } from '../task-units/fill-task.ts';
import { rowsOf, type ItemSelection } from '../task-units/item-selection.ts';

/** The dataset ids of a task, oldest association first. */
export async function taskDatasetIds(db: Db, taskId: string): Promise<string[]> {
  const rows = await db.select({ id: taskDatasets.datasetId }).from(taskDatasets).where(eq(taskDatasets.taskId, taskId)).orderBy(asc(taskDatasets.addedAt), asc(taskDatasets.datasetId));
  return rows.map((r) => r.id);
}

/** Refuses (422) dataset ids that are not datasets of the project. */
export async function assertDatasetsInProject(db: Db, projectId: string, datasetIds: string[]) {
  const unique = [...new Set(datasetIds)];
  const known = await datasetIdsInProject(db, projectId, unique);
  if (known.size !== unique.length) {
    throw ruleBroken('Some datasets are not in this project', { unknownDatasetIds: unique.filter((id) => !known.has(id)) });
  }
}

/** Refuses ids that are not items of one of the datasets (422), so a typo never silently shrinks a task. */
export async function assertItemsInDatasets(db: Db, datasetIds: string[], itemIds: string[]) {
  if (!itemIds.length) return;
  const known = await itemIdsInDatasets(db, datasetIds, itemIds);
  if (known.size !== new Set(itemIds).size) {
    throw ruleBroken('Some items are not in the task’s datasets', { unknownItemIds: itemIds.filter((id) => !known.has(id)).slice(0, 100) });
  }
}

/**
 * Records the task's datasets and fills it from every one but its first (`tasks.dataset_id`,
 * which `fillTask` already filled): the same selection and allocation as the first. In the
 * caller's transaction; answers the units added.
 */
export async function attachDatasets(tx: Tx, task: TaskRow, datasetIds: string[], selection: ItemSelection, now: Date): Promise<number> {
  const unique = [...new Set(datasetIds)];
  if (!unique.length) return 0;
  await tx.insert(taskDatasets).values(unique.map((datasetId) => ({ taskId: task.id, datasetId, projectId: task.projectId, addedAt: now }))).onConflictDoNothing();
  await updateTaskRow(tx, task.id, { datasetCount: sql`(select count(*)::int from ${taskDatasets} where ${taskDatasets.taskId} = ${task.id}::uuid)` });
  return fillFromOthers(tx, task, unique, selection, now);
}

/** Fills the task from its datasets other than `tasks.dataset_id` (for "add items" across all of them). */
export async function fillFromOthers(tx: Tx, task: TaskRow, datasetIds: string[], selection: ItemSelection, now: Date): Promise<number> {
  let added = 0;
  for (const datasetId of datasetIds) {
    if (datasetId === task.datasetId) continue;
    // fillTask reads the dataset from the row it is given; every other rule (copies, gold, allocation) is the task's.
    added += await fillTask(tx, { ...task, datasetId }, selection, now);
  }
  return added;
}

export interface TaskDatasetProgress {
  datasetId: string;
  name: string;
  items: number;
  annotated: number;
  done: number;
  percent: number;
}

/**
 * Progress per dataset of a task (`GET /tasks/{taskId}/datasets`): units from the dataset
 * (consensus copies count one each, honeypot gold not at all), units with a valid (not
 * invalidated) annotation, units done, and done as a percent. Computed on read from the task's
 * units joined to their items' `dataset_id` and to `annotations` by its unique `task_item_id`
 * index: one aggregate, no payload or shapes read.
 */
export async function listTaskDatasets(ctx: Ctx, caller: Caller, taskId: string): Promise<{ data: TaskDatasetProgress[] }> {
  const task = await findTask(ctx.db, taskId);
  await taskActor(ctx.db, caller, task, 'viewer');
  const result = await ctx.db.execute(sql`
    with per as (
      select item_facts.dataset_id, count(*)::int as items,
        count(answer_facts.id) filter (where answer_facts.invalid_at is null)::int as annotated,
        count(*) filter (where unit_facts.done)::int as done
      from ${unitFacts}
      join ${itemFacts} on item_facts.id = unit_facts.item_id
      left join ${answerFacts} on answer_facts.task_item_id = unit_facts.id
      where unit_facts.task_id = ${task.id}::uuid and not unit_facts.is_gold
      group by item_facts.dataset_id)
    select td.dataset_id as "datasetId", dataset_facts.name, coalesce(per.items, 0)::int as items,
      coalesce(per.annotated, 0)::int as annotated, coalesce(per.done, 0)::int as done
    from task_datasets td
    join ${datasetFacts} on dataset_facts.id = td.dataset_id
    left join per on per.dataset_id = td.dataset_id
    where td.task_id = ${task.id}::uuid
    order by td.added_at, td.dataset_id`);
  const rows = rowsOf<{ datasetId: string; name: string; items: number; annotated: number; done: number }>(result);
  return {
    data: rows.map((r) => {
      const n = Number(r.items);
      const done = Number(r.done);
      return { datasetId: r.datasetId, name: r.name, items: n, annotated: Number(r.annotated), done, percent: n ? Math.round((done / n) * 10_000) / 100 : 0 };
    }),
  };
}

async function lockTaskRow(tx: Tx, taskId: string): Promise<TaskRow> {
  const row = await lockTaskRowIfAny(tx, taskId);
  if (!row) throw notFound('Task');
  return row;
}

/**
 * Adds a dataset to a task (manager or owner): every item of it enters the task's allocation as
 * "add items" does (distributed now, or queued for pulling). Adding a dataset the task already
 * has adds nothing and answers `added: 0`. One transaction with the audit event; the task row is
 * locked so two concurrent adds cannot both count the dataset.
 */
export async function addTaskDataset(ctx: Ctx, caller: Caller, taskId: string, datasetId: string) {
  const task = await findTask(ctx.db, taskId);
  await taskActor(ctx.db, caller, task, 'manager');
  if (task.type === 'ticket' || task.type === 'review') throw ruleBroken(`A ${task.type} task takes no datasets`);
  if (!isId(datasetId)) throw ruleBroken('datasetId is not a dataset of this project', { datasetId });
  return ctx.db.transaction(async (tx) => {
    const now = ctx.clock.now();
    const locked = await lockTaskRow(tx, task.id);
    assertWritable(locked, now);
    await assertDatasetsInProject(tx, task.projectId, [datasetId]);
    const inserted = await tx.insert(taskDatasets).values({ taskId: task.id, datasetId, projectId: task.projectId, addedAt: now }).onConflictDoNothing().returning();
    if (!inserted.length) return { datasetId, added: 0 };
    const first = locked.datasetId ?? datasetId;
    await moveDatasetCount(tx, task.id, 1, first, now);
    const added = await fillTask(tx, { ...locked, datasetId }, null, now);
    await recordAudit(tx, { projectId: task.projectId, actorId: caller.userId, action: 'task.add_dataset', subjectKind: 'task', subjectId: task.id, after: { datasetId, added } });
    return { datasetId, added };
  });
}

/**
 * Removes a dataset from a task (manager or owner). Work is never dropped: when any of the
 * dataset's units in the task has a status or an annotation, the removal is refused with 409
 * `dataset_has_work` (docs/robotics.md). Otherwise its units leave the task and the counters of
 * the task and of each assignment move in the same transaction. A task keeps at least one
 * dataset (422). The dataset and its items are never touched.
 */
export async function removeTaskDataset(ctx: Ctx, caller: Caller, taskId: string, datasetId: string) {
  const task = await findTask(ctx.db, taskId);
  await taskActor(ctx.db, caller, task, 'manager');
  if (!isId(datasetId)) throw notFound('Task dataset');
  return ctx.db.transaction(async (tx) => {
    const now = ctx.clock.now();
    const locked = await lockTaskRow(tx, task.id);
    assertWritable(locked, now);
    const ids = await taskDatasetIds(tx, task.id);
    if (!ids.includes(datasetId)) throw notFound('Task dataset');
    if (ids.length === 1) throw ruleBroken('A task keeps at least one dataset: delete the task instead');
    const [work] = rowsOf<{ withStatus: number; annotated: number }>(
      await tx.execute(sql`
        select count(*) filter (where unit_facts.status is not null)::int as "withStatus", count(answer_facts.id)::int as annotated
        from ${unitFacts} join ${itemFacts} on item_facts.id = unit_facts.item_id left join ${answerFacts} on answer_facts.task_item_id = unit_facts.id
        where unit_facts.task_id = ${task.id}::uuid and item_facts.dataset_id = ${datasetId}::uuid`),
    );
    if (Number(work?.withStatus ?? 0) > 0 || Number(work?.annotated ?? 0) > 0) {
      throw new DomainError('dataset_has_work', 'Items of this dataset have annotations or statuses in the task: it cannot be removed', {
        datasetId,
        withStatus: Number(work?.withStatus ?? 0),
        annotated: Number(work?.annotated ?? 0),
      });
    }
    const removed = await removeUnits(tx, task.id, itemIdsOfDataset(datasetId));
    const remaining = ids.filter((id) => id !== datasetId);
    await tx.delete(taskDatasets).where(and(eq(taskDatasets.taskId, task.id), eq(taskDatasets.datasetId, datasetId)));
    await moveDatasetCount(tx, task.id, -1, locked.datasetId === datasetId ? remaining[0]! : locked.datasetId, now);
    await recordAudit(tx, { projectId: task.projectId, actorId: caller.userId, action: 'task.remove_dataset', subjectKind: 'task', subjectId: task.id, before: { datasetId }, after: { removedUnits: removed } });
    return { datasetId, removed };
  });
}
