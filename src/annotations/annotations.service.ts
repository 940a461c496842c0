import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Caller, Ctx } from '../context.ts';
import { DomainError, notFound } from '../core/errors.ts';
import { isId, newId } from '../core/ids.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { getProjectSettings } from '../projects/projects.service.ts';
import { getRecipe } from '../recipes/recipes.service.ts';
import { validateShapes, validateShapesForItem } from '../recipes/shape-validation.ts';
import { itemContent as items } from '../datasets/item-reads.ts';
import { unitFacts as taskItems } from '../task-units/unit-reads.ts';
import { assertMayWorkUnit, assertWritable, findTaskAs } from '../task-units/task-access.ts';
import { lockUnit, markHistory, touchUnit } from '../task-units/task-units.ts';
import { annotations, annotationVersions } from './annotations.table.ts';
import { onNewVersionOfInvalid } from './invalidate.ts';

type AnnotationRow = typeof annotations.$inferSelect;
const view = (a: AnnotationRow) => ({
  id: a.id,
  taskId: a.taskId,
  itemId: a.itemId,
  taskItemId: a.taskItemId,
  authorId: a.authorId,
  shapes: a.shapes,
  version: a.version,
  createdAt: a.createdAt,
  updatedAt: a.updatedAt,
});

/**
 * Saves the answer for one task item (its assignee or a manager): shapes are validated against
 * the recipe and the item (422 naming the rule); each change is a new version, earlier ones kept.
 * Idempotent: a retry carrying the same shapes (and the same client-generated `id`) returns the
 * current version without writing. Refuses 409 `status_set` under the project setting
 * `requireStatusRemovalBeforeEdit`, 409 `task_locked` on a locked task. Renews the worker's
 * lease. One transaction with the audit event; the unit row is locked.
 */
export async function saveAnnotation(ctx: Ctx, caller: Caller, taskId: string, itemId: string, input: { id?: string; shapes: unknown[] }, workerId?: string) {
  const { task, actor } = await findTaskAs(ctx.db, caller, taskId, 'annotator');
  if (!isId(itemId)) throw notFound('Task item');
  // Only an item of this task: validating another project's item against the body would answer
  // with facts about it (its text length) instead of 404.
  const [item] = await ctx.db
    .select({ kind: items.kind, payload: items.payload })
    .from(items)
    .innerJoin(taskItems, and(eq(taskItems.itemId, items.id), eq(taskItems.taskId, task.id)))
    .where(eq(items.id, itemId))
    .limit(1);
  if (!item) throw notFound('Task item');
  const recipe = task.recipeId ? await getRecipe(ctx.db, task.recipeId) : null;
  const shapes = recipe ? validateShapes(recipe, item, input.shapes) : validateShapesForItem(item, input.shapes);
  const settings = await getProjectSettings(ctx.db, task.projectId);
  return ctx.db.transaction(async (tx) => {
    const now = ctx.clock.now();
    assertWritable(task, now);
    const unit = await lockUnit(tx, task, itemId, actor, workerId);
    assertMayWorkUnit(actor, task, unit);
    if (settings.requireStatusRemovalBeforeEdit && unit.status !== null) {
      throw new DomainError('status_set', `The item has the status "${unit.status}": remove it before changing the annotation`);
    }
    const mine = unit.workerId === caller.userId || (unit.workerId === null && !actor.isManager);
    await touchUnit(tx, unit.id, {
      workerId: unit.workerId ?? (mine ? caller.userId : null),
      startedAt: unit.startedAt ?? now,
      ...(mine ? { leaseExpiresAt: new Date(now.getTime() + task.allocation.leaseSeconds * 1000) } : {}),
    });
    const [current] = await tx.select().from(annotations).where(eq(annotations.taskItemId, unit.id));
    if (current && input.id && current.id !== input.id) throw new DomainError('conflict', 'This item already has an annotation with another id', { annotationId: current.id });
    // An invalid answer saved again (even unchanged) becomes a new, valid version (docs/robotics.md).
    if (current && !current.invalidAt && JSON.stringify(current.shapes) === JSON.stringify(shapes)) return view(current);
    let row: AnnotationRow;
    if (current) {
      [row] = (await tx.update(annotations).set({ shapes, version: current.version + 1, authorId: caller.userId, updatedAt: now, invalidAt: null, invalidReason: null, invalidBy: null }).where(eq(annotations.id, current.id)).returning()) as [AnnotationRow];
    } else {
      const id = input.id ?? newId();
      const inserted = await tx
        .insert(annotations)
        .values({ id, projectId: task.projectId, taskId: task.id, itemId, taskItemId: unit.id, authorId: caller.userId, shapes, version: 1, createdAt: now, updatedAt: now })
        .onConflictDoNothing()
        .returning();
      if (!inserted.length) throw new DomainError('conflict', 'This annotation id is already used by another item');
      row = inserted[0]!;
    }
    if (current?.invalidAt) await onNewVersionOfInvalid(tx, task.id);
    await tx.insert(annotationVersions).values({ annotationId: row.id, version: row.version, projectId: task.projectId, authorId: caller.userId, shapes, createdAt: now });
    await markHistory(tx, task.id);
    await recordAudit(tx, {
      projectId: task.projectId,
      actorId: caller.userId,
      action: current ? 'annotation.update' : 'annotation.create',
      subjectKind: 'annotation',
      subjectId: row.id,
      before: current ? { version: current.version } : null,
      after: { version: row.version, taskId: task.id, itemId, shapes: shapes.length },
    });
    return view(row);
  });
}

/**
 * The current annotation(s) of an item in a task with every earlier version. Blind mode: on
 * consensus and qualification tasks an annotator sees only their own answer until the item is done.
 */
export async function listAnnotations(ctx: Ctx, caller: Caller, taskId: string, itemId: string) {
  const { task, actor } = await findTaskAs(ctx.db, caller, taskId);
  if (!isId(itemId)) throw notFound('Task item');
  const units = await ctx.db.select().from(taskItems).where(and(eq(taskItems.taskId, taskId), eq(taskItems.itemId, itemId)));
  if (!units.length) throw notFound('Task item');
  const blind = (task.type === 'consensus' || task.type === 'qualification') && actor.role === 'annotator';
  const allDone = units.every((u) => u.status !== null);
  const visible = blind && !allDone ? units.filter((u) => u.workerId === caller.userId) : units;
  if (!visible.length) return { data: [] };
  const rows = await ctx.db.select().from(annotations).where(inArray(annotations.taskItemId, visible.map((u) => u.id)));
  if (!rows.length) return { data: [] };
  const versions = await ctx.db
    .select()
    .from(annotationVersions)
    .where(inArray(annotationVersions.annotationId, rows.map((r) => r.id)))
    .orderBy(asc(annotationVersions.version));
  return {
    data: rows.map((r) => ({
      ...view(r),
      workerId: visible.find((u) => u.id === r.taskItemId)?.workerId ?? null,
      versions: versions.filter((v) => v.annotationId === r.id).map((v) => ({ version: v.version, authorId: v.authorId, shapes: v.shapes, createdAt: v.createdAt })),
    })),
  };
}

