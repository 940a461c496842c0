import { inArray, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { items } from './datasets.table.ts';

/** What a workspace needs to show an item: never its gold answer (`docs/hardening.md`, pull). */
export interface ItemContent {
  externalId: string | null;
  kind: string;
  payload: unknown;
}

/** The contents of these items by id, for other modules (the pull); no permission check. */
export async function itemContents(db: Db, itemIds: string[]): Promise<Map<string, ItemContent>> {
  const out = new Map<string, ItemContent>();
  if (!itemIds.length) return out;
  const rows = await db
    .select({ id: items.id, externalId: items.externalId, kind: items.kind, payload: items.payload })
    .from(items)
    .where(inArray(items.id, [...new Set(itemIds)]));
  for (const r of rows) out.set(r.id, { externalId: r.externalId, kind: r.kind, payload: r.payload });
  return out;
}

/**
 * The same contents of one item as a JSON value (`ItemContent`) inside another module's
 * statement, for the item id `itemId` (an SQL expression of that statement): the pull reads its
 * claimed items' contents in the claim call itself.
 */
export const itemContentJson = (itemId: SQL) =>
  sql`(select json_build_object('externalId', i.external_id, 'kind', i.kind, 'payload', i.payload) from ${items} i where i.id = ${itemId})`;
