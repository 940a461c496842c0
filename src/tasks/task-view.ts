import { and, eq, gte, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { taskDoneHourly, taskLinks, taskWideKey } from './tasks.table.ts';
import { isLocked, type TaskRow } from './task-access.ts';

/** The ETA looks at the last day of completions: recent enough to follow a change of pace. */
const RATE_WINDOW_MS = 24 * 3_600_000;

export interface Counted {
  itemCount: number;
  doneCount: number;
  statusCount: number;
  openIssues: number;
  forReview: number;
  createdAt: Date;
}

/**
 * Net completions in the rate window per key (task id or assignment id): one grouped read of at
 * most 24 bucket rows per key.
 */
export async function recentDone(db: Db, taskIds: string[], assignmentKeys: string[] = [taskWideKey], now: Date) {
  const out = new Map<string, number>();
  if (!taskIds.length) return out;
  const rows = await db
    .select({ taskId: taskDoneHourly.taskId, key: taskDoneHourly.assignmentId, done: sql<number>`sum(${taskDoneHourly.done})::int` })
    .from(taskDoneHourly)
    .where(and(inArray(taskDoneHourly.taskId, taskIds), inArray(taskDoneHourly.assignmentId, assignmentKeys), gte(taskDoneHourly.hour, new Date(now.getTime() - RATE_WINDOW_MS))))
    .groupBy(taskDoneHourly.taskId, taskDoneHourly.assignmentId);
  for (const r of rows) out.set(r.key === taskWideKey ? r.taskId : r.key, Number(r.done));
  return out;
}

/** `{total, done, percent, etaSeconds}`: the ETA divides what remains by the recent completion rate. */
export function progressOf(c: Counted, recent: number, now: Date) {
  const total = c.itemCount;
  const done = c.doneCount;
  const remaining = Math.max(0, total - done);
  const windowSeconds = Math.max(60, Math.min(RATE_WINDOW_MS, now.getTime() - c.createdAt.getTime()) / 1000);
  const rate = Math.max(0, recent) / windowSeconds;
  return {
    total,
    done,
    percent: total ? Math.round((done / total) * 1000) / 10 : 0,
    etaSeconds: remaining === 0 ? 0 : rate > 0 ? Math.round(remaining / rate) : null,
  };
}

export const countsOf = (c: Counted) => ({
  items: c.itemCount,
  done: c.doneCount,
  withStatus: c.statusCount,
  pending: c.itemCount - c.statusCount,
  openIssues: c.openIssues,
  forReview: c.forReview,
});

type DerivedStatus = 'open' | 'in_progress' | 'completed' | 'completed_with_issues';

export function taskView(task: TaskRow, recent: number, now: Date, links?: Array<{ kind: 'item' | 'finding'; id: string }>) {
  return {
    id: task.id,
    projectId: task.projectId,
    name: task.name,
    type: task.type,
    datasetId: task.datasetId,
    recipeId: task.recipeId,
    ownerId: task.ownerId,
    priority: task.priority,
    dueDate: task.dueDate,
    lockAfterDueDate: task.lockAfterDueDate,
    locked: isLocked(task, now),
    archived: task.archived,
    status: (task.status ?? 'open') as DerivedStatus,
    workflowState: task.workflowState,
    description: task.description,
    allocation: task.allocation,
    consensus: task.consensus,
    honeypot: task.honeypot,
    sourceTaskId: task.sourceTaskId,
    reviewNote: task.reviewNote,
    ...(links ? { links } : {}),
    progress: progressOf(task, recent, now),
    counts: countsOf(task),
    createdAt: task.createdAt,
    updatedAt: task.updatedAt,
  };
}

export async function linksOf(db: Db, taskId: string) {
  const rows = await db.select({ kind: taskLinks.kind, id: taskLinks.targetId }).from(taskLinks).where(eq(taskLinks.taskId, taskId));
  return rows;
}
