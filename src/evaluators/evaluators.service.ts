import { and, asc, eq, gt, sql } from 'drizzle-orm';
import type { Caller, Ctx } from '../context.ts';
import { DomainError, notFound } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { decodeCursor, toPage, type PageQuery } from '../core/pagination.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { requireRole } from '../projects/permissions.ts';
import { validateCheckParams } from './code-checks.ts';
import { allowedBaseUrl, llmSettingsFromEnv, type LlmSettings } from './llm-port.ts';
import { evalTasks, evaluators } from './evaluators.table.ts';
import type { CreateEvaluatorInput, PatchEvaluatorInput } from './evaluators.schema.ts';

let envSettings: LlmSettings | undefined;
/** The LLM settings of this context: the ones handed in, or the environment's (read once). */
export function llmSettings(ctx: Ctx): LlmSettings {
  return ctx.llm ?? (envSettings ??= llmSettingsFromEnv());
}

export type EvaluatorRow = typeof evaluators.$inferSelect;

async function evaluatorRow(ctx: Ctx, caller: Caller, id: string, min: 'viewer' | 'manager') {
  const [row] = await ctx.db.select().from(evaluators).where(eq(evaluators.id, id));
  if (!row) throw notFound('Evaluator');
  await requireRole(ctx.db, caller, row.projectId, min, 'Evaluator');
  return row;
}

/**
 * Creates an evaluator (manager or owner). Code checks have their parameters checked here (a
 * pattern that does not compile, an invalid schema: 422); an LLM judge's `baseUrl` must be the
 * configured endpoint or on the allow-list (422 otherwise), so no request makes the server call
 * an arbitrary URL. Audited in the same transaction.
 */
export async function createEvaluator(ctx: Ctx, caller: Caller, projectId: string, input: CreateEvaluatorInput) {
  await requireRole(ctx.db, caller, projectId, 'manager', 'Project');
  if (input.kind === 'code') validateCheckParams(input.check, input.params);
  else if (input.baseUrl) allowedBaseUrl(llmSettings(ctx), input.baseUrl);
  const now = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(evaluators)
      .values({
        id: newId(),
        projectId,
        name: input.name,
        kind: input.kind,
        check: input.kind === 'code' ? input.check : null,
        params: input.kind === 'code' ? input.params : {},
        model: input.kind === 'llm' ? input.model : null,
        template: input.kind === 'llm' ? input.template : null,
        labels: input.kind === 'llm' ? input.labels : null,
        baseUrl: input.kind === 'llm' && input.baseUrl ? input.baseUrl.replace(/\/+$/, '') : null,
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    await recordAudit(tx, { projectId, actorId: caller.userId, action: 'evaluator.create', subjectKind: 'evaluator', subjectId: row!.id, after: { name: input.name, kind: input.kind } });
    return row!;
  });
}

export async function getEvaluator(ctx: Ctx, caller: Caller, id: string) {
  return evaluatorRow(ctx, caller, id, 'viewer');
}

/** A project's evaluators in creation order, keyset-paginated. */
export async function listEvaluators(ctx: Ctx, caller: Caller, projectId: string, query: PageQuery) {
  await requireRole(ctx.db, caller, projectId, 'viewer', 'Project');
  const after = query.cursor ? String(decodeCursor(query.cursor, 1)[0]) : null;
  const rows = await ctx.db
    .select()
    .from(evaluators)
    .where(after ? and(eq(evaluators.projectId, projectId), gt(evaluators.id, after)) : eq(evaluators.projectId, projectId))
    .orderBy(asc(evaluators.id))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, (r) => [r.id]);
}

/** Changes an evaluator's name or settings (manager); the same checks as on creation. */
export async function patchEvaluator(ctx: Ctx, caller: Caller, id: string, input: PatchEvaluatorInput) {
  const row = await evaluatorRow(ctx, caller, id, 'manager');
  if (row.kind === 'code' && (input.model !== undefined || input.template !== undefined || input.labels !== undefined || input.baseUrl !== undefined)) {
    throw new DomainError('validation_failed', 'A code evaluator has no model, template, labels or baseUrl');
  }
  if (row.kind === 'llm' && input.params !== undefined) throw new DomainError('validation_failed', 'An LLM judge has no params');
  if (row.kind === 'code' && input.params) validateCheckParams(row.check!, input.params);
  if (input.baseUrl) allowedBaseUrl(llmSettings(ctx), input.baseUrl);
  const now = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const changes = {
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.params !== undefined ? { params: input.params } : {}),
      ...(input.model !== undefined ? { model: input.model } : {}),
      ...(input.template !== undefined ? { template: input.template } : {}),
      ...(input.labels !== undefined ? { labels: input.labels } : {}),
      ...(input.baseUrl !== undefined ? { baseUrl: input.baseUrl ? input.baseUrl.replace(/\/+$/, '') : null } : {}),
    };
    const [updated] = await tx.update(evaluators).set({ ...changes, updatedAt: now }).where(eq(evaluators.id, id)).returning();
    await recordAudit(tx, { projectId: row.projectId, actorId: caller.userId, action: 'evaluator.update', subjectKind: 'evaluator', subjectId: id, after: { fields: Object.keys(changes) } });
    return updated!;
  });
}

/** Deletes an evaluator no evaluation task uses (409 `evaluator_in_use` otherwise). */
export async function deleteEvaluator(ctx: Ctx, caller: Caller, id: string) {
  const row = await evaluatorRow(ctx, caller, id, 'manager');
  await ctx.db.transaction(async (tx) => {
    // Lock the evaluator so a task created concurrently cannot start using it mid-delete.
    await tx.select({ id: evaluators.id }).from(evaluators).where(eq(evaluators.id, id)).for('update');
    const users = await tx.select({ id: evalTasks.id }).from(evalTasks).where(and(eq(evalTasks.projectId, row.projectId), sql`${id}::uuid = any(${evalTasks.evaluatorIds})`)).limit(5);
    if (users.length) throw new DomainError('evaluator_in_use', 'Evaluation tasks use this evaluator', { evalTaskIds: users.map((u) => u.id) });
    await tx.delete(evaluators).where(eq(evaluators.id, id));
    await recordAudit(tx, { projectId: row.projectId, actorId: caller.userId, action: 'evaluator.delete', subjectKind: 'evaluator', subjectId: id, before: { name: row.name } });
  });
}
