import { createHash } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { and, desc, eq, ne, sql } from 'drizzle-orm';
import type { Ctx } from '../context.ts';
import { appendJobLog } from '../jobs/job-logs.ts';
import { countExportRows, exportBatchSql, readExportBatch, type ExportQuery } from '../annotations/annotations-for-export.ts';
import { recordLineSql } from './export-lines.ts';
import { copyLines, newlines, pgPoolOf } from './export-copy.ts';
import { tasksForExport } from '../task-units/tasks-for-export.ts';
import { getRecipe } from '../recipes/recipes.service.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { recordEvent } from '../outbox/outbox.service.ts';
import { exportItemDigests, exports, type ExportFormat, type ExportManifest } from './exports.table.ts';
import { exportDir, extensionOf } from './export-files.ts';
import { sha256File, type FormatContext, type FormatWriter, type LineChunk } from './formats/format.ts';
import { writeJson, writeJsonl } from './formats/json.ts';
import { writeCsv } from './formats/csv.ts';
import { writeCoco } from './formats/coco.ts';
import { writeHdf5 } from './formats/hdf5.ts';
import { writeParquet } from './formats/parquet.ts';
import { writeLerobot } from './formats/lerobot.ts';

const writers: Record<ExportFormat, FormatWriter> = {
  json: writeJson,
  jsonl: writeJsonl,
  csv: writeCsv,
  coco: writeCoco,
  hdf5: writeHdf5,
  parquet: writeParquet,
  lerobot: writeLerobot,
};

const BATCH = 5000;

/**
 * Runs one export to its file (docs/exports.md). Rows are read in keyset batches; the file is
 * written under a temporary name and renamed only after the last byte, and the row is marked
 * completed (with its manifest) after the rename: a crash at any point leaves no file that a
 * completed export points at. Running it again starts over from the first row.
 */
export async function runExport(ctx: Ctx, exportId: string, jobId: string) {
  const [row] = await ctx.db.select().from(exports).where(eq(exports.id, exportId));
  if (!row || row.status === 'completed') return;
  const log = (message: string, data?: Record<string, unknown>) => appendJobLog(ctx.db, jobId, message, { exportId, ...data });
  const dir = exportDir();
  const ext = extensionOf(row.format);
  const finalName = `${row.id}.${ext}`;
  const partial = join(dir, `${row.id}.${ext}.partial`);
  const scratchDir = join(dir, `${row.id}.scratch`);
  try {
    const snapshotAt = ctx.clock.now();
    let since: Date | null = null;
    if (row.scope.kind === 'since_last') {
      const [previous] = await ctx.db
        .select({ snapshotAt: exports.snapshotAt })
        .from(exports)
        .where(and(eq(exports.definitionKey, row.definitionKey), eq(exports.status, 'completed'), ne(exports.id, row.id)))
        .orderBy(desc(exports.snapshotAt))
        .limit(1);
      since = previous?.snapshotAt ?? null;
    }
    const query: ExportQuery = {
      projectId: row.projectId,
      taskIds: row.taskIds,
      datasetIds: row.scope.datasetIds,
      since,
      from: row.scope.kind === 'range' && row.scope.from ? new Date(row.scope.from) : null,
      to: row.scope.kind === 'range' && row.scope.to ? new Date(row.scope.to) : null,
      onlyDone: row.options.onlyDone,
      onlyAnnotated: row.options.onlyAnnotated,
    };
    await ctx.db.update(exports).set({ status: 'running', snapshotAt, since, progressDone: 0, progressTotal: 0, error: null }).where(eq(exports.id, row.id));
    await log('export started', { format: row.format, since: since?.toISOString() ?? null });
    // The count runs beside the export (on PostgreSQL another connection): the file's first byte
    // does not wait for a count over the whole export. Progress shows the total once known. It
    // starts after the first progress write: on PGlite's single session a count queued before
    // the first batch would hold the first byte back for the whole count.
    let total: number | null = null;
    let counted: Promise<number> | null = null;
    const count = () => {
      counted ??= countExportRows(ctx.db, query).then(async (n) => {
        total = n;
        await ctx.db.update(exports).set({ progressTotal: n }).where(eq(exports.id, row.id));
        return n;
      });
      counted.catch(() => {}); // awaited before completion; an error then fails the export
      return counted;
    };
    await rm(scratchDir, { recursive: true, force: true });
    await mkdir(scratchDir, { recursive: true });
    await rm(partial, { force: true });
    const versioned = row.definitionId !== null;
    if (versioned) await ctx.db.delete(exportItemDigests).where(eq(exportItemDigests.exportId, row.id));

    const tasks = await tasksForExport(ctx.db, row.projectId, row.taskIds);
    const categories: FormatContext['categories'] = [];
    for (const recipeId of new Set(tasks.map((t) => t.recipeId).filter((id): id is string => !!id))) {
      const recipe = await getRecipe(ctx.db, recipeId);
      for (const label of recipe?.labels ?? []) if (!categories.some((c) => c.name === label.name)) categories.push({ id: categories.length + 1, name: label.name });
    }

    // Progress and digests are written during the first pass over the rows only (a format may
    // make several passes); `progress(n)` is called with the rows read so far.
    let pass = 0;
    const firstPass = () => pass++ === 0;
    const progress = async (done: number) => {
      await ctx.db.update(exports).set({ progressDone: total === null ? done : Math.min(done, total) }).where(eq(exports.id, row.id));
      void count();
    };
    const saveDigests = async (batch: Array<{ taskItemId: string; itemId: string; digest?: string }>) => {
      await ctx.db.insert(exportItemDigests).values(batch.map((r) => ({ exportId: row.id, taskItemId: r.taskItemId, itemId: r.itemId, digest: r.digest! }))).onConflictDoNothing();
    };

    /** Keyset batches of `read`'s rows, the next batch read while this one is written. */
    async function* keyset<T extends { taskItemId: string; itemId: string; digest?: string }>(first: boolean, read: (after: string | null) => Promise<T[]>): AsyncIterable<T[]> {
      const start = (after: string | null) => {
        const pending = read(after);
        pending.catch(() => {}); // awaited below; a prefetch left behind by an early return must not go unhandled
        return pending;
      };
      let next = start(null);
      let done = 0;
      for (;;) {
        const batch = await next;
        if (!batch.length) return;
        const full = batch.length === BATCH;
        // Read ahead: on PostgreSQL the next batch is fetched while this one is written.
        if (full) next = start(batch[batch.length - 1]!.taskItemId);
        done += batch.length;
        if (first) {
          if (versioned) await saveDigests(batch);
          await progress(done);
        }
        yield batch;
        if (!full) return;
      }
    }

    const batches = () => {
      const first = firstPass();
      return keyset(first, (after) => readExportBatch(ctx.db, query, after, BATCH, first && versioned));
    };

    // JSON and JSONL: each record's line is built by the database (export-lines.ts). PostgreSQL
    // streams them all through one COPY; PGlite reads them in keyset batches (its one session
    // is never held for the whole export).
    const pool = pgPoolOf(ctx.db);
    let linesRead: 'copy' | 'batches' | null = null;
    const lines = (): AsyncIterable<LineChunk> => {
      const first = firstPass();
      const withDigest = first && versioned;
      linesRead = pool ? 'copy' : 'batches';
      if (pool) {
        return (async function* () {
          const digests = withDigest
            ? sql`insert into ${exportItemDigests} (export_id, task_item_id, item_id, digest)
                select ${row.id}::uuid, r."taskItemId"::uuid, r."itemId"::uuid, r.digest from (${exportBatchSql(query, null, null, true)}) r
                on conflict do nothing`
            : undefined;
          let done = 0;
          let reported = 0;
          for await (const data of copyLines(pool, recordLineSql(exportBatchSql(query, null, null)), digests)) {
            const rows = newlines(data);
            done += rows;
            if (first && done - reported >= BATCH) {
              reported = done;
              await progress(done);
            }
            yield { data, rows };
          }
          if (first) await progress(done);
        })();
      }
      const read = async (after: string | null) =>
        rowsOf<{ taskItemId: string; itemId: string; line: string; digest?: string }>(
          await ctx.db.execute(recordLineSql(exportBatchSql(query, after, BATCH, withDigest), withDigest ? sql`, r."taskItemId", r."itemId", r.digest` : sql`, r."taskItemId"`)),
        );
      return (async function* () {
        for await (const batch of keyset(first, read)) {
          let data = '';
          for (const r of batch) data += r.line + '\n';
          yield { data, rows: batch.length };
        }
      })();
    };

    const result = await writers[row.format]({
      path: partial,
      scratchDir,
      batches,
      lines,
      categories,
      taskNames: new Map(tasks.map((t) => [t.id, t.name])),
      options: row.options,
    });
    const taskItems = await count();
    const file = result.file ?? (await sha256File(partial));
    await rename(partial, join(dir, finalName));
    const manifest: ExportManifest = {
      format: row.format,
      rows: result.rows,
      bytes: file.bytes,
      sha256: file.sha256,
      files: result.members ?? [{ path: row.fileName, bytes: file.bytes, sha256: file.sha256 }],
      scope: { ...row.scope, since: since?.toISOString() ?? null },
      options: row.options,
      taskIds: row.taskIds,
      counts: { rows: result.rows, taskItems },
    };
    await ctx.db.transaction(async (tx) => {
      await tx
        .update(exports)
        .set({ status: 'completed', rows: result.rows, bytes: file.bytes, storedAs: finalName, manifest, progressDone: taskItems, progressTotal: taskItems, finishedAt: ctx.clock.now() })
        .where(eq(exports.id, row.id));
      await recordAudit(tx, { projectId: row.projectId, actorId: row.createdBy, action: 'export.completed', subjectKind: 'export', subjectId: row.id, after: { rows: result.rows, bytes: file.bytes, sha256: file.sha256 } });
      // The outbox event commits with the completion (docs/events.md): none without a file.
      await recordEvent(tx, {
        projectId: row.projectId,
        type: 'export.completed',
        subjectKind: 'export',
        subjectId: row.id,
        actorId: row.createdBy,
        recipientIds: row.createdBy ? [row.createdBy] : [],
        data: { exportId: row.id, format: row.format, rows: result.rows, bytes: file.bytes, sha256: file.sha256, definitionId: row.definitionId, version: row.version },
      });
    });
    await log('export completed', { rows: result.rows, bytes: file.bytes, sha256: file.sha256, ...(linesRead ? { read: linesRead } : {}) });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await rm(partial, { force: true }).catch(() => {});
    await ctx.db.update(exports).set({ status: 'failed', error: message, finishedAt: ctx.clock.now() }).where(eq(exports.id, row.id));
    await log('export failed', { error: message }).catch(() => {});
    throw error;
  } finally {
    await rm(scratchDir, { recursive: true, force: true }).catch(() => {});
  }
}

const rowsOf = <T>(result: unknown): T[] => ((result as { rows?: unknown[] }).rows ?? (result as unknown[])) as T[];

export const digestOf = (text: string) => createHash('sha256').update(text).digest('hex');
