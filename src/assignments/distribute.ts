import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { taskItems } from '../tasks/task-items.table.ts';
import { moveAssignmentCounters } from '../tasks/task-counters.ts';

export interface Share {
  assignmentId: string;
  /** Percent; all null means balanced by count. */
  weight: number | null;
}

/**
 * Which share gets each of `count` units, in order. Balanced: round robin, so consecutive
 * consensus copies of one item land on distinct assignees. Weighted: smooth weighted round robin
 * (each step goes to the share furthest behind its percentage), which also interleaves.
 */
export function plan(count: number, shares: Share[]): string[] {
  if (!shares.length) return [];
  const weighted = shares.some((s) => s.weight !== null);
  if (!weighted) return Array.from({ length: count }, (_, i) => shares[i % shares.length]!.assignmentId);
  const weights = shares.map((s) => Math.max(0, s.weight ?? 0));
  const total = weights.reduce((a, b) => a + b, 0) || 1;
  const current = weights.map(() => 0);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let best = 0;
    for (let j = 0; j < weights.length; j++) {
      current[j]! += weights[j]!;
      if (current[j]! > current[best]!) best = j;
    }
    current[best]! -= total;
    out.push(shares[best]!.assignmentId);
  }
  return out;
}

/**
 * Gives the task's units that have no status and are not being worked (no status, no gold) to
 * `shares`, in queue order, and moves the counters of the assignments they leave and join, in
 * the caller's transaction. With `onlyUnassigned`, units already in a share stay put (new items).
 * Locks the units it moves. Returns how many units changed hands.
 */
export async function distributeUnits(tx: Tx, taskId: string, shares: Share[], options: { onlyUnassigned: boolean }): Promise<number> {
  if (!shares.length) return 0;
  const units = await tx
    .select({ id: taskItems.id, assignmentId: taskItems.assignmentId, openIssues: taskItems.openIssues, forReview: taskItems.forReview })
    .from(taskItems)
    .where(and(eq(taskItems.taskId, taskId), isNull(taskItems.status), eq(taskItems.isGold, false), options.onlyUnassigned ? isNull(taskItems.assignmentId) : undefined))
    .orderBy(asc(taskItems.position), asc(taskItems.copy))
    .for('update');
  const targets = plan(units.length, shares);
  const moved: Array<{ id: string; to: string }> = [];
  const deltas = new Map<string, { items: number; openIssues: number; forReview: number }>();
  const bump = (id: string, sign: number, u: { openIssues: number; forReview: number }) => {
    const d = deltas.get(id) ?? { items: 0, openIssues: 0, forReview: 0 };
    d.items += sign;
    d.openIssues += sign * u.openIssues;
    d.forReview += sign * u.forReview;
    deltas.set(id, d);
  };
  units.forEach((u, i) => {
    const to = targets[i]!;
    if (u.assignmentId === to) return;
    moved.push({ id: u.id, to });
    if (u.assignmentId) bump(u.assignmentId, -1, u);
    bump(to, +1, u);
  });
  for (let i = 0; i < moved.length; i += 5000) {
    const chunk = moved.slice(i, i + 5000);
    await tx.execute(sql`update task_items t set assignment_id = m.to_id, worker_id = null, lease_expires_at = null
      from unnest(${`{${chunk.map((m) => m.id).join(',')}}`}::uuid[], ${`{${chunk.map((m) => m.to).join(',')}}`}::uuid[]) as m(id, to_id)
      where t.id = m.id`);
  }
  for (const [assignmentId, d] of deltas) await moveAssignmentCounters(tx, assignmentId, d);
  return moved.length;
}

/** Moves every unit of `ids` (units of one task) to `toAssignmentId`, with counters. Locks them. */
export async function moveUnits(tx: Tx, unitIds: string[], toAssignmentId: string): Promise<number> {
  if (!unitIds.length) return 0;
  const units = await tx
    .select({ id: taskItems.id, assignmentId: taskItems.assignmentId, status: taskItems.status, done: taskItems.done, openIssues: taskItems.openIssues, forReview: taskItems.forReview })
    .from(taskItems)
    .where(inArray(taskItems.id, unitIds))
    .for('update');
  const movable = units.filter((u) => u.assignmentId !== toAssignmentId);
  if (!movable.length) return 0;
  const sum = (rows: typeof movable, sign: number) => ({
    items: sign * rows.length,
    statuses: sign * rows.filter((r) => r.status !== null).length,
    done: sign * rows.filter((r) => r.done).length,
    openIssues: sign * rows.reduce((a, r) => a + r.openIssues, 0),
    forReview: sign * rows.reduce((a, r) => a + r.forReview, 0),
  });
  const bySource = new Map<string, typeof movable>();
  for (const u of movable) if (u.assignmentId) bySource.set(u.assignmentId, [...(bySource.get(u.assignmentId) ?? []), u]);
  await tx
    .update(taskItems)
    .set({ assignmentId: toAssignmentId, workerId: null, leaseExpiresAt: null })
    .where(inArray(taskItems.id, movable.map((u) => u.id)));
  for (const [from, rows] of bySource) await moveAssignmentCounters(tx, from, sum(rows, -1));
  await moveAssignmentCounters(tx, toAssignmentId, sum(movable, +1));
  return movable.length;
}
