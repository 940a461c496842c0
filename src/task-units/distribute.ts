import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { isId } from '../core/ids.ts';
import { taskItems } from './task-items.table.ts';
import { tasks } from './tasks.table.ts';
import { rowsOf } from './item-selection.ts';
import { moveAssignmentCountersInOrder, moveTaskCounters } from './task-counters.ts';
import { taskAssignees } from './assignments.table.ts';

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
 * `addedItems` are units the caller has just inserted: they are counted on the task row here, in
 * lock order. Locks the units it moves. Returns how many units changed hands.
 *
 * Honeypot tasks: each person's share is then topped up with gold units (`topUpGold`). Their
 * other units are owned by that person from the start (`worker_id`), like the gold units must
 * be, so that nothing in an annotator's item list tells the two apart.
 *
 * Lock order, as every status write and pull: the units, then the task row, then assignment
 * rows in id order.
 */
export async function distributeUnits(tx: Tx, taskId: string, shares: Share[], options: { onlyUnassigned: boolean; addedItems?: number; now?: Date }): Promise<number> {
  const addedItems = options.addedItems ?? 0;
  if (!shares.length) {
    await moveTaskCounters(tx, taskId, null, { items: addedItems });
    return 0;
  }
  const [task] = await tx.select({ id: tasks.id, projectId: tasks.projectId, type: tasks.type, honeypot: tasks.honeypot }).from(tasks).where(eq(tasks.id, taskId));
  // One unit per item (no consensus copies, no gold) and equal shares: planned in the database.
  if (task && !['consensus', 'honeypot', 'qualification'].includes(task.type) && shares.every((s) => s.weight === null)) {
    return distributeEqually(tx, taskId, shares.map((s) => s.assignmentId), options.onlyUnassigned, addedItems);
  }
  const all = await tx
    .select({ id: taskItems.id, itemId: taskItems.itemId, assignmentId: taskItems.assignmentId, workerId: taskItems.workerId, status: taskItems.status, isGold: taskItems.isGold, openIssues: taskItems.openIssues, forReview: taskItems.forReview })
    .from(taskItems)
    .where(eq(taskItems.taskId, taskId))
    .orderBy(asc(taskItems.position), asc(taskItems.copy))
    .for('update');
  const movable = (u: (typeof all)[number]) => u.status === null && !u.isGold && (!options.onlyUnassigned || u.assignmentId === null);
  const units = all.filter(movable);
  // What stays put counts toward each share's load, and holds its item for consensus distinctness.
  // Gold does not: it comes on top of a share (at the honeypot ratio), it does not replace items.
  const fixed = new Map<string, number>();
  const taken = new Map<string, Set<string>>();
  for (const u of all) {
    if (movable(u) || !u.assignmentId || u.isGold) continue;
    fixed.set(u.assignmentId, (fixed.get(u.assignmentId) ?? 0) + 1);
    taken.set(u.itemId, (taken.get(u.itemId) ?? new Set()).add(u.assignmentId));
  }
  const targets = plan(units, shares, fixed, taken);
  const honeypot = task?.type === 'honeypot' ? task.honeypot : null;
  const people = honeypot ? await peopleOf(tx, shares) : new Map<string, string>();
  const moved: Array<{ id: string; to: string; worker: string | null }> = [];
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
    moved.push({ id: u.id, to, worker: people.get(to) ?? null });
    if (u.assignmentId) bump(u.assignmentId, -1, u);
    bump(to, +1, u);
  });
  for (let i = 0; i < moved.length; i += 5000) {
    const chunk = moved.slice(i, i + 5000);
    await tx.execute(sql`update task_items t set assignment_id = m.to_id, worker_id = m.worker_id, lease_expires_at = null
      from unnest(${uuidArray(chunk.map((m) => m.id))}::uuid[], ${uuidArray(chunk.map((m) => m.to))}::uuid[], ${uuidArray(chunk.map((m) => m.worker))}::uuid[]) as m(id, to_id, worker_id)
      where t.id = m.id`);
  }
  let goldDelta = 0;
  // A person who left the task (`replaceAssignees`) had their unfinished units released: their
  // gold units, which belong to nobody else, would sit unassigned for good and keep the task from
  // ever completing. They go (with any unfinished answer on them); their share was already
  // uncounted when they were released.
  const orphans = all.filter((u) => u.isGold && u.assignmentId === null && u.status === null && !u.openIssues && !u.forReview).map((u) => u.id);
  if (orphans.length) {
    await tx.delete(taskItems).where(inArray(taskItems.id, orphans));
    goldDelta -= orphans.length;
  }
  if (honeypot && task) {
    const after = new Map(moved.map((m) => [m.id, m.to]));
    const regular = new Map<string, number>();
    const heldGold = new Map<string, number>();
    for (const u of all) {
      if (u.isGold) {
        if (u.workerId && u.assignmentId) heldGold.set(u.workerId, (heldGold.get(u.workerId) ?? 0) + 1);
        continue;
      }
      const a = after.get(u.id) ?? u.assignmentId;
      if (a) regular.set(a, (regular.get(a) ?? 0) + 1);
    }
    const added = await topUpGold(tx, task, honeypot, people, regular, heldGold, options.now);
    for (const [assignmentId, n] of added) {
      goldDelta += n;
      const d = deltas.get(assignmentId) ?? { items: 0, openIssues: 0, forReview: 0 };
      d.items += n;
      deltas.set(assignmentId, d);
    }
  }
  await moveTaskCounters(tx, taskId, null, { items: addedItems + goldDelta });
  await moveAssignmentCountersInOrder(tx, deltas);
  return moved.length;
}

/**
 * `distributeUnits` for a task with one unit per item (not consensus, honeypot or qualification:
 * no copies, no gold) and equal shares, in two statements that never ship units to the server:
 * the same outcome as `plan`, unit for unit (docs/allocation.md, "Equal shares"). There, each
 * unit goes to the least loaded share, ties to the earlier one; share j receives its units at
 * loads f_j, f_j + 1, …, so the k-th movable unit in queue order gets the k-th of the slots
 * (load, j) in that order, counted up to the lowest load T at which the slots hold every movable
 * unit. The first statement locks the task's units in queue order (as every path does) and
 * counts, per assignment, the movable units and the ones that stay; the second pairs units with
 * slots, moves the units whose share changes and sums the counter moves. The server's memory
 * stays flat: reading every unit into it took about 0.7 KB a unit (144 MB at 200,000).
 */
async function distributeEqually(tx: Tx, taskId: string, shareIds: string[], onlyUnassigned: boolean, addedItems: number): Promise<number> {
  const movable = onlyUnassigned ? sql`status is null and not is_gold and assignment_id is null` : sql`status is null and not is_gold`;
  const counts = rowsOf<{ assignment_id: string | null; movable: number; staying: number }>(
    await tx.execute(sql`with locked as (
        select assignment_id, status, is_gold from task_items where task_id = ${taskId}::uuid order by position, copy for update)
      select assignment_id, count(*) filter (where ${movable})::int as movable,
        count(*) filter (where not (${movable}) and not is_gold)::int as staying
      from locked group by assignment_id`),
  );
  const total = counts.reduce((n, c) => n + Number(c.movable), 0);
  const loads = shareIds.map((id) => Number(counts.find((c) => c.assignment_id === id)?.staying ?? 0));
  let moved = 0;
  const deltas = new Map<string, { items: number; openIssues: number; forReview: number }>();
  if (total > 0) {
    // The lowest T with Σ max(0, T − load) ≥ total: loads up to T hold every movable unit.
    const slotsBelow = (level: number) => loads.reduce((n, f) => n + Math.max(0, level - f), 0);
    let [low, high] = [Math.min(...loads), Math.min(...loads) + total];
    while (low < high) {
      const mid = Math.floor((low + high) / 2);
      if (slotsBelow(mid) >= total) high = mid;
      else low = mid + 1;
    }
    const rows = rowsOf<{ id: string; items: number; open_issues: number; for_review: number; moved: number }>(
      await tx.execute(sql`with movable as (
          select id, assignment_id, open_issues, for_review, row_number() over (order by position, copy) as k
          from task_items where task_id = ${taskId}::uuid and ${movable}),
        slots as (
          select s.id as share, row_number() over (order by l.level, s.j) as k
          from unnest(${uuidArray(shareIds)}::uuid[], ${`{${loads.join(',')}}`}::int[]) with ordinality as s(id, load, j)
          cross join lateral generate_series(s.load, ${low}::int - 1) as l(level)),
        moved as (
          update task_items t set assignment_id = s.share, worker_id = null, lease_expires_at = null
          from movable m join slots s on s.k = m.k
          where t.id = m.id and m.assignment_id is distinct from s.share
          returning m.assignment_id as from_id, s.share as to_id, m.open_issues, m.for_review)
        select d.id, sum(d.items)::int as items, sum(d.open_issues)::int as open_issues, sum(d.for_review)::int as for_review,
          (select count(*)::int from moved) as moved
        from (select from_id as id, -1 as items, -open_issues as open_issues, -for_review as for_review from moved where from_id is not null
              union all select to_id, 1, open_issues, for_review from moved) d
        group by d.id`),
    );
    for (const r of rows) {
      moved = Number(r.moved);
      deltas.set(r.id, { items: Number(r.items), openIssues: Number(r.open_issues), forReview: Number(r.for_review) });
    }
  }
  await moveTaskCounters(tx, taskId, null, { items: addedItems });
  await moveAssignmentCountersInOrder(tx, deltas);
  return moved;
}

/** A PostgreSQL array literal of uuids (or NULLs), bound as one parameter. */
const uuidArray = (ids: Array<string | null>) => `{${ids.map((id) => id ?? 'NULL').join(',')}}`;

/** The person behind each share that is one person's (group shares have no single person). */
async function peopleOf(tx: Tx, shares: Share[]): Promise<Map<string, string>> {
  const rows = await tx
    .select({ id: taskAssignees.id, kind: taskAssignees.assigneeKind, assigneeId: taskAssignees.assigneeId })
    .from(taskAssignees)
    .where(inArray(taskAssignees.id, shares.map((s) => s.assignmentId)));
  return new Map(rows.filter((r) => r.kind === 'user').map((r) => [r.id, r.assigneeId]));
}

/**
 * Honeypot tasks with distribution: gives each person's share gold units (`is_gold`, owned by
 * that person, in that share) until gold is about `ratio` of the share — `round(ratio / (1 -
 * ratio) × regular units)` gold units on top of the share's regular units — each gold item at
 * most once per person, as far as the task's gold items go. Which gold items a person gets is
 * fixed by a hash of (person, item): different people see different ones, and a re-run gives
 * nobody a different set. Gold units sit at their item's dataset position among the share's
 * other units, and look like them (see `distributeUnits`): unannounced.
 *
 * Gold is per person, so it is never redistributed: a rebalance leaves every gold unit with its
 * person and only tops shares up (a share that shrank keeps the gold it has; its answers count).
 * Group shares get none: whoever of the group works a unit is only known once they do, and gold
 * must belong to one person from the start (pulling serves group members gold per person).
 * Returns the gold units added per assignment; the caller moves the counters.
 */
async function topUpGold(
  tx: Tx,
  task: { id: string; projectId: string },
  honeypot: { goldItemIds: string[]; ratio: number },
  people: Map<string, string>,
  regular: Map<string, number>,
  heldGold: Map<string, number>,
  now: Date | undefined,
): Promise<Map<string, number>> {
  const goldIds = honeypot.goldItemIds.filter(isId);
  const wants = [...people].map(([assignmentId, userId]) => {
    const target = Math.round((honeypot.ratio / (1 - honeypot.ratio)) * (regular.get(assignmentId) ?? 0));
    return { assignmentId, userId, need: Math.min(goldIds.length, target - (heldGold.get(userId) ?? 0)) };
  }).filter((w) => w.need > 0);
  const out = new Map<string, number>();
  if (!wants.length || !goldIds.length) return out;
  const createdAt = now ? sql`${now.toISOString()}::timestamptz` : sql`now()`;
  const inserted = rowsOf<{ assignment_id: string }>(
    await tx.execute(sql`
      insert into task_items (id, project_id, task_id, item_id, copy, is_gold, position, assignment_id, worker_id, created_at)
      select gen_random_uuid(), ${task.projectId}::uuid, ${task.id}::uuid, g.id, 0, true, g.seq, p.assignment_id, p.user_id, ${createdAt}
      from unnest(${uuidArray(wants.map((w) => w.assignmentId))}::uuid[], ${uuidArray(wants.map((w) => w.userId))}::uuid[], ${`{${wants.map((w) => w.need).join(',')}}`}::int[]) as p(assignment_id, user_id, need)
      cross join lateral (
        select i.id, i.seq from items i
        where i.id = any(${uuidArray(goldIds)}::uuid[])
          and not exists (select 1 from task_items x where x.task_id = ${task.id}::uuid and x.item_id = i.id and x.worker_id = p.user_id and x.is_gold)
        order by md5(p.user_id::text || i.id::text)
        limit p.need) g
      on conflict do nothing
      returning assignment_id`),
  );
  for (const r of inserted) out.set(r.assignment_id, (out.get(r.assignment_id) ?? 0) + 1);
  return out;
}

/**
 * Honeypot tasks with pulling, after a team change: the gold units a leaver held unfinished were
 * released (`replaceAssignees`: no assignment, no worker). Gold is one person's and the pull
 * claim never serves released gold to anyone else, so they would stay for good and keep the
 * task from ever completing: they are removed (with any unfinished answer), and the task's
 * count with them (the leaver's assignment was already uncounted). Distribution tasks do the
 * same inside `distributeUnits`. Returns how many were removed.
 */
export async function dropReleasedGold(tx: Tx, taskId: string): Promise<number> {
  const removed = await tx
    .delete(taskItems)
    .where(and(eq(taskItems.taskId, taskId), eq(taskItems.isGold, true), isNull(taskItems.assignmentId), isNull(taskItems.status), eq(taskItems.openIssues, 0), eq(taskItems.forReview, 0)))
    .returning({ id: taskItems.id });
  await moveTaskCounters(tx, taskId, null, { items: -removed.length });
  return removed.length;
}

/**
 * Qualification tasks after a team change: every current annotator gets a copy of every item of
 * the task they do not hold yet (everyone labels the same items), and the unfinished copies a
 * leaver left behind (released by `replaceAssignees`: no assignment, no status) are removed —
 * each copy is one person's, and everyone staying already has their own. Copies a leaver
 * finished stay with them (their answers count). In the caller's transaction: the removed copies
 * are locked first, then the task row, then assignment rows in id order. Returns the copies added.
 */
export async function shareQualificationItems(tx: Tx, task: { id: string; projectId: string }, annotators: Array<{ id: string }>, now: Date): Promise<number> {
  const ids = annotators.map((a) => a.id);
  // One statement: the copies to add are chosen from the snapshot that still holds the leaver's
  // copies, so an item only a leaver held is not lost from the task.
  const rows = rowsOf<{ assignment_id: string | null; removed: boolean }>(
    await tx.execute(sql`
      with items_in as (
        select item_id, max(copy) as top, min(position) as position from task_items
        where task_id = ${task.id}::uuid and not is_gold group by item_id
      ), added as (
        insert into task_items (id, project_id, task_id, item_id, copy, position, assignment_id, created_at)
        select gen_random_uuid(), ${task.projectId}::uuid, ${task.id}::uuid, i.item_id,
               i.top + row_number() over (partition by i.item_id order by a.id), i.position, a.id, ${now.toISOString()}::timestamptz
        from items_in i cross join unnest(${uuidArray(ids)}::uuid[]) as a(id)
        where not exists (select 1 from task_items m where m.task_id = ${task.id}::uuid and m.item_id = i.item_id and m.assignment_id = a.id and not m.is_gold)
        on conflict do nothing
        returning assignment_id
      ), removed as (
        delete from task_items o
        where o.id in (select id from task_items where task_id = ${task.id}::uuid and assignment_id is null and status is null
                       and not is_gold and open_issues = 0 and for_review = 0 for update)
        returning 1
      )
      select assignment_id, false as removed from added
      union all select null, true from removed`),
  );
  const added = rows.filter((r) => !r.removed);
  const deltas = new Map<string, { items: number }>();
  for (const r of added) deltas.set(r.assignment_id!, { items: (deltas.get(r.assignment_id!)?.items ?? 0) + 1 });
  await moveTaskCounters(tx, task.id, null, { items: added.length - (rows.length - added.length) });
  await moveAssignmentCountersInOrder(tx, deltas);
  return added.length;
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
