import { asc, eq, inArray, sql } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { taskItems } from '../tasks/task-items.table.ts';
import { moveAssignmentCountersInOrder } from '../tasks/task-counters.ts';

export interface Share {
  assignmentId: string;
  /** Percent; all null means balanced by count. */
  weight: number | null;
}

/**
 * Which share gets each unit, in order: each goes to the share furthest below its target
 * (equal shares, or the given percentages) counting what it already holds (`fixed`), skipping
 * shares that already have a copy of the same item, so consensus copies land on distinct
 * assignees. Greedy and deterministic (ties go to the earlier share).
 */
export function plan(units: Array<{ itemId: string }>, shares: Share[], fixed = new Map<string, number>(), taken = new Map<string, Set<string>>()): Array<string | null> {
  if (!shares.length) return units.map(() => null);
  const weighted = shares.some((s) => s.weight !== null);
  const weight = shares.map((s) => (weighted ? Math.max(0, s.weight ?? 0) : 1));
  const load = shares.map((s) => fixed.get(s.assignmentId) ?? 0);
  return units.map((u) => {
    const holders = taken.get(u.itemId) ?? new Set<string>();
    let best = -1;
    for (let j = 0; j < shares.length; j++) {
      if (!weight[j] || holders.has(shares[j]!.assignmentId)) continue;
      if (best < 0 || (load[j]! + 1) / weight[j]! < (load[best]! + 1) / weight[best]!) best = j;
    }
    if (best < 0) return null;
    load[best]!++;
    holders.add(shares[best]!.assignmentId);
    taken.set(u.itemId, holders);
    return shares[best]!.assignmentId;
  });
}

/**
 * Gives the task's units that have no status and are not being worked (no status, no gold) to
 * `shares`, in queue order, and moves the counters of the assignments they leave and join, in
 * the caller's transaction. With `onlyUnassigned`, units already in a share stay put (new items).
 * Locks the units it moves. Returns how many units changed hands.
 */
export async function distributeUnits(tx: Tx, taskId: string, shares: Share[], options: { onlyUnassigned: boolean }): Promise<number> {
  if (!shares.length) return 0;
  const all = await tx
    .select({ id: taskItems.id, itemId: taskItems.itemId, assignmentId: taskItems.assignmentId, status: taskItems.status, isGold: taskItems.isGold, openIssues: taskItems.openIssues, forReview: taskItems.forReview })
    .from(taskItems)
    .where(eq(taskItems.taskId, taskId))
    .orderBy(asc(taskItems.position), asc(taskItems.copy))
    .for('update');
  const movable = (u: (typeof all)[number]) => u.status === null && !u.isGold && (!options.onlyUnassigned || u.assignmentId === null);
  const units = all.filter(movable);
  // What stays put counts toward each share's load, and holds its item for consensus distinctness.
  const fixed = new Map<string, number>();
  const taken = new Map<string, Set<string>>();
  for (const u of all) {
    if (movable(u) || !u.assignmentId) continue;
    fixed.set(u.assignmentId, (fixed.get(u.assignmentId) ?? 0) + 1);
    taken.set(u.itemId, (taken.get(u.itemId) ?? new Set()).add(u.assignmentId));
  }
  const targets = plan(units, shares, fixed, taken);
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
    const to = targets[i];
    if (!to || u.assignmentId === to) return;
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
  await moveAssignmentCountersInOrder(tx, deltas);
  return moved.length;
}

/** Moves every unit of `ids` (units of one task) to `toAssignmentId`, with counters. Locks them. */
export async function moveUnits(tx: Tx, unitIds: string[], toAssignmentId: string): Promise<number> {
  if (!unitIds.length) return 0;
  const units = await tx
    .select({ id: taskItems.id, assignmentId: taskItems.assignmentId, status: taskItems.status, done: taskItems.done, openIssues: taskItems.openIssues, forReview: taskItems.forReview })
    .from(taskItems)
    .where(inArray(taskItems.id, unitIds))
    .orderBy(asc(taskItems.id))
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
  // Sources and target in id order: a concurrent pull or move locking them the other way round would deadlock.
  await moveAssignmentCountersInOrder(tx, [...[...bySource].map(([from, rows]) => [from, sum(rows, -1)] as const), [toAssignmentId, sum(movable, +1)] as const]);
  return movable.length;
}
