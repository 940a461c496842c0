import { containsNul } from '../core/text.ts';
import { eq, sql } from 'drizzle-orm';
import type { Caller, Ctx } from '../context.ts';
import type { Tx } from '../db/client.ts';
import { DomainError, notFound } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { datasetFor } from './datasets.service.ts';
import { datasets, type ItemKind } from './datasets.table.ts';
import { importLine, payloadSchemas } from './items.schema.ts';
import { readRecords, type ImportBody } from './import-parsers.ts';

/** Rows per insert statement, and the byte budget of one batch (large payloads flush sooner). */
export const IMPORT_BATCH_ROWS = 1000;
const IMPORT_BATCH_BYTES = 8 * 1024 ** 2;
/** Bad lines listed in an answer; `failedCount` counts them all. */
export const MAX_REPORTED_FAILURES = 1000;

export interface ImportOptions {
  mode: 'atomic' | 'partial';
  /** Kind for lines that give none. */
  kind?: ItemKind;
}

export interface ImportResult {
  created: number;
  updated: number;
  failed: Array<{ line: number; error: string }>;
  failedCount: number;
}

interface Row {
  id: string;
  external_id: string | null;
  kind: ItemKind;
  payload: Record<string, unknown>;
  metadata: Record<string, unknown>;
  draft: boolean;
  annotations: unknown[] | null;
  gold: unknown[] | null;
  seq: number;
}

const firstIssue = (error: { issues: Array<{ path: PropertyKey[]; message: string }> }, prefix: string) => {
  const issue = error.issues[0]!;
  const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
  return `${path ? `${path}: ` : ''}${issue.message}`;
};

/** Validates one line into a row (without id and seq), or returns why it is bad. */
export function toImportRow(value: unknown, defaultKind: ItemKind): Omit<Row, 'id' | 'seq'> | string {
  if (containsNul(value)) return 'contains a NUL character (\\u0000), which PostgreSQL text cannot hold';
  const line = importLine.safeParse(value);
  if (!line.success) return firstIssue(line.error, '');
  const kind = line.data.kind ?? defaultKind;
  const payload = payloadSchemas[kind].safeParse(line.data.payload);
  if (!payload.success) return `${kind} ${firstIssue(payload.error, 'payload')}`;
  return {
    external_id: line.data.externalId ?? null,
    kind,
    payload: payload.data,
    metadata: line.data.metadata ?? {},
    draft: line.data.draft ?? false,
    annotations: line.data.annotations ?? null,
    gold: line.data.gold ?? null,
  };
}

/**
 * One multi-row upsert of a batch. The rows travel as one JSON parameter expanded by
 * `jsonb_to_recordset` (one round trip, every value bound). On an existing `externalId` the item's
 * kind and payload are replaced, its metadata merged, pre-annotations and gold replaced when the
 * line carries them; `draft` and `seq` are kept (undrafting stays with PATCH and its gate).
 * `xmax = 0` tells a fresh insert from an update.
 */
async function upsertBatch(tx: Tx, projectId: string, datasetId: string, rows: Row[], now: Date) {
  const result = await tx.execute<{ created: number; updated: number }>(sql`
    with input as (
      select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(
        id uuid, external_id text, kind text, payload jsonb, metadata jsonb, draft boolean, annotations jsonb, gold jsonb, seq bigint)
    ), up as (
      insert into items (id, project_id, dataset_id, external_id, kind, payload, metadata, draft, annotations, gold, seq, created_at, updated_at)
      select id, ${projectId}::uuid, ${datasetId}::uuid, external_id, kind, payload, metadata, draft, annotations, gold, seq, ${now.toISOString()}::timestamptz, ${now.toISOString()}::timestamptz
      from input
      on conflict (dataset_id, external_id) where external_id is not null do update set
        kind = excluded.kind,
        payload = excluded.payload,
        metadata = items.metadata || excluded.metadata,
        annotations = coalesce(excluded.annotations, items.annotations),
        gold = coalesce(excluded.gold, items.gold),
        updated_at = excluded.updated_at
      returning (xmax = 0) as inserted
    )
    select (count(*) filter (where inserted))::int as created, (count(*) filter (where not inserted))::int as updated from up`);
  const row = (result as unknown as { rows: Array<{ created: number; updated: number }> }).rows[0]!;
  return { created: Number(row.created), updated: Number(row.updated) };
}

/**
 * Imports items into a dataset from a streamed body (JSON array, NDJSON or CSV), upserting by
 * `externalId` (manager+).
 *
 * Guarantees:
 * - Streaming: the body is read record by record and written in batches of `IMPORT_BATCH_ROWS`
 *   (or 8 MB), the next batch read only once the previous one is written, so memory stays flat
 *   whatever the body's size.
 * - One transaction: `atomic` (default) writes nothing when any line is bad (400 `invalid_import`
 *   with `failed: [{line, error}]`, the first `MAX_REPORTED_FAILURES` listed, `failedCount` all);
 *   `partial` writes the good lines and reports the bad. A body that breaks off (client gone,
 *   broken JSON array) writes nothing in either mode.
 * - The dataset row is locked for the import: `item_count` and `next_seq` move in the same
 *   transaction, concurrent imports into one dataset run one after the other, and one audit event
 *   (`dataset.import`) records the import.
 * - Within one body, a repeated `externalId` updates the item its first line created.
 *
 * On PGlite the transaction holds the single session for the whole upload: other requests wait.
 */
export async function importItems(ctx: Ctx, caller: Caller, datasetId: string, body: ImportBody, options: ImportOptions): Promise<ImportResult> {
  await datasetFor(ctx, caller, datasetId, 'manager');
  const defaultKind: ItemKind = options.kind ?? 'record';
  const csvDefaultKind: ItemKind = options.kind ?? 'text';
  const failed: ImportResult['failed'] = [];
  let failedCount = 0;
  const records = readRecords(body);
  try {
    return await ctx.db.transaction(async (tx) => {
      const [dataset] = await tx.select().from(datasets).where(eq(datasets.id, datasetId)).for('update');
      if (!dataset) throw notFound('Dataset');
      const now = ctx.clock.now();
      let seq = dataset.nextSeq;
      let created = 0;
      let updated = 0;
      let batch: Row[] = [];
      let batchBytes = 0;
      const batchKeys = new Set<string>();
      const flush = async () => {
        if (batch.length && !(options.mode === 'atomic' && failedCount)) {
          const counts = await upsertBatch(tx, dataset.projectId, datasetId, batch, now);
          created += counts.created;
          updated += counts.updated;
        }
        batch = [];
        batchBytes = 0;
        batchKeys.clear();
      };
      for await (const record of records) {
        const row = 'error' in record ? record.error : toImportRow(record.value, body.format === 'csv' && !hasPayloadBeyondText(record.value) ? csvDefaultKind : defaultKind);
        if (typeof row === 'string') {
          failedCount++;
          if (failed.length < MAX_REPORTED_FAILURES) failed.push({ line: record.line, error: row });
          // An atomic import is lost already: stop reading once the report is full.
          if (options.mode === 'atomic' && failed.length >= MAX_REPORTED_FAILURES) break;
          continue;
        }
        if (options.mode === 'atomic' && failedCount) continue; // keep validating, stop writing
        // A repeated externalId must not meet itself in one statement (ON CONFLICT cannot touch a row twice).
        if (row.external_id !== null && batchKeys.has(row.external_id)) await flush();
        const full: Row = { ...row, id: newId(), seq: seq++ };
        batch.push(full);
        if (row.external_id !== null) batchKeys.add(row.external_id);
        batchBytes += 'bytes' in record ? record.bytes : 0;
        if (batch.length >= IMPORT_BATCH_ROWS || batchBytes >= IMPORT_BATCH_BYTES) await flush();
      }
      if (options.mode === 'atomic' && failedCount) {
        throw new DomainError('invalid_import', `${failedCount} line(s) are not valid items; nothing was imported`, { failed, failedCount, created: 0, updated: 0 });
      }
      await flush();
      await tx
        .update(datasets)
        .set({ itemCount: sql`${datasets.itemCount} + ${created}`, nextSeq: seq, ...(created || updated ? { updatedAt: now } : {}) })
        .where(eq(datasets.id, datasetId));
      await recordAudit(tx, {
        projectId: dataset.projectId,
        actorId: caller.userId,
        action: 'dataset.import',
        subjectKind: 'dataset',
        subjectId: datasetId,
        after: { format: body.format, mode: options.mode, created, updated, failedCount },
      });
      return { created, updated, failed, failedCount };
    });
  } finally {
    // Stop reading the body when we leave early (error, refusal); the socket's data is dropped.
    await records.return(undefined);
  }
}

/** A CSV with payload columns other than `text` is not a text import by default. */
function hasPayloadBeyondText(value: unknown): boolean {
  const payload = (value as { payload?: Record<string, unknown> }).payload ?? {};
  return Object.keys(payload).some((k) => k !== 'text');
}
