import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Caller, Ctx } from '../context.ts';
import { DomainError, notFound } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { defineJob } from '../jobs/jobs.ts';
import { datasetFor } from './datasets.service.ts';
import type { ItemKind } from './datasets.table.ts';
import { ImportBody, type ImportFormat } from './import-parsers.ts';
import { openStaged, Slots, type StagedUpload } from './import-staging.ts';
import { importItems, type ImportResult } from './item-import.ts';
import { itemImports, type ImportStatus } from './imports.table.ts';

/**
 * Large item imports as background jobs (see `docs/imports.md`). The upload was staged to a
 * file first; the request records an `item_imports` row and enqueues the job in one
 * transaction and answers 202 at once. The job imports the file with the same rules and the
 * same single transaction as a small import, and records the outcome on the row.
 */

/** Progress of imports running in this process (the row carries it once they finish). */
const progress = new Map<string, { lines: number; bytes: number }>();

/** Imports writing to the database at once in this process: small ones in requests and jobs alike. */
let slots = new Slots(4);
export function setImportDatabaseSlots(n: number) {
  slots = new Slots(n);
}
export const withImportSlot = <T>(fn: () => Promise<T>) => slots.run(fn);

export const importItemsJob = defineJob({
  name: 'datasets.import-items',
  schema: z.object({ importId: z.string() }),
  retryLimit: 2,
  handler: async (ctx, data) => runImport(ctx, data.importId),
});

export interface ImportJobStart {
  importId: string;
  jobId: string | null;
  status: ImportStatus;
}

/**
 * Records a background import of a staged body and enqueues its job, in one transaction
 * (manager+ on the dataset). The staged file belongs to the job from here on.
 */
export async function startImportJob(
  ctx: Ctx,
  caller: Caller,
  datasetId: string,
  staged: StagedUpload,
  format: ImportFormat,
  options: { mode: 'atomic' | 'partial'; kind?: ItemKind },
): Promise<ImportJobStart> {
  const dataset = await datasetFor(ctx, caller, datasetId, 'manager');
  const id = newId();
  const jobId = await ctx.db.transaction(async (tx) => {
    await tx.insert(itemImports).values({
      id,
      projectId: dataset.projectId,
      datasetId,
      userId: caller.userId,
      callerIsAdmin: caller.isAdmin,
      status: 'queued',
      format,
      mode: options.mode,
      kind: options.kind ?? null,
      stagingPath: staged.path,
      bytes: staged.bytes,
      createdAt: ctx.clock.now(),
    });
    return ctx.jobs.enqueue(tx, importItemsJob, { importId: id });
  });
  return { importId: id, jobId, status: 'queued' };
}

async function runImport(ctx: Ctx, importId: string) {
  const [row] = await ctx.db.select().from(itemImports).where(eq(itemImports.id, importId));
  if (!row || row.status === 'completed' || row.status === 'failed') return;
  await ctx.db.update(itemImports).set({ status: 'running' }).where(eq(itemImports.id, importId));
  const staged = openStaged(row.stagingPath);
  const seen = { lines: 0, bytes: 0 };
  progress.set(importId, seen);
  let outcome: Partial<typeof itemImports.$inferInsert>;
  try {
    const body = new ImportBody(staged.open(), row.format as ImportFormat, row.bytes);
    const result: ImportResult = await withImportSlot(() =>
      importItems(ctx, { userId: row.userId, isAdmin: row.callerIsAdmin }, row.datasetId, body, {
        mode: row.mode,
        ...(row.kind ? { kind: row.kind as ItemKind } : {}),
        onRecord: (line, bytes) => {
          seen.lines = line;
          seen.bytes += bytes;
        },
      }),
    );
    outcome = { status: 'completed', ...result };
  } catch (error) {
    if (!(error instanceof DomainError)) {
      // A crash of ours (or the database): pg-boss retries the job; the staged file stays.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') {
        progress.delete(importId);
        throw error;
      }
      outcome = { status: 'failed', error: { code: 'internal_error', detail: 'The staged upload is gone (another host, or cleaned up)' } };
    } else {
      const details = (error.details ?? {}) as { failed?: ImportResult['failed']; failedCount?: number };
      outcome = { status: 'failed', error: { code: error.code, detail: error.message }, failed: details.failed ?? [], failedCount: details.failedCount ?? 0 };
    }
  }
  await ctx.db
    .update(itemImports)
    .set({ ...outcome, lines: seen.lines, bytesRead: seen.bytes, finishedAt: ctx.clock.now() })
    .where(eq(itemImports.id, importId));
  progress.delete(importId);
  await staged.discard();
}

export interface ImportView {
  id: string;
  datasetId: string;
  status: ImportStatus;
  progress: { lines: number; bytes: number; totalBytes: number };
  created: number;
  updated: number;
  failed: Array<{ line: number; error: string }>;
  failedCount: number;
  error: { code: string; detail: string } | null;
  createdAt: string;
  finishedAt: string | null;
}

/** A background import's state and progress (manager+ of its project; the route checks the role). */
export async function readImport(ctx: Ctx, importId: string): Promise<ImportView> {
  const [row] = await ctx.db.select().from(itemImports).where(eq(itemImports.id, importId));
  if (!row) throw notFound('Import');
  const live = progress.get(importId);
  return {
    id: row.id,
    datasetId: row.datasetId,
    status: row.status,
    progress: { lines: live?.lines ?? row.lines, bytes: live?.bytes ?? row.bytesRead, totalBytes: row.bytes },
    created: row.created,
    updated: row.updated,
    failed: row.failed,
    failedCount: row.failedCount,
    error: row.error ?? null,
    createdAt: row.createdAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
  };
}
