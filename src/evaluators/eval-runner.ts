import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Ctx } from '../context.ts';
import type { Tx } from '../db/client.ts';
import { newId } from '../core/ids.ts';
import { recordEvent } from '../outbox/outbox.service.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { runCodeCheck, type Verdict } from './code-checks.ts';
import { judge, JudgeError } from './llm-judge.ts';
import { allowedBaseUrl } from './llm-port.ts';
import { defaultItemMapping, defaultSpanMapping, renderTemplate, sampled, variablesOf } from './mapping.ts';
import { matchesFilter, type Subject } from './eval-subject.ts';
import { evalDecisions, evalResults, evalRunLogs, evalRuns, evalTasks, evaluators, type Decision, type RunProgress } from './evaluators.table.ts';
import { llmSettings, type EvaluatorRow } from './evaluators.service.ts';
import type { EvalRunRow, EvalTaskRow } from './eval-tasks.service.ts';
import { subjectBatches } from './eval-sources.ts';
import { evalRunJob } from './eval-jobs.ts';

/** A score at or above this passes (code checks score 1 or 0; judges score by their label map). */
export const PASS_SCORE = 0.5;

interface Outcome {
  subject: Subject;
  evaluator: EvaluatorRow;
  verdict?: Verdict;
  error?: string;
  rateLimited?: boolean;
}

interface DecisionRow {
  subject: Subject;
  evaluatorId: string | null;
  decision: Decision;
  message: string | null;
  resultId: string | null;
}

const countColumn: Record<Decision, keyof typeof evalRuns.$inferSelect> = {
  scored: 'scored',
  error: 'error',
  filtered_out: 'filteredOut',
  sampled_out: 'sampledOut',
  draft: 'draft',
  duplicate: 'duplicate',
  rate_limited: 'rateLimited',
};

export async function log(db: Ctx['db'], runId: string, level: 'info' | 'warn' | 'error', message: string) {
  await db.insert(evalRunLogs).values({ id: newId(), runId, level, message: message.slice(0, 4000) });
}

async function evaluate(ctx: Ctx, task: EvalTaskRow, evaluator: EvaluatorRow, subject: Subject): Promise<Outcome> {
  const vars = variablesOf(subject.fields, subject.kind === 'span' ? defaultSpanMapping : defaultItemMapping, task.mapping);
  try {
    if (evaluator.kind === 'code') {
      const verdict = runCodeCheck(evaluator.check!, evaluator.params, { output: vars.output, expected: vars.expected, latencyMs: vars.latencyMs as number | null | undefined });
      return { subject, evaluator, verdict };
    }
    const settings = llmSettings(ctx);
    const verdict = await judge(settings, { baseUrl: allowedBaseUrl(settings, evaluator.baseUrl), model: evaluator.model!, labels: evaluator.labels ?? {} }, renderTemplate(evaluator.template ?? '', vars));
    return { subject, evaluator, verdict };
  } catch (error) {
    return { subject, evaluator, error: (error as Error).message, rateLimited: error instanceof JudgeError && error.rateLimited };
  }
}

/**
 * Decides and scores one batch of subjects. Drafts, filtered and unsampled subjects are logged
 * without a call; a subject already scored by an evaluator for this task is `duplicate` without
 * a call; the rest are evaluated (LLM calls concurrently, under the port's limit). Results,
 * decisions, the run's counts and the task's error streak are written in one transaction; the
 * result insert is ON CONFLICT DO NOTHING on (evaluator, task, subject), so a concurrent run that
 * got there first turns this run's answer into `duplicate`, never into a second score.
 * Returns the task's status after the batch (`blocked` stops the run).
 */
export async function processBatch(ctx: Ctx, run: EvalRunRow, task: EvalTaskRow, evaluatorRows: EvaluatorRow[], subjects: Subject[], progress: RunProgress) {
  const decisions: DecisionRow[] = [];
  const eligible: Subject[] = [];
  for (const subject of subjects) {
    if (subject.draft) decisions.push({ subject, evaluatorId: null, decision: 'draft', message: 'Drafted items are never evaluated', resultId: null });
    else if (!matchesFilter(subject, task.filter)) decisions.push({ subject, evaluatorId: null, decision: 'filtered_out', message: null, resultId: null });
    else if (!sampled(task.id, subject.key, task.samplingRate)) decisions.push({ subject, evaluatorId: null, decision: 'sampled_out', message: null, resultId: null });
    else eligible.push(subject);
  }
  const done = new Set<string>();
  if (eligible.length) {
    const existing = await ctx.db
      .select({ evaluatorId: evalResults.evaluatorId, key: evalResults.subjectKey })
      .from(evalResults)
      .where(and(inArray(evalResults.evaluatorId, evaluatorRows.map((e) => e.id)), eq(evalResults.taskId, task.id), inArray(evalResults.subjectKey, eligible.map((s) => s.key))));
    for (const e of existing) done.add(`${e.evaluatorId}|${e.key}`);
  }
  const pending: Array<Promise<Outcome>> = [];
  for (const subject of eligible) {
    for (const evaluator of evaluatorRows) {
      if (done.has(`${evaluator.id}|${subject.key}`)) decisions.push({ subject, evaluatorId: evaluator.id, decision: 'duplicate', message: 'Already scored for this task', resultId: null });
      else pending.push(evaluate(ctx, task, evaluator, subject));
    }
  }
  const outcomes = await Promise.all(pending);
  const now = ctx.clock.now();

  return ctx.db.transaction(async (tx) => {
    // The fence: only the execution that owns the run (its attempt) commits a batch, with the
    // progress a resume would start from. An execution presumed dead and resumed elsewhere
    // finds the attempt moved on and writes nothing.
    const [owned] = await tx
      .update(evalRuns)
      .set({ heartbeatAt: now, progress })
      .where(and(eq(evalRuns.id, run.id), eq(evalRuns.status, 'running'), eq(evalRuns.attempt, run.attempt)))
      .returning({ id: evalRuns.id });
    if (!owned) throw new LostRunError(run.id);
    const scored = outcomes.filter((o) => o.verdict);
    const values = scored.map((o) => ({
      id: newId(),
      projectId: task.projectId,
      taskId: task.id,
      runId: run.id,
      evaluatorId: o.evaluator.id,
      subjectKind: o.subject.kind,
      subjectKey: o.subject.key,
      traceId: o.subject.traceId,
      spanId: o.subject.spanId,
      itemId: o.subject.itemId,
      label: o.verdict!.label,
      score: o.verdict!.score,
      passed: o.verdict!.score >= PASS_SCORE,
      explanation: o.verdict!.explanation,
      createdAt: now,
    }));
    const inserted = new Map<string, string>();
    for (let i = 0; i < values.length; i += 500) {
      const rows = await tx
        .insert(evalResults)
        .values(values.slice(i, i + 500))
        .onConflictDoNothing({ target: [evalResults.evaluatorId, evalResults.taskId, evalResults.subjectKey] })
        .returning({ id: evalResults.id, evaluatorId: evalResults.evaluatorId, key: evalResults.subjectKey });
      for (const r of rows) inserted.set(`${r.evaluatorId}|${r.key}`, r.id);
    }
    let streak = 0;
    let anySuccess = false;
    let lastError: Outcome | null = null;
    for (const o of outcomes) {
      if (o.verdict) {
        const id = inserted.get(`${o.evaluator.id}|${o.subject.key}`) ?? null;
        decisions.push({ subject: o.subject, evaluatorId: o.evaluator.id, decision: id ? 'scored' : 'duplicate', message: id ? null : 'Another run scored it first', resultId: id });
        anySuccess = true;
        streak = 0;
      } else {
        decisions.push({ subject: o.subject, evaluatorId: o.evaluator.id, decision: o.rateLimited ? 'rate_limited' : 'error', message: o.error ?? null, resultId: null });
        streak++;
        lastError = o;
      }
    }
    const decisionValues = decisions.map((d) => ({
      id: newId(),
      runId: run.id,
      subjectKind: d.subject.kind,
      traceId: d.subject.traceId,
      spanId: d.subject.spanId,
      itemId: d.subject.itemId,
      evaluatorId: d.evaluatorId,
      decision: d.decision,
      message: d.message,
      resultId: d.resultId,
      at: now,
    }));
    for (let i = 0; i < decisionValues.length; i += 1000) await tx.insert(evalDecisions).values(decisionValues.slice(i, i + 1000));
    const counts: Partial<Record<Decision, number>> = {};
    for (const d of decisions) counts[d.decision] = (counts[d.decision] ?? 0) + 1;
    const set: Record<string, unknown> = {};
    for (const [decision, n] of Object.entries(counts) as Array<[Decision, number]>) {
      const column = evalRuns[countColumn[decision] as 'scored'];
      set[countColumn[decision]] = sql`${column} + ${n}`;
    }
    if (Object.keys(set).length) await tx.update(evalRuns).set(set).where(eq(evalRuns.id, run.id));
    for (const o of outcomes.filter((x) => x.error).slice(0, 20)) {
      await tx.insert(evalRunLogs).values({ id: newId(), runId: run.id, level: 'warn', message: `${o.evaluator.name} on ${o.subject.key}: ${o.error}`.slice(0, 4000), at: now });
    }
    return updateStreak(tx, task, run, { streak, anySuccess, lastError, now });
  });
}

/**
 * Moves the task's streak of consecutive evaluator failures: a success resets it, failures add
 * up across batches and runs. Crossing `blockAfterErrors` blocks the task, with its reason, an
 * audit event and an `eval_task.blocked` event in this same transaction; only the statement that
 * moves the task from active to blocked records them (concurrent runs cannot block it twice).
 */
async function updateStreak(tx: Tx, task: EvalTaskRow, run: EvalRunRow, b: { streak: number; anySuccess: boolean; lastError: Outcome | null; now: Date }) {
  if (!b.streak && !b.anySuccess) {
    const [row] = await tx.select({ status: evalTasks.status }).from(evalTasks).where(eq(evalTasks.id, task.id));
    return row?.status ?? 'paused';
  }
  const [row] = await tx
    .update(evalTasks)
    .set({ consecutiveErrors: b.anySuccess ? sql`${b.streak}` : sql`${evalTasks.consecutiveErrors} + ${b.streak}` })
    .where(eq(evalTasks.id, task.id))
    .returning({ consecutiveErrors: evalTasks.consecutiveErrors, status: evalTasks.status, blockAfterErrors: evalTasks.blockAfterErrors });
  if (!row) return 'paused';
  if (row.status !== 'active' || row.consecutiveErrors < row.blockAfterErrors || !b.lastError) return row.status;
  const what = b.lastError.subject.kind === 'span' ? 'spans' : 'items';
  const reason = `Evaluator "${b.lastError.evaluator.name}" failed on ${row.consecutiveErrors} consecutive ${what}; last error: ${b.lastError.error ?? 'unknown'}`.slice(0, 1000);
  const [blocked] = await tx
    .update(evalTasks)
    .set({ status: 'blocked', blockedReason: reason, updatedAt: b.now })
    .where(and(eq(evalTasks.id, task.id), eq(evalTasks.status, 'active')))
    .returning({ id: evalTasks.id });
  if (!blocked) return 'blocked';
  await recordAudit(tx, { projectId: task.projectId, actorId: null, action: 'eval_task.blocked', subjectKind: 'eval_task', subjectId: task.id, before: { status: 'active' }, after: { status: 'blocked', reason } });
  await recordEvent(tx, { projectId: task.projectId, type: 'eval_task.blocked', subjectKind: 'eval_task', subjectId: task.id, recipientIds: task.createdBy ? [task.createdBy] : [], data: { evalTaskId: task.id, name: task.name, runId: run.id, reason } }, b.now);
  await tx.insert(evalRunLogs).values({ id: newId(), runId: run.id, level: 'error', message: `Task blocked: ${reason}`, at: b.now });
  return 'blocked' as const;
}

/** Thrown when a run was taken over by a resume while this execution still ran. */
export class LostRunError extends Error {
  constructor(runId: string) {
    super(`Run ${runId} was resumed by another execution; this one stops without writing`);
  }
}

/** How long a running run may go without a heartbeat before it counts as orphaned (`LOUPE_EVAL_RUN_STALE_SECONDS`). */
export function staleAfterMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.LOUPE_EVAL_RUN_STALE_SECONDS);
  return (Number.isFinite(v) && v > 0 ? v : 120) * 1000;
}
/** A run is resumed this many times at most; then it fails, with the reason in its log. */
export const MAX_RUN_ATTEMPTS = 3;

/**
 * Runs one queued run to its end: claims it (queued → running, one statement, so a second
 * worker given the same job does nothing), walks its subjects in keyset batches from where its
 * last committed batch left off and records the outcome. While it runs, a heartbeat shows its
 * process is alive (`recoverStaleRuns` resumes runs whose process died). A failing subject is a
 * decision, never the end of the run; the run stops early only when the task is paused or
 * blocked, and fails only when the database itself fails.
 */
export async function executeRun(ctx: Ctx, runId: string, batchSize = 200): Promise<void> {
  const [run] = await ctx.db
    .update(evalRuns)
    .set({ status: 'running', startedAt: sql`coalesce(${evalRuns.startedAt}, ${ctx.clock.now().toISOString()}::timestamptz)`, heartbeatAt: ctx.clock.now() })
    .where(and(eq(evalRuns.id, runId), eq(evalRuns.status, 'queued')))
    .returning();
  if (!run) return;
  const mine = and(eq(evalRuns.id, run.id), eq(evalRuns.status, 'running'), eq(evalRuns.attempt, run.attempt));
  const beat = setInterval(() => {
    ctx.db.update(evalRuns).set({ heartbeatAt: ctx.clock.now() }).where(mine).catch(() => {});
  }, Math.max(50, staleAfterMs() / 4));
  beat.unref();
  try {
    const [task] = await ctx.db.select().from(evalTasks).where(eq(evalTasks.id, run.taskId));
    if (!task) throw new Error('The evaluation task is gone');
    const found = await ctx.db.select().from(evaluators).where(inArray(evaluators.id, task.evaluatorIds));
    const evaluatorRows = task.evaluatorIds.map((id) => found.find((e) => e.id === id)).filter((e): e is EvaluatorRow => !!e);
    const resumed = run.progress ? ` (attempt ${run.attempt + 1}, resuming after ${run.progress.seen} considered)` : '';
    await log(ctx.db, run.id, 'info', `Started: ${run.kind} run of "${task.name}" with ${evaluatorRows.map((e) => e.name).join(', ')}${resumed}`);
    let status: string = task.status;
    let considered = run.progress?.seen ?? 0;
    if (status === 'active') {
      for await (const batch of subjectBatches(ctx.db, task, run, batchSize, run.progress)) {
        considered = batch.progress.seen;
        status = await processBatch(ctx, run, task, evaluatorRows, batch.subjects, batch.progress);
        if (status !== 'active') break;
      }
    }
    const final = status === 'active' ? 'completed' : 'stopped';
    const [ended] = await ctx.db.update(evalRuns).set({ status: final, endedAt: ctx.clock.now() }).where(mine).returning({ id: evalRuns.id });
    if (!ended) throw new LostRunError(run.id);
    await log(ctx.db, run.id, final === 'completed' ? 'info' : 'warn', final === 'completed' ? `Completed: ${considered} considered` : `Stopped after ${considered} considered: the task is ${status}`);
  } catch (error) {
    if (error instanceof LostRunError) return;
    const [failed] = await ctx.db.update(evalRuns).set({ status: 'failed', endedAt: ctx.clock.now() }).where(mine).returning({ id: evalRuns.id });
    if (failed) await log(ctx.db, run.id, 'error', `Failed: ${(error as Error).message}`).catch(() => {});
  } finally {
    clearInterval(beat);
  }
}

/**
 * Runs left `running` by a process that died (no heartbeat for `staleAfterMs`): each is handed
 * back to the queue as a new attempt that resumes after its last committed batch (results are
 * unique per evaluator, task and subject, so nothing is scored twice), or, after
 * `MAX_RUN_ATTEMPTS`, failed with the reason in its log. One transaction per run, guarded by its
 * attempt, so two sweepers at once resume it once. Returns the runs resumed and failed.
 */
export async function recoverStaleRuns(ctx: Ctx, staleMs = staleAfterMs()): Promise<{ resumed: string[]; failed: string[] }> {
  const now = ctx.clock.now();
  const cutoff = new Date(now.getTime() - staleMs);
  const stale = await ctx.db
    .select({ id: evalRuns.id, attempt: evalRuns.attempt, heartbeatAt: evalRuns.heartbeatAt, startedAt: evalRuns.startedAt })
    .from(evalRuns)
    .where(and(eq(evalRuns.status, 'running'), sql`coalesce(${evalRuns.heartbeatAt}, ${evalRuns.startedAt}, ${evalRuns.createdAt}) < ${cutoff.toISOString()}::timestamptz`))
    .limit(100);
  const out = { resumed: [] as string[], failed: [] as string[] };
  for (const r of stale) {
    const last = (r.heartbeatAt ?? r.startedAt)?.toISOString() ?? 'never';
    const giveUp = r.attempt + 1 >= MAX_RUN_ATTEMPTS;
    await ctx.db.transaction(async (tx) => {
      const [moved] = await tx
        .update(evalRuns)
        .set(giveUp ? { status: 'failed', endedAt: now, attempt: r.attempt + 1 } : { status: 'queued', attempt: r.attempt + 1 })
        .where(and(eq(evalRuns.id, r.id), eq(evalRuns.status, 'running'), eq(evalRuns.attempt, r.attempt)))
        .returning({ id: evalRuns.id });
      if (!moved) return;
      const message = giveUp
        ? `Failed: its process stopped ${MAX_RUN_ATTEMPTS} times (no heartbeat since ${last}); results so far are kept`
        : `Its process stopped (no heartbeat since ${last}); queued again to resume after its last committed batch`;
      await tx.insert(evalRunLogs).values({ id: newId(), runId: r.id, level: giveUp ? 'error' : 'warn', message, at: now });
      if (!giveUp) await ctx.jobs.enqueue(tx, evalRunJob, { runId: r.id });
      (giveUp ? out.failed : out.resumed).push(r.id);
    });
  }
  return out;
}
