import { and, asc, eq, gt, inArray, isNotNull, sql } from 'drizzle-orm';
import type { Caller, Ctx } from '../context.ts';
import { notFound, ruleBroken } from '../core/errors.ts';
import { decodeCursor, toPage, type PageQuery } from '../core/pagination.ts';
import { requireRole } from '../projects/permissions.ts';
import { createTask } from '../tasks/create-task.ts';
import { createTaskBody } from '../tasks/tasks.schema.ts';
import { draftedItemIds } from '../datasets/items-for-evaluation.ts';
import { evalDecisions, evalResults, evalRunLogs, evalTasks, evaluators, type Decision } from './evaluators.table.ts';
import { runRow } from './eval-tasks.service.ts';
import type { TicketInput } from './evaluators.schema.ts';

/** A run's log lines, oldest first, keyset-paginated. */
export async function listLogs(ctx: Ctx, caller: Caller, runId: string, query: PageQuery) {
  await runRow(ctx, caller, runId);
  const after = query.cursor ? String(decodeCursor(query.cursor, 1)[0]) : null;
  const rows = await ctx.db
    .select({ id: evalRunLogs.id, level: evalRunLogs.level, message: evalRunLogs.message, at: evalRunLogs.at })
    .from(evalRunLogs)
    .where(after ? and(eq(evalRunLogs.runId, runId), gt(evalRunLogs.id, after)) : eq(evalRunLogs.runId, runId))
    .orderBy(asc(evalRunLogs.id))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, (r) => [r.id]);
}

/** A run's decisions in the order they were made, optionally of one kind, keyset-paginated. */
export async function listDecisions(ctx: Ctx, caller: Caller, runId: string, query: PageQuery & { decision?: Decision }) {
  await runRow(ctx, caller, runId);
  const after = query.cursor ? String(decodeCursor(query.cursor, 1)[0]) : null;
  const rows = await ctx.db
    .select()
    .from(evalDecisions)
    .where(and(eq(evalDecisions.runId, runId), query.decision ? eq(evalDecisions.decision, query.decision) : undefined, after ? gt(evalDecisions.id, after) : undefined))
    .orderBy(asc(evalDecisions.id))
    .limit(query.limit + 1);
  return toPage(rows, query.limit, (r) => [r.id]);
}

/**
 * A dataset run's results per test case, in item id order: every check (one per evaluator),
 * `passed` when all passed, and the first failing check's explanation as the reason. The `id`
 * is the result a ticket should link (the first failing check, else the first check).
 */
export async function listTestCaseResults(ctx: Ctx, caller: Caller, runId: string, query: PageQuery) {
  await runRow(ctx, caller, runId);
  const after = query.cursor ? String(decodeCursor(query.cursor, 1)[0]) : null;
  const itemRows = await ctx.db
    .selectDistinct({ itemId: evalResults.itemId })
    .from(evalResults)
    .where(and(eq(evalResults.runId, runId), isNotNull(evalResults.itemId), after ? gt(evalResults.itemId, after) : undefined))
    .orderBy(asc(evalResults.itemId))
    .limit(query.limit + 1);
  const p = toPage(itemRows, query.limit, (r) => [r.itemId]);
  const ids = p.data.map((r) => r.itemId!);
  const rows = ids.length
    ? await ctx.db
        .select({ r: evalResults, evaluatorName: evaluators.name })
        .from(evalResults)
        .leftJoin(evaluators, eq(evaluators.id, evalResults.evaluatorId))
        .where(and(eq(evalResults.runId, runId), inArray(evalResults.itemId, ids)))
        .orderBy(asc(evalResults.itemId), asc(evalResults.id))
    : [];
  const data = ids.map((itemId) => {
    const checks = rows
      .filter((x) => x.r.itemId === itemId)
      .map((x) => ({ resultId: x.r.id, evaluatorId: x.r.evaluatorId, evaluatorName: x.evaluatorName ?? '(deleted)', label: x.r.label, score: x.r.score, passed: x.r.passed, explanation: x.r.explanation }));
    const failed = checks.find((c) => !c.passed);
    return { id: (failed ?? checks[0])!.resultId, itemId, passed: !failed, checks, reason: failed ? `${failed.evaluatorName}: ${failed.explanation}` : null };
  });
  return { data, nextCursor: p.nextCursor };
}

/**
 * A dataset run's success rate: test cases whose every check passed over the test cases it
 * scored, leaving out the ones drafted now (a draft leaves success rates until it is undrafted,
 * so the figure moves back when it is). One aggregate over the run's results; a span run has no
 * test cases (0, rate null).
 */
export async function successRate(ctx: Ctx, caller: Caller, runId: string) {
  const run = await runRow(ctx, caller, runId);
  const [task] = await ctx.db.select({ datasetId: evalTasks.datasetId }).from(evalTasks).where(eq(evalTasks.id, run.taskId));
  const drafted = task?.datasetId ? sql`${evalResults.itemId} in (${draftedItemIds(task.datasetId)})` : sql`false`;
  const perCase = ctx.db
    .select({ ok: sql<boolean>`bool_and(${evalResults.passed})`.as('ok'), draft: sql<boolean>`bool_or(${drafted})`.as('draft') })
    .from(evalResults)
    .where(and(eq(evalResults.runId, runId), isNotNull(evalResults.itemId)))
    .groupBy(evalResults.itemId)
    .as('per_case');
  const [row] = await ctx.db
    .select({
      testCases: sql<number>`(count(*) filter (where not ${perCase.draft}))::int`,
      passed: sql<number>`(count(*) filter (where not ${perCase.draft} and ${perCase.ok}))::int`,
      excludedDrafts: sql<number>`(count(*) filter (where ${perCase.draft}))::int`,
    })
    .from(perCase);
  const testCases = Number(row?.testCases ?? 0);
  const passed = Number(row?.passed ?? 0);
  return { runId, testCases, passed, failed: testCases - passed, successRate: testCases ? passed / testCases : null, excludedDrafts: Number(row?.excludedDrafts ?? 0) };
}

/**
 * Creates a `ticket` task from a failed result (manager or owner), through the tasks module's
 * own creation: the ticket links the result (kind `evaluation_result`) and, for a test case,
 * the item; with `draftItem` the item is set to draft in the same transaction, so it leaves
 * evaluation runs until it is undrafted (which the open ticket prevents: 409).
 */
export async function ticketFromResult(ctx: Ctx, caller: Caller, resultId: string, input: TicketInput) {
  const [row] = await ctx.db
    .select({ r: evalResults, evaluatorName: evaluators.name })
    .from(evalResults)
    .leftJoin(evaluators, eq(evaluators.id, evalResults.evaluatorId))
    .where(eq(evalResults.id, resultId));
  if (!row) throw notFound('Evaluation result');
  const r = row.r;
  await requireRole(ctx.db, caller, r.projectId, 'manager', 'Evaluation result');
  if (r.passed) throw ruleBroken('This result passed; tickets are made from failed results', { resultId });
  if (input.draftItem && !r.itemId) throw ruleBroken('Only a test case (an item) can be drafted; this result is on a span', { field: 'draftItem' });
  const subject = r.itemId ? `test case ${r.itemId}` : `span ${r.spanId} of trace ${r.traceId}`;
  const base = createTaskBody.parse({
    name: input.name ?? `Fix: ${row.evaluatorName ?? 'evaluator'} failed (${r.label}) on ${subject}`.slice(0, 300),
    type: 'ticket',
    assigneeIds: input.assigneeIds ?? [],
    ...(input.priority ? { priority: input.priority } : {}),
    description: `${row.evaluatorName ?? 'An evaluator'} gave "${r.label}" (score ${r.score}): ${r.explanation}`.slice(0, 20_000),
    draftLinkedItems: input.draftItem,
  });
  const links = [{ kind: 'evaluation_result' as const, id: r.id }, ...(r.itemId ? [{ kind: 'item' as const, id: r.itemId }] : [])];
  return createTask(ctx, caller, r.projectId, { ...base, links });
}

