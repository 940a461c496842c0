import { and, desc, eq, inArray, isNotNull, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Caller, Ctx } from '../context.ts';
import type { Db, Tx } from '../db/client.ts';
import { DomainError, notFound } from '../core/errors.ts';
import { isId } from '../core/ids.ts';
import { decodeCursor, toPage } from '../core/pagination.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { requireRole } from '../projects/permissions.ts';
import { itemFacts as items } from '../datasets/item-reads.ts';
import { unitFacts as taskItems, unitIdsOfWorker } from '../task-units/unit-reads.ts';
import { assertWritable, findTask, taskActor } from '../task-units/task-access.ts';
import { moveInvalidCount } from '../task-units/task-invalid-count.ts';
import { annotations } from './annotations.table.ts';

/**
 * For exports and quality metrics: the condition "this annotation is valid" on an `annotations`
 * row (or a table aliased `alias` in raw SQL). Invalid annotations (docs/robotics.md) are left
 * out of exports, scores and agreement with it.
 *
 * @example sql`select … from annotations a where a.task_id = ${id} and ${validAnnotation('a')}`
 */
export function validAnnotation(alias?: string): SQL {
  return alias ? sql`${sql.raw(`"${alias.replace(/"/g, '')}"`)}.invalid_at is null` : sql`${annotations.invalidAt} is null`;
}

/**
 * For exports: the ids of the current annotations of these tasks that are marked invalid. Reads
 * the partial index `annotations_invalid_idx` only (invalid rows), never shapes.
 */
export async function invalidAnnotationIds(db: Db, taskIds: string[]): Promise<Set<string>> {
  if (!taskIds.length) return new Set();
  const rows = await db.select({ id: annotations.id }).from(annotations).where(and(inArray(annotations.taskId, taskIds), isNotNull(annotations.invalidAt)));
  return new Set(rows.map((r) => r.id));
}

/**
 * SQL for quality metrics over `scores` (alias `s`): true when the score rests on a valid answer,
 * both the scored unit's and, for agreement scores, the reference annotator's on the same item.
 */
export function scoreOnValidAnswers(scoresAlias = 's'): SQL {
  const s = sql.raw(scoresAlias.replace(/[^a-z_]/gi, ''));
  return sql`not exists (select 1 from annotations ia where ia.task_item_id = ${s}.task_item_id and ia.invalid_at is not null)
    and (${s}.reference_id is null or not exists (
      select 1 from annotations ra
      where ra.invalid_at is not null and ra.task_item_id in ${unitIdsOfWorker(sql`${s}.task_id`, sql`${s}.item_id`, sql`${s}.reference_id`)}))`;
}

async function annotationInProject(ctx: Ctx, caller: Caller, annotationId: string) {
  const [row] = isId(annotationId) ? await ctx.db.select({ id: annotations.id, taskId: annotations.taskId, projectId: annotations.projectId }).from(annotations).where(eq(annotations.id, annotationId)) : [];
  if (!row) throw notFound('Annotation');
  await requireRole(ctx.db, caller, row.projectId, 'reviewer', 'Annotation');
  const task = await findTask(ctx.db, row.taskId);
  return task;
}

/**
 * Marks an annotation invalid with a reason (reviewer, manager or owner). The current version
 * stays stored; it no longer counts in quality metrics or exports, and the task's
 * `counts.invalid` moves. Marking an invalid annotation again only replaces the reason. A new
 * version saved by the annotator makes it valid again. One transaction with the audit event;
 * the annotation row is locked. A locked or archived task refuses (409 `task_locked`).
 */
export async function invalidateAnnotation(ctx: Ctx, caller: Caller, annotationId: string, reason: string) {
  const task = await annotationInProject(ctx, caller, annotationId);
  return ctx.db.transaction(async (tx) => {
    const now = ctx.clock.now();
    assertWritable(task, now);
    const [current] = await tx.select().from(annotations).where(eq(annotations.id, annotationId)).for('update');
    if (!current) throw notFound('Annotation');
    const [row] = await tx.update(annotations).set({ invalidAt: current.invalidAt ?? now, invalidReason: reason, invalidBy: caller.userId }).where(eq(annotations.id, annotationId)).returning();
    if (!current.invalidAt) await moveInvalidCount(tx, task.id, 1);
    await recordAudit(tx, {
      projectId: task.projectId,
      actorId: caller.userId,
      action: 'annotation.invalidate',
      subjectKind: 'annotation',
      subjectId: annotationId,
      before: { invalid: Boolean(current.invalidAt), reason: current.invalidReason },
      after: { invalid: true, reason, version: current.version },
    });
    return invalidView(row!);
  });
}

/** Withdraws an invalid mark (reviewer, manager or owner): 409 `conflict` when the annotation is valid. Same transaction rules as marking. */
export async function revalidateAnnotation(ctx: Ctx, caller: Caller, annotationId: string) {
  const task = await annotationInProject(ctx, caller, annotationId);
  return ctx.db.transaction(async (tx) => {
    assertWritable(task, ctx.clock.now());
    const [current] = await tx.select().from(annotations).where(eq(annotations.id, annotationId)).for('update');
    if (!current) throw notFound('Annotation');
    if (!current.invalidAt) throw new DomainError('conflict', 'The annotation is not marked invalid');
    const [row] = await tx.update(annotations).set({ invalidAt: null, invalidReason: null, invalidBy: null }).where(eq(annotations.id, annotationId)).returning();
    await moveInvalidCount(tx, task.id, -1);
    await recordAudit(tx, { projectId: task.projectId, actorId: caller.userId, action: 'annotation.revalidate', subjectKind: 'annotation', subjectId: annotationId, before: { invalid: true, reason: current.invalidReason }, after: { invalid: false } });
    return invalidView(row!);
  });
}

/**
 * Called by `saveAnnotation` inside its transaction when a new version replaces an invalid one:
 * the new version is valid, so the task's invalid count moves back.
 */
export async function onNewVersionOfInvalid(tx: Tx, taskId: string) {
  await moveInvalidCount(tx, taskId, -1);
}

type AnnotationRow = typeof annotations.$inferSelect;
const invalidView = (a: AnnotationRow) => ({
  id: a.id,
  taskId: a.taskId,
  itemId: a.itemId,
  version: a.version,
  invalid: a.invalidAt !== null,
  reason: a.invalidReason,
  invalidatedBy: a.invalidBy,
  invalidatedAt: a.invalidAt,
});

/**
 * The task's invalid annotations, most recently marked first, keyset-paginated on
 * (invalid_at, id) through the partial index `annotations_invalid_idx`. Shows who annotated,
 * who marked and why, and the item's external id; never shapes or payloads.
 */
export async function listInvalidAnnotations(ctx: Ctx, caller: Caller, taskId: string, query: { limit: number; cursor?: string }) {
  const task = await findTask(ctx.db, taskId);
  await taskActor(ctx.db, caller, task, 'viewer');
  let after: SQL | undefined;
  if (query.cursor) {
    const [at, id] = decodeCursor(query.cursor, 2) as [string, string];
    const when = new Date(at);
    if (Number.isNaN(when.getTime()) || !isId(id)) throw new DomainError('invalid_cursor', 'The cursor is not one this list issued');
    after = or(lt(annotations.invalidAt, when), and(eq(annotations.invalidAt, when), lt(annotations.id, id)));
  }
  const rows = await ctx.db
    .select({
      id: annotations.id,
      taskId: annotations.taskId,
      itemId: annotations.itemId,
      externalId: items.externalId,
      authorId: annotations.authorId,
      workerId: taskItems.workerId,
      version: annotations.version,
      reason: annotations.invalidReason,
      invalidatedBy: annotations.invalidBy,
      invalidatedAt: annotations.invalidAt,
      status: taskItems.status,
    })
    .from(annotations)
    .innerJoin(taskItems, eq(taskItems.id, annotations.taskItemId))
    .innerJoin(items, eq(items.id, annotations.itemId))
    .where(and(eq(annotations.taskId, task.id), isNotNull(annotations.invalidAt), after))
    .orderBy(desc(annotations.invalidAt), desc(annotations.id))
    .limit(query.limit + 1);
  const data = rows.map((r) => ({ ...r, invalidatedAt: r.invalidatedAt! }));
  return toPage(data, query.limit, (r) => [r.invalidatedAt.toISOString(), r.id]);
}
