import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { QueryBuilder } from 'drizzle-orm/pg-core';
import type { Db, Tx } from '../db/client.ts';
import { compileItemFilter, type ItemFilter } from './item-filter.ts';
import { datasets, items } from './datasets.table.ts';

/** A scalar subquery: the item's gold answer (null when it has none), for statements built elsewhere. */
export function itemGold(itemId: SQL): SQL {
  return sql`(select gold from ${items} where id = ${itemId})`;
}

/** A condition: the item exists and is not drafted (drafted items stay out of scores and reports). */
export function itemNotDrafted(itemId: SQL): SQL {
  return sql`exists (select 1 from ${items} where ${items.id} = ${itemId} and not ${items.draft})`;
}

/** A condition: the item is drafted. */
export function itemDrafted(itemId: SQL): SQL {
  return sql`exists (select 1 from ${items} where ${items.id} = ${itemId} and ${items.draft})`;
}

/**
 * What other modules may read of items, as a subquery they join: dataset, project, external id,
 * kind, draft flag, import position. Never the payload, metadata, pre-annotations or gold (they
 * can be large; `itemContentOf` reads one item's content).
 */
export const itemFacts = new QueryBuilder()
  .select({ id: items.id, projectId: items.projectId, datasetId: items.datasetId, externalId: items.externalId, kind: items.kind, draft: items.draft, seq: items.seq })
  .from(items)
  .as('item_facts');

/** What other modules may read of datasets, as a subquery they join: project and name. */
export const datasetFacts = new QueryBuilder().select({ id: datasets.id, projectId: datasets.projectId, name: datasets.name }).from(datasets).as('dataset_facts');

/** The ids among `itemIds` that are items of one of the datasets (one indexed read, no payload). */
export async function itemIdsInDatasets(db: Db, datasetIds: string[], itemIds: string[]): Promise<Set<string>> {
  if (!itemIds.length || !datasetIds.length) return new Set();
  const found = await db.select({ id: items.id }).from(items).where(and(inArray(items.datasetId, datasetIds), inArray(items.id, itemIds)));
  return new Set(found.map((f) => f.id));
}

/** The ids among `datasetIds` that are datasets of the project. */
export async function datasetIdsInProject(db: Db, projectId: string, datasetIds: string[]): Promise<Set<string>> {
  if (!datasetIds.length) return new Set();
  const found = await db.select({ id: datasets.id }).from(datasets).where(and(eq(datasets.projectId, projectId), inArray(datasets.id, datasetIds)));
  return new Set(found.map((f) => f.id));
}

/** The draft flag of each of these items that is in the project (items of other projects are left out). */
export async function itemDraftFlags(db: Db, projectId: string, itemIds: string[]): Promise<Array<{ id: string; draft: boolean }>> {
  if (!itemIds.length) return [];
  return db.select({ id: items.id, draft: items.draft }).from(items).where(and(eq(items.projectId, projectId), inArray(items.id, itemIds)));
}

/**
 * Sets these items to draft, in the caller's transaction (the caller writes the audit events).
 * The items service's own undraft checks linked tickets; drafting needs no check.
 */
export async function draftItems(tx: Tx, itemIds: string[], now: Date) {
  if (itemIds.length) await tx.update(items).set({ draft: true, updatedAt: now }).where(inArray(items.id, itemIds));
}

/** Which items of a dataset: given ids, a filter, or all of them (`null`). */
export type ItemPick = { itemIds: string[] } | { filter: ItemFilter } | null;

/**
 * The picked items of a dataset as a FROM item named `items` with the columns `id` and `seq`,
 * for an `INSERT … SELECT` built elsewhere (no item row goes through the server, no payload is
 * read). `excludeIds` are left out. The planner flattens it into the statement.
 */
export function pickedItems(datasetId: string, pick: ItemPick, excludeIds: string[] = []): SQL {
  const parts: SQL[] = [eq(items.datasetId, datasetId)];
  if (pick && 'itemIds' in pick) parts.push(inArray(items.id, pick.itemIds.length ? pick.itemIds : ['00000000-0000-0000-0000-000000000000']));
  if (pick && 'filter' in pick) parts.push(compileItemFilter(pick.filter));
  if (excludeIds.length) parts.push(sql`not (${inArray(items.id, excludeIds)})`);
  return sql`(select ${items.id}, ${items.seq} from ${items} where ${and(...parts)}) as items`;
}

/**
 * An item's kind and content, as a subquery to join for ONE item (shape validation): never in
 * list or count statements, where the payload must not be read.
 */
export const itemContent = new QueryBuilder().select({ id: items.id, kind: items.kind, payload: items.payload }).from(items).as('item_content');

/** The ids of a dataset's items, as a subquery for a statement built elsewhere (`x in ${…}`). */
export function itemIdsOfDataset(datasetId: string): SQL {
  return sql`(select ${items.id} from ${items} where ${items.datasetId} = ${datasetId}::uuid)`;
}
