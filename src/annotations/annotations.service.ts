import { and, asc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { Caller, Ctx } from '../context.ts';
import { DomainError, notFound } from '../core/errors.ts';
import { isId, newId } from '../core/ids.ts';
import { auditInsert, type AuditEntry } from '../audit/audit.service.ts';
import { executeNamed } from '../db/named-statement.ts';
import { isRetryable, refusalOf, transactionWithRetry } from '../db/retry.ts';
import { getProjectSettings, type ProjectSettings } from '../projects/projects.service.ts';
import { getRecipe, type Recipe } from '../recipes/recipes.service.ts';
import { validateShapes, validateShapesForItem } from '../recipes/shape-validation.ts';
import { itemContent as items } from '../datasets/item-reads.ts';
import { unitFacts as taskItems } from '../task-units/unit-reads.ts';
import { rowsOf } from '../task-units/item-selection.ts';
import { assertMayWorkUnit, assertWritable, findTaskAs, type TaskActor, type TaskRow } from '../task-units/task-access.ts';
import { lockUnits, markHistoryCte, pickUnit, touchUnitCte, type UnitRow } from '../task-units/task-units.ts';
import { annotations, annotationVersions } from './annotations.table.ts';
import { onNewVersionOfInvalid } from './invalidate.ts';
import { fromSavePreload, type AnnotationRow } from './save-preload.ts';

const view = (a: Pick<AnnotationRow, 'id' | 'taskId' | 'itemId' | 'taskItemId' | 'authorId' | 'shapes' | 'version' | 'createdAt' | 'updatedAt'>) => ({
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

/** What a save needs of the task and the item before it writes. */
interface SaveReads {
  task: TaskRow;
  actor: TaskActor;
  item: { kind: string; payload: unknown };
  recipe: Recipe | null;
  settings: ProjectSettings;
}

/** A save, decided in code from the unit and its current annotation as read. */
interface SavePlan {
  unit: UnitRow;
  touch: Parameters<typeof touchUnitCte>[1];
  current: AnnotationRow | null;
  /** Null: the answer is the current one (a retry); only the unit is touched. */
  write: { id: string; version: number; shapes: unknown[]; audit: AuditEntry } | null;
  now: Date;
}

/**
 * The checks of a save before its unit's annotation is read, in the order they answer: 409
 * `task_locked`, the unit the caller means and may work (404/403), 409 `status_set`.
 */
function checkUnit(ctx: Ctx, reads: SaveReads, units: UnitRow[], workerId?: string) {
  const now = ctx.clock.now();
  assertWritable(reads.task, now);
  const unit = pickUnit(units, reads.actor, workerId);
  assertMayWorkUnit(reads.actor, reads.task, unit);
  if (reads.settings.requireStatusRemovalBeforeEdit && unit.status !== null) {
    throw new DomainError('status_set', `The item has the status "${unit.status}": remove it before changing the annotation`);
  }
  return { unit, now };
}

/**
 * What a save writes, decided in code from the unit and its current annotation (409 `conflict`
 * when the body's id is not the annotation's). Pure: both ways of writing share it.
 */
function planSave(caller: Caller, reads: SaveReads, unit: UnitRow, now: Date, cur: AnnotationRow | null, input: { id?: string }, shapes: unknown[]): SavePlan {
  const { task, actor } = reads;
  const mine = unit.workerId === caller.userId || (unit.workerId === null && !actor.isManager);
  const touch = {
    workerId: unit.workerId ?? (mine ? caller.userId : null),
    startedAt: unit.startedAt ?? now,
    ...(mine ? { leaseExpiresAt: new Date(now.getTime() + task.allocation.leaseSeconds * 1000) } : {}),
  };
  if (cur && input.id && cur.id !== input.id) throw new DomainError('conflict', 'This item already has an annotation with another id', { annotationId: cur.id });
  // An invalid answer saved again (even unchanged) becomes a new, valid version (docs/robotics.md).
  if (cur && !cur.invalidAt && JSON.stringify(cur.shapes) === JSON.stringify(shapes)) return { unit, touch, current: cur, write: null, now };
  const id = cur?.id ?? input.id ?? newId();
  const version = cur ? cur.version + 1 : 1;
  return {
    unit,
    touch,
    current: cur,
    now,
    write: {
      id,
      version,
      shapes,
      audit: {
        projectId: task.projectId,
        actorId: caller.userId,
        action: cur ? 'annotation.update' : 'annotation.create',
        subjectKind: 'annotation',
        subjectId: id,
        before: cur ? { version: cur.version } : null,
        after: { version, taskId: task.id, itemId: unit.itemId, shapes: shapes.length },
      },
    },
  };
}

/**
 * The statement that writes a save: the unit touched (`unitVersion`: the row version it may
 * overwrite, when given), the annotation updated (only the version read, still valid) or inserted
 * (only if no annotation has its id or its unit), its version kept, the task marked as having
 * history, the audit event. `wrote` is false when the annotation part wrote nothing.
 */
function saveStatement(reads: SaveReads, plan: SavePlan, unitVersion: string | null, refuse: boolean): SQL {
  const { task } = reads;
  const { write, current, now, unit } = plan;
  const at = sql`${now.toISOString()}::timestamptz`;
  const parts = [sql`u as (${touchUnitCte(unit.id, plan.touch, unitVersion)})`];
  if (write) {
    const shapes = sql`${JSON.stringify(write.shapes)}::jsonb`;
    parts.push(
      current
        ? sql`a as (update ${annotations} set shapes = ${shapes}, version = ${write.version}, author_id = ${reads.actor.userId}::uuid, updated_at = ${at},
              invalid_at = null, invalid_reason = null, invalid_by = null
            where id = ${current.id}::uuid and version = ${current.version}${refuse ? sql` and invalid_at is null` : sql``} returning id, project_id, author_id, shapes, version)`
        : sql`a as (insert into ${annotations} (id, project_id, task_id, item_id, task_item_id, author_id, shapes, version, created_at, updated_at)
            values (${write.id}::uuid, ${task.projectId}::uuid, ${task.id}::uuid, ${unit.itemId}::uuid, ${unit.id}::uuid, ${reads.actor.userId}::uuid, ${shapes}, 1, ${at}, ${at})
            on conflict do nothing returning id, project_id, author_id, shapes, version)`,
      sql`v as (insert into ${annotationVersions} (annotation_id, version, project_id, author_id, shapes, created_at) select id, version, project_id, author_id, shapes, ${at} from a)`,
      sql`l as (${auditInsert(write.audit, now)})`,
    );
    if (!task.hasHistory || !refuse) parts.push(sql`h as (${markHistoryCte(task.id)})`);
  }
  const wrote = write ? sql`exists (select 1 from a)` : sql`true`;
  const stored = write ? sql`(select shapes from a)` : sql`null::jsonb`;
  const check = refuse ? sql`loupe_refuse(case when not exists (select 1 from u) or not ${wrote} then 'changed' end)` : sql`null`;
  return sql`with ${sql.join(parts, sql`, `)} select ${check} as refused, ${wrote} as wrote, ${stored} as shapes`;
}

const viewOf = (reads: SaveReads, plan: SavePlan, shapes: unknown[]) => {
  if (!plan.write) return view(plan.current!);
  return view({
    id: plan.write.id,
    taskId: reads.task.id,
    itemId: plan.unit.itemId,
    taskItemId: plan.unit.id,
    authorId: reads.actor.userId,
    shapes,
    version: plan.write.version,
    createdAt: plan.current?.createdAt ?? plan.now,
    updatedAt: plan.now,
  });
};

const validated = (reads: SaveReads, shapes: unknown[]) => (reads.recipe ? validateShapes(reads.recipe, reads.item as Parameters<typeof validateShapes>[1], shapes) : validateShapesForItem(reads.item as Parameters<typeof validateShapesForItem>[0], shapes));

/**
 * Saves the answer for one task item (its assignee or a manager): shapes are validated against
 * the recipe and the item (422 naming the rule); each change is a new version, earlier ones kept.
 * Idempotent: a retry carrying the same shapes (and the same client-generated `id`) returns the
 * current version without writing. Refuses 409 `status_set` under the project setting
 * `requireStatusRemovalBeforeEdit`, 409 `task_locked` on a locked task. Renews the worker's
 * lease. The audit event is written with the change.
 *
 * With the route's `preload` (everything it reads, read by the authenticating statement), the
 * save is ONE autocommit statement that writes only the unit and annotation versions it read
 * (docs/workflow.md "How an annotation save runs"); when either changed meanwhile, or the answer
 * was invalid (its counter moves in code), it saves in a transaction with the unit locked.
 */
export async function saveAnnotation(ctx: Ctx, caller: Caller, taskId: string, itemId: string, input: { id?: string; shapes: unknown[] }, workerId?: string, preloaded?: unknown) {
  const pre = fromSavePreload(caller, taskId, itemId, preloaded);
  if (!pre) return saveInTransaction(ctx, caller, taskId, itemId, input, workerId);
  const shapes = validated(pre.reads, input.shapes);
  const { unit, now } = checkUnit(ctx, pre.reads, pre.units, workerId);
  const plan = planSave(caller, pre.reads, unit, now, pre.annotations.find((a) => a.taskItemId === unit.id) ?? null, input, shapes);
  if (plan.current?.invalidAt) return saveInTransaction(ctx, caller, taskId, itemId, input, workerId);
  try {
    const [row] = rowsOf<{ shapes: unknown[] | null }>(await executeNamed(ctx.db, saveStatement(pre.reads, plan, pre.versions.get(plan.unit.id)!, true)));
    return viewOf(pre.reads, plan, row?.shapes ?? shapes);
  } catch (error) {
    if (refusalOf(error) === undefined && !isRetryable(error)) throw error;
    return saveInTransaction(ctx, caller, taskId, itemId, input, workerId);
  }
}

/** The save with every read of its own, in a transaction with the item's units locked. Same answers. */
async function saveInTransaction(ctx: Ctx, caller: Caller, taskId: string, itemId: string, input: { id?: string; shapes: unknown[] }, workerId?: string) {
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
  const reads: SaveReads = { task, actor, item, recipe, settings: {} };
  const shapes = validated(reads, input.shapes);
  reads.settings = await getProjectSettings(ctx.db, task.projectId);
  return transactionWithRetry(ctx.db, async (tx) => {
    const { unit, now } = checkUnit(ctx, reads, await lockUnits(tx, task.id, itemId), workerId);
    const [current] = await tx.select().from(annotations).where(eq(annotations.taskItemId, unit.id));
    const plan = planSave(caller, reads, unit, now, current ?? null, input, shapes);
    const [row] = rowsOf<{ wrote: boolean; shapes: unknown[] | null }>(await executeNamed(tx, saveStatement(reads, plan, null, false)));
    if (!row?.wrote) throw new DomainError('conflict', 'This annotation id is already used by another item');
    if (plan.current?.invalidAt && plan.write) await onNewVersionOfInvalid(tx, task.id);
    return viewOf(reads, plan, row.shapes ?? shapes);
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

