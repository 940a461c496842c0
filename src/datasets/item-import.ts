import { eq, sql } from 'drizzle-orm';
import type { Caller, Ctx } from '../context.ts';
import { DomainError, notFound } from '../core/errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { datasetFor } from './datasets.service.ts';
import { datasets, type ItemKind } from './datasets.table.ts';
import { readRecords, type ImportBody } from './import-parsers.ts';
import { newItemId, toImportRow, type ImportRow } from './import-row.ts';
import { batchWriter } from './import-writers.ts';

/** Rows per batch, and the byte budget of one batch (large payloads flush sooner). */
export const IMPORT_BATCH_ROWS = 5000;
const IMPORT_BATCH_BYTES = 4 * 1024 ** 2;
/** Bad lines listed in an answer; `failedCount` counts them all. */
export const MAX_REPORTED_FAILURES = 1000;

export interface ImportOptions {
  mode: 'atomic' | 'partial';
  /** Kind for lines that give none. */
  kind?: ItemKind;
  /** Called for every line read (background imports report progress with it). */
  onRecord?: (line: number, bytes: number) => void;
}

export interface ImportResult {
  created: number;
  updated: number;
  failed: Array<{ line: number; error: string }>;
  failedCount: number;
}

/**
 * Imports items into a dataset from a streamed body (JSON array, NDJSON or CSV), upserting by
 * `externalId` (manager+).
 *
 * Guarantees:
 * - Streaming: the body is read record by record and written in batches of `IMPORT_BATCH_ROWS`
 *   (or 4 MB of body); one batch is written while the next is read, and reading waits when a second batch
 *   is full, so memory holds two batches whatever the body's size. PostgreSQL writes with `COPY`,
 *   PGlite with a multi-row upsert (`import-writers.ts`).
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
      let batch: ImportRow[] = [];
      let batchBytes = 0;
      const batchKeys = new Set<string>();
      const writer = batchWriter(tx, { projectId: dataset.projectId, datasetId, now });
      // One batch is written while the next is read and validated: the database and this process
      // work at the same time, and memory holds two batches at most.
      let writing: Promise<void> | null = null;
      let writeError: { error: unknown } | null = null;
      const flush = async () => {
        const rows = batch;
        batch = [];
        batchBytes = 0;
        batchKeys.clear();
        if (!rows.length || (options.mode === 'atomic' && failedCount)) return;
        await writing;
        if (writeError) throw writeError.error;
        writing = writer.write(rows).then(
          (counts) => {
            created += counts.created;
            updated += counts.updated;
          },
          (error: unknown) => {
            writeError = { error };
          },
        );
      };
      try {
        for await (const record of records) {
          options.onRecord?.(record.line, 'bytes' in record ? record.bytes : 0);
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
          const full = row as ImportRow;
          full.id = newItemId();
          full.seq = seq++;
          batch.push(full);
          if (row.external_id !== null) batchKeys.add(row.external_id);
          batchBytes += 'bytes' in record ? record.bytes : 0;
          if (batch.length >= IMPORT_BATCH_ROWS || batchBytes >= IMPORT_BATCH_BYTES) await flush();
        }
        if (options.mode === 'atomic' && failedCount) {
          throw new DomainError('invalid_import', `${failedCount} line(s) are not valid items; nothing was imported`, { failed, failedCount, created: 0, updated: 0 });
        }
        await flush();
      } finally {
        // Never leave the transaction with a write still on its connection.
        // eslint-disable-next-line @typescript-eslint/await-thenable -- set inside flush(), which TypeScript's narrowing does not follow
        await writing;
      }
      if (writeError) throw (writeError as { error: unknown }).error;
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
