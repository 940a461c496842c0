import { and, eq, sql } from 'drizzle-orm';
import type { Ctx } from '../context.ts';
import { newId } from '../core/ids.ts';
import { completeTraces } from '../traces/eval-span-source.ts';
import { evalRuns, evalTasks, evalTaskTraces } from './evaluators.table.ts';
import { evalRunJob } from './eval-jobs.ts';

/** Traces handed to one continuous run at most. */
export const TRACES_PER_RUN = 500;

/**
 * One tick of continuous mode (docs/evaluators.md, "Continuous"): for every active continuous
 * span task, the traces that became complete (root ended, no span for `quietSeconds`) and that
 * the task has not taken yet are claimed, and one run is created for them with its job, in one
 * transaction. The claim is a primary key insert with ON CONFLICT DO NOTHING, so two ticks at
 * once never hand a trace to two runs; the results' unique key covers the rest.
 * Returns the runs it created.
 */
export async function continuousTick(ctx: Ctx): Promise<string[]> {
  const now = ctx.clock.now();
  const tasks = await ctx.db
    .select()
    .from(evalTasks)
    .where(and(eq(evalTasks.continuous, true), eq(evalTasks.status, 'active'), eq(evalTasks.targetKind, 'spans')));
  const created: string[] = [];
  for (const task of tasks) {
    const candidates = await completeTraces(ctx.db, task.projectId, {
      since: task.watermark,
      cutoff: new Date(now.getTime() - task.quietSeconds * 1000),
      limit: TRACES_PER_RUN,
      claimed: (traceId) => sql`select 1 from ${evalTaskTraces} c where c.task_id = ${task.id}::uuid and c.trace_id = ${traceId}`,
    });
    if (!candidates.length) continue;
    const runId = await ctx.db.transaction(async (tx) => {
      const id = newId();
      const claimed = await tx
        .insert(evalTaskTraces)
        .values(candidates.map((c) => ({ taskId: task.id, traceId: c.traceId, runId: id })))
        .onConflictDoNothing()
        .returning({ traceId: evalTaskTraces.traceId });
      if (!claimed.length) return null;
      await tx.insert(evalRuns).values({ id, projectId: task.projectId, taskId: task.id, kind: 'continuous', params: { traceIds: claimed.map((c) => c.traceId) }, createdAt: now });
      // The watermark only narrows the next search; claims decide what was taken.
      const last = candidates[candidates.length - 1]!.lastReceivedAt;
      await tx.update(evalTasks).set({ watermark: last }).where(eq(evalTasks.id, task.id));
      await ctx.jobs.enqueue(tx, evalRunJob, { runId: id });
      return id;
    });
    if (runId) created.push(runId);
  }
  return created;
}
