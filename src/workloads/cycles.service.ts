import { and, asc, desc, eq, lt, ne, sql } from 'drizzle-orm';
import type { Caller, Ctx } from '../context.ts';
import type { Tx } from '../db/client.ts';
import { newId } from '../core/ids.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { recordEvent } from '../outbox/outbox.service.ts';
import { resolveAssignees } from '../task-units/resolve-assignees.ts';
import { groupMemberIds } from '../projects/projects.service.ts';
import { parseItemFilter } from '../datasets/item-filter.ts';
import { sampleItems } from '../datasets/sample-items.ts';
import { createTask } from '../tasks/create-task.ts';
import { createTaskBody } from '../tasks/tasks.schema.ts';
import { periodAt } from './periods.ts';
import { workloadCycleItems, workloadCycles, workloads, type WorkloadConfig } from './workloads.table.ts';
import { runAutoQa } from './auto-qa.service.ts';

export type WorkloadRow = typeof workloads.$inferSelect;
export type CycleRow = typeof workloadCycles.$inferSelect;

/** Users behind a list of user and group ids (groups expand to their members at this moment). */
export async function expandPeople(tx: Tx, projectId: string, refs: string[]): Promise<string[]> {
  if (!refs.length) return [];
  const resolved = await resolveAssignees(tx, projectId, refs);
  const out = new Set<string>();
  for (const r of resolved) {
    if (r.kind === 'user') out.add(r.id);
    else for (const id of await groupMemberIds(tx, r.id)) out.add(id);
  }
  return [...out];
}

/** The cycle's target: `count` in all, or `count` per reviewee. */
export const targetOf = (config: WorkloadConfig, reviewees: number) => (config.target.per === 'total' ? config.target.count : config.target.count * reviewees);

/**
 * The system caller cycles are created under: the workload's creator with administrator rights,
 * so a cycle still starts after its creator's role changed (docs/workloads.md).
 */
export const systemCaller = (w: WorkloadRow): Caller => ({ userId: w.createdBy, isAdmin: true });

const iso = (d: Date) => d.toISOString();

/**
 * Starts the cycle of `period` for a workload whose row the caller has locked, in the caller's
 * transaction: inserts the cycle against the partial unique index on (workload, period start)
 * with ON CONFLICT DO NOTHING — a second process, or a second tick, inserts nothing and gets
 * null — then samples the conversations once (seed stored on the cycle), creates the cycle's
 * task through the tasks module, closes earlier `in_progress` cycles (`completed` when their
 * target was met, else `uncompleted`) and records `cycle.started` / `cycle.closed` events and
 * audit rows, all in the same transaction. AutoQA runs later, from the tick (`tickWorkloads`).
 */
export async function startCycle(ctx: Ctx, tx: Tx, w: WorkloadRow, period: { start: Date; end: Date }, actorId: string | null): Promise<CycleRow | null> {
  const now = ctx.clock.now();
  const config = w.config;
  const reviewees = await expandPeople(tx, w.projectId, config.revieweeIds);
  const evaluators = config.autoQa === 'autonomous' ? [] : await expandPeople(tx, w.projectId, config.evaluatorIds);
  const target = targetOf(config, reviewees.length);
  const seed = newId();
  const cycleId = newId();
  const inserted = await tx
    .insert(workloadCycles)
    .values({ id: cycleId, workloadId: w.id, projectId: w.projectId, periodStart: period.start, periodEnd: period.end, status: 'in_progress', target, seed, config, createdAt: now })
    .onConflictDoNothing({ target: [workloadCycles.workloadId, workloadCycles.periodStart], where: sql`status <> 'cancelled'` })
    .returning();
  const cycle = inserted[0];
  if (!cycle) return null;

  const closed = await tx
    .update(workloadCycles)
    .set({ status: sql`case when ${workloadCycles.done} >= ${workloadCycles.target} then 'completed' else 'uncompleted' end`, closedAt: now })
    .where(and(eq(workloadCycles.workloadId, w.id), eq(workloadCycles.status, 'in_progress'), lt(workloadCycles.periodStart, period.start)))
    .returning();
  for (const c of closed) await cycleClosed(tx, w, c, actorId, now);

  const perReviewee = config.target.per === 'reviewee' ? config.target.count : config.sampling.strategy === 'stratified' ? Math.ceil(config.target.count / Math.max(1, reviewees.length)) : null;
  const sample = await sampleItems(tx, {
    datasetId: config.sampling.datasetId,
    filter: config.sampling.filter === undefined || config.sampling.filter === null ? null : parseItemFilter(config.sampling.filter),
    revieweeField: config.sampling.revieweeField,
    reviewees,
    seed,
    total: target,
    perReviewee,
  });
  const task = await createTask({ ...ctx, db: tx }, systemCaller(w), w.projectId, createTaskBody.parse({
    name: `${w.name} · ${iso(period.start).slice(0, 10)}`,
    type: 'labeling',
    datasetId: config.sampling.datasetId,
    recipeId: config.scorecardRecipeId,
    itemIds: sample.map((s) => s.itemId),
    assigneeIds: evaluators,
    ownerId: w.createdBy,
    description: `Cycle of the workload "${w.name}" (${config.schedule.frequency}, ${iso(period.start)} – ${iso(period.end)})`,
    allocation: { method: 'distribution', batchSize: 5, maxWorkload: 10, leaseSeconds: 3600 },
  }));
  if (sample.length) {
    await tx.insert(workloadCycleItems).values(sample.map((s) => ({ cycleId, itemId: s.itemId, projectId: w.projectId, revieweeId: s.reviewee })));
  }
  const [fresh] = await tx.update(workloadCycles).set({ taskId: task.id }).where(eq(workloadCycles.id, cycleId)).returning();
  await recordAudit(tx, { projectId: w.projectId, actorId, action: 'workload.cycle_start', subjectKind: 'workload', subjectId: w.id, after: { cycleId, periodStart: iso(period.start), taskId: task.id, sampled: sample.length, target } }, now);
  await recordEvent(tx, {
    projectId: w.projectId,
    type: 'cycle.started',
    subjectKind: 'workload_cycle',
    subjectId: cycleId,
    actorId,
    recipientIds: [...new Set([...w.subscriberIds, ...evaluators])],
    data: { workloadId: w.id, workloadName: w.name, taskId: task.id, periodStart: iso(period.start), periodEnd: iso(period.end), target, sampled: sample.length },
  }, now);
  return fresh ?? cycle;
}

/**
 * Records the closing of a cycle (`completed`, `uncompleted` or `cancelled`): audit and
 * `cycle.closed` (webhooks hear of every close); the subscribers get an in-app notification only
 * when it closed under target (`uncompleted`): a met target or a cancel by a configuration
 * change (which starts a new cycle, notified itself) is no news to act on.
 */
export async function cycleClosed(tx: Tx, w: WorkloadRow, c: CycleRow, actorId: string | null, now: Date) {
  await recordAudit(tx, { projectId: w.projectId, actorId, action: 'workload.cycle_close', subjectKind: 'workload', subjectId: w.id, after: { cycleId: c.id, status: c.status, done: c.done, target: c.target, skipped: c.skipped } }, now);
  await recordEvent(tx, {
    projectId: w.projectId,
    type: 'cycle.closed',
    subjectKind: 'workload_cycle',
    subjectId: c.id,
    actorId,
    recipientIds: c.status === 'uncompleted' ? w.subscriberIds : [],
    data: { workloadId: w.id, workloadName: w.name, taskId: c.taskId, status: c.status, target: c.target, done: c.done, skipped: c.skipped, underTarget: c.done < c.target },
  }, now);
}

/** The workload row, locked FOR UPDATE: cycle starts and configuration changes of one workload queue here. */
export async function lockWorkload(tx: Tx, workloadId: string): Promise<WorkloadRow | null> {
  const [row] = await tx.select().from(workloads).where(eq(workloads.id, workloadId)).for('update');
  return row ?? null;
}

/** Whether a cycle may start at `now`: active, and `startAt` (if any) has come. */
export const mayStart = (w: WorkloadRow, now: Date) => w.status === 'active' && (!w.config.schedule.startAt || new Date(w.config.schedule.startAt).getTime() <= now.getTime());

/** The period containing `now` on the workload's calendar. */
export const currentPeriod = (w: Pick<WorkloadRow, 'config'>, now: Date) => periodAt(w.config.schedule.frequency, w.config.schedule.timeZone, now);

/**
 * Starts the current period's cycle of one workload if it has none yet (idempotent): locks the
 * workload row, then relies on the unique index. Returns the new cycle or null.
 */
export async function advanceWorkload(ctx: Ctx, workloadId: string): Promise<CycleRow | null> {
  return ctx.db.transaction(async (tx) => {
    const w = await lockWorkload(tx, workloadId);
    const now = ctx.clock.now();
    if (!w || !mayStart(w, now)) return null;
    return startCycle(ctx, tx, w, currentPeriod(w, now), null);
  });
}

/**
 * The scheduler's tick (a pg-boss cron job in every process, and safe to run anywhere, any
 * number of times at once): starts the due cycle of every active workload whose current cycle
 * ended (or that has none), then runs AutoQA over running cycles that still have items without
 * an AI answer. Each workload is its own transaction, so one failing workload does not hold
 * back the others. `projectId` limits the tick to one project (tests sharing a database).
 * Returns how many cycles it started.
 */
export async function tickWorkloads(ctx: Ctx, scope: { projectId?: string } = {}): Promise<number> {
  const now = ctx.clock.now();
  const due = await ctx.db
    .select({ id: workloads.id })
    .from(workloads)
    .where(
      and(
        eq(workloads.status, 'active'),
        scope.projectId ? eq(workloads.projectId, scope.projectId) : undefined,
        sql`not exists (select 1 from workload_cycles c where c.workload_id = ${workloads.id} and c.status <> 'cancelled' and c.period_end > ${now.toISOString()}::timestamptz and c.period_start <= ${now.toISOString()}::timestamptz)`,
      ),
    )
    .orderBy(asc(workloads.id));
  let started = 0;
  for (const { id } of due) {
    try {
      if (await advanceWorkload(ctx, id)) started++;
    } catch (error) {
      console.error('[workloads] could not start a cycle', id, error);
    }
  }
  const autoQa = await ctx.db
    .select({ id: workloadCycles.id })
    .from(workloadCycles)
    .where(
      and(
        eq(workloadCycles.status, 'in_progress'),
        scope.projectId ? eq(workloadCycles.projectId, scope.projectId) : undefined,
        sql`${workloadCycles.config}->>'autoQa' <> 'off'`,
        sql`exists (select 1 from workload_cycle_items i where i.cycle_id = ${workloadCycles.id} and i.ai_values is null and i.skipped_at is null)`,
      ),
    );
  for (const { id } of autoQa) {
    try {
      await runAutoQa(ctx, id);
    } catch (error) {
      console.error('[workloads] AutoQA failed for cycle', id, error);
    }
  }
  return started;
}

/** The latest cycle of a workload that is not cancelled (the current one while `in_progress`). */
export async function latestCycle(db: Ctx['db'], workloadId: string): Promise<CycleRow | null> {
  const [row] = await db
    .select()
    .from(workloadCycles)
    .where(and(eq(workloadCycles.workloadId, workloadId), ne(workloadCycles.status, 'cancelled')))
    .orderBy(desc(workloadCycles.periodStart))
    .limit(1);
  return row ?? null;
}
