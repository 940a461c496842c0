import { and, asc, eq, gt, sql, type SQL } from 'drizzle-orm';
import type { Caller, Ctx } from '../context.ts';
import type { Db } from '../db/client.ts';
import { fromJsonRow, jsonRowColumns } from '../db/json-row.ts';
import { DomainError, notFound } from '../core/errors.ts';
import { isId, newId } from '../core/ids.ts';
import { decodeCursor, toPage, type PageQuery } from '../core/pagination.ts';
import { changedFields, recordAudit } from '../audit/audit.service.ts';
import { requireRole } from '../projects/permissions.ts';
import { recipes, type Tool } from './recipes.table.ts';
import type { CreateRecipeInput, PatchRecipeInput } from './recipes.schema.ts';

export type Recipe = typeof recipes.$inferSelect;

const labelledTools: Tool[] = ['classification', 'multi_classification', 'bbox', 'polygon', 'text_span'];

const duplicates = (names: string[]) => names.filter((n, i) => names.indexOf(n) !== i);

/**
 * Cross-field rules a schema cannot express: unique names, options for select attributes, scales,
 * and validation rules that name tools, labels and attributes the recipe has (422).
 */
function assertCoherent(r: Omit<Recipe, 'id' | 'projectId' | 'createdAt' | 'updatedAt'>) {
  const fail = (message: string, field: string) => {
    throw new DomainError('validation_failed', message, { field });
  };
  const dupLabels = duplicates(r.labels.map((l) => l.name));
  if (dupLabels.length) fail(`Label names are unique: ${dupLabels.join(', ')}`, 'labels');
  for (const label of r.labels) {
    const attrs = label.attributes ?? [];
    const dup = duplicates(attrs.map((a) => a.name));
    if (dup.length) fail(`Label "${label.name}" defines attribute ${dup[0]} twice`, 'labels');
    for (const a of attrs) {
      if ((a.type === 'select' || a.type === 'multi_select') && !a.options?.length) fail(`Attribute "${a.name}" of "${label.name}" is a ${a.type} and needs options`, 'labels');
    }
  }
  const dupTools = duplicates(r.tools);
  if (dupTools.length) fail(`Tools are listed once each: ${dupTools.join(', ')}`, 'tools');
  if (!r.labels.length && r.tools.some((t) => labelledTools.includes(t))) fail('The chosen tools need at least one label', 'labels');
  const dupStatuses = duplicates(r.statuses.map((s) => s.name));
  if (dupStatuses.length) fail(`Status names are unique: ${dupStatuses.join(', ')}`, 'statuses');
  const dupCategories = duplicates(r.ratingCategories.map((c) => c.name));
  if (dupCategories.length) fail(`Rating categories are unique: ${dupCategories.join(', ')}`, 'ratingCategories');
  for (const c of r.ratingCategories) if (!(c.min < c.max)) fail(`Rating category "${c.name}" needs min < max`, 'ratingCategories');
  if (r.tools.includes('rating') && !r.ratingCategories.length) fail('The rating tool needs rating categories', 'ratingCategories');
  const labels = new Map(r.labels.map((l) => [l.name, l]));
  for (const rule of r.validation) {
    if ((rule.rule === 'required_tool' || rule.rule === 'allowed_labels') && !r.tools.includes(rule.tool)) {
      fail(`Rule ${rule.rule} names the ${rule.tool} tool, which the recipe does not offer`, 'validation');
    }
    if (rule.rule === 'required_tool' && rule.min !== undefined && rule.max !== undefined && rule.min > rule.max) fail('Rule required_tool needs min ≤ max', 'validation');
    if (rule.rule === 'allowed_labels') {
      const unknown = rule.labels.filter((l) => !labels.has(l));
      if (unknown.length) fail(`Rule allowed_labels names unknown labels: ${unknown.join(', ')}`, 'validation');
    }
    if (rule.rule === 'required_attribute') {
      const label = labels.get(rule.label);
      if (!label) fail(`Rule required_attribute names unknown label "${rule.label}"`, 'validation');
      if (!label!.attributes?.some((a) => a.name === rule.attribute)) fail(`Label "${rule.label}" has no attribute "${rule.attribute}"`, 'validation');
    }
  }
}

const snapshot = (r: Recipe) => ({
  name: r.name,
  labels: r.labels,
  tools: r.tools,
  statuses: r.statuses,
  ratingCategories: r.ratingCategories,
  instructionsUrl: r.instructionsUrl,
  validation: r.validation,
  allowEmpty: r.allowEmpty,
});

/** Creates a recipe (manager+), checked for coherence, with its audit event in one transaction. */
export async function createRecipe(ctx: Ctx, caller: Caller, projectId: string, input: CreateRecipeInput): Promise<Recipe> {
  await requireRole(ctx.db, caller, projectId, 'manager', 'Project');
  const fields = {
    name: input.name,
    labels: input.labels,
    tools: input.tools,
    statuses: input.statuses ?? [],
    ratingCategories: (input.ratingCategories ?? []).map((c) => ({ ...c, weight: c.weight ?? 1 })),
    instructionsUrl: input.instructionsUrl ?? null,
    validation: input.validation ?? [],
    allowEmpty: input.allowEmpty ?? false,
  };
  assertCoherent(fields);
  return ctx.db.transaction(async (tx) => {
    const now = ctx.clock.now();
    const [row] = await tx.insert(recipes).values({ id: newId(), projectId, ...fields, createdAt: now, updatedAt: now }).returning();
    await recordAudit(tx, { projectId, actorId: caller.userId, action: 'recipe.create', subjectKind: 'recipe', subjectId: row!.id, after: snapshot(row!) });
    return row!;
  });
}

/** What an item status write needs of a recipe (`statusRecipeJson`). */
export interface StatusRecipeFacts {
  statuses: Recipe['statuses'];
  allowEmpty: boolean;
  /** The recipe has validation rules (they run in code over the answer). */
  validates: boolean;
}

/**
 * A scalar subquery for statements built elsewhere: `StatusRecipeFacts` of the recipe
 * `recipeId` as JSON (null without one). Never the labels or attributes.
 */
export const statusRecipeJson = (recipeId: SQL) => sql`(select json_build_object(
    'statuses', ${recipes.statuses}, 'allowEmpty', ${recipes.allowEmpty}, 'validates', jsonb_array_length(${recipes.validation}) > 0)
  from ${recipes} where ${recipes.id} = ${recipeId})`;

/** A scalar subquery for statements built elsewhere: the whole recipe `recipeId` as JSON (null without one); `recipeFromJson` reads it. */
export const recipeJson = (recipeId: SQL) => sql`(select row_to_json(r) from ${recipes} r where r.id = ${recipeId})`;

/** A `recipeJson` value as `getRecipe` answers it. */
export const recipeFromJson = (json: Record<string, unknown> | null): Recipe | null => (json ? fromJsonRow<Recipe>(jsonRowColumns(recipes), json) : null);

/** The recipe with this id, or null. For other modules (tasks, annotations); no permission check. */
export async function getRecipe(db: Db, id: string): Promise<Recipe | null> {
  if (!isId(id)) return null;
  const [row] = await db.select().from(recipes).where(eq(recipes.id, id));
  return row ?? null;
}

export async function readRecipe(ctx: Ctx, caller: Caller, recipeId: string): Promise<Recipe> {
  const recipe = await getRecipe(ctx.db, recipeId);
  if (!recipe) throw notFound('Recipe');
  await requireRole(ctx.db, caller, recipe.projectId, 'viewer', 'Recipe');
  return recipe;
}

/** A project's recipes, keyset-paginated by id (creation order). */
export async function listRecipes(ctx: Ctx, caller: Caller, projectId: string, page: PageQuery) {
  await requireRole(ctx.db, caller, projectId, 'viewer', 'Project');
  const after = page.cursor ? String(decodeCursor(page.cursor, 1)[0]) : null;
  const rows = await ctx.db
    .select()
    .from(recipes)
    .where(and(eq(recipes.projectId, projectId), after && isId(after) ? gt(recipes.id, after) : undefined))
    .orderBy(asc(recipes.id))
    .limit(page.limit + 1);
  return toPage(rows, page.limit, (r) => [r.id]);
}

/**
 * Changes a recipe (manager+): the given fields replace the old ones, the result is checked for
 * coherence as a whole. Locks the row so concurrent edits apply one after the other.
 */
export async function updateRecipe(ctx: Ctx, caller: Caller, recipeId: string, patch: PatchRecipeInput): Promise<Recipe> {
  const existing = await getRecipe(ctx.db, recipeId);
  if (!existing) throw notFound('Recipe');
  await requireRole(ctx.db, caller, existing.projectId, 'manager', 'Recipe');
  return ctx.db.transaction(async (tx) => {
    const [before] = await tx.select().from(recipes).where(eq(recipes.id, recipeId)).for('update');
    if (!before) throw notFound('Recipe');
    const next = {
      ...snapshot(before),
      ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)),
    } as ReturnType<typeof snapshot>;
    next.ratingCategories = next.ratingCategories.map((c) => ({ ...c, weight: c.weight ?? 1 }));
    assertCoherent(next);
    const changes = changedFields(snapshot(before) as unknown as Record<string, unknown>, next);
    if (!changes) return before;
    const [row] = await tx.update(recipes).set({ ...next, updatedAt: ctx.clock.now() }).where(eq(recipes.id, recipeId)).returning();
    await recordAudit(tx, { projectId: before.projectId, actorId: caller.userId, action: 'recipe.update', subjectKind: 'recipe', subjectId: recipeId, ...changes });
    return row!;
  });
}
