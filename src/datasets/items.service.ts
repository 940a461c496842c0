import { and, asc, eq, gt } from 'drizzle-orm';
import type { Caller, Ctx } from '../context.ts';
import type { Db, Tx } from '../db/client.ts';
import { DomainError, notFound } from '../core/errors.ts';
import { isId } from '../core/ids.ts';
import { decodeCursor, toPage } from '../core/pagination.ts';
import { compileItemFilter, parseFilterParam } from './item-filter.ts';
import { changedFields, recordAudit } from '../audit/audit.service.ts';
import { atLeast, requireRole } from '../projects/permissions.ts';
import { getRecipe } from '../recipes/recipes.service.ts';
import { validateShapes, validateShapesForItem } from '../recipes/shape-validation.ts';
import { datasetFor } from './datasets.service.ts';
import { items } from './datasets.table.ts';

type ItemRow = typeof items.$inferSelect;

/** The narrow columns of a list row: never payload, annotations or gold. */
const summaryColumns = {
  id: items.id,
  datasetId: items.datasetId,
  externalId: items.externalId,
  kind: items.kind,
  metadata: items.metadata,
  draft: items.draft,
  seq: items.seq,
  createdAt: items.createdAt,
  updatedAt: items.updatedAt,
};

const fullView = (i: ItemRow) => ({
  id: i.id,
  projectId: i.projectId,
  datasetId: i.datasetId,
  externalId: i.externalId,
  kind: i.kind,
  payload: i.payload,
  metadata: i.metadata,
  draft: i.draft,
  annotations: i.annotations ?? null,
  gold: i.gold ?? null,
  seq: i.seq,
  createdAt: i.createdAt,
  updatedAt: i.updatedAt,
});

/**
 * A dataset's items, keyset-paginated by id (UUIDv7: import order), optionally filtered by the
 * item filter language. Payload is read only with `include=payload`; without it the query never
 * touches the payload column unless the filter itself names a `payload.<key>`.
 */
export async function listItems(
  ctx: Ctx,
  caller: Caller,
  datasetId: string,
  query: { limit: number; cursor?: string; filter?: string; include?: 'payload' },
) {
  await datasetFor(ctx, caller, datasetId, 'viewer');
  const filter = query.filter ? compileItemFilter(parseFilterParam(query.filter)) : undefined;
  const after = query.cursor ? String(decodeCursor(query.cursor, 1)[0]) : null;
  const columns = query.include === 'payload' ? { ...summaryColumns, payload: items.payload } : summaryColumns;
  const rows = await ctx.db
    .select(columns)
    .from(items)
    .where(and(eq(items.datasetId, datasetId), after && isId(after) ? gt(items.id, after) : undefined, filter))
    .orderBy(asc(items.id))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, (r) => [r.id]);
}

/** The item with this id, or null. For other modules (tasks, exports); no permission check. */
export async function getItem(db: Db, itemId: string): Promise<ItemRow | null> {
  if (!isId(itemId)) return null;
  const [row] = await db.select().from(items).where(eq(items.id, itemId));
  return row ?? null;
}

async function itemFor(ctx: Ctx, caller: Caller, itemId: string, minRole: 'viewer' | 'annotator' | 'manager') {
  const item = await getItem(ctx.db, itemId);
  if (!item) throw notFound('Item');
  await requireRole(ctx.db, caller, item.projectId, minRole, 'Item');
  return item;
}

/**
 * One item with its payload and pre-annotations, and its gold answer for reviewers and up.
 * Viewers and annotators get `gold: null`: qualification and honeypot tasks score annotators
 * against it, and a honeypot's gold must stay unannounced. So do reviewers who annotate such a
 * task holding the item.
 */
export async function readItem(ctx: Ctx, caller: Caller, itemId: string) {
  const item = await getItem(ctx.db, itemId);
  if (!item) throw notFound('Item');
  const role = await requireRole(ctx.db, caller, item.projectId, 'viewer', 'Item');
  const view = fullView(item);
  // A reviewer (or viewer) who annotates a qualification/honeypot task holding this item is
  // scored against its gold: they never read it (docs/hardening.md).
  const seesGold = atLeast(role, 'reviewer') && (atLeast(role, 'manager') || !(await ctx.datasetUse.annotatesGoldScoredItem(ctx.db, item.id, caller.userId)));
  return seesGold ? view : { ...view, gold: null };
}

/** Locks an item row for a change (callers in other modules gate drafts on it). */
export async function lockItem(tx: Tx, itemId: string): Promise<ItemRow | null> {
  const [row] = await tx.select().from(items).where(eq(items.id, itemId)).for('update');
  return row ?? null;
}

export interface ItemPatch {
  draft?: boolean;
  /** Merged into the metadata; a key set to null is removed (JSON merge patch, top level). */
  metadata?: Record<string, unknown>;
}

/**
 * Sets an item's `draft` flag and/or merges its metadata (manager+), in one transaction with
 * its audit event, under a row lock on the item (so concurrent patches merge, never lose keys).
 * The undraft gate (409 `linked_tasks_unresolved` while a linked ticket is unresolved) belongs
 * inside this transaction, after `lockItem`, when `before.draft && patch.draft === false`.
 */
export async function updateItem(ctx: Ctx, caller: Caller, itemId: string, patch: ItemPatch) {
  await itemFor(ctx, caller, itemId, 'manager');
  return ctx.db.transaction(async (tx) => {
    const before = await lockItem(tx, itemId);
    if (!before) throw notFound('Item');
    if (before.draft && patch.draft === false) {
      const blocking = await ctx.datasetUse.unresolvedLinkedTasks(tx, itemId);
      if (blocking.length) throw new DomainError('linked_tasks_unresolved', 'The item is linked to unresolved tasks: resolve them before undrafting it', { taskIds: blocking });
    }
    const next: Partial<Pick<ItemRow, 'draft' | 'metadata'>> = {};
    if (patch.draft !== undefined) next.draft = patch.draft;
    if (patch.metadata) {
      const merged: Record<string, unknown> = { ...before.metadata };
      for (const [key, value] of Object.entries(patch.metadata)) {
        if (value === null) delete merged[key];
        else merged[key] = value;
      }
      next.metadata = merged;
    }
    const changes = changedFields(before as unknown as Record<string, unknown>, next);
    if (!changes) return fullView(before);
    const [row] = await tx.update(items).set({ ...next, updatedAt: ctx.clock.now() }).where(eq(items.id, itemId)).returning();
    await recordAudit(tx, {
      projectId: before.projectId,
      actorId: caller.userId,
      action: next.draft !== undefined && next.draft !== before.draft ? (next.draft ? 'item.draft' : 'item.undraft') : 'item.update',
      subjectKind: 'item',
      subjectId: itemId,
      ...changes,
    });
    return fullView(row!);
  });
}

/**
 * Sets an item's gold answer (manager+). The shapes are checked against the item (geometry,
 * spans) and, when `recipeId` is given, against that recipe too (422 `validation_failed`).
 */
export async function setGold(ctx: Ctx, caller: Caller, itemId: string, input: { shapes: unknown[]; recipeId?: string }) {
  const item = await itemFor(ctx, caller, itemId, 'manager');
  let shapes;
  if (input.recipeId) {
    const recipe = await getRecipe(ctx.db, input.recipeId);
    if (!recipe || recipe.projectId !== item.projectId) throw notFound('Recipe');
    shapes = validateShapes(recipe, item, input.shapes);
  } else {
    shapes = validateShapesForItem(item, input.shapes);
  }
  return ctx.db.transaction(async (tx) => {
    const before = await lockItem(tx, itemId);
    if (!before) throw notFound('Item');
    const [row] = await tx.update(items).set({ gold: shapes, updatedAt: ctx.clock.now() }).where(eq(items.id, itemId)).returning();
    await recordAudit(tx, { projectId: before.projectId, actorId: caller.userId, action: 'item.gold', subjectKind: 'item', subjectId: itemId, before: { gold: before.gold ?? null }, after: { gold: shapes } });
    return fullView(row!);
  });
}
