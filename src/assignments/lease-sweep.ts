import { sql } from 'drizzle-orm';
import type { Ctx, SweepLog } from '../context.ts';
import type { Tx } from '../db/client.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { moveAssignmentCountersInOrder, moveTaskCounters, type UnitDelta } from '../task-units/task-counters.ts';
import { rowsOf } from '../task-units/item-selection.ts';
import type { ClaimedRow } from './claim.ts';

/** Units an expired lease returned to the queue, by the assignment they were counted to. */
export interface ReturnedUnits {
  assignment_id: string | null;
  item_ids: string[];
  open_issues: number;
  for_review: number;
}

/** How often, by the server's clock, a pull also sweeps its task (per process). */
export const SWEEP_EVERY_MS = 10_000;

export function sweepDue(lastSweep: SweepLog, taskId: string, now: Date) {
  const last = lastSweep.get(taskId);
  if (last !== undefined && now.getTime() - last < SWEEP_EVERY_MS && now.getTime() >= last) return false;
  if (lastSweep.size > 10_000) lastSweep.clear();
  lastSweep.set(taskId, now.getTime());
  return true;
}

/**
 * Returns a pulling task's expired, unfinished units to the queue: clears their worker and
 * assignment so they are in `task_items_free_idx` again (the lease's end stays, see
 * `claimCandidates`). Units another transaction
 * holds (a holder finishing one right now) are skipped, not waited for. The caller moves the
 * assignment counters (`moveClaimCounters`) and writes the audit event.
 */
export async function sweepExpired(tx: Tx, taskId: string, now: Date): Promise<ReturnedUnits[]> {
  return rowsOf<ReturnedUnits>(
    await tx.execute(sql`
      with expired as (
        select id, assignment_id, open_issues, for_review
        from task_items
        where task_id = ${taskId}::uuid and worker_id is not null and status is null and not is_gold
          and lease_expires_at < ${now.toISOString()}::timestamptz
        for update skip locked
      ), back as (
        update task_items u set worker_id = null, assignment_id = null
        from expired e where u.id = e.id
        returning e.assignment_id, u.item_id, e.open_issues, e.for_review
      )
      select assignment_id, array_agg(item_id)::text[] as item_ids,
             sum(open_issues)::int as open_issues, sum(for_review)::int as for_review
      from back group by assignment_id`),
  );
}

export async function auditReturned(tx: Tx, task: { id: string; projectId: string }, returned: ReturnedUnits[], now: Date) {
  await recordAudit(
    tx,
    {
      projectId: task.projectId,
      actorId: null,
      action: 'task.leases_expired',
      subjectKind: 'task',
      subjectId: task.id,
      after: { itemIds: returned.flatMap((r) => r.item_ids) },
    },
    now,
  );
}

/**
 * The `queue.return-expired-leases` job's work: sweeps every pulling task (of one project, when
 * given) that has an expired, unfinished unit, one transaction per task (with its counters and
 * audit event). Returns how many units went back to their queues.
 */
export async function returnExpiredLeases(ctx: Ctx, scope: { projectId?: string } = {}): Promise<number> {
  const now = ctx.clock.now();
  const due = rowsOf<{ id: string; project_id: string }>(
    await ctx.db.execute(sql`
      select t.id, t.project_id from tasks t
      where t.allocation->>'method' = 'pulling'
        ${scope.projectId ? sql`and t.project_id = ${scope.projectId}::uuid` : sql``}
        and exists (select 1 from task_items u
                    where u.task_id = t.id and u.worker_id is not null and u.status is null and not u.is_gold
                      and u.lease_expires_at < ${now.toISOString()}::timestamptz)`),
  );
  let total = 0;
  for (const t of due) {
    total += await ctx.db.transaction(async (tx) => {
      const returned = await sweepExpired(tx, t.id, now);
      if (!returned.length) return 0;
      await moveClaimCounters(tx, t.id, null, 0, [], returned);
      await auditReturned(tx, { id: t.id, projectId: t.project_id }, returned, now);
      return returned.reduce((s, r) => s + r.item_ids.length, 0);
    });
  }
  return total;
}

/**
 * Counters follow the units: gold units are new (task and puller's assignment), claimed units
 * move to the puller's assignment (from an expired holder's, when the unit still counted to
 * one), returned units leave their expired holder's assignment. Every delta is gathered first
 * and applied task row first, then assignment rows in id order: two annotators re-claiming each
 * other's expired items would otherwise lock their two assignment rows in opposite orders.
 */
export async function moveClaimCounters(tx: Tx, taskId: string, assignmentId: string | null, goldAdded: number, claimed: ClaimedRow[], returned: ReturnedUnits[]) {
  const deltas: Array<[string, UnitDelta]> = [];
  if (goldAdded && assignmentId) deltas.push([assignmentId, { items: goldAdded }]);
  for (const r of returned) {
    if (r.assignment_id) deltas.push([r.assignment_id, { items: -r.item_ids.length, openIssues: -Number(r.open_issues), forReview: -Number(r.for_review) }]);
  }
  for (const c of claimed) {
    if (c.old_assignment === assignmentId || !assignmentId) continue;
    const d = { items: 1, openIssues: Number(c.open_issues), forReview: Number(c.for_review) };
    deltas.push([assignmentId, d]);
    if (c.old_assignment) deltas.push([c.old_assignment, { items: -1, openIssues: -d.openIssues, forReview: -d.forReview }]);
  }
  if (goldAdded) await moveTaskCounters(tx, taskId, null, { items: goldAdded });
  await moveAssignmentCountersInOrder(tx, deltas);
}

