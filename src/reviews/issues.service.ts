import { and, asc, eq, gt, inArray, or, sql, type SQL } from 'drizzle-orm';
import type { Caller, Ctx } from '../context.ts';
import type { Db, Tx } from '../db/client.ts';
import { DomainError, notFound } from '../core/errors.ts';
import { isId, newId } from '../core/ids.ts';
import { decodeCursor, toPage } from '../core/pagination.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { atLeast, requireRole } from '../projects/permissions.ts';
import { groupIdsOf, membershipFacts as projectMembers } from '../projects/member-reads.ts';
import type { Role } from '../core/shared/roles.ts';
import { recordEvent } from '../outbox/outbox.service.ts';
import { answerFacts as annotations } from '../annotations/answer-reads.ts';
import { assigneeFacts as taskAssignees } from '../task-units/assignee-reads.ts';
import { taskFacts as tasks, unitFacts as taskItems } from '../task-units/unit-reads.ts';
import { moveReviewUnitCounters } from '../task-units/review-unit-counters.ts';
import { moveIssueCounters } from '../task-units/task-counters.ts';
import { checkIssueTransition, counterDelta } from './issue-workflow.ts';
import { comments, issues, type IssueStatus } from './reviews.table.ts';

type IssueRow = typeof issues.$inferSelect;

export const issueView = (i: IssueRow) => ({
  id: i.id,
  projectId: i.projectId,
  taskId: i.taskId,
  taskItemId: i.taskItemId,
  itemId: i.itemId,
  annotationId: i.annotationId,
  reviewTaskId: i.reviewTaskId,
  assigneeId: i.assigneeId,
  openedBy: i.openedBy,
  status: i.status,
  comment: i.comment,
  createdAt: i.createdAt,
  updatedAt: i.updatedAt,
  resolvedAt: i.resolvedAt,
});

/**
 * Whether the caller reviews work of `sourceTaskId`: a project reviewer or above, or assigned
 * (in person or through a group) as a reviewer of the task, or as an assignee of one of its QA
 * (`review`) tasks.
 */
async function isReviewerOf(db: Db, caller: Caller, role: Role, projectId: string, sourceTaskId: string): Promise<boolean> {
  if (atLeast(role, 'reviewer')) return true;
  const myGroups = groupIdsOf(caller.userId, projectId);
  const [row] = await db
    .select({ one: sql<number>`1` })
    .from(taskAssignees)
    .innerJoin(tasks, eq(tasks.id, taskAssignees.taskId))
    .where(
      and(
        or(and(eq(taskAssignees.taskId, sourceTaskId), eq(taskAssignees.role, 'reviewer')), and(eq(tasks.sourceTaskId, sourceTaskId), eq(tasks.type, 'review'))),
        or(eq(taskAssignees.assigneeId, caller.userId), inArray(taskAssignees.assigneeId, myGroups)),
      ),
    )
    .limit(1);
  return Boolean(row);
}

/** The newest QA task unit reviewing this item of the source task, if any. */
async function reviewUnitOf(tx: Tx, sourceTaskId: string, itemId: string) {
  const [row] = await tx
    .select({ id: taskItems.id, taskId: taskItems.taskId, assignmentId: taskItems.assignmentId })
    .from(taskItems)
    .innerJoin(tasks, eq(tasks.id, taskItems.taskId))
    .where(and(eq(tasks.sourceTaskId, sourceTaskId), eq(tasks.type, 'review'), eq(tasks.archived, false), eq(taskItems.itemId, itemId)))
    .orderBy(sql`${tasks.createdAt} desc`)
    .limit(1);
  return row ?? null;
}

async function moveCounters(tx: Tx, issue: Pick<IssueRow, 'taskItemId' | 'reviewTaskId' | 'reviewTaskItemId'>, d: { openIssues: number; forReview: number }) {
  await moveIssueCounters(tx, issue.taskItemId, d);
  // The QA task's unit and task count the issue too (the project summary counts it once, on its source).
  if (issue.reviewTaskId && issue.reviewTaskItemId) await moveReviewUnitCounters(tx, issue.reviewTaskItemId, d);
}

/**
 * Opens an issue on an annotation, with the reviewer's comment. Allowed to project reviewers
 * and above and to reviewers assigned to the annotation's task or to one of its QA tasks.
 * In one transaction: the issue, its opening comment, the open-issue counters of the task item,
 * its assignment, its task and the project summary (and of the QA task's unit for the item, if
 * any), and the audit event. The task's derived status becomes `completed_with_issues` if all
 * its items have a status.
 */
export async function openIssue(ctx: Ctx, caller: Caller, annotationId: string, input: { comment: string }) {
  const [annotation] = isId(annotationId) ? await ctx.db.select({ id: annotations.id, projectId: annotations.projectId, taskId: annotations.taskId, taskItemId: annotations.taskItemId, itemId: annotations.itemId, authorId: annotations.authorId }).from(annotations).where(eq(annotations.id, annotationId)) : [];
  if (!annotation) throw notFound('Annotation');
  const role = await requireRole(ctx.db, caller, annotation.projectId, 'viewer', 'Annotation');
  if (!(await isReviewerOf(ctx.db, caller, role, annotation.projectId, annotation.taskId))) {
    throw new DomainError('forbidden', 'Only reviewers (or reviewers assigned to this task) may open issues');
  }
  return ctx.db.transaction(async (tx) => {
    const now = ctx.clock.now();
    const reviewUnit = await reviewUnitOf(tx, annotation.taskId, annotation.itemId);
    const [row] = await tx
      .insert(issues)
      .values({
        id: newId(),
        projectId: annotation.projectId,
        taskId: annotation.taskId,
        taskItemId: annotation.taskItemId,
        itemId: annotation.itemId,
        annotationId: annotation.id,
        reviewTaskId: reviewUnit?.taskId ?? null,
        reviewTaskItemId: reviewUnit?.id ?? null,
        assigneeId: annotation.authorId,
        openedBy: caller.userId,
        status: 'open',
        comment: input.comment,
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    await moveCounters(tx, row!, counterDelta(null, 'open'));
    await recordAudit(tx, { projectId: row!.projectId, actorId: caller.userId, action: 'issue.open', subjectKind: 'issue', subjectId: row!.id, after: { status: 'open', annotationId, comment: input.comment } }, now);
    await recordEvent(tx, { projectId: row!.projectId, type: 'issue.opened', subjectKind: 'issue', subjectId: row!.id, actorId: caller.userId, recipientIds: annotation.authorId && annotation.authorId !== caller.userId ? [annotation.authorId] : [], data: { issueId: row!.id, taskId: row!.taskId, itemId: row!.itemId, annotationId, assigneeId: row!.assigneeId } }, now);
    return issueView(row!);
  });
}

/**
 * Moves an issue: `for_review` only by the annotation's author or a manager; `resolved` and back
 * to `open` only by a reviewer or a manager (409 `invalid_transition` for a wrong state first,
 * then 403). Under a row lock on the issue, so concurrent moves apply one after the other and
 * the counters (task item, assignment, task, project summary, QA unit) always match the states.
 * A comment, when given, is kept on the issue in the same transaction.
 */
export async function updateIssue(ctx: Ctx, caller: Caller, issueId: string, input: { status: IssueStatus; comment?: string }) {
  const [found] = isId(issueId) ? await ctx.db.select().from(issues).where(eq(issues.id, issueId)) : [];
  if (!found) throw notFound('Issue');
  const role = await requireRole(ctx.db, caller, found.projectId, 'viewer', 'Issue');
  const actor = {
    isManager: atLeast(role, 'manager'),
    isReviewer: await isReviewerOf(ctx.db, caller, role, found.projectId, found.taskId),
    isAuthor: found.assigneeId === caller.userId,
  };
  return ctx.db.transaction(async (tx) => {
    const [issue] = await tx.select().from(issues).where(eq(issues.id, issueId)).for('update');
    if (!issue) throw notFound('Issue');
    const check = checkIssueTransition(issue.status, input.status, actor);
    if (!check.ok) throw new DomainError(check.code, check.reason, { from: issue.status, to: input.status });
    const now = ctx.clock.now();
    const [row] = await tx
      .update(issues)
      .set({ status: input.status, updatedAt: now, resolvedAt: input.status === 'resolved' ? now : null })
      .where(eq(issues.id, issueId))
      .returning();
    await moveCounters(tx, issue, counterDelta(issue.status, input.status));
    if (input.comment?.trim()) {
      await tx.insert(comments).values({ id: newId(), projectId: issue.projectId, subjectKind: 'issue', subjectId: issue.id, authorId: caller.userId, kind: 'issue_status', body: input.comment, createdAt: now });
    }
    await recordAudit(tx, { projectId: issue.projectId, actorId: caller.userId, action: 'issue.status', subjectKind: 'issue', subjectId: issue.id, before: { status: issue.status }, after: { status: input.status, ...(input.comment ? { comment: input.comment } : {}) } }, now);
    if (input.status === 'resolved') {
      await recordEvent(tx, { projectId: issue.projectId, type: 'issue.resolved', subjectKind: 'issue', subjectId: issue.id, actorId: caller.userId, recipientIds: issue.assigneeId && issue.assigneeId !== caller.userId ? [issue.assigneeId] : [], data: { issueId: issue.id, taskId: issue.taskId, itemId: issue.itemId, annotationId: issue.annotationId, from: issue.status } }, now);
    }
    return issueView(row!);
  });
}

export type IssueStatusFilter = IssueStatus | 'unresolved';
const statusCondition = (status?: IssueStatusFilter): SQL | undefined =>
  !status ? undefined : status === 'unresolved' ? inArray(issues.status, ['open', 'for_review']) : eq(issues.status, status);

const afterCursor = (cursor?: string) => {
  if (!cursor) return undefined;
  const id = String(decodeCursor(cursor, 1)[0]);
  return isId(id) ? gt(issues.id, id) : undefined;
};

/** Issues on a task's annotations, or raised from it when it is a QA task; oldest first, keyset by id. */
export async function listTaskIssues(ctx: Ctx, caller: Caller, taskId: string, query: { status?: IssueStatusFilter; limit: number; cursor?: string }) {
  const [task] = isId(taskId) ? await ctx.db.select({ projectId: tasks.projectId }).from(tasks).where(eq(tasks.id, taskId)) : [];
  if (!task) throw notFound('Task');
  await requireRole(ctx.db, caller, task.projectId, 'viewer', 'Task');
  const rows = await ctx.db
    .select()
    .from(issues)
    .where(and(or(eq(issues.taskId, taskId), eq(issues.reviewTaskId, taskId)), statusCondition(query.status), afterCursor(query.cursor)))
    .orderBy(asc(issues.id))
    .limit(query.limit + 1);
  return toPage(rows.map(issueView), query.limit, (r) => [r.id]);
}

/** Issues on the caller's annotations, in the projects they still belong to; oldest first. */
export async function listMyIssues(ctx: Ctx, caller: Caller, query: { status?: IssueStatusFilter; projectId?: string; limit: number; cursor?: string }) {
  const rows = await ctx.db
    .select({ issue: issues })
    .from(issues)
    .innerJoin(projectMembers, and(eq(projectMembers.projectId, issues.projectId), eq(projectMembers.userId, caller.userId)))
    .where(and(eq(issues.assigneeId, caller.userId), query.projectId && isId(query.projectId) ? eq(issues.projectId, query.projectId) : undefined, statusCondition(query.status), afterCursor(query.cursor)))
    .orderBy(asc(issues.id))
    .limit(query.limit + 1);
  return toPage(rows.map((r) => issueView(r.issue)), query.limit, (r) => [r.id]);
}

/** One issue (project members). */
export async function getIssue(ctx: Ctx, caller: Caller, issueId: string) {
  const [row] = isId(issueId) ? await ctx.db.select().from(issues).where(eq(issues.id, issueId)) : [];
  if (!row) throw notFound('Issue');
  await requireRole(ctx.db, caller, row.projectId, 'viewer', 'Issue');
  return issueView(row);
}
