import { and, desc, eq, isNotNull, lt } from 'drizzle-orm';
import type { JobOptions } from 'pg-boss';
import type { Caller, Ctx } from '../context.ts';
import type { Db, Tx } from '../db/client.ts';
import { DomainError, invalid, notFound } from '../core/errors.ts';
import { isId, newId } from '../core/ids.ts';
import { decodeCursor, toPage, type PageQuery } from '../core/pagination.ts';
import { requireRole } from '../projects/permissions.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { tasksForExport } from '../task-units/tasks-for-export.ts';
import { exports, type ExportFormat, type ExportOptions, type ExportScope } from './exports.table.ts';
import { extensionOf } from './export-files.ts';
import { exportJob } from './export.job.ts';

/** The formats and statuses, for the routes' schemas (routes never import a table file). */
export { exportFormats, exportStatuses } from './exports.table.ts';

export interface CreateExportInput {
  taskIds: string[];
  format: ExportFormat;
  scope?: ExportScope;
  options?: ExportOptions;
}

/** What "the same definition" means for since_last (docs/exports.md): project, tasks, format, datasets and options. */
export function definitionKeyOf(projectId: string, input: CreateExportInput): string {
  const datasets = [...(input.scope?.datasetIds ?? [])].sort();
  const options = Object.fromEntries(Object.entries(input.options ?? {}).sort(([a], [b]) => a.localeCompare(b)));
  return JSON.stringify([projectId, [...input.taskIds].sort(), input.format, datasets, options]);
}

function validateInput(input: CreateExportInput) {
  const scope = input.scope ?? { kind: 'all' };
  if (scope.kind === 'range' && !scope.from && !scope.to) throw invalid('A range scope needs from, to or both');
  if (scope.from && scope.to && Date.parse(scope.from) >= Date.parse(scope.to)) throw invalid('scope.from must be before scope.to');
  if (input.options?.lerobotVersion && input.format !== 'lerobot') throw invalid('lerobotVersion applies to the lerobot format only');
  for (const id of [...input.taskIds, ...(scope.datasetIds ?? [])]) if (!isId(id)) throw notFound('Task or dataset');
  return scope;
}

/**
 * Queues an export: the row and its job are written in one transaction, so a crash cannot leave
 * one without the other. The caller needs the manager role in the project; tasks of other
 * projects answer 404. `version` makes the export a version of a definition.
 */
export async function createExport(ctx: Ctx, caller: Caller, projectId: string, input: CreateExportInput, version?: { definitionId: string; tx: Tx; number: number }) {
  const run = async (tx: Tx) => {
    await requireRole(tx, caller, projectId, 'manager', 'Project');
    const scope = validateInput(input);
    const found = await tasksForExport(tx, projectId, [...new Set(input.taskIds)]);
    if (found.length !== new Set(input.taskIds).size) throw notFound('Task');
    const id = newId();
    const fileName = `loupe-export-${version ? `v${version.number}-` : ''}${id.slice(-12)}.${extensionOf(input.format)}`;
    await tx.insert(exports).values({
      id,
      projectId,
      definitionId: version?.definitionId ?? null,
      version: version?.number ?? null,
      definitionKey: version ? `definition:${version.definitionId}` : definitionKeyOf(projectId, input),
      taskIds: [...new Set(input.taskIds)],
      format: input.format,
      scope,
      options: input.options ?? {},
      fileName,
      createdBy: caller.userId,
    });
    // Heartbeat: a worker killed mid-export stops beating, pg-boss fails the attempt and retries it,
    // and the export starts again from the first row into a fresh temporary file.
    const jobId = await ctx.jobs.enqueue(tx, exportJob, { exportId: id }, { heartbeatSeconds: 10, retryLimit: 2, retryDelay: 1 } as JobOptions);
    await tx.update(exports).set({ jobId }).where(eq(exports.id, id));
    await recordAudit(tx, { projectId, actorId: caller.userId, action: 'export.created', subjectKind: 'export', subjectId: id, after: { format: input.format, taskIds: input.taskIds, scope } });
    return { id, status: 'queued' as const, jobId };
  };
  if (version) return run(version.tx); // the caller wakes the worker once its transaction commits
  const created = await ctx.db.transaction((tx) => run(tx));
  // Committed: this process's export worker starts it now instead of at its next poll, so the
  // file's first byte does not wait up to a polling interval (docs/jobs.md).
  ctx.jobs.wake?.(exportJob);
  return created;
}

export const exportColumns = {
  id: exports.id,
  projectId: exports.projectId,
  definitionId: exports.definitionId,
  version: exports.version,
  taskIds: exports.taskIds,
  format: exports.format,
  scope: exports.scope,
  options: exports.options,
  status: exports.status,
  jobId: exports.jobId,
  progressDone: exports.progressDone,
  progressTotal: exports.progressTotal,
  rows: exports.rows,
  bytes: exports.bytes,
  fileName: exports.fileName,
  since: exports.since,
  error: exports.error,
  fileDeleted: exports.fileDeleted,
  createdBy: exports.createdBy,
  createdAt: exports.createdAt,
  finishedAt: exports.finishedAt,
};

type ExportRowView = { [K in keyof typeof exportColumns]: (typeof exportColumns)[K]['_']['data'] | ((typeof exportColumns)[K]['_']['notNull'] extends true ? never : null) };

export const toView = (r: ExportRowView) => {
  const { progressDone, progressTotal, ...rest } = r;
  return { ...rest, progress: { done: progressDone, total: progressTotal } };
};

/**
 * One export with its manifest (null until it completed): counts, the file's sha256 and size, the
 * scope and options that made it (manager role in its project; other projects answer 404).
 */
export async function readExport(ctx: Ctx, caller: Caller, exportId: string) {
  if (!isId(exportId)) throw notFound('Export');
  const [row] = await ctx.db.select({ ...exportColumns, manifest: exports.manifest }).from(exports).where(eq(exports.id, exportId));
  if (!row) throw notFound('Export');
  await requireRole(ctx.db, caller, row.projectId, 'manager', 'Export');
  const { manifest, ...rest } = row;
  return { ...toView(rest as ExportRowView), manifest };
}

/** A project's exports, newest first (keyset by id, which is time-ordered). */
export async function listExports(ctx: Ctx, caller: Caller, projectId: string, page: PageQuery) {
  await requireRole(ctx.db, caller, projectId, 'manager', 'Project');
  const conditions = [eq(exports.projectId, projectId)];
  if (page.cursor) {
    const [id] = decodeCursor(page.cursor, 1) as [string];
    if (!isId(id)) throw new DomainError('invalid_cursor', 'The cursor is not one this list issued');
    conditions.push(lt(exports.id, id));
  }
  const rows = await ctx.db.select(exportColumns).from(exports).where(and(...conditions)).orderBy(desc(exports.id)).limit(page.limit + 1);
  return toPage(rows.map((r) => toView(r as ExportRowView)), page.limit, (r) => [r.id]);
}

/** Where a completed export's file is, for the download route. */
export async function exportFile(ctx: Ctx, caller: Caller, exportId: string) {
  if (!isId(exportId)) throw notFound('Export');
  const [row] = await ctx.db
    .select({ projectId: exports.projectId, status: exports.status, storedAs: exports.storedAs, fileName: exports.fileName, format: exports.format, bytes: exports.bytes, fileDeleted: exports.fileDeleted })
    .from(exports)
    .where(eq(exports.id, exportId));
  if (!row) throw notFound('Export');
  await requireRole(ctx.db, caller, row.projectId, 'manager', 'Export');
  if (row.status !== 'completed' || !row.storedAs) throw new DomainError('conflict', `The export is ${row.status}; only a completed export can be downloaded`);
  if (row.fileDeleted) throw new DomainError('conflict', 'The export file was removed by retention; create the export again');
  return row as typeof row & { storedAs: string };
}

/** Exports finished before the retention window whose files still exist (for the retention job). */
export async function expiredExports(db: Db, before: Date) {
  return db
    .select({ id: exports.id, storedAs: exports.storedAs })
    .from(exports)
    .where(and(eq(exports.fileDeleted, false), isNotNull(exports.storedAs), lt(exports.finishedAt, before)))
    .limit(1000);
}

export async function markFileDeleted(db: Db, id: string) {
  await db.update(exports).set({ fileDeleted: true }).where(eq(exports.id, id));
}

