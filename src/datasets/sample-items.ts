import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { invalid } from '../core/errors.ts';
import { compileItemFilter, type ItemFilter } from './item-filter.ts';
import { items } from './datasets.table.ts';

const rowsOf = <T>(result: unknown): T[] => ((result as { rows?: T[] }).rows ?? (result as T[])) as T[];

/**
 * The SQL value of an item field named like the filter language does: `externalId`, `kind`, or a
 * JSON path under `metadata.` / `payload.` (as text). 400 for anything else.
 */
export function itemFieldText(field: string): SQL {
  if (field === 'externalId') return sql`${items.externalId}`;
  if (field === 'kind') return sql`${items.kind}`;
  const [root, ...path] = field.split('.');
  if ((root !== 'metadata' && root !== 'payload') || !path.length || path.some((p) => !/^[A-Za-z0-9_-]{1,100}$/.test(p))) {
    throw invalid(`"${field}" is not an item field: use externalId, kind, metadata.<key> or payload.<key>`, { field });
  }
  const column = root === 'metadata' ? items.metadata : items.payload;
  return sql`(${column} #>> ${`{${path.join(',')}}`}::text[])`;
}

export interface SampleRequest {
  datasetId: string;
  filter: ItemFilter | null;
  /** The field that names an item's reviewee, and the reviewees to sample for. */
  revieweeField: string;
  reviewees: string[];
  seed: string;
  /** At most this many items in all. */
  total: number;
  /** At most this many per reviewee (stratified sampling, or a per-reviewee target). */
  perReviewee: number | null;
  excludeItemIds?: string[];
}

/**
 * A deterministic sample of a dataset's non-draft items that match the filter and belong to one
 * of the reviewees: items are ranked by md5(seed ‖ id), so the same seed over the same items
 * gives the same sample. With `perReviewee`, each reviewee's items are ranked separately and at
 * most `perReviewee` of each are taken, round-robin, before `total` cuts the list. One
 * statement; no payload leaves the database.
 */
export async function sampleItems(db: Db, request: SampleRequest): Promise<Array<{ itemId: string; reviewee: string }>> {
  if (!request.reviewees.length || request.total <= 0) return [];
  const reviewee = itemFieldText(request.revieweeField);
  const conditions: SQL[] = [sql`${items.datasetId} = ${request.datasetId}::uuid`, sql`not ${items.draft}`, sql`${reviewee} in (${sql.join(request.reviewees.map((r) => sql`${r}`), sql`, `)})`];
  if (request.filter) conditions.push(compileItemFilter(request.filter));
  if (request.excludeItemIds?.length) conditions.push(sql`not (${items.id} in (${sql.join(request.excludeItemIds.map((id) => sql`${id}::uuid`), sql`, `)}))`);
  const perReviewee = request.perReviewee ?? request.total;
  const result = await db.execute(sql`
    with c as (
      select ${items.id} as id, ${reviewee} as reviewee, md5(${request.seed} || ${items.id}::text) as h
      from ${items} where ${sql.join(conditions, sql` and `)}
    ), r as (
      select id, reviewee, h, row_number() over (partition by ${request.perReviewee === null ? sql`1` : sql`reviewee`} order by h) as rn from c
    )
    select id as "itemId", reviewee from r where rn <= ${perReviewee} order by rn, h limit ${request.total}`);
  return rowsOf<{ itemId: string; reviewee: string }>(result);
}
