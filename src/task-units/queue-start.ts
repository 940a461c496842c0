import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client.ts';

/**
 * Where a pulling task's queue starts (docs/allocation.md, "Where the queue starts"): the claim
 * walks `task_items_free_idx` from this position, not from the task's first entry. Without it,
 * every claim steps over the index entries of all units claimed since the last VACUUM (a claim
 * moves its unit out of the partial index, and only VACUUM removes the old entry), and pulls
 * slow down as a task is worked whenever vacuum lags.
 *
 * The rule the claim relies on: no unit without a status sits before `free_from`. Units lose
 * their status only through the triggers of migration 0026, which lower the position in the
 * same transaction (as do inserted units), always taking the start row's lock (migration 0028);
 * `raiseQueueStart` raises it.
 */
export const queueStartSql = (task: SQL) => sql`coalesce((select h.free_from from task_queue_heads h where h.task_id = ${task}), -1)`;

/**
 * Raises a task's queue start to its first unit without a status (queue order, gold aside), at
 * or after the current start. Its own transaction, and only one lock: the task's head row,
 * taken before the first unit is looked for, so the look is a snapshot taken after every
 * transaction that lowered the start committed; one that lowers it later waits for this one and
 * lowers it again. It waits for no unit: a status write that lowers the start while holding
 * unit locks cannot deadlock with it.
 */
export async function raiseQueueStart(db: Db, taskId: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`insert into task_queue_heads (task_id, free_from) values (${taskId}::uuid, -1) on conflict (task_id) do nothing`);
    await tx.execute(sql`select 1 from task_queue_heads where task_id = ${taskId}::uuid for update`);
    // A new statement: READ COMMITTED reads with a snapshot taken now, after the lock.
    await tx.execute(sql`update task_queue_heads h set free_from = coalesce((
        select u.position from task_items u
        where u.task_id = h.task_id and u.position >= h.free_from and u.status is null and not u.is_gold
        order by u.position limit 1), h.free_from)
      where h.task_id = ${taskId}::uuid`);
  });
}
