import { and, asc, eq, gt } from 'drizzle-orm';
import type { Caller, Ctx } from '../context.ts';
import type { Db } from '../db/client.ts';
import { DomainError, notFound } from '../core/errors.ts';
import { isId, newId } from '../core/ids.ts';
import { decodeCursor, toPage, type PageQuery } from '../core/pagination.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { requireRole } from '../projects/permissions.ts';
import { datasets } from './datasets.table.ts';

type DatasetRow = typeof datasets.$inferSelect;
const view = (d: DatasetRow) => ({ id: d.id, projectId: d.projectId, name: d.name, itemCount: d.itemCount, createdAt: d.createdAt, updatedAt: d.updatedAt });

/** The dataset with this id, or null. For other modules; no permission check. */
export async function getDataset(db: Db, datasetId: string): Promise<DatasetRow | null> {
  if (!isId(datasetId)) return null;
  const [row] = await db.select().from(datasets).where(eq(datasets.id, datasetId));
  return row ?? null;
}

/** Loads a dataset and checks the caller's role in its project (404 when not a member). */
export async function datasetFor(ctx: Ctx, caller: Caller, datasetId: string, minRole: 'viewer' | 'manager') {
  const dataset = await getDataset(ctx.db, datasetId);
  if (!dataset) throw notFound('Dataset');
  await requireRole(ctx.db, caller, dataset.projectId, minRole, 'Dataset');
  return dataset;
}

/** Creates an empty dataset (manager+), with its audit event in the same transaction. */
export async function createDataset(ctx: Ctx, caller: Caller, projectId: string, input: { name: string }) {
  await requireRole(ctx.db, caller, projectId, 'manager', 'Project');
  return ctx.db.transaction(async (tx) => {
    const now = ctx.clock.now();
    const [row] = await tx.insert(datasets).values({ id: newId(), projectId, name: input.name, createdAt: now, updatedAt: now }).returning();
    await recordAudit(tx, { projectId, actorId: caller.userId, action: 'dataset.create', subjectKind: 'dataset', subjectId: row!.id, after: { name: row!.name } });
    return view(row!);
  });
}

/** A project's datasets, keyset by id; `itemCount` is the maintained counter. */
export async function listDatasets(ctx: Ctx, caller: Caller, projectId: string, page: PageQuery) {
  await requireRole(ctx.db, caller, projectId, 'viewer', 'Project');
  const after = page.cursor ? String(decodeCursor(page.cursor, 1)[0]) : null;
  const rows = await ctx.db
    .select()
    .from(datasets)
    .where(and(eq(datasets.projectId, projectId), after && isId(after) ? gt(datasets.id, after) : undefined))
    .orderBy(asc(datasets.id))
    .limit(page.limit + 1);
  const result = toPage(rows, page.limit, (r) => [r.id]);
  return { data: result.data.map(view), nextCursor: result.nextCursor };
}

export async function readDataset(ctx: Ctx, caller: Caller, datasetId: string) {
  return view(await datasetFor(ctx, caller, datasetId, 'viewer'));
}

/** Renames a dataset (manager+). */
export async function updateDataset(ctx: Ctx, caller: Caller, datasetId: string, patch: { name: string }) {
  await datasetFor(ctx, caller, datasetId, 'manager');
  return ctx.db.transaction(async (tx) => {
    const [before] = await tx.select().from(datasets).where(eq(datasets.id, datasetId)).for('update');
    if (!before) throw notFound('Dataset');
    if (before.name === patch.name) return view(before);
    const [row] = await tx.update(datasets).set({ name: patch.name, updatedAt: ctx.clock.now() }).where(eq(datasets.id, datasetId)).returning();
    await recordAudit(tx, { projectId: before.projectId, actorId: caller.userId, action: 'dataset.update', subjectKind: 'dataset', subjectId: datasetId, before: { name: before.name }, after: { name: patch.name } });
    return view(row!);
  });
}

/**
 * Deletes a dataset and its items (manager+), unless a task over it has history (409
 * `dataset_in_use`: analytics keep pointing at those items). The dataset row is locked first, so
 * an import running into it finishes before, or starts after, the delete.
 */
export async function deleteDataset(ctx: Ctx, caller: Caller, datasetId: string) {
  await datasetFor(ctx, caller, datasetId, 'manager');
  await ctx.db.transaction(async (tx) => {
    const [before] = await tx.select().from(datasets).where(eq(datasets.id, datasetId)).for('update');
    if (!before) throw notFound('Dataset');
    if (await ctx.datasetUse.datasetHasTaskHistory(tx, datasetId)) {
      throw new DomainError('dataset_in_use', 'A task over this dataset has annotations or statuses: archive the task instead, the dataset stays');
    }
    await tx.delete(datasets).where(eq(datasets.id, datasetId));
    await recordAudit(tx, { projectId: before.projectId, actorId: caller.userId, action: 'dataset.delete', subjectKind: 'dataset', subjectId: datasetId, before: { name: before.name, itemCount: before.itemCount } });
  });
}
