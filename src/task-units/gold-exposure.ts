import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { selfAndGroupIdsSql } from '../projects/member-reads.ts';
import { tasks } from './tasks.table.ts';
import { taskItems } from './task-items.table.ts';
import { taskAssignees } from './assignments.table.ts';

/**
 * True when the person annotates (own assignment or a group's) a qualification or honeypot task
 * that holds this item: such a task scores them against the item's gold, so no item read may
 * show it to them, whatever their project role (docs/hardening.md). Wired as
 * `DatasetUse.annotatesGoldScoredItem` for the datasets module.
 */
export async function annotatesGoldScoredItem(db: Db, itemId: string, userId: string): Promise<boolean> {
  const [hit] = await db
    .select({ one: sql<number>`1` })
    .from(tasks)
    .innerJoin(taskAssignees, and(eq(taskAssignees.taskId, tasks.id), eq(taskAssignees.role, 'annotator')))
    .where(
      and(
        inArray(tasks.type, ['qualification', 'honeypot']),
        sql`${taskAssignees.assigneeId} = any(${selfAndGroupIdsSql(userId)})`,
        // The item is one of the task's units, or a honeypot gold item not mixed in yet.
        sql`(exists (select 1 from ${taskItems} ti where ti.task_id = ${tasks.id} and ti.item_id = ${itemId})
          or coalesce(${tasks.honeypot} -> 'goldItemIds', '[]'::jsonb) @> to_jsonb(${itemId}::text))`,
      ),
    )
    .limit(1);
  return Boolean(hit);
}
