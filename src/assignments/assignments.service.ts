import type { Caller, Ctx } from '../context.ts';
import { decodeCursor, toPage, type PageQuery } from '../core/pagination.ts';
import { groupIdsOfUser } from '../projects/member-reads.ts';
import { assignmentsOfAssignees, taskAssignments } from '../task-units/assignment-rows.ts';
import { findTask, taskActor } from '../task-units/task-access.ts';
import { countsOf, progressOf, recentDone } from '../tasks/task-view.ts';
import type { AssignmentRow } from '../task-units/task-access.ts';
type DerivedStatus = 'open' | 'in_progress' | 'completed' | 'completed_with_issues';

const view = (a: AssignmentRow, recent: number, now: Date) => ({
  id: a.id,
  taskId: a.taskId,
  role: a.role,
  assigneeKind: a.assigneeKind,
  assigneeId: a.assigneeId,
  workload: a.workload,
  status: (a.status ?? 'open') as DerivedStatus,
  progress: progressOf(a, recent, now),
  counts: countsOf(a),
  createdAt: a.createdAt,
});

/** A task's assignments with per-assignee status, progress and ETA (from counters and hourly buckets). */
export async function listTaskAssignments(ctx: Ctx, caller: Caller, taskId: string) {
  const task = await findTask(ctx.db, taskId);
  await taskActor(ctx.db, caller, task);
  const rows = await taskAssignments(ctx.db, taskId);
  const now = ctx.clock.now();
  const recent = await recentDone(ctx.db, [taskId], rows.map((r) => r.id), now);
  return { data: rows.map((r) => view(r, recent.get(r.id) ?? 0, now)) };
}

/**
 * The caller's assignments across projects (their own and their groups'), on tasks that are not
 * archived, newest first by assignment id, keyset-paginated.
 */
export async function myAssignments(ctx: Ctx, caller: Caller, page: PageQuery) {
  const groups = await groupIdsOfUser(ctx.db, caller.userId);
  const after = page.cursor ? String(decodeCursor(page.cursor, 1)[0]) : undefined;
  const rows = await assignmentsOfAssignees(ctx.db, [caller.userId, ...groups], after, page.limit + 1);
  const result = toPage(rows, page.limit, (r) => [r.a.id]);
  const now = ctx.clock.now();
  const recent = await recentDone(ctx.db, [...new Set(result.data.map((r) => r.a.taskId))], result.data.map((r) => r.a.id), now);
  return {
    data: result.data.map((r) => ({ ...view(r.a, recent.get(r.a.id) ?? 0, now), projectId: r.projectId, taskName: r.taskName, taskType: r.taskType, workflowState: r.workflowState })),
    nextCursor: result.nextCursor,
  };
}

