import { and, asc, desc, eq, gt, inArray, isNotNull, ne, sql } from 'drizzle-orm';
import { tasksHaveAnnotations } from '../annotations/annotations-for-workloads.ts';
import type { Caller, Ctx } from '../context.ts';
import type { Db, Tx } from '../db/client.ts';
import { DomainError, notFound, ruleBroken } from '../core/errors.ts';
import { isId, newId } from '../core/ids.ts';
import { decodeCursor, toPage } from '../core/pagination.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { requireRole } from '../projects/permissions.ts';
import { resolveAssignees } from '../task-units/resolve-assignees.ts';
import { parseItemFilter } from '../datasets/item-filter.ts';
import { getDataset } from '../datasets/datasets.service.ts';
import { itemFieldText } from '../datasets/sample-items.ts';
import { getRecipe } from '../recipes/recipes.service.ts';
import { deleteInTx } from '../tasks/tasks.service.ts';
import { autoQaPortOf } from './auto-qa.port.ts';
import { currentPeriod, cycleClosed, latestCycle, lockWorkload, mayStart, startCycle, type CycleRow, type WorkloadRow } from './cycles.service.ts';
import { isTimeZone } from './periods.ts';
import type { CreateWorkloadInput, PatchWorkloadInput } from './workloads.schema.ts';
import { workloadCycleItems, workloadCycles, workloads, type WorkloadConfig, type WorkloadStatus } from './workloads.table.ts';

export const cycleView = (c: CycleRow) => ({
  id: c.id,
  workloadId: c.workloadId,
  periodStart: c.periodStart,
  periodEnd: c.periodEnd,
  status: c.status,
  target: c.target,
  done: c.done,
  skipped: c.skipped,
  taskId: c.taskId,
  createdAt: c.createdAt,
  closedAt: c.closedAt,
});

const view = (w: WorkloadRow, current: CycleRow | null) => ({
  id: w.id,
  projectId: w.projectId,
  name: w.name,
  status: w.status,
  ...w.config,
  sampling: { ...w.config.sampling, filter: w.config.sampling.filter ?? null },
  subscriberIds: w.subscriberIds,
  createdBy: w.createdBy,
  createdAt: w.createdAt,
  updatedAt: w.updatedAt,
  currentCycle: current && current.status === 'in_progress' ? cycleView(current) : null,
});

/**
 * Checks a configuration against the project (422 naming the field): reviewees, evaluators and
 * subscribers are members or groups of the project; the recipe is a scorecard (rating tool with
 * categories); the dataset is the project's; the filter and the reviewee field parse; the time
 * zone is known; AutoQA needs the AutoQA port (422 `auto_qa_unavailable`) and an AI evaluator the
 * port accepts (`aiEvaluatorId`, 422), and human evaluators unless it is autonomous.
 */
async function checkConfig(ctx: Ctx, caller: Caller, projectId: string, config: WorkloadConfig, subscriberIds: string[]) {
  if (!isTimeZone(config.schedule.timeZone)) throw ruleBroken(`"${config.schedule.timeZone}" is not a known time zone`, { field: 'schedule.timeZone' });
  if (config.autoQa !== 'off') {
    const port = autoQaPortOf(ctx);
    if (!port) throw new DomainError('auto_qa_unavailable', 'AutoQA needs an AI evaluator, and none is configured on this server', { field: 'autoQa' });
    await port.check({ caller, projectId, aiEvaluatorId: config.aiEvaluatorId });
  }
  if (config.autoQa !== 'autonomous' && !config.evaluatorIds.length) throw ruleBroken('A workload needs evaluators unless AutoQA is autonomous', { field: 'evaluatorIds' });
  await resolveAssignees(ctx.db, projectId, config.revieweeIds);
  await resolveAssignees(ctx.db, projectId, config.evaluatorIds);
  const subscribers = await resolveAssignees(ctx.db, projectId, subscriberIds);
  if (subscribers.some((s) => s.kind !== 'user')) throw ruleBroken('Subscribers are people, not groups', { field: 'subscriberIds' });
  const recipe = isId(config.scorecardRecipeId) ? await getRecipe(ctx.db, config.scorecardRecipeId) : null;
  if (!recipe || recipe.projectId !== projectId) throw ruleBroken('scorecardRecipeId is not a recipe of this project', { field: 'scorecardRecipeId' });
  if (!recipe.tools.includes('rating') || !recipe.ratingCategories.length) throw ruleBroken('The scorecard recipe needs the rating tool and rating categories', { field: 'scorecardRecipeId' });
  if (config.sampling.filter !== undefined && config.sampling.filter !== null) parseItemFilter(config.sampling.filter);
  itemFieldText(config.sampling.revieweeField);
  const dataset = isId(config.sampling.datasetId) ? await getDataset(ctx.db, config.sampling.datasetId) : null;
  if (!dataset || dataset.projectId !== projectId) throw ruleBroken('sampling.datasetId is not a dataset of this project', { field: 'sampling.datasetId' });
}

const configOf = (input: CreateWorkloadInput): WorkloadConfig => ({
  revieweeIds: input.revieweeIds,
  evaluatorIds: input.evaluatorIds,
  scorecardRecipeId: input.scorecardRecipeId,
  schedule: { frequency: input.schedule.frequency, timeZone: input.schedule.timeZone ?? 'UTC', startAt: input.schedule.startAt ? input.schedule.startAt.toISOString() : null },
  target: input.target,
  sampling: { datasetId: input.sampling.datasetId, filter: input.sampling.filter ?? null, revieweeField: input.sampling.revieweeField, strategy: input.sampling.strategy },
  autoQa: input.autoQa,
  aiEvaluatorId: input.aiEvaluatorId ?? null,
});

/** The workload, or 404 (also for another project's). */
async function findWorkload(db: Db, workloadId: string): Promise<WorkloadRow> {
  if (!isId(workloadId)) throw notFound('Workload');
  const [row] = await db.select().from(workloads).where(eq(workloads.id, workloadId));
  if (!row) throw notFound('Workload');
  return row;
}

/** A workload the caller manages (owner of its project, or an administrator). */
async function managed(ctx: Ctx, caller: Caller, workloadId: string) {
  const w = await findWorkload(ctx.db, workloadId);
  await requireRole(ctx.db, caller, w.projectId, 'owner', 'Workload');
  return w;
}

/**
 * Creates a workload (owners, administrators) and, unless `startAt` lies ahead, its first cycle
 * in the same transaction: the cycle of the period containing now, with its task and sample.
 */
export async function createWorkload(ctx: Ctx, caller: Caller, projectId: string, input: CreateWorkloadInput) {
  await requireRole(ctx.db, caller, projectId, 'owner', 'Project');
  const config = configOf(input);
  await checkConfig(ctx, caller, projectId, config, input.subscriberIds);
  return ctx.db.transaction(async (tx) => {
    const now = ctx.clock.now();
    const [w] = await tx
      .insert(workloads)
      .values({ id: newId(), projectId, name: input.name, status: 'active', config, subscriberIds: input.subscriberIds, createdBy: caller.userId, createdAt: now, updatedAt: now })
      .returning();
    await recordAudit(tx, { projectId, actorId: caller.userId, action: 'workload.create', subjectKind: 'workload', subjectId: w!.id, after: { name: input.name, ...config } }, now);
    const cycle = mayStart(w!, now) ? await startCycle(ctx, tx, w!, currentPeriod(w!, now), caller.userId) : null;
    return view(w!, cycle);
  });
}

/** Workloads of a project (owners see all; archived ones only when asked for by `status`), newest first. */
export async function listWorkloads(ctx: Ctx, caller: Caller, projectId: string, query: { status?: WorkloadStatus; limit: number; cursor?: string }) {
  await requireRole(ctx.db, caller, projectId, 'owner', 'Project');
  const conditions = [eq(workloads.projectId, projectId), query.status ? eq(workloads.status, query.status) : ne(workloads.status, 'archived')];
  if (query.cursor) conditions.push(gt(workloads.id, String(decodeCursor(query.cursor, 1)[0])));
  const rows = await ctx.db.select().from(workloads).where(and(...conditions)).orderBy(asc(workloads.id)).limit(query.limit + 1);
  const result = toPage(rows, query.limit, (r) => [r.id]);
  const current = await currentCycles(ctx.db, result.data.map((w) => w.id));
  return { data: result.data.map((w) => view(w, current.get(w.id) ?? null)), nextCursor: result.nextCursor };
}

async function currentCycles(db: Db, workloadIds: string[]) {
  if (!workloadIds.length) return new Map<string, CycleRow>();
  const rows = await db.select().from(workloadCycles).where(and(inArray(workloadCycles.workloadId, workloadIds), eq(workloadCycles.status, 'in_progress')));
  return new Map(rows.map((r) => [r.workloadId, r]));
}

export async function getWorkload(ctx: Ctx, caller: Caller, workloadId: string) {
  const w = await managed(ctx, caller, workloadId);
  return view(w, await latestCycle(ctx.db, w.id));
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Changes a workload (owners). A change of configuration (anything but the name and the
 * subscribers) while a cycle runs cancels that cycle (`cancelled`, `cycle.closed` recorded) and
 * starts a new one for the same period with the new settings, in one transaction under the
 * workload's row lock.
 */
export async function patchWorkload(ctx: Ctx, caller: Caller, workloadId: string, patch: PatchWorkloadInput) {
  const before = await managed(ctx, caller, workloadId);
  const next: WorkloadConfig = {
    ...before.config,
    ...(patch.revieweeIds ? { revieweeIds: patch.revieweeIds } : {}),
    ...(patch.evaluatorIds ? { evaluatorIds: patch.evaluatorIds } : {}),
    ...(patch.scorecardRecipeId ? { scorecardRecipeId: patch.scorecardRecipeId } : {}),
    ...(patch.schedule
      ? { schedule: { frequency: patch.schedule.frequency, timeZone: patch.schedule.timeZone ?? 'UTC', startAt: patch.schedule.startAt ? patch.schedule.startAt.toISOString() : null } }
      : {}),
    ...(patch.target ? { target: patch.target } : {}),
    ...(patch.sampling ? { sampling: { ...patch.sampling, filter: patch.sampling.filter ?? null } } : {}),
    ...(patch.autoQa ? { autoQa: patch.autoQa } : {}),
    ...(patch.aiEvaluatorId !== undefined ? { aiEvaluatorId: patch.aiEvaluatorId } : {}),
  };
  const subscriberIds = patch.subscriberIds ?? before.subscriberIds;
  await checkConfig(ctx, caller, before.projectId, next, subscriberIds);
  return ctx.db.transaction(async (tx) => {
    const w = (await lockWorkload(tx, workloadId))!;
    const now = ctx.clock.now();
    const configChanged = !sameJson(w.config, next);
    const [updated] = await tx
      .update(workloads)
      .set({ name: patch.name ?? w.name, config: next, subscriberIds, updatedAt: now })
      .where(eq(workloads.id, w.id))
      .returning();
    await recordAudit(tx, { projectId: w.projectId, actorId: caller.userId, action: 'workload.update', subjectKind: 'workload', subjectId: w.id, before: { name: w.name, ...w.config }, after: { name: updated!.name, ...next } }, now);
    let current = await latestCycle(tx, w.id);
    if (configChanged && current?.status === 'in_progress') {
      const [cancelled] = await tx.update(workloadCycles).set({ status: 'cancelled', closedAt: now }).where(and(eq(workloadCycles.id, current.id), eq(workloadCycles.status, 'in_progress'))).returning();
      if (cancelled) await cycleClosed(tx, updated!, cancelled, caller.userId, now);
      current = mayStart(updated!, now) ? await startCycle(ctx, tx, updated!, currentPeriod(updated!, now), caller.userId) : null;
    }
    return view(updated!, current);
  });
}

/** A copy of the workload's settings under a new name, `inactive` until activated (it starts no work by itself). */
export async function duplicateWorkload(ctx: Ctx, caller: Caller, workloadId: string) {
  const w = await managed(ctx, caller, workloadId);
  return ctx.db.transaction(async (tx) => {
    const now = ctx.clock.now();
    const [copy] = await tx
      .insert(workloads)
      .values({ id: newId(), projectId: w.projectId, name: `${w.name} (copy)`.slice(0, 200), status: 'inactive', config: w.config, subscriberIds: w.subscriberIds, createdBy: caller.userId, createdAt: now, updatedAt: now })
      .returning();
    await recordAudit(tx, { projectId: w.projectId, actorId: caller.userId, action: 'workload.duplicate', subjectKind: 'workload', subjectId: copy!.id, after: { from: w.id } }, now);
    return view(copy!, null);
  });
}

const allowed: Record<'deactivate' | 'activate' | 'archive' | 'restore', { from: WorkloadStatus[]; to: WorkloadStatus }> = {
  deactivate: { from: ['active'], to: 'inactive' },
  activate: { from: ['inactive'], to: 'active' },
  archive: { from: ['active', 'inactive'], to: 'archived' },
  restore: { from: ['archived'], to: 'inactive' },
};

/**
 * Lifecycle (owners): deactivate (no new cycles; the current one runs on), activate (starts the
 * current period's cycle at once when it has none), archive (no new cycles, hidden from lists
 * and reports, data kept; the running cycle runs on), restore (back to `inactive`). The same
 * action twice is a no-op; other moves answer 409 `invalid_transition`.
 */
export async function changeWorkloadStatus(ctx: Ctx, caller: Caller, workloadId: string, action: keyof typeof allowed) {
  await managed(ctx, caller, workloadId);
  const rule = allowed[action];
  return ctx.db.transaction(async (tx) => {
    const w = (await lockWorkload(tx, workloadId))!;
    const now = ctx.clock.now();
    if (w.status === rule.to) return view(w, await latestCycle(tx, w.id));
    if (!rule.from.includes(w.status)) throw new DomainError('invalid_transition', `A workload that is ${w.status} cannot be ${action}d`, { workloadStatus: w.status });
    const [updated] = await tx.update(workloads).set({ status: rule.to, updatedAt: now }).where(eq(workloads.id, w.id)).returning();
    await recordAudit(tx, { projectId: w.projectId, actorId: caller.userId, action: `workload.${action}`, subjectKind: 'workload', subjectId: w.id, before: { status: w.status }, after: { status: rule.to } }, now);
    let current = await latestCycle(tx, w.id);
    if (rule.to === 'active' && mayStart(updated!, now)) current = (await startCycle(ctx, tx, updated!, currentPeriod(updated!, now), caller.userId)) ?? current;
    return view(updated!, current);
  });
}

/**
 * Deletes a workload that has no evaluations (owners): its cycles and their tasks go with it
 * (a task that somehow has history is archived by the tasks module's rules). A workload with
 * an evaluation (an item with a status, or an AutoQA answer, in any cycle) answers 409
 * `workload_has_evaluations`: deactivate or archive it instead.
 */
export async function deleteWorkload(ctx: Ctx, caller: Caller, workloadId: string) {
  await managed(ctx, caller, workloadId);
  await ctx.db.transaction(async (tx: Tx) => {
    const w = (await lockWorkload(tx, workloadId))!;
    const cycles = await tx.select().from(workloadCycles).where(eq(workloadCycles.workloadId, w.id)).orderBy(desc(workloadCycles.periodStart));
    const ids = cycles.map((c) => c.id);
    const [aiAnswered] = ids.length
      ? await tx.select({ one: sql`1` }).from(workloadCycleItems).where(and(inArray(workloadCycleItems.cycleId, ids), isNotNull(workloadCycleItems.aiValues))).limit(1)
      : [];
    const taskIds = cycles.flatMap((c) => (c.taskId ? [c.taskId] : []));
    if (cycles.some((c) => c.done > 0) || aiAnswered || (await tasksHaveAnnotations(tx, taskIds))) {
      throw new DomainError('workload_has_evaluations', 'This workload has evaluations: deactivate or archive it instead', { workloadId: w.id });
    }
    for (const c of cycles) if (c.taskId) await deleteInTx(tx, { ...ctx, db: tx }, caller, c.taskId);
    await tx.delete(workloads).where(eq(workloads.id, w.id));
    await recordAudit(tx, { projectId: w.projectId, actorId: caller.userId, action: 'workload.delete', subjectKind: 'workload', subjectId: w.id, before: { name: w.name, cycles: cycles.length } });
  });
}

/** A workload's cycles, newest first (owners), with their counters. */
export async function listCycles(ctx: Ctx, caller: Caller, workloadId: string, query: { limit: number; cursor?: string }) {
  const w = await managed(ctx, caller, workloadId);
  const conditions = [eq(workloadCycles.workloadId, w.id)];
  if (query.cursor) {
    const [start, id] = decodeCursor(query.cursor, 2) as [string, string];
    conditions.push(sql`(${workloadCycles.periodStart}, ${workloadCycles.id}) < (${start}::timestamptz, ${id}::uuid)`);
  }
  const rows = await ctx.db.select().from(workloadCycles).where(and(...conditions)).orderBy(desc(workloadCycles.periodStart), desc(workloadCycles.id)).limit(query.limit + 1);
  const result = toPage(rows, query.limit, (r) => [r.periodStart.toISOString(), r.id]);
  return { data: result.data.map(cycleView), nextCursor: result.nextCursor };
}
