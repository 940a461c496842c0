import { and, desc, eq, inArray, lt } from 'drizzle-orm';
import type { Caller, Ctx } from '../context.ts';
import type { Db } from '../db/client.ts';
import { DomainError, notFound, ruleBroken } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { decodeCursor, toPage, type PageQuery } from '../core/pagination.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { requireRole } from '../projects/permissions.ts';
import { datasetInProject } from '../datasets/items-for-evaluation.ts';
import { evalRuns, evalTasks, evaluators } from './evaluators.table.ts';
import type { CreateEvalTaskInput } from './evaluators.schema.ts';
import { evalRunJob } from './eval-jobs.ts';

export type EvalTaskRow = typeof evalTasks.$inferSelect;
export type EvalRunRow = typeof evalRuns.$inferSelect;

/** The API shape of a run: its decision counts under their decision names. */
export function runView(r: EvalRunRow) {
  return {
    id: r.id,
    projectId: r.projectId,
    evalTaskId: r.taskId,
    kind: r.kind,
    status: r.status,
    params: r.params,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    counts: { scored: r.scored, error: r.error, filtered_out: r.filteredOut, sampled_out: r.sampledOut, draft: r.draft, duplicate: r.duplicate, rate_limited: r.rateLimited },
  };
}

export function taskView(t: EvalTaskRow, lastRuns: EvalRunRow[]) {
  return {
    id: t.id,
    projectId: t.projectId,
    name: t.name,
    evaluatorIds: t.evaluatorIds,
    target: t.targetKind === 'dataset' ? { kind: 'dataset' as const, datasetId: t.datasetId! } : { kind: 'spans' as const },
    filter: t.filter,
    samplingRate: t.samplingRate,
    mapping: t.mapping,
    continuous: t.continuous,
    quietSeconds: t.quietSeconds,
    blockAfterErrors: t.blockAfterErrors,
    status: t.status,
    blockedReason: t.blockedReason,
    consecutiveErrors: t.consecutiveErrors,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
    lastRuns: lastRuns.map(runView),
  };
}

/** The last five runs of each task, newest first. */
async function lastRunsOf(db: Db, taskIds: string[]) {
  const out = new Map<string, EvalRunRow[]>(taskIds.map((id) => [id, []]));
  for (const id of taskIds) {
    out.set(id, await db.select().from(evalRuns).where(eq(evalRuns.taskId, id)).orderBy(desc(evalRuns.id)).limit(5));
  }
  return out;
}

export async function evalTaskRow(ctx: Ctx, caller: Caller, id: string, min: 'viewer' | 'manager') {
  const [row] = await ctx.db.select().from(evalTasks).where(eq(evalTasks.id, id));
  if (!row) throw notFound('Evaluation task');
  await requireRole(ctx.db, caller, row.projectId, min, 'Evaluation task');
  return row;
}

/**
 * Creates an evaluation task (manager or owner) over the project's spans or one of its datasets,
 * with evaluators of the same project. Continuous span tasks are picked up by the periodic
 * continuous job; dataset and backfill runs start with `startRun`. Audited in the same transaction.
 */
export async function createEvalTask(ctx: Ctx, caller: Caller, projectId: string, input: CreateEvalTaskInput) {
  await requireRole(ctx.db, caller, projectId, 'manager', 'Project');
  const ids = [...new Set(input.evaluatorIds)];
  const found = await ctx.db.select({ id: evaluators.id }).from(evaluators).where(and(eq(evaluators.projectId, projectId), inArray(evaluators.id, ids)));
  if (found.length !== ids.length) throw ruleBroken('Some evaluators are not in this project', { missing: ids.filter((id) => !found.some((f) => f.id === id)) });
  if (input.target.kind === 'dataset' && !(await datasetInProject(ctx.db, projectId, input.target.datasetId))) {
    throw ruleBroken('The dataset is not in this project', { field: 'target.datasetId' });
  }
  if (input.target.kind === 'dataset' && input.continuous) throw ruleBroken('Continuous mode evaluates spans; a dataset task runs on request', { field: 'continuous' });
  const now = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(evalTasks)
      .values({
        id: newId(),
        projectId,
        name: input.name,
        evaluatorIds: ids,
        targetKind: input.target.kind,
        datasetId: input.target.kind === 'dataset' ? input.target.datasetId : null,
        filter: input.filter ?? {},
        samplingRate: input.samplingRate,
        mapping: input.mapping ?? {},
        continuous: input.continuous,
        quietSeconds: input.quietSeconds,
        blockAfterErrors: input.blockAfterErrors,
        createdBy: caller.userId,
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    await recordAudit(tx, { projectId, actorId: caller.userId, action: 'eval_task.create', subjectKind: 'eval_task', subjectId: row!.id, after: { name: input.name, target: input.target.kind, evaluatorIds: ids } });
    return taskView(row!, []);
  });
}

export async function getEvalTask(ctx: Ctx, caller: Caller, id: string) {
  const row = await evalTaskRow(ctx, caller, id, 'viewer');
  return taskView(row, (await lastRunsOf(ctx.db, [id])).get(id) ?? []);
}

/** A project's evaluation tasks, newest first, each with its last five runs. */
export async function listEvalTasks(ctx: Ctx, caller: Caller, projectId: string, query: PageQuery) {
  await requireRole(ctx.db, caller, projectId, 'viewer', 'Project');
  const before = query.cursor ? String(decodeCursor(query.cursor, 1)[0]) : null;
  const rows = await ctx.db
    .select()
    .from(evalTasks)
    .where(before ? and(eq(evalTasks.projectId, projectId), lt(evalTasks.id, before)) : eq(evalTasks.projectId, projectId))
    .orderBy(desc(evalTasks.id))
    .limit(query.limit + 1);
  const pageRows = toPage(rows, query.limit, (r) => [r.id]);
  const runs = await lastRunsOf(ctx.db, pageRows.data.map((r) => r.id));
  return { data: pageRows.data.map((r) => taskView(r, runs.get(r.id) ?? [])), nextCursor: pageRows.nextCursor };
}

/**
 * Pauses or resumes a task (manager). Resuming is one call whatever the task's state: it clears
 * `blocked`, its reason and the error streak, so the next batch starts afresh.
 */
export async function setEvalTaskStatus(ctx: Ctx, caller: Caller, id: string, to: 'active' | 'paused') {
  const row = await evalTaskRow(ctx, caller, id, 'manager');
  const now = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const [updated] = await tx
      .update(evalTasks)
      .set(to === 'active' ? { status: 'active', blockedReason: null, consecutiveErrors: 0, updatedAt: now } : { status: 'paused', updatedAt: now })
      .where(eq(evalTasks.id, id))
      .returning();
    await recordAudit(tx, { projectId: row.projectId, actorId: caller.userId, action: to === 'active' ? 'eval_task.resume' : 'eval_task.pause', subjectKind: 'eval_task', subjectId: id, before: { status: row.status }, after: { status: to } });
    return taskView(updated!, (await lastRunsOf(tx, [id])).get(id) ?? []);
  });
}

/**
 * Starts a one-time run (manager): a backfill over the spans in [from, to) capped at `max`, or
 * a pass over a dataset task's items. The run row and its job are written in one transaction
 * (the job exists if and only if the run does); a paused or blocked task refuses (409).
 */
export async function startRun(ctx: Ctx, caller: Caller, id: string, params: { from?: string; to?: string; max?: number }) {
  const task = await evalTaskRow(ctx, caller, id, 'manager');
  if (task.status !== 'active') throw new DomainError('eval_task_not_active', `The task is ${task.status}; resume it first`, { taskStatus: task.status });
  if (params.from && params.to && Date.parse(params.from) >= Date.parse(params.to)) throw ruleBroken('from must be before to', { field: 'from' });
  const now = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const [run] = await tx
      .insert(evalRuns)
      .values({ id: newId(), projectId: task.projectId, taskId: id, kind: task.targetKind === 'dataset' ? 'dataset' : 'backfill', params, createdAt: now })
      .returning();
    await ctx.jobs.enqueue(tx, evalRunJob, { runId: run!.id });
    await recordAudit(tx, { projectId: task.projectId, actorId: caller.userId, action: 'eval_run.start', subjectKind: 'eval_run', subjectId: run!.id, after: { evalTaskId: id, ...params } });
    return runView(run!);
  });
}

/** A task's runs, newest first. */
export async function listRuns(ctx: Ctx, caller: Caller, id: string, query: PageQuery) {
  await evalTaskRow(ctx, caller, id, 'viewer');
  const before = query.cursor ? String(decodeCursor(query.cursor, 1)[0]) : null;
  const rows = await ctx.db
    .select()
    .from(evalRuns)
    .where(before ? and(eq(evalRuns.taskId, id), lt(evalRuns.id, before)) : eq(evalRuns.taskId, id))
    .orderBy(desc(evalRuns.id))
    .limit(query.limit + 1);
  const p = toPage(rows, query.limit, (r) => [r.id]);
  return { data: p.data.map(runView), nextCursor: p.nextCursor };
}

export async function runRow(ctx: Ctx, caller: Caller, runId: string) {
  const [run] = await ctx.db.select().from(evalRuns).where(eq(evalRuns.id, runId));
  if (!run) throw notFound('Evaluation run');
  await requireRole(ctx.db, caller, run.projectId, 'viewer', 'Evaluation run');
  return run;
}

export async function getRun(ctx: Ctx, caller: Caller, runId: string) {
  return runView(await runRow(ctx, caller, runId));
}

