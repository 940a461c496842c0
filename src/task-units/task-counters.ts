import { eq, sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.ts';
import { bumpProjectCounters } from '../projects/projects.service.ts';
import { randomInt, type Random } from '../core/random.ts';
import { taskAssignees } from './assignments.table.ts';
import { taskItems } from './task-items.table.ts';
import { TASK_COUNTER_SHARDS, taskDoneHourly, tasks, taskWideKey } from './tasks.table.ts';
import { taskWideShardKeySql } from './exact-counters.ts';

/** How a change moves the counters of one task and one of its assignments. */
export interface UnitDelta {
  items?: number;
  statuses?: number;
  done?: number;
  openIssues?: number;
  forReview?: number;
}

const isZero = (d: UnitDelta) => !d.items && !d.statuses && !d.done && !d.openIssues && !d.forReview;

const setDelta = (table: typeof tasks | typeof taskAssignees, d: UnitDelta) => ({
  itemCount: sql`${table.itemCount} + ${d.items ?? 0}`,
  statusCount: sql`${table.statusCount} + ${d.statuses ?? 0}`,
  doneCount: sql`${table.doneCount} + ${d.done ?? 0}`,
  openIssues: sql`${table.openIssues} + ${d.openIssues ?? 0}`,
  forReview: sql`${table.forReview} + ${d.forReview ?? 0}`,
});

/**
 * Moves the task's counters (and, when given, the assignment's) by `delta`, in the caller's
 * transaction. Counters are never recomputed from items: every change that moves one calls this.
 */
export async function moveTaskCounters(tx: Tx, taskId: string, assignmentId: string | null, delta: UnitDelta) {
  if (isZero(delta)) return;
  await tx.update(tasks).set(setDelta(tasks, delta)).where(eq(tasks.id, taskId));
  if (assignmentId) await moveAssignmentCounters(tx, assignmentId, delta);
}

export async function moveAssignmentCounters(tx: Tx, assignmentId: string, delta: UnitDelta) {
  if (isZero(delta)) return;
  await tx.update(taskAssignees).set(setDelta(taskAssignees, delta)).where(eq(taskAssignees.id, assignmentId));
}

/**
 * Moves several assignments' counters in one transaction, locking their rows in assignment-id
 * order. Any transaction that updates more than one assignment row must go through here: two
 * transactions that lock the same rows in opposite orders deadlock (two annotators re-claiming
 * each other's expired items did). Deltas for the same id are summed first.
 */
export async function moveAssignmentCountersInOrder(tx: Tx, deltas: Iterable<readonly [string, UnitDelta]>) {
  const sum = new Map<string, Required<UnitDelta>>();
  for (const [id, d] of deltas) {
    const s = sum.get(id) ?? { items: 0, statuses: 0, done: 0, openIssues: 0, forReview: 0 };
    s.items += d.items ?? 0;
    s.statuses += d.statuses ?? 0;
    s.done += d.done ?? 0;
    s.openIssues += d.openIssues ?? 0;
    s.forReview += d.forReview ?? 0;
    sum.set(id, s);
  }
  // Plain string order of lowercase uuids is PostgreSQL's uuid order; only consistency matters.
  for (const id of [...sum.keys()].sort()) await moveAssignmentCounters(tx, id, sum.get(id)!);
}

/** A counter shard for one status write, from the context's randomness port. */
export const pickCounterShard = (random: Random) => randomInt(random, TASK_COUNTER_SHARDS);

/**
 * The counter writes of one item status change, as CTEs (`cf`, `sk`, `cs`, `ca`, `ch`) for the
 * statement that writes the unit, so they cost no round trip of their own: a counter shard of the
 * task (not the task row: concurrent status writes of one task would all queue on it until their
 * commits), the assignment row, then the hourly done buckets (the task-wide bucket's shard of the
 * same number, then the assignment's). The shard is `shard` (drawn by the caller) when it does not
 * exist yet (it is created) or no other transaction holds it; when another one does, it is the
 * next existing shard nobody holds (`FOR UPDATE SKIP LOCKED`), so writers of one task do not wait
 * for each other's commits while fewer of them write at once than there are shards. Only when
 * every existing shard is held does the write wait, for shard `shard`. The task row is written only the first time
 * (`has_history`, when `firstHistory`). Each part references the one before, which fixes the
 * order rows are locked in (shard → assignment → buckets); the issue paths (`moveTaskCounters`)
 * lock task → assignment and no shard, so they cannot deadlock with this.
 */
export function statusCounterCtes(
  task: { id: string; projectId: string },
  assignmentId: string | null,
  at: Date,
  delta: { statuses: number; done: number },
  shard: number,
  firstHistory: boolean,
): SQL[] {
  const moves = delta.statuses !== 0 || delta.done !== 0;
  const hour = new Date(Math.floor(at.getTime() / 3_600_000) * 3_600_000).toISOString();
  return [
    sql`cf as (update tasks set has_history = true where id = ${task.id}::uuid and ${firstHistory} and not has_history returning id)`,
    sql`sk as (
      select case when not exists (select 1 from task_counter_shards s where s.task_id = ${task.id}::uuid and s.shard = ${shard}::int) then ${shard}::int
        else coalesce((select s.shard from task_counter_shards s
                       where s.task_id = ${task.id}::uuid and ${moves} and (select count(*) from cf) >= 0
                       order by (s.shard - ${shard}::int + ${TASK_COUNTER_SHARDS}::int) % ${TASK_COUNTER_SHARDS}::int
                       limit 1 for update skip locked), ${shard}::int) end as shard)`,
    sql`cs as (
      insert into task_counter_shards (task_id, shard, project_id, statuses, done)
      select ${task.id}::uuid, sk.shard, ${task.projectId}::uuid, ${delta.statuses}, ${delta.done} from sk where ${moves}
      on conflict (task_id, shard) do update set statuses = task_counter_shards.statuses + excluded.statuses, done = task_counter_shards.done + excluded.done
      returning shard)`,
    sql`ca as (
      update task_assignees set status_count = status_count + ${delta.statuses}, done_count = done_count + ${delta.done}
      where id = ${assignmentId}::uuid and ${moves} and (select count(*) from cs) >= 0
      returning id)`,
    sql`ch as (
      insert into task_done_hourly (task_id, assignment_id, hour, project_id, done)
      select ${task.id}::uuid, k.key, ${hour}::timestamptz, ${task.projectId}::uuid, ${delta.done}
      from (values (${taskWideShardKeySql(sql`(select sk.shard from sk)`)}, 0), (${assignmentId}::uuid, 1)) as k(key, ord)
      where k.key is not null and ${delta.done} <> 0 and (select count(*) from ca) >= 0
      order by k.ord
      on conflict (task_id, assignment_id, hour) do update set done = task_done_hourly.done + excluded.done
      returning 1)`,
  ];
}

/** Records net finished items in the task's (and assignment's) hourly bucket: the ETA's rate. */
export async function recordDone(tx: Tx, task: { id: string; projectId: string }, assignmentId: string | null, at: Date, done: number) {
  if (!done) return;
  const hour = new Date(Math.floor(at.getTime() / 3_600_000) * 3_600_000);
  const keys = assignmentId ? [taskWideKey, assignmentId] : [taskWideKey];
  for (const key of keys) {
    await tx
      .insert(taskDoneHourly)
      .values({ taskId: task.id, assignmentId: key, hour, projectId: task.projectId, done })
      .onConflictDoUpdate({
        target: [taskDoneHourly.taskId, taskDoneHourly.assignmentId, taskDoneHourly.hour],
        set: { done: sql`${taskDoneHourly.done} + ${done}` },
      });
  }
}

/**
 * For the review module: moves the open-issue / for-review counts of one task item, its
 * assignment, its task and (open issues only) the project summary, in the caller's transaction.
 * Locks the task item row. The derived task and assignment statuses follow automatically
 * (`completed` ⇄ `completed_with_issues`).
 *
 * @example await moveIssueCounters(tx, taskItemId, { openIssues: +1 }) // an issue was opened
 * @example await moveIssueCounters(tx, taskItemId, { openIssues: -1, forReview: +1 }) // annotator fixed it
 */
export async function moveIssueCounters(tx: Tx, taskItemId: string, delta: { openIssues?: number; forReview?: number }) {
  const d = { openIssues: delta.openIssues ?? 0, forReview: delta.forReview ?? 0 };
  if (!d.openIssues && !d.forReview) return;
  const [unit] = await tx
    .update(taskItems)
    .set({ openIssues: sql`${taskItems.openIssues} + ${d.openIssues}`, forReview: sql`${taskItems.forReview} + ${d.forReview}` })
    .where(eq(taskItems.id, taskItemId))
    .returning({ taskId: taskItems.taskId, assignmentId: taskItems.assignmentId, projectId: taskItems.projectId });
  if (!unit) return;
  await moveTaskCounters(tx, unit.taskId, unit.assignmentId, d);
  await bumpProjectCounters(tx, unit.projectId, { openIssues: d.openIssues });
}
