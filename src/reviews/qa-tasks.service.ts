import { and, asc, eq, sql } from 'drizzle-orm';
import type { Caller, Ctx } from '../context.ts';
import type { Db, Tx } from '../db/client.ts';
import { DomainError, notFound, ruleBroken } from '../core/errors.ts';
import { isId, newId } from '../core/ids.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { bumpProjectCounters } from '../projects/projects.service.ts';
import { getRecipe } from '../recipes/recipes.service.ts';
import { resolveAssignees } from '../task-units/resolve-assignees.ts';
import { ensureAssignments, sharesOf } from '../task-units/assignment-rows.ts';
import { distributeUnits } from '../task-units/distribute.ts';
import { findTask, taskActor, type TaskRow } from '../task-units/task-access.ts';
import type { Allocation } from '../task-units/tasks.table.ts';
import { taskFacts, unitFacts as taskItems } from '../task-units/unit-reads.ts';
import { taskRecords as tasks } from '../task-units/task-reads.ts';
import { insertTask, readTaskRow } from '../task-units/task-rows.ts';
import { addDoneItemsOf, assignToLightestShare, removeUntouchedUnits } from '../task-units/task-units.ts';
import { moveTaskCounters } from '../task-units/task-counters.ts';
import { taskView } from '../tasks/task-view.ts';
import type { ItemStatusChange, ItemStatusListener } from '../tasks/status-listeners.ts';
import { answerFacts as annotations } from '../annotations/answer-reads.ts';
import { issueView } from './issues.service.ts';
import { issues, qaTasks } from './reviews.table.ts';

export interface CreateQaTaskInput {
  name?: string;
  reviewerIds: string[];
  /** Share of the completed items to review, 0 < r ≤ 1 (default 1: all). */
  sampleRate?: number;
  recipeId?: string;
  allocation?: Partial<Allocation>;
  priority?: 'high' | 'medium' | 'low' | null;
  dueDate?: Date | null;
}

/**
 * Whether an item is in a QA task's sample: the first 64 bits of md5(reviewTaskId:itemId) as a
 * fraction of 2^64, below the rate. Deterministic, so an item that leaves and re-enters the
 * source's done set gets the same answer, and the share converges on the rate.
 */
const sampled = (reviewTaskId: string, itemIdColumn: ReturnType<typeof sql>, rate: number) =>
  rate >= 1
    ? sql`true`
    : sql`(('x' || substr(md5(${reviewTaskId} || ':' || ${itemIdColumn}::text), 1, 15))::bit(60)::bigint::float8 / 1152921504606846976.0) < ${rate}`;

/**
 * Adds to the QA task every item of its source that is done there (every unit of the item,
 * consensus copies included, is done) and falls in the sample; one INSERT … SELECT that never
 * ships rows through the server. `itemId` narrows it to one item (the status listener).
 */
function addDoneItems(tx: Tx, review: { id: string; projectId: string }, qa: { sourceTaskId: string; sampleRate: number }, now: Date, itemId?: string) {
  return addDoneItemsOf(tx, review, qa.sourceTaskId, (item) => sampled(review.id, item, qa.sampleRate), now, itemId);
}

/**
 * Creates a QA (`review`) task over a labeling task (manager or owner): the reviewers are its
 * assignees; the source's items that are already done (or a deterministic `sampleRate` share of
 * them) are added now, and later ones flow in as they are done (see `flowIntoQaTasks`). One
 * transaction with the project summary counter and the audit event.
 */
export async function createQaTask(ctx: Ctx, caller: Caller, sourceTaskId: string, input: CreateQaTaskInput) {
  const source = await findTask(ctx.db, sourceTaskId);
  await taskActor(ctx.db, caller, source, 'manager');
  if (source.type === 'review' || source.type === 'ticket' || !source.datasetId) {
    throw ruleBroken(`A QA task reviews a labeling-type task, not a ${source.type} task`);
  }
  const reviewers = await resolveAssignees(ctx.db, source.projectId, input.reviewerIds);
  const sampleRate = input.sampleRate ?? 1;
  const now = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    if (input.recipeId) {
      const recipe = await getRecipe(tx, input.recipeId);
      if (recipe?.projectId !== source.projectId) throw ruleBroken(`Recipe ${input.recipeId} is not in this project`);
    }
    const allocation: Allocation = { method: 'distribution', batchSize: 5, maxWorkload: 10, leaseSeconds: 3600, ...input.allocation };
    const task = await insertTask(tx, {
        id: newId(),
        projectId: source.projectId,
        name: input.name ?? `QA: ${source.name}`.slice(0, 300),
        type: 'review',
        datasetId: source.datasetId,
        recipeId: input.recipeId ?? null,
        ownerId: caller.userId,
        priority: input.priority ?? null,
        dueDate: input.dueDate ?? null,
        workflowState: 'pending',
        allocation,
        sourceTaskId: source.id,
        createdAt: now,
        updatedAt: now,
      });
    await tx.insert(qaTasks).values({ reviewTaskId: task.id, sourceTaskId: source.id, projectId: source.projectId, sampleRate, createdAt: now });
    const shares = await ensureAssignments(tx, task, 'annotator', reviewers, undefined, now);
    const added = await addDoneItems(tx, task, { sourceTaskId: source.id, sampleRate }, now);
    await moveTaskCounters(tx, task.id, null, { items: added.length });
    if (allocation.method === 'distribution') await distributeUnits(tx, task.id, sharesOf(shares), { onlyUnassigned: true });
    await bumpProjectCounters(tx, source.projectId, { tasks: 1 });
    await recordAudit(tx, {
      projectId: source.projectId,
      actorId: caller.userId,
      action: 'task.create',
      subjectKind: 'task',
      subjectId: task.id,
      after: { name: task.name, type: 'review', sourceTaskId: source.id, sampleRate, items: added.length, assignees: reviewers.map((r) => r.id) },
    }, now);
    const fresh = await readTaskRow(tx, task.id);
    const view = taskView(fresh!, 0, now);
    // The allocation is a plain JSON object; the response schema passes its extra keys through.
    return { ...view, allocation: view.allocation as Allocation & Record<string, unknown>, sampleRate };
  });
}

/** Does the change move the unit in or out of "done" in a task that QA tasks may review? */
const flips = (change: ItemStatusChange) => change.beforeDone !== change.afterDone && change.taskType !== 'review' && change.taskType !== 'ticket';

/**
 * Status listener: when an item becomes done in a task that QA tasks review, adds it to each of
 * them (if sampled); when it stops being done, takes it out of those where it has no review
 * status yet. Runs in the status-changing transaction, so the QA task never misses an item.
 * Archived and locked QA tasks are left as they are. Whether any open QA task reviews the task
 * is asked in the statement that writes the unit (prefetch): when none does — the common case —
 * the listener issues no query at all.
 */
export const flowIntoQaTasks: ItemStatusListener = {
  prefetch: (change) =>
    flips(change)
      ? { select: sql`exists (select 1 from ${taskFacts} where task_facts.source_task_id = ${change.taskId}::uuid and task_facts.type = 'review' and not task_facts.archived and not task_facts.locked)` }
      : null,
  // Work exactly when the prefetch found an open QA task reviewing this one.
  hasWork: (change, reviewed) => (flips(change) ? sql`coalesce(${reviewed}, false)` : false),
  run: async (tx, change, reviewed, ctx) => {
    if (!flips(change) || reviewed !== true) return;
    const reviews = await tx
      .select({ id: tasks.id, projectId: tasks.projectId, allocation: tasks.allocation, sampleRate: sql<number | null>`${qaTasks.sampleRate}` })
      .from(tasks)
      .leftJoin(qaTasks, eq(qaTasks.reviewTaskId, tasks.id))
      .where(and(eq(tasks.sourceTaskId, change.taskId), eq(tasks.type, 'review'), eq(tasks.archived, false), eq(tasks.locked, false)));
    // Consensus copies of one item finishing in parallel would each see the other as not done:
    // serialize per source item, so the later statement sees the earlier commit.
    if (reviews.length) await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`qa:${change.taskId}:${change.itemId}`}, 0))`);
    for (const review of reviews) {
      if (change.afterDone) {
        const [unitId] = await addDoneItems(tx, review, { sourceTaskId: change.taskId, sampleRate: review.sampleRate ?? 1 }, ctx.clock.now(), change.itemId);
        if (!unitId) continue;
        await assignToLightestShare(tx, review, unitId);
        await moveTaskCounters(tx, review.id, null, { items: 1 });
      } else {
        await removeUntouchedUnits(tx, review.id, change.itemId);
      }
    }
  },
};

/** The QA settings of a review task (sample rate, source), or null for a task that is not one. */
export async function qaSettings(db: Db, reviewTaskId: string) {
  const [row] = await db.select().from(qaTasks).where(eq(qaTasks.reviewTaskId, reviewTaskId));
  return row ?? null;
}

export function assertReviewTask(task: TaskRow) {
  if (task.type !== 'review' || !task.sourceTaskId) throw new DomainError('not_found', 'This task is not a QA task');
}

/**
 * What a reviewer sees for one item of a QA task: every answer given for it in the source task
 * (consensus copies included, each with its author and status there) and the issues opened on
 * them. 404 when the item is not in the QA task.
 */
export async function reviewItem(ctx: Ctx, caller: Caller, reviewTaskId: string, itemId: string) {
  const task = await findTask(ctx.db, reviewTaskId);
  await taskActor(ctx.db, caller, task, 'viewer');
  assertReviewTask(task);
  const [unit] = isId(itemId) ? await ctx.db.select({ id: taskItems.id }).from(taskItems).where(and(eq(taskItems.taskId, task.id), eq(taskItems.itemId, itemId))).limit(1) : [];
  if (!unit) throw notFound('Item');
  const answers = await sourceAnnotationsOf(ctx.db, task.sourceTaskId!, itemId);
  const raised = await ctx.db.select().from(issues).where(and(eq(issues.taskId, task.sourceTaskId!), eq(issues.itemId, itemId))).orderBy(asc(issues.id));
  return { taskId: task.id, sourceTaskId: task.sourceTaskId!, itemId, annotations: answers, issues: raised.map(issueView) };
}

/** The answers given for an item in a task, with each unit's status; for review views. */
export async function sourceAnnotationsOf(db: Db, sourceTaskId: string, itemId: string) {
  return db
    .select({
      id: annotations.id,
      taskItemId: annotations.taskItemId,
      authorId: annotations.authorId,
      status: taskItems.status,
      shapes: annotations.shapes,
      version: annotations.version,
      updatedAt: annotations.updatedAt,
    })
    .from(annotations)
    .innerJoin(taskItems, eq(taskItems.id, annotations.taskItemId))
    .where(and(eq(taskItems.taskId, sourceTaskId), eq(taskItems.itemId, itemId)))
    .orderBy(asc(taskItems.copy), asc(annotations.id));
}
