import type { Caller, Ctx } from '../context.ts';
import type { Tx } from '../db/client.ts';
import { DomainError, notFound, ruleBroken } from '../core/errors.ts';
import { changedFields, recordAudit } from '../audit/audit.service.ts';
import { bumpProjectCounters } from '../projects/projects.service.ts';
import { getRecipe } from '../recipes/recipes.service.ts';
import { resolveAssignees } from '../task-units/resolve-assignees.ts';
import { transactionWithRetry } from '../db/retry.ts';
import { replaceAssignees } from '../task-units/reassign.service.ts';
import type { Allocation } from '../task-units/tasks.table.ts';
import { assigneeCount, userAssigneeIds } from '../task-units/assignment-rows.ts';
import { deleteTaskRow, linksOf, lockTaskRow, readTaskRow, updateTaskRow } from '../task-units/task-rows.ts';
import { setAnnotatorWorkloads } from '../task-units/allocation-edit.ts';
import { assertWritable, findTask, isAutoLocked, isLocked, taskActor, type TaskRow } from '../task-units/task-access.ts';
import { checkTransition } from '../core/shared/task-workflow.ts';
import { recordEvent } from '../outbox/outbox.service.ts';
import { readTaskView, recentDone, taskView, withExactCounters } from './task-view.ts';
import type { PatchTaskInput } from './tasks.schema.ts';

async function view(ctx: Ctx, task: TaskRow) {
  const now = ctx.clock.now();
  const recent = (await recentDone(ctx.db, [task.id], undefined, now)).get(task.id) ?? 0;
  return taskView(await withExactCounters(ctx.db, task), recent, now, task.type === 'ticket' ? await linksOf(ctx.db, task.id) : undefined);
}

/** A task with its derived status, lock state, progress (with ETA) and counts. Reads no items. */
export async function getTask(ctx: Ctx, caller: Caller, taskId: string) {
  return readTaskView(ctx.db, caller, taskId, ctx.clock.now());
}

async function lockTask(tx: Tx, taskId: string) {
  const task = await lockTaskRow(tx, taskId);
  if (!task) throw notFound('Task');
  return task;
}

/**
 * Edits a task (manager or owner): name, owner, priority, due date, recipe, description, and the
 * annotators or reviewers (leaving annotators' items with no status are redistributed). Changing
 * `dueDate`/`lockAfterDueDate` is how a manager lifts an automatic lock, so only those fields and
 * the hand lock stay editable while locked. One transaction, row-locked, with its audit event.
 */
export async function patchTask(ctx: Ctx, caller: Caller, taskId: string, patch: PatchTaskInput) {
  const found = await findTask(ctx.db, taskId);
  await taskActor(ctx.db, caller, found, 'manager');
  const annotators = patch.assigneeIds ? await resolveAssignees(ctx.db, found.projectId, patch.assigneeIds) : null;
  const reviewers = patch.reviewerIds ? await resolveAssignees(ctx.db, found.projectId, patch.reviewerIds) : null;
  const [owner] = patch.ownerId ? await resolveAssignees(ctx.db, found.projectId, [patch.ownerId]) : [];
  if (owner && owner.kind !== 'user') throw ruleBroken('The owner must be a person');
  const task = await transactionWithRetry(ctx.db, async (tx) => patchInTx(tx, ctx, caller, taskId, patch, { annotators, reviewers, ownerId: owner?.id }));
  return view(ctx, task);
}

export async function patchInTx(
  tx: Tx,
  ctx: Ctx,
  caller: Caller,
  taskId: string,
  patch: PatchTaskInput,
  resolved: { annotators: Awaited<ReturnType<typeof resolveAssignees>> | null; reviewers: Awaited<ReturnType<typeof resolveAssignees>> | null; ownerId?: string },
) {
  const now = ctx.clock.now();
  const before = await lockTask(tx, taskId);
  const onlyDates = Object.keys(patch).every((k) => k === 'dueDate' || k === 'lockAfterDueDate');
  if (!onlyDates) assertWritable(before, now);
  else if (before.archived) assertWritable(before, now);
  if (patch.recipeId) {
    const r = await getRecipe(tx, patch.recipeId);
    if (r?.projectId !== before.projectId) throw ruleBroken(`Recipe ${patch.recipeId} is not in this project`);
  }
  const next = {
    name: patch.name,
    ownerId: patch.ownerId === null ? null : resolved.ownerId,
    priority: patch.priority,
    dueDate: patch.dueDate,
    lockAfterDueDate: patch.lockAfterDueDate,
    recipeId: patch.recipeId,
    description: patch.description,
  };
  const changes = changedFields(before as unknown as Record<string, unknown>, next);
  // Allocation edits (docs/hardening.md): percentages that no longer describe the annotators
  // (assignees changed, no new percentages) give way to a balanced split.
  const { workload: newWorkload, ...allocationRest } = patch.allocation ?? {};
  const resetWorkload = Boolean(resolved.annotators && before.allocation.workload && newWorkload === undefined);
  const workloadFinal = newWorkload !== undefined ? newWorkload : resetWorkload ? null : undefined;
  const allocation: Allocation | undefined =
    patch.allocation || resetWorkload
      ? (() => {
          const { workload: oldWorkload, ...base } = before.allocation;
          const merged: Allocation = { ...base, ...allocationRest };
          const keep = workloadFinal === undefined ? oldWorkload : (workloadFinal ?? undefined);
          return keep ? { ...merged, workload: keep } : merged;
        })()
      : undefined;
  const row = await updateTaskRow(tx, taskId, { ...next, ...(allocation ? { allocation } : {}), updatedAt: now });
  if (resolved.annotators) await replaceAssignees(tx, row!, 'annotator', resolved.annotators, now);
  if (workloadFinal !== undefined) await setAnnotatorWorkloads(tx, row!, workloadFinal);
  if (resolved.reviewers) await replaceAssignees(tx, row!, 'reviewer', resolved.reviewers, now);
  if (changes || allocation || resolved.annotators || resolved.reviewers) {
    await recordAudit(tx, {
      projectId: before.projectId,
      actorId: caller.userId,
      action: 'task.update',
      subjectKind: 'task',
      subjectId: taskId,
      before: changes?.before ?? {},
      after: { ...changes?.after, ...(allocation ? { allocation } : {}), ...(resolved.annotators ? { assignees: resolved.annotators.map((a) => a.id) } : {}), ...(resolved.reviewers ? { reviewers: resolved.reviewers.map((a) => a.id) } : {}) },
    });
    const people = [...(resolved.annotators ?? []), ...(resolved.reviewers ?? [])].filter((a) => a.kind === 'user').map((a) => a.id);
    await recordEvent(tx, { projectId: before.projectId, type: 'task.updated', subjectKind: 'task', subjectId: taskId, actorId: caller.userId, recipientIds: [...new Set(people)].filter((id) => id !== caller.userId), data: { taskId, name: row!.name, changed: Object.keys(changes?.after ?? {}), ...(resolved.annotators ? { assigneeIds: resolved.annotators.map((a) => a.id) } : {}), ...(resolved.reviewers ? { reviewerIds: resolved.reviewers.map((a) => a.id) } : {}) } }, now);
  }
  return (await readTaskRow(tx, taskId))!;
}

/**
 * Locks or unlocks a task by hand (manager or owner). Unlocking also lifts the automatic lock of
 * `lockAfterDueDate` for the current due date: a later due-date change locks again once that
 * date passes (docs/hardening.md). Locking by hand clears the lift.
 */
export async function setLocked(ctx: Ctx, caller: Caller, taskId: string, locked: boolean) {
  const found = await findTask(ctx.db, taskId);
  await taskActor(ctx.db, caller, found, 'manager');
  const task = await ctx.db.transaction(async (tx) => {
    const now = ctx.clock.now();
    const before = await lockTask(tx, taskId);
    const wasLocked = isLocked(before, now);
    const autoLockLiftedFor = locked ? null : isAutoLocked(before, now) ? before.dueDate : before.autoLockLiftedFor;
    const row = await updateTaskRow(tx, taskId, { locked, autoLockLiftedFor, updatedAt: now });
    if (before.locked !== locked || wasLocked !== locked) {
      await recordAudit(tx, { projectId: before.projectId, actorId: caller.userId, action: locked ? 'task.lock' : 'task.unlock', subjectKind: 'task', subjectId: taskId, before: { locked: wasLocked }, after: { locked } });
      await recordEvent(tx, { projectId: before.projectId, type: 'task.updated', subjectKind: 'task', subjectId: taskId, actorId: caller.userId, data: { taskId, name: before.name, changed: ['locked'], locked } });
    }
    return row!;
  });
  return view(ctx, task);
}

/**
 * Moves the task's workflow (docs/workflow.md, Workflow) through the pure state machine in `task-workflow.ts`.
 * Refusals change nothing: 409 `invalid_transition`, 403 `forbidden`, 422 for a review failure
 * without a comment, 409 `task_locked`. The review failure's comment is kept on the task for the
 * annotators. Row-locked; the summary's `pendingReviews` moves in the same transaction.
 */
export async function transitionTask(ctx: Ctx, caller: Caller, taskId: string, input: { to: string; comment?: string }) {
  const found = await findTask(ctx.db, taskId);
  const actor = await taskActor(ctx.db, caller, found);
  const task = await ctx.db.transaction(async (tx) => {
    const now = ctx.clock.now();
    const before = await withExactCounters(tx, await lockTask(tx, taskId));
    assertWritable(before, now);
    const check = checkTransition(before.type, before.workflowState, input.to, actor, {
      everyItemHasStatus: before.itemCount > 0 && before.statusCount === before.itemCount,
      comment: input.comment,
    });
    if (!check.ok) throw new DomainError(check.code, check.reason, { from: before.workflowState, to: input.to });
    // A review cannot pass over issues nobody has dealt with (docs/workflow.md).
    if (input.to === 'review_passed' && before.openIssues + before.forReview > 0) {
      throw new DomainError('open_issues', 'The task has open or for-review issues: resolve or close them before passing the review', { openIssues: before.openIssues, forReview: before.forReview });
    }
    const reviewNote = check.name === 'fail_review' ? { body: input.comment!.trim(), authorId: caller.userId, at: now.toISOString() } : undefined;
    const row = await updateTaskRow(tx, taskId, { workflowState: input.to, ...(reviewNote ? { reviewNote } : {}), updatedAt: now });
    const delta = (input.to === 'pending_review' ? 1 : 0) - (before.workflowState === 'pending_review' ? 1 : 0);
    await bumpProjectCounters(tx, before.projectId, { pendingReviews: delta });
    await recordAudit(tx, {
      projectId: before.projectId,
      actorId: caller.userId,
      action: `task.${check.name}`,
      subjectKind: 'task',
      subjectId: taskId,
      before: { workflowState: before.workflowState },
      after: { workflowState: input.to, ...(input.comment ? { comment: input.comment } : {}) },
    });
    // Reviewers hear of work waiting for them; annotators of a failed review.
    const role = input.to === 'pending_review' ? 'reviewer' : check.name === 'fail_review' ? 'annotator' : null;
    const recipients = role ? await userAssigneeIds(tx, taskId, role) : [];
    await recordEvent(tx, { projectId: before.projectId, type: 'task.workflow_changed', subjectKind: 'task', subjectId: taskId, actorId: caller.userId, recipientIds: recipients.filter((id) => id !== caller.userId), data: { taskId, name: before.name, from: before.workflowState, to: input.to, transition: check.name } }, now);
    return row!;
  });
  return view(ctx, task);
}

export type DeleteOutcome = { archived: true } | { deleted: true };

/**
 * Deletes a task (manager or owner) by docs/workflow.md (Delete and archive): unresolved issues refuse (409
 * `unresolved_issues`); a task with history (any status or annotation ever set) is archived
 * instead; otherwise it is removed with its units and assignments. Datasets and items are never
 * touched. Row-locked, one transaction, summary counters and audit event included.
 */
export async function deleteTask(ctx: Ctx, caller: Caller, taskId: string): Promise<DeleteOutcome> {
  const found = await findTask(ctx.db, taskId);
  await taskActor(ctx.db, caller, found, 'manager');
  return transactionWithRetry(ctx.db, (tx) => deleteInTx(tx, ctx, caller, taskId));
}

export async function deleteInTx(tx: Tx, ctx: Ctx, caller: Caller, taskId: string): Promise<DeleteOutcome> {
  const task = await lockTask(tx, taskId);
  if (task.archived) return { archived: true };
  if (task.openIssues + task.forReview > 0) {
    throw new DomainError('unresolved_issues', `The task has ${task.openIssues + task.forReview} unresolved issues`, { openIssues: task.openIssues, forReview: task.forReview });
  }
  const pendingReviews = task.workflowState === 'pending_review' ? -1 : 0;
  const assignments = await assigneeCount(tx, taskId);
  // Archived tasks leave the summary like deleted ones; their rows stay for analytics.
  if (task.hasHistory) {
    await updateTaskRow(tx, taskId, { archived: true, updatedAt: ctx.clock.now() });
    await bumpProjectCounters(tx, task.projectId, { tasks: -1, assignments: -assignments, pendingReviews });
    await recordAudit(tx, { projectId: task.projectId, actorId: caller.userId, action: 'task.archive', subjectKind: 'task', subjectId: taskId, before: { archived: false }, after: { archived: true } });
    await recordEvent(tx, { projectId: task.projectId, type: 'task.updated', subjectKind: 'task', subjectId: taskId, actorId: caller.userId, data: { taskId, name: task.name, changed: ['archived'], archived: true } });
    return { archived: true };
  }
  await deleteTaskRow(tx, taskId);
  await bumpProjectCounters(tx, task.projectId, { tasks: -1, assignments: -assignments, pendingReviews });
  await recordAudit(tx, { projectId: task.projectId, actorId: caller.userId, action: 'task.delete', subjectKind: 'task', subjectId: taskId, before: { name: task.name, type: task.type } });
  return { deleted: true };
}
