import { and, desc, eq, inArray, isNotNull, isNull, ne, sql } from 'drizzle-orm';
import type { Caller, Ctx } from '../context.ts';
import type { Tx } from '../db/client.ts';
import { DomainError, forbidden, notFound, ruleBroken } from '../core/errors.ts';
import { isId } from '../core/ids.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { roleIn, atLeast } from '../projects/permissions.ts';
import { parseItemFilter } from '../datasets/item-filter.ts';
import { sampleItems } from '../datasets/sample-items.ts';
import { listTaskAssignments } from '../assignments/assignments.service.ts';
import { reassignItems } from '../task-units/reassign.service.ts';
import { fillTask } from '../task-units/fill-task.ts';
import { assertMayWorkUnit, assertWritable, findTaskAs, type TaskRow } from '../task-units/task-access.ts';
import { lockUnit } from '../task-units/task-units.ts';
import type { ItemStatusListener } from '../tasks/status-listeners.ts';
import { expandPeople, type CycleRow } from './cycles.service.ts';
import { workloadCycleItems, workloadCycles, workloads } from './workloads.table.ts';

/** The cycle whose task this is, or 404: skip and replace exist only on a workload cycle's task. */
async function cycleOfTask(db: Ctx['db'], taskId: string): Promise<CycleRow> {
  const [cycle] = await db.select().from(workloadCycles).where(eq(workloadCycles.taskId, taskId));
  if (!cycle) throw notFound('Workload cycle of this task');
  return cycle;
}

/** The cycle item row, locked; 404 when the item is not in the cycle. */
async function lockCycleItem(tx: Tx, cycleId: string, itemId: string) {
  const [row] = await tx
    .select()
    .from(workloadCycleItems)
    .where(and(eq(workloadCycleItems.cycleId, cycleId), eq(workloadCycleItems.itemId, itemId)))
    .for('update');
  if (!row) throw notFound('Cycle item');
  return row;
}

/**
 * Skips a conversation of a cycle with a reason (its evaluator, or a manager): the item stays in
 * the cycle's task without a status and is marked skipped; the cycle's `skipped` counter moves
 * in the same transaction. An item that was evaluated, or skipped already, answers 409.
 */
export async function skipItem(ctx: Ctx, caller: Caller, taskId: string, itemId: string, reason: string) {
  const { task, actor } = await findTaskAs(ctx.db, caller, taskId, 'annotator');
  const cycle = await cycleOfTask(ctx.db, task.id);
  return ctx.db.transaction(async (tx) => {
    const now = ctx.clock.now();
    assertWritable(task, now);
    const unit = await lockUnit(tx, task, itemId, actor);
    assertMayWorkUnit(actor, task, unit);
    const row = await lockCycleItem(tx, cycle.id, unit.itemId);
    if (row.skippedAt) throw new DomainError('conflict', 'This item is already skipped', { itemId });
    if (unit.status !== null) throw new DomainError('status_set', `The item was evaluated ("${unit.status}"): remove its status before skipping it`, { itemId });
    await tx.update(workloadCycleItems).set({ skippedAt: now, skippedBy: caller.userId, skipReason: reason }).where(and(eq(workloadCycleItems.cycleId, cycle.id), eq(workloadCycleItems.itemId, unit.itemId)));
    const [updated] = await tx.update(workloadCycles).set({ skipped: sql`${workloadCycles.skipped} + 1` }).where(eq(workloadCycles.id, cycle.id)).returning({ skipped: workloadCycles.skipped });
    await recordAudit(tx, { projectId: task.projectId, actorId: caller.userId, action: 'workload.item_skip', subjectKind: 'task_item', subjectId: unit.id, after: { cycleId: cycle.id, itemId: unit.itemId, reason } }, now);
    return { itemId: unit.itemId, cycleId: cycle.id, skipped: true as const, reason, cycleSkipped: updated!.skipped };
  });
}

/**
 * Replaces a skipped conversation with another one that matches the cycle's sampling rules and
 * is not in the cycle yet (the same reviewee when the cycle samples per reviewee), chosen
 * deterministically from the cycle's seed. The new item joins the cycle's task (given out like
 * any added item) and the cycle; the skipped one stays, counted as skipped. 409 when the item
 * is not skipped or was replaced already; 422 when no other item matches.
 */
export async function replaceItem(ctx: Ctx, caller: Caller, taskId: string, itemId: string) {
  const { task, actor } = await findTaskAs(ctx.db, caller, taskId, 'annotator');
  const cycle = await cycleOfTask(ctx.db, task.id);
  return ctx.db.transaction(async (tx) => {
    const now = ctx.clock.now();
    assertWritable(task, now);
    const unit = await lockUnit(tx, task, itemId, actor);
    assertMayWorkUnit(actor, task, unit);
    const row = await lockCycleItem(tx, cycle.id, unit.itemId);
    if (!row.skippedAt) throw new DomainError('conflict', 'Only a skipped item can be replaced', { itemId });
    if (row.replacedBy) throw new DomainError('conflict', 'This item was replaced already', { itemId, replacedBy: row.replacedBy });
    const config = cycle.config;
    const perReviewee = config.target.per === 'reviewee' || config.sampling.strategy === 'stratified';
    const reviewees = perReviewee && row.revieweeId ? [row.revieweeId] : await expandPeople(tx, cycle.projectId, config.revieweeIds);
    const inCycle = (await tx.select({ itemId: workloadCycleItems.itemId }).from(workloadCycleItems).where(eq(workloadCycleItems.cycleId, cycle.id))).map((r) => r.itemId);
    const [pick] = await sampleItems(tx, {
      datasetId: config.sampling.datasetId,
      filter: config.sampling.filter === null || config.sampling.filter === undefined ? null : parseItemFilter(config.sampling.filter),
      revieweeField: config.sampling.revieweeField,
      reviewees,
      seed: `${cycle.seed}:${unit.itemId}`,
      total: 1,
      perReviewee: null,
      excludeItemIds: inCycle,
    });
    if (!pick) throw ruleBroken('No other item matches this cycle’s sampling rules', { itemId });
    await fillTask(tx, task as TaskRow, { itemIds: [pick.itemId] }, now);
    await tx.insert(workloadCycleItems).values({ cycleId: cycle.id, itemId: pick.itemId, projectId: cycle.projectId, revieweeId: pick.reviewee, origin: 'replacement' });
    await tx.update(workloadCycleItems).set({ replacedBy: pick.itemId }).where(and(eq(workloadCycleItems.cycleId, cycle.id), eq(workloadCycleItems.itemId, unit.itemId)));
    await recordAudit(tx, { projectId: task.projectId, actorId: caller.userId, action: 'workload.item_replace', subjectKind: 'task_item', subjectId: unit.id, after: { cycleId: cycle.id, skippedItemId: unit.itemId, itemId: pick.itemId } }, now);
    return { skippedItemId: unit.itemId, itemId: pick.itemId, cycleId: cycle.id };
  });
}

/** The cycle of a workload to work on: `cycleId` if given (of this workload), else the running one, else the latest. */
async function pickCycle(db: Ctx['db'], workloadId: string, cycleId?: string): Promise<CycleRow | null> {
  if (cycleId) {
    if (!isId(cycleId)) throw notFound('Cycle');
    const [c] = await db.select().from(workloadCycles).where(and(eq(workloadCycles.id, cycleId), eq(workloadCycles.workloadId, workloadId)));
    if (!c) throw notFound('Cycle');
    return c;
  }
  const [c] = await db
    .select()
    .from(workloadCycles)
    .where(and(eq(workloadCycles.workloadId, workloadId), ne(workloadCycles.status, 'cancelled')))
    .orderBy(desc(workloadCycles.periodStart))
    .limit(1);
  return c ?? null;
}

async function workloadOf(db: Ctx['db'], workloadId: string) {
  if (!isId(workloadId)) throw notFound('Workload');
  const [w] = await db.select().from(workloads).where(eq(workloads.id, workloadId));
  if (!w) throw notFound('Workload');
  return w;
}

/**
 * Moves a cycle's unevaluated items between two evaluators of the same workload (owners),
 * through the assignments module's reassign (one transaction, counters and audit there).
 * Either person not being an evaluator of the cycle answers 422.
 */
export async function reassignInCycle(ctx: Ctx, caller: Caller, workloadId: string, input: { fromId: string; toId: string; itemIds?: string[]; cycleId?: string }) {
  const w = await workloadOf(ctx.db, workloadId);
  const role = caller.isAdmin ? 'owner' : await roleIn(ctx.db, caller, w.projectId);
  if (!role) throw notFound('Workload');
  if (!atLeast(role, 'owner')) throw forbidden('Only owners and administrators manage workloads');
  const cycle = await pickCycle(ctx.db, w.id, input.cycleId);
  if (!cycle?.taskId) throw ruleBroken('The workload has no cycle to reassign in');
  const evaluators = await ctx.db.transaction((tx) => expandPeople(tx, w.projectId, cycle.config.evaluatorIds));
  const outsiders = [input.fromId, input.toId].filter((id) => !evaluators.includes(id));
  if (outsiders.length) throw ruleBroken('Reassignment is between evaluators of this workload', { notEvaluators: outsiders });
  const result = await reassignItems(ctx, caller, cycle.taskId, { fromId: input.fromId, toId: input.toId, ...(input.itemIds ? { itemIds: input.itemIds } : {}) });
  return { ...result, cycleId: cycle.id, taskId: cycle.taskId };
}

/**
 * Per-evaluator assignments of a cycle (the running one by default) with progress, ETA and
 * skipped counts. Owners see everyone's; any other member sees only their own (none unless
 * they evaluate this workload), so nothing of other people's work is shown.
 */
export async function cycleAssignments(ctx: Ctx, caller: Caller, workloadId: string, cycleId?: string) {
  const w = await workloadOf(ctx.db, workloadId);
  const role = caller.isAdmin ? 'owner' : await roleIn(ctx.db, caller, w.projectId);
  if (!role) throw notFound('Workload');
  const manager = atLeast(role, 'owner');
  const cycle = await pickCycle(ctx.db, w.id, cycleId);
  if (!cycle?.taskId) return { cycleId: cycle?.id ?? null, taskId: null, data: [] };
  const assignments = await listTaskAssignments(ctx, { userId: w.createdBy, isAdmin: true }, cycle.taskId);
  const skips = await ctx.db
    .select({ by: workloadCycleItems.skippedBy, n: sql<number>`count(*)::int` })
    .from(workloadCycleItems)
    .where(and(eq(workloadCycleItems.cycleId, cycle.id), isNotNull(workloadCycleItems.skippedAt)))
    .groupBy(workloadCycleItems.skippedBy);
  const skipped = new Map(skips.map((s) => [s.by, Number(s.n)]));
  const data = assignments.data
    .filter((a) => a.role === 'annotator' && (manager || a.assigneeId === caller.userId))
    .map((a) => ({
      evaluatorId: a.assigneeId,
      assignmentId: a.id,
      total: a.progress.total,
      done: a.progress.done,
      skipped: skipped.get(a.assigneeId) ?? 0,
      percent: a.progress.percent,
      etaSeconds: a.progress.etaSeconds,
    }));
  return { cycleId: cycle.id, taskId: cycle.taskId, data };
}

/**
 * Keeps each cycle's `done` counter in step with its task: runs in the transaction of every item
 * status write and moves the counter of the cycle whose task it is (no row for other tasks).
 */
export const cycleDoneListener: ItemStatusListener = {
  // The cycle's done count moves in the statement that writes the unit (no round trip of its own).
  prefetch: (change) => {
    const delta = (change.afterDone ? 1 : 0) - (change.beforeDone ? 1 : 0);
    if (delta === 0) return null;
    return { with: sql`update workload_cycles set done = done + ${delta} where task_id = ${change.taskId}::uuid`, select: sql`null` };
  },
  run: async () => {},
  hasWork: () => false,
};

export { pickCycle, workloadOf };
