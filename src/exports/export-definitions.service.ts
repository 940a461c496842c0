import { and, desc, eq, sql } from 'drizzle-orm';
import type { Caller, Ctx } from '../context.ts';
import { notFound, invalid } from '../core/errors.ts';
import { isId, newId } from '../core/ids.ts';
import { requireRole } from '../projects/permissions.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { exportDefinitions, exportItemDigests, exports, type ExportFormat, type ExportOptions, type ExportScope } from './exports.table.ts';
import { createExport, exportColumns, toView } from './exports.service.ts';
import { exportJob } from './export.job.ts';

export interface CreateDefinitionInput {
  name: string;
  taskIds: string[];
  format: ExportFormat;
  scope?: ExportScope;
  options?: ExportOptions;
}

/** A named export definition; its versions are exports numbered 1, 2, … (docs/exports.md). */
export async function createDefinition(ctx: Ctx, caller: Caller, projectId: string, input: CreateDefinitionInput) {
  return ctx.db.transaction(async (tx) => {
    await requireRole(tx, caller, projectId, 'manager', 'Project');
    const id = newId();
    const [row] = await tx
      .insert(exportDefinitions)
      .values({ id, projectId, name: input.name, taskIds: input.taskIds, format: input.format, scope: input.scope ?? { kind: 'all' }, options: input.options ?? {}, createdBy: caller.userId })
      .returning();
    await recordAudit(tx, { projectId, actorId: caller.userId, action: 'export_definition.created', subjectKind: 'export_definition', subjectId: id, after: { name: input.name } });
    return row!;
  });
}

async function definitionFor(ctx: Ctx, caller: Caller, definitionId: string) {
  if (!isId(definitionId)) throw notFound('Export definition');
  const [row] = await ctx.db.select().from(exportDefinitions).where(eq(exportDefinitions.id, definitionId));
  if (!row) throw notFound('Export definition');
  await requireRole(ctx.db, caller, row.projectId, 'manager', 'Export definition');
  return row;
}

/** The definition with its versions, newest first. */
export async function readDefinition(ctx: Ctx, caller: Caller, definitionId: string) {
  const definition = await definitionFor(ctx, caller, definitionId);
  const versions = await ctx.db
    .select({ ...exportColumns, manifest: exports.manifest })
    .from(exports)
    .where(eq(exports.definitionId, definitionId))
    .orderBy(desc(exports.version))
    .limit(500);
  return { ...definition, versions: versions.map((v) => ({ ...toView(v as never), manifest: v.manifest })) };
}

/**
 * Queues version N+1: the definition row is locked while its number advances, so two concurrent
 * requests get two numbers, and the export and its job are written in the same transaction.
 */
export async function createVersion(ctx: Ctx, caller: Caller, definitionId: string) {
  const definition = await definitionFor(ctx, caller, definitionId);
  const created = await ctx.db.transaction(async (tx) => {
    const [locked] = await tx
      .update(exportDefinitions)
      .set({ nextVersion: sql`${exportDefinitions.nextVersion} + 1` })
      .where(eq(exportDefinitions.id, definitionId))
      .returning({ number: sql<number>`${exportDefinitions.nextVersion} - 1` });
    const number = Number(locked!.number);
    const created = await createExport(ctx, caller, definition.projectId, { taskIds: definition.taskIds, format: definition.format, scope: definition.scope, options: definition.options }, { definitionId, tx, number });
    return { ...created, version: number };
  });
  ctx.jobs.wake?.(exportJob); // committed: start it now rather than at the next poll (docs/jobs.md)
  return created;
}

/** Items added, removed and changed between two versions, from the stored per-item digests (no payload is read). */
export async function compareVersions(ctx: Ctx, caller: Caller, definitionId: string, from: number, to: number) {
  await definitionFor(ctx, caller, definitionId);
  const versions = await ctx.db
    .select({ id: exports.id, version: exports.version, status: exports.status })
    .from(exports)
    .where(and(eq(exports.definitionId, definitionId)));
  const a = versions.find((v) => v.version === from);
  const b = versions.find((v) => v.version === to);
  if (!a || !b) throw notFound('Version');
  if (a.status !== 'completed' || b.status !== 'completed') throw invalid('Both versions must be completed to compare them');
  const rows = (await ctx.db.execute(sql`
    select coalesce(x.item_id, y.item_id)::text as "itemId", coalesce(x.task_item_id, y.task_item_id)::text as "taskItemId",
      case when x.task_item_id is null then 'added' when y.task_item_id is null then 'removed' else 'changed' end as change
    from (select * from ${exportItemDigests} where export_id = ${a.id}::uuid) x
    full join (select * from ${exportItemDigests} where export_id = ${b.id}::uuid) y on x.task_item_id = y.task_item_id
    where x.task_item_id is null or y.task_item_id is null or x.digest <> y.digest
    order by 2 limit 10001`)) as unknown as { rows?: Array<{ itemId: string; taskItemId: string; change: string }> };
  const list = (rows.rows ?? (rows as unknown as Array<{ itemId: string; taskItemId: string; change: string }>)) ;
  const pick = (change: string) => list.filter((r) => r.change === change).map(({ itemId, taskItemId }) => ({ itemId, taskItemId }));
  return { from, to, added: pick('added'), removed: pick('removed'), changed: pick('changed'), truncated: list.length > 10000 };
}
