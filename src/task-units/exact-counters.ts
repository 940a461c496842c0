import { sql, type SQL } from 'drizzle-orm';
import { QueryBuilder } from 'drizzle-orm/pg-core';
import { TASK_COUNTER_SHARDS, taskCounterShards, taskWideKey } from './tasks.table.ts';

/**
 * The derived system status (docs/workflow.md, "Task units and the derived status") of a task's exact counters. It is not a stored
 * column: a status write moves a counter shard (`task_counter_shards`), not the task row, so the
 * status is computed from the row plus its shards wherever it is read or filtered on.
 */
export type DerivedStatus = 'open' | 'in_progress' | 'completed' | 'completed_with_issues';
export function derivedStatus(c: { itemCount: number; statusCount: number; openIssues: number; forReview: number }): DerivedStatus {
  if (c.statusCount === 0) return 'open';
  if (c.statusCount < c.itemCount) return 'in_progress';
  return c.openIssues + c.forReview > 0 ? 'completed_with_issues' : 'completed';
}

/**
 * The task-wide hourly done bucket is sharded the same way: shard `n` is keyed by the uuid whose
 * last byte is `n` (shard 0 is `taskWideKey`). Readers sum keys `taskWideKey..lastTaskWideKey`.
 */
export const taskWideShardKey = (shard: number) => `00000000-0000-0000-0000-0000000000${shard.toString(16).padStart(2, '0')}`;
export const lastTaskWideKey = taskWideShardKey(TASK_COUNTER_SHARDS - 1);
/** `taskWideShardKey` in SQL, of a shard number computed in the statement. */
export const taskWideShardKeySql = (shard: SQL) => sql`('00000000-0000-0000-0000-0000000000' || lpad(to_hex(${shard}), 2, '0'))::uuid`;

/**
 * Exact counters of the `tasks` row of the enclosing query (`alias`, default `"tasks"`), as scalar
 * subqueries over its shards on their primary key. Use them wherever a task's status counters or
 * derived status are read: the row's own columns are only the base.
 */
export const exactStatusCount = (alias = '"tasks"') =>
  sql<number>`(${sql.raw(alias)}.status_count + coalesce((select sum(cs.statuses) from task_counter_shards cs where cs.task_id = ${sql.raw(alias)}.id), 0))::int`;
export const exactDoneCount = (alias = '"tasks"') =>
  sql<number>`(${sql.raw(alias)}.done_count + coalesce((select sum(cs.done) from task_counter_shards cs where cs.task_id = ${sql.raw(alias)}.id), 0))::int`;
/** Recent task-wide completions of the enclosing `tasks` row since `since` (the ETA's input). */
export const taskWideDoneSince = (since: unknown, alias = '"tasks"') =>
  sql<number>`(select coalesce(sum(h.done), 0)::int from task_done_hourly h
    where h.task_id = ${sql.raw(alias)}.id and h.assignment_id between ${taskWideKey}::uuid and ${lastTaskWideKey}::uuid and h.hour >= ${since})`;

/**
 * The sums of the enclosing `tasks` row's counter shards as a LATERAL subquery (`shard_sums`,
 * columns `statuses` and `done`; 0 for a task without shards): ONE aggregate per row on the
 * shards' primary key serves both exact counters and the status filter, where the scalar
 * subqueries of `exactStatusCount`/`exactDoneCount` would read the shards once per mention.
 */
export const shardSumsLateral = (alias = '"tasks"') =>
  new QueryBuilder()
    .select({
      statuses: sql<number>`coalesce(sum(${taskCounterShards.statuses}), 0)::int`.as('statuses'),
      done: sql<number>`coalesce(sum(${taskCounterShards.done}), 0)::int`.as('done'),
    })
    .from(taskCounterShards)
    .where(sql`${taskCounterShards.taskId} = ${sql.raw(alias)}.id`)
    .as('shard_sums');

/**
 * "The derived status of the enclosing `tasks` row is `status`", given its exact status count
 * `statuses`: the cases of `derivedStatus` as plain comparisons instead of `CASE … = status`, so
 * the exact count is read once and the planner estimates the filter from comparisons (an equality
 * on a CASE is assumed to keep 0.5 % of rows, which makes a page look hundreds of times costlier
 * than it is).
 */
export function derivedStatusIs(status: DerivedStatus, statuses: SQL, alias = '"tasks"'): SQL {
  const a = sql.raw(alias);
  const started = sql`${statuses} <> 0`;
  const full = sql`${statuses} >= ${a}.item_count`;
  switch (status) {
    case 'open':
      return sql`${statuses} = 0`;
    case 'in_progress':
      return sql`(${started} and ${statuses} < ${a}.item_count)`;
    case 'completed':
      return sql`(${started} and ${full} and ${a}.open_issues + ${a}.for_review <= 0)`;
    case 'completed_with_issues':
      return sql`(${started} and ${full} and ${a}.open_issues + ${a}.for_review > 0)`;
  }
}

/**
 * The ids of a project's tasks that have counter shards, as an array (`= any(…)`): the tasks
 * written since the last fold (`foldCounterShards`), read on `task_counter_shards_project_idx`.
 * Every other task's base counters are its exact counters (its `base_status` is its status).
 * `where` may narrow them further, on `cs.task_id`.
 */
export const projectTasksWithShards = (projectId: SQL, where?: SQL) =>
  sql`array(select distinct cs.task_id from task_counter_shards cs where cs.project_id = ${projectId}${where ? sql` and ${where}` : sql``})`;
