import { sql } from 'drizzle-orm';
import type { Caller, Ctx } from '../context.ts';
import { DomainError } from '../core/errors.ts';
import { isId, newId } from '../core/ids.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { renewLease } from '../task-units/unit-queue.ts';
import { assertWritable, findTaskAs, findTaskAsPreloaded, type TaskActor, type TaskRow } from '../task-units/task-access.ts';
import { frozenForAnnotators } from '../core/shared/task-workflow.ts';
import { rowsOf } from '../task-units/item-selection.ts';
import { executeNamed } from '../db/named-statement.ts';
import { commitHookPending, type Db } from '../db/client.ts';
import { raiseQueueStart } from '../task-units/queue-start.ts';
import { itemContentJson, itemContents, type ItemContent } from '../datasets/item-contents.ts';
import { byQueueOrder, claimFree, ensureClaimFunction, goldShare, heldCount, mixGold, pulledView, servedTo, type ClaimedRow, type PulledUnit, type Served } from './claim.ts';
import { auditReturned, moveClaimCounters, sweepDue, sweepExpired, type ReturnedUnits } from './lease-sweep.ts';

// The pull use case. The claim itself (its one text, inline and compiled into `loupe_pull_claim`)
// is in claim.ts; returning expired leases to the queue is in lease-sweep.ts.

/** Which of the caller's assignments a pull is counted to: their own, else their group's. */
function pullAssignment(actor: TaskActor) {
  if (!actor.annotatorAssignmentIds.length) throw new DomainError('forbidden', 'Only the task’s annotators pull items');
  return actor.ownAnnotatorAssignmentId ?? actor.annotatorAssignmentIds[0]!;
}

/**
 * Hands the caller the next items of a pulling task: `count` (default `batchSize`), never more
 * than `maxWorkload` unfinished items held at once, in item order, each leased for
 * `leaseSeconds`. Items whose lease ran out return to the queue (see `returnExpiredLeases`) and
 * are claimed like new ones.
 *
 * Guarantees, under any concurrency and on several server processes: an item (a consensus copy)
 * is held by at most one live lease — the claim is ONE `UPDATE … FROM (SELECT … FOR UPDATE SKIP
 * LOCKED)` statement over free units only, never find-then-update; a consensus item is never
 * handed twice to one person and so reaches exactly `annotatorsPerItem` distinct people (one pull
 * per person and task at a time, by a transaction-scoped advisory lock, and the claim skips items
 * the person already has); honeypot gold items are mixed in at `ratio`, each at most once per
 * person, unannounced. The held count is read inside the claim statement, after the advisory
 * lock (a fresh snapshot), so `maxWorkload` holds too. Counter rows are locked task first, then
 * assignments in id order (never deadlocks with another pull returning this one's expired
 * items). One transaction with the audit events: lock, sweep, claim, counters, audit; the common
 * path (no gold, no sweep due) is that transaction as ONE database call (`claimInOneCall`).
 *
 * Throughput does not decay as held items pile up: the claim reads `task_items_free_idx`, which
 * holds only units nobody works (`worker_id is null`), so its head is always claimable. Expired
 * leases come back into that index by a sweep, not by a `lease_expires_at < now()` test in the
 * claim: a pull sweeps its task at most every `SWEEP_EVERY_MS` of the server's clock, and
 * whenever the free queue cannot fill the request; the `queue.return-expired-leases` job sweeps
 * every pulling task each minute, so idle tasks show returned items too.
 */
export async function pullItems(ctx: Ctx, caller: Caller, taskId: string, input: { count?: number }, preloaded?: unknown) {
  // The HTTP route reads the task and the caller's assignments with the authentication (`taskActorJson`).
  const { task, actor } = await findTaskAsPreloaded(ctx.db, caller, taskId, 'annotator', preloaded ?? null);
  if (task.allocation.method !== 'pulling') throw new DomainError('conflict', 'This task distributes its items: open your assigned items instead of pulling');
  if (frozenForAnnotators(task.type, task.workflowState)) throw new DomainError('forbidden', `The task is ${task.workflowState}: nothing more to pull`);
  const assignmentId = pullAssignment(actor);
  // Honeypot policy (src/quality): an annotator whose gold accuracy fell below the task's threshold
  // pulls nothing more. Only honeypot tasks pause anyone, so other pulls skip the query.
  if (task.type === 'honeypot' && (await ctx.pullGate.isPausedFromPulling(ctx.db, task.id, caller.userId))) throw new DomainError('forbidden', 'You are paused from pulling in this task: your accuracy on gold items is below its threshold');
  const now = ctx.clock.now();
  assertWritable(task, now);
  const requested = input.count ?? task.allocation.batchSize;
  if (requested <= 0) return { items: [] };
  const sweep = sweepDue(ctx.sweeps, task.id, now);
  let units: PulledUnit[];
  // What the workspace needs per item comes in the same answer (docs/hardening.md): payload,
  // kind and external id, never the gold answer, so a honeypot's gold stays unannounced. The
  // one-call path reads them in its call; the full path in one keyed read for its batch.
  const contents = new Map<string, ItemContent>();
  if (task.honeypot || sweep) {
    units = await pullInTransaction(ctx, caller, task, assignmentId, requested, now, sweep);
    // As often as the sweep, and after it: where the queue starts moves up to its first unit without a status.
    if (sweep) await raiseQueueStart(ctx.db, task.id);
  } else {
    // The common path: one call. Only when it comes back short (the free queue ran dry, or the
    // person's workload is full) does the full path run for the rest, sweeping expired leases
    // back into the queue first.
    units = await claimInOneCall(ctx, caller, task, assignmentId, requested, now, contents);
    if (units.length < requested) units.push(...(await pullInTransaction(ctx, caller, task, assignmentId, requested - units.length, now, true)));
  }
  const missing = units.filter((u) => !contents.has(u.itemId)).map((u) => u.itemId);
  if (missing.length) for (const [id, item] of await itemContents(ctx.db, missing)) contents.set(id, item);
  return {
    items: units.sort(byQueueOrder).map(({ position: _, ...unit }) => {
      const item = contents.get(unit.itemId);
      return { ...unit, externalId: item?.externalId ?? null, kind: item?.kind ?? null, payload: item?.payload ?? null };
    }),
  };
}

/**
 * The pull's common path (no honeypot gold, no sweep due) as one database call: the
 * `loupe_pull_claim` function (compiled from the claim's one text, see claim.ts) takes the
 * per-person advisory lock, claims, moves the assignment counters in id order and writes the
 * `task.pull` audit event, all in the one statement's transaction; the same statement reads the
 * claimed items' contents (`itemContentJson`), put into `contents`.
 */
async function claimInOneCall(ctx: Ctx, caller: Caller, task: TaskRow, assignmentId: string, n: number, now: Date, contents: Map<string, ItemContent>) {
  await ensureClaimFunction(ctx.db);
  const lease = new Date(now.getTime() + task.allocation.leaseSeconds * 1000);
  // Prepared by name (one text): PostgreSQL parses and plans the call once per connection.
  const call = (db: Db) =>
    executeNamed(db, sql`select c.*, ${itemContentJson(sql`c.item_id`)} as content from loupe_pull_claim(
      ${task.id}::uuid, ${task.projectId}::uuid, ${caller.userId}::uuid, ${assignmentId}::uuid,
      ${n}::int, ${task.allocation.maxWorkload}::int, ${task.consensus?.annotatorsPerItem ?? 1}::int,
      ${now.toISOString()}::timestamptz, ${lease.toISOString()}::timestamptz, ${lease.toISOString()}, ${newId()}::uuid) c`);
  // Under an Idempotency-Key the call runs in a transaction, which marks the key committed with
  // the claim: a retry after a crash then answers 409 instead of claiming a second batch.
  const rows = rowsOf<ClaimedRow & { content: ItemContent | null }>(await (commitHookPending(ctx.db) ? ctx.db.transaction((tx) => call(tx)) : call(ctx.db)));
  for (const r of rows) if (r.content) contents.set(r.item_id, r.content);
  return rows.map(pulledView);
}

/**
 * The full pull, in one transaction: lock, sweep (when asked, or when the free queue runs
 * short), claim, honeypot gold, counters, audit.
 */
async function pullInTransaction(ctx: Ctx, caller: Caller, task: TaskRow, assignmentId: string, requested: number, now: Date, sweep: boolean): Promise<PulledUnit[]> {
  return ctx.db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`pull:${task.id}:${caller.userId}`}, 0))`);
    const lease = new Date(now.getTime() + task.allocation.leaseSeconds * 1000);
    let want = requested;
    let goldRoom = 0;
    let served: Served | null = null;
    if (task.honeypot) {
      // Gold needs the room before the claim (its share depends on it); plain pulls read it in the claim.
      const room = task.allocation.maxWorkload - (await heldCount(tx, task.id, caller.userId, now));
      want = Math.min(requested, room);
      if (want <= 0) return [];
      served = await servedTo(tx, task.id, caller.userId);
      goldRoom = Math.min(want, Math.max(0, Math.round(task.honeypot.ratio * (served.all + want)) - served.gold));
    }
    const returned: ReturnedUnits[] = [];
    if (sweep) returned.push(...(await sweepExpired(tx, task.id, now)));
    const claim = (n: number) => claimFree(tx, task, caller.userId, assignmentId, n, now, lease);
    const claimed = await claim(want - goldRoom);
    if (goldRoom + claimed.length < want && !returned.length) {
      // The free queue ran short: expired leases may be waiting to come back.
      const more = await sweepExpired(tx, task.id, now);
      returned.push(...more);
      if (more.length) claimed.push(...(await claim(want - goldRoom - claimed.length)));
    }
    // Gold is sized from what the claim really handed out, so a short queue never makes a batch
    // mostly gold (an empty queue hands out no gold at all once the person is at `ratio`).
    const gold = served ? await mixGold(tx, ctx.random, task, caller.userId, assignmentId, goldShare(task.honeypot!.ratio, served, claimed.length, goldRoom), now, lease) : [];
    await moveClaimCounters(tx, task.id, assignmentId, gold.length, claimed, returned);
    if (returned.length) await auditReturned(tx, task, returned, now);
    const units = [...gold, ...claimed].sort((a, b) => Number(a.position) - Number(b.position) || Number(a.copy) - Number(b.copy));
    if (!units.length) return [];
    await recordAudit(tx, {
      projectId: task.projectId,
      actorId: caller.userId,
      action: 'task.pull',
      subjectKind: 'task',
      subjectId: task.id,
      after: { itemIds: units.map((u) => u.item_id), leaseExpiresAt: lease.toISOString() },
    });
    return units.map(pulledView);
  });
}

/**
 * Renews the caller's lease on an item they hold (`leaseSeconds` from now). Touches only the
 * unindexed `lease_expires_at` column, so it is a HOT update. 409 `conflict` when the caller no
 * longer holds the item (its lease ran out and someone else claimed it, or it is finished).
 */
export async function heartbeat(ctx: Ctx, caller: Caller, taskId: string, itemId: string) {
  const { task } = await findTaskAs(ctx.db, caller, taskId, 'annotator');
  const now = ctx.clock.now();
  assertWritable(task, now);
  if (!isId(itemId)) throw new DomainError('not_found', 'Task item not found');
  const lease = new Date(now.getTime() + task.allocation.leaseSeconds * 1000);
  const row = await renewLease(ctx.db, taskId, itemId, caller.userId, lease);
  if (!row) throw new DomainError('conflict', 'You do not hold this item (its lease ran out or it is finished): pull again');
  return row;
}
