import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { validAnnotation } from './invalidate.ts';

/**
 * The exported view of task items (docs/exports.md): one row per worked task item (it has an
 * annotation or a status; honeypot gold copies and units whose annotation is marked invalid are
 * left out) with its item and annotation.
 * Read in keyset batches by task item id, so an export of any size holds one batch in memory.
 * JSON columns come back as text, ready to be written without a parse/serialize round trip.
 */
export interface ExportRow {
  taskItemId: string;
  itemId: string;
  externalId: string | null;
  taskId: string;
  datasetId: string;
  kind: string;
  status: string | null;
  done: boolean;
  annotatorId: string | null;
  /** Milliseconds since the epoch: the later of the annotation's save and the unit's status. */
  updatedMs: number;
  /** The annotation's shapes as JSON text (`[]` when the unit has a status but no annotation). */
  shapesJson: string;
  /** The item's payload as JSON text. */
  payloadJson: string;
  /** md5 of what an export shows of the unit (status, annotator, shapes, item version), when asked for. */
  digest?: string;
}

export interface ExportQuery {
  projectId: string;
  taskIds: string[];
  datasetIds?: string[];
  /** Only units changed after this instant (since-last exports). */
  since?: Date | null;
  from?: Date | null;
  to?: Date | null;
  onlyDone?: boolean;
  onlyAnnotated?: boolean;
}

const rowsOf = <T>(result: unknown): T[] => ((result as { rows?: unknown[] }).rows ?? (result as unknown[])) as T[];

const updatedSql = sql`greatest(a.updated_at, ti.finished_at, ti.created_at)`;

function conditions(q: ExportQuery): SQL[] {
  const taskIds = `{${q.taskIds.join(',')}}`;
  const where: SQL[] = [sql`ti.project_id = ${q.projectId}::uuid`, sql`ti.task_id = any(${taskIds}::uuid[])`, sql`not ti.is_gold`];
  where.push(q.onlyAnnotated ? sql`a.id is not null` : sql`(a.id is not null or ti.status is not null)`);
  // A unit whose current annotation is marked invalid is left out whole (docs/exports.md).
  where.push(sql`(a.id is null or ${validAnnotation('a')})`);
  if (q.onlyDone) where.push(sql`ti.done`);
  if (q.datasetIds?.length) where.push(sql`i.dataset_id = any(${`{${q.datasetIds.join(',')}}`}::uuid[])`);
  if (q.since) where.push(sql`${updatedSql} > ${q.since.toISOString()}::timestamptz`);
  if (q.from) where.push(sql`${updatedSql} >= ${q.from.toISOString()}::timestamptz`);
  if (q.to) where.push(sql`${updatedSql} < ${q.to.toISOString()}::timestamptz`);
  return where;
}

/** How many rows `readExportBatch` will return in all (reads no payload). */
export async function countExportRows(db: Db, q: ExportQuery): Promise<number> {
  const [row] = rowsOf<{ n: number }>(
    await db.execute(sql`select count(*)::int as n from task_items ti
      left join annotations a on a.task_item_id = ti.id
      ${q.datasetIds?.length ? sql`join items i on i.id = ti.item_id` : sql``}
      where ${sql.join(conditions(q), sql` and `)}`),
  );
  return Number(row?.n ?? 0);
}

/** The next `limit` rows after task item `after` (null: from the start), in task item id order. */
export async function readExportBatch(db: Db, q: ExportQuery, after: string | null, limit: number, withDigest = false): Promise<ExportRow[]> {
  return rowsOf<ExportRow>(await db.execute(exportBatchSql(q, after, limit, withDigest))).map((r) => ({ ...r, updatedMs: Number(r.updatedMs) }));
}

/**
 * The statement behind `readExportBatch`: its columns are the fields of `ExportRow` (JSON as text,
 * `updatedMs` as float8); `limit` null reads to the end. Exports wrap it to build each record's
 * text in SQL.
 */
export function exportBatchSql(q: ExportQuery, after: string | null, limit: number | null, withDigest = false): SQL {
  const where = conditions(q);
  if (after) where.push(sql`ti.id > ${after}::uuid`);
  // The same bound on the annotation side: without it PostgreSQL merge-joins the annotations
  // index from its first row on every batch, and an export's cost grows with the square of its size.
  const annotationAfter = after ? sql` and a.task_item_id > ${after}::uuid` : sql``;
  return sql`
    select ti.id::text as "taskItemId", ti.item_id::text as "itemId", i.external_id as "externalId", ti.task_id::text as "taskId",
      i.dataset_id::text as "datasetId", i.kind, ti.status, ti.done, coalesce(a.author_id, ti.worker_id)::text as "annotatorId",
      (extract(epoch from ${updatedSql}) * 1000)::float8 as "updatedMs",
      coalesce(a.shapes::text, '[]') as "shapesJson", i.payload::text as "payloadJson"
      ${withDigest ? sql`, md5(concat_ws('|', ti.status, coalesce(a.author_id, ti.worker_id)::text, a.shapes::text, i.updated_at::text)) as digest` : sql``}
    from task_items ti
    join items i on i.id = ti.item_id
    left join annotations a on a.task_item_id = ti.id${annotationAfter}
    where ${sql.join(where, sql` and `)}
    order by ti.id${limit === null ? sql`` : sql`
    limit ${limit}`}`;
}
