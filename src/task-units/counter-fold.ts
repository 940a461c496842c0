import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { rowsOf } from './item-selection.ts';

/**
 * Moves tasks' counter shards (`task_counter_shards`) into their task rows' base counters and
 * deletes them, for at most `limit` tasks, each in its own transaction. Returns how many tasks it
 * folded. The `counters.fold-shards` job runs it every minute, so that only the tasks written
 * since have shards: the task list's `status` filter then reads the base status's index and
 * checks only those tasks on their exact counters (docs/workflow.md, Task lists).
 *
 * Exact at every read: a task's shard rows leave and its base grows by their sum in one
 * transaction, so a reader's snapshot holds either the shards or the grown base, never both or
 * neither. It loses no write: the rows are deleted with the values they hold when deleted
 * (`returning`), and a write that comes after finds no row and inserts a new one.
 *
 * It never deadlocks with status writes. It first takes the task row's lock, while holding
 * nothing, in the order a status write takes it (a task's first status write marks the row
 * `has_history` before it takes a shard); then it deletes only the shards no transaction holds
 * (`skip locked`), so it never waits while holding a row. A held shard is folded at the next run.
 */
export async function foldCounterShards(db: Db, limit = 500): Promise<number> {
  const due = rowsOf<{ task_id: string }>(await db.execute(sql`select distinct task_id from task_counter_shards limit ${limit}`));
  let folded = 0;
  for (const { task_id: taskId } of due) {
    folded += await db.transaction(async (tx) => {
      const task = rowsOf(await tx.execute(sql`select 1 from tasks where id = ${taskId}::uuid for no key update`));
      if (!task.length) return 0;
      const [moved] = rowsOf<{ n: number }>(
        await tx.execute(sql`
          with d as (
            delete from task_counter_shards s using (
              select shard from task_counter_shards where task_id = ${taskId}::uuid for update skip locked) free
            where s.task_id = ${taskId}::uuid and s.shard = free.shard
            returning s.statuses, s.done),
          t as (
            update tasks set status_count = status_count + (select coalesce(sum(statuses), 0) from d),
              done_count = done_count + (select coalesce(sum(done), 0) from d)
            where id = ${taskId}::uuid and exists (select 1 from d)
            returning 1)
          select (select count(*) from d)::int as n`),
      );
      return moved!.n > 0 ? 1 : 0;
    });
  }
  return folded;
}
