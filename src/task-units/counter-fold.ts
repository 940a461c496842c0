import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { rowsOf } from './item-selection.ts';

/** Tasks folded by one statement, unless asked otherwise. */
export const FOLD_BATCH = 500;

/**
 * Moves tasks' counter shards (`task_counter_shards`) into their task rows' base counters and
 * deletes them, for at most `limit` tasks (of one project when `projectId` is given), in ONE
 * statement. Returns how many tasks it folded.
 * The `counters.fold-shards` job runs it every minute, so that only the tasks written since have
 * shards: the task list's `status` filter then reads the base status's index and checks only
 * those few on their exact counters (docs/workflow.md, "A status filter reads an index").
 *
 * Exact at every read: a task's shards leave and its base grows by their sum in one
 * transaction, so a reader's snapshot holds either the shards or the grown base, never both or
 * neither. It loses no write: a shard is deleted with the value it holds when it is deleted
 * (`returning`, on the row version it locked), and a write that comes after finds no row and
 * inserts a new one.
 *
 * It never waits, so it can never be part of a deadlock: it locks the task rows (in id order)
 * and then their shards, both with `skip locked`. A task whose row is held (a workflow
 * transition, an issue moving its counters, a task's first status write) or a shard a status
 * write holds is left for the next run.
 */
export async function foldCounterShards(db: Db, options: { limit?: number; projectId?: string } = {}): Promise<number> {
  const limit = options.limit ?? FOLD_BATCH;
  // One project's only, when asked (a test beside others on the same database).
  const inProject = options.projectId ? sql`where s.project_id = ${options.projectId}::uuid` : sql``;
  const [r] = rowsOf<{ folded: number }>(
    await db.execute(sql`
      with due as (
        select t.id from tasks t
        where t.id = any(array(select distinct s.task_id from task_counter_shards s ${inProject} limit ${limit}))
        order by t.id
        for no key update skip locked),
      free as (
        select s.task_id, s.shard from task_counter_shards s
        where s.task_id in (select id from due)
        for update skip locked),
      gone as (
        delete from task_counter_shards s using free
        where s.task_id = free.task_id and s.shard = free.shard
        returning s.task_id, s.statuses, s.done),
      sums as (
        select task_id, sum(statuses)::int as statuses, sum(done)::int as done from gone group by task_id),
      folded as (
        update tasks t set status_count = t.status_count + sums.statuses, done_count = t.done_count + sums.done
        from sums where t.id = sums.task_id
        returning t.id)
      select count(*)::int as folded from folded`),
  );
  return r?.folded ?? 0;
}
