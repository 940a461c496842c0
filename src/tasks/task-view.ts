import type { Caller } from '../context.ts';
import type { Db } from '../db/client.ts';
import { notFound } from '../core/errors.ts';
import { atLeast } from '../projects/permissions.ts';
import { isId } from '../core/ids.ts';
import { derivedStatus } from '../task-units/exact-counters.ts';
import { readTaskWithRole, recentDone as recentDoneIn } from '../task-units/task-reads.ts';
import { isLocked, type TaskRow } from '../task-units/task-access.ts';
import type { TaskLink } from '../task-units/task-rows.ts';

export { recentDoneSql, withExactCounters } from '../task-units/task-reads.ts';

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

/** Net completions in the rate window per key (task id or assignment id); see `recentDone` of task-units. */
export const recentDone = (db: Db, taskIds: string[], assignmentKeys: string[] | undefined, now: Date) => recentDoneIn(db, taskIds, assignmentKeys, now, RATE_WINDOW_MS);

/** The start of the ETA's rate window at `now`. */
export const rateWindowStart = (now: Date) => new Date(now.getTime() - RATE_WINDOW_MS);

/**
 * A task as `GET /tasks/{id}` shows it, in ONE statement: the row, the caller's membership role
 * in its project, the recent completions (ETA) and, for a ticket, its links. 404 for an unknown
 * task or a caller who is not a member of its project (administrators see every task).
 */
export async function readTaskView(db: Db, caller: Caller, taskId: string, now: Date) {
  const row = isId(taskId) ? await readTaskWithRole(db, taskId, caller.userId, rateWindowStart(now)) : undefined;
  if (!row || (!caller.isAdmin && !row.memberRole)) throw notFound('Task');
  return taskView(row.task, row.recent, now, row.links ?? undefined, caller.isAdmin || atLeast(row.memberRole!, 'manager'));
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

/**
 * A task as the API shows it, from a row whose `statusCount`/`doneCount` are exact (read with
 * `shardSumsLateral`, `exactStatusCount`/`exactDoneCount` or `withExactCounters`). `seesGold`: whether the caller may see `honeypot.goldItemIds`
 * (managers and up); below that the honeypot shows only its ratio, since gold is mixed in
 * unannounced and annotators are scored on it.
 */
export function taskView(task: Omit<TaskRow, 'hasHistory' | 'priorityRank' | 'baseStatus'>, recent: number, now: Date, links?: TaskLink[], seesGold = true) {
  return {
    id: task.id,
    projectId: task.projectId,
    name: task.name,
    type: task.type,
    datasetId: task.datasetId,
    datasetCount: task.datasetCount,
    recipeId: task.recipeId,
    ownerId: task.ownerId,
    priority: task.priority,
    dueDate: task.dueDate,
    lockAfterDueDate: task.lockAfterDueDate,
    locked: isLocked(task, now),
    archived: task.archived,
    status: derivedStatus(task),
    workflowState: task.workflowState,
    description: task.description,
    allocation: task.allocation,
    consensus: task.consensus,
    honeypot: task.honeypot && !seesGold ? { ratio: task.honeypot.ratio } : task.honeypot,
    sourceTaskId: task.sourceTaskId,
    reviewNote: task.reviewNote,
    ...(links ? { links } : {}),
    progress: progressOf(task, recent, now),
    counts: { ...countsOf(task), invalid: task.invalidCount },
    createdAt: task.createdAt,
    updatedAt: task.updatedAt,
  };
}
