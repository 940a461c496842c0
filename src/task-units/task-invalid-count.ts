import { eq, sql } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { tasks } from './tasks.table.ts';

/**
 * Moves the task's count of invalid annotations (`counts.invalid`, docs/robotics.md) in the
 * caller's transaction: +1 when a current annotation is marked invalid, -1 when a new version
 * or an un-invalidation makes it valid again.
 */
export async function moveInvalidCount(tx: Tx, taskId: string, delta: number) {
  if (!delta) return;
  await tx.update(tasks).set({ invalidCount: sql`${tasks.invalidCount} + ${delta}` }).where(eq(tasks.id, taskId));
}
