import { and, asc, eq, gt, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { datasets, items } from './datasets.table.ts';

/** True when the dataset exists in the project (evaluation tasks target datasets by id). */
export async function datasetInProject(db: Db, projectId: string, datasetId: string): Promise<boolean> {
  const [row] = await db.select({ id: datasets.id }).from(datasets).where(and(eq(datasets.id, datasetId), eq(datasets.projectId, projectId)));
  return !!row;
}

export interface ItemForEvaluation {
  id: string;
  kind: string;
  externalId: string | null;
  payload: Record<string, unknown>;
  metadata: Record<string, unknown>;
  draft: boolean;
}

/** One keyset batch of a dataset's items in id order (after `afterId`), drafts included: evaluators log them as `draft`. */
export async function itemsForEvaluation(db: Db, datasetId: string, afterId: string | null, limit: number): Promise<ItemForEvaluation[]> {
  return db
    .select({ id: items.id, kind: items.kind, externalId: items.externalId, payload: items.payload, metadata: items.metadata, draft: items.draft })
    .from(items)
    .where(afterId ? and(eq(items.datasetId, datasetId), gt(items.id, afterId)) : eq(items.datasetId, datasetId))
    .orderBy(asc(items.id))
    .limit(limit);
}

/** The project and dataset of an item, or null. */
export async function itemRef(db: Db, itemId: string): Promise<{ projectId: string; datasetId: string } | null> {
  const [row] = await db.select({ projectId: items.projectId, datasetId: items.datasetId }).from(items).where(eq(items.id, itemId));
  return row ?? null;
}

/**
 * The ids of a dataset's drafted items, as a subquery (`item_id not in (…)`): drafts leave
 * success rates until they are undrafted, whenever they were drafted.
 */
export function draftedItemIds(datasetId: string): SQL {
  return sql`select ${items.id} from ${items} where ${items.datasetId} = ${datasetId}::uuid and ${items.draft}`;
}
