import { and, asc, eq, gt, inArray, sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.ts';
import { deleteInBatches } from '../db/batches.ts';
import { newId } from '../core/ids.ts';
import { outboxEvents } from './outbox.table.ts';
import { outboxInterests } from './outbox-interests.table.ts';
import { outboxPositions } from './outbox-positions.table.ts';

/** The event names Loupe emits (docs/events.md). */
export const EVENT_TYPES = [
  'task.created',
  'task.updated',
  'task.workflow_changed',
  'item.status_set',
  'issue.opened',
  'issue.resolved',
  'cycle.started',
  'cycle.closed',
  'export.completed',
  'eval_task.blocked',
  'job.failed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * Events recorded only while a consumer of their project listens for them
 * (docs/events.md#recorded-on-demand): they notify nobody in the app, so with no webhook asking
 * for them nothing would ever read them. `item.status_set` is one row per status write, the
 * busiest write there is.
 */
export const ON_DEMAND_EVENTS: ReadonlySet<EventType> = new Set(['item.status_set']);

/** Some consumer of the event's project listens for its type (or for every type). */
const listensFor = (event: DomainEvent) => sql`${outboxInterests.projectId} = ${event.projectId}::uuid and ${outboxInterests.types} && array[${event.type}, '*']::text[]`;
const someoneListens = (event: DomainEvent) => sql`exists (select 1 from ${outboxInterests} where ${listensFor(event)})`;

export interface DomainEvent {
  projectId: string | null;
  type: EventType;
  subjectKind: string;
  subjectId: string;
  actorId?: string | null;
  /** Users to notify in the app (assignees, reviewers, subscribers). */
  recipientIds?: string[];
  data: Record<string, unknown>;
}

export interface StoredEvent extends Required<Omit<DomainEvent, 'actorId'>> {
  seq: number;
  /** The writing transaction's id (docs/events.md#reading). */
  txId: number;
  id: string;
  actorId: string | null;
  createdAt: Date;
}

/**
 * Records a domain event in the outbox. Call it with the transaction that makes the change, so
 * the event exists if and only if the change commits; delivery happens later, from the outbox.
 * Returns the event's id, or null for an on-demand event nobody listens for (not recorded).
 */
export async function recordEvent(tx: Tx, event: DomainEvent, at?: Date): Promise<string | null> {
  if (ON_DEMAND_EVENTS.has(event.type)) {
    const listening = await tx.select({ consumer: outboxInterests.consumer }).from(outboxInterests).where(listensFor(event)).limit(1);
    if (!listening.length) return null;
  }
  const id = newId();
  await tx.insert(outboxEvents).values({
    id,
    projectId: event.projectId,
    type: event.type,
    subjectKind: event.subjectKind,
    subjectId: event.subjectId,
    actorId: event.actorId ?? null,
    recipientIds: event.recipientIds ?? [],
    data: event.data,
    ...(at ? { createdAt: at } : {}),
  });
  return id;
}

/**
 * Events after `afterSeq`, oldest first: what a consumer reads from its last position. Filters
 * are optional; the `(project_id, seq)` index serves the per-project read.
 */
export async function readEvents(
  db: Db,
  options: { afterSeq: number; limit: number; projectId?: string; types?: readonly string[] },
): Promise<StoredEvent[]> {
  const conditions: SQL[] = [gt(outboxEvents.seq, options.afterSeq)];
  if (options.projectId) conditions.push(eq(outboxEvents.projectId, options.projectId));
  if (options.types?.length) conditions.push(inArray(outboxEvents.type, [...options.types]));
  const rows = await db
    .select()
    .from(outboxEvents)
    .where(and(...conditions))
    .orderBy(asc(outboxEvents.seq))
    .limit(options.limit);
  return rows as StoredEvent[];
}

/**
 * The same event as `recordEvent`, as an `INSERT` statement to run as one part of a larger
 * statement (a data-modifying CTE) on hot paths that write the change in one round trip. Run it
 * in the transaction that makes the change. An on-demand event inserts nothing while nobody
 * listens for it.
 */
export function eventInsert(event: DomainEvent, at: Date): SQL {
  const recipients = event.recipientIds ?? [];
  const array = recipients.length ? sql`array[${sql.join(recipients.map((r) => sql`${r}::uuid`), sql`, `)}]::uuid[]` : sql`'{}'::uuid[]`;
  const row = sql`${newId()}::uuid, ${event.projectId}::uuid, ${event.type}, ${event.subjectKind}, ${event.subjectId}::uuid, ${event.actorId ?? null}::uuid, ${array}, ${JSON.stringify(event.data)}::jsonb, ${at.toISOString()}::timestamptz`;
  return sql`insert into ${outboxEvents} (id, project_id, type, subject_kind, subject_id, actor_id, recipient_ids, data, created_at)
    ${ON_DEMAND_EVENTS.has(event.type) ? sql`select ${row} where ${someoneListens(event)}` : sql`values (${row})`}`;
}

/**
 * Replaces what `consumer` listens for in a project with `types()`, computed while this
 * transaction holds the interest row's lock: two changes at once (two webhooks created together)
 * take turns, and the second computes from what the first committed. An empty list removes the
 * row.
 */
export async function refreshInterest(tx: Tx, projectId: string, consumer: string, types: () => Promise<string[]>): Promise<void> {
  const where = and(eq(outboxInterests.projectId, projectId), eq(outboxInterests.consumer, consumer));
  await tx.insert(outboxInterests).values({ projectId, consumer, types: [] }).onConflictDoNothing();
  await tx.select({ consumer: outboxInterests.consumer }).from(outboxInterests).where(where).for('update');
  const wanted = [...new Set(await types())].sort();
  if (wanted.length) await tx.update(outboxInterests).set({ types: wanted, updatedAt: new Date() }).where(where);
  else await tx.delete(outboxInterests).where(where);
}

/** A consumer's position: the `(txId, seq)` of the last event it handled. */
export interface OutboxPosition {
  txId: number;
  seq: number;
}

/**
 * Events after `position` in `(tx_id, seq)` order, only from transactions older than every
 * transaction still running (docs/events.md#reading). Such a set can no longer grow behind the
 * position, so a consumer that advances to the last event it read never skips one. Run it in
 * the consumer's transaction that also stores the new position.
 */
export async function readSettledEvents(tx: Tx, position: OutboxPosition, limit: number): Promise<StoredEvent[]> {
  const rows = await tx
    .select()
    .from(outboxEvents)
    .where(sql`(${outboxEvents.txId}, ${outboxEvents.seq}) > (${position.txId}::bigint, ${position.seq}::bigint)
      and ${outboxEvents.txId} < (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint`)
    .orderBy(asc(outboxEvents.txId), asc(outboxEvents.seq))
    .limit(limit);
  return rows as StoredEvent[];
}

/** The position of the newest event written so far (the start if the outbox is empty). */
export async function lastEventPosition(db: Db): Promise<OutboxPosition> {
  const [row] = await db.select({ txId: outboxEvents.txId, seq: outboxEvents.seq }).from(outboxEvents).orderBy(sql`${outboxEvents.txId} desc, ${outboxEvents.seq} desc`).limit(1);
  return row ? { txId: Number(row.txId), seq: Number(row.seq) } : { txId: 0, seq: 0 };
}

/**
 * Deletes the events recorded before `before` that every consumer has read (at or behind the
 * lowest stored position; nothing while no consumer has stored one), `batch` rows per
 * transaction so a large backlog never holds one long transaction (docs/events.md#retention).
 * Walks the read events in `(tx_id, seq)` order on their index; a recording time out of that
 * order (an event recorded with an earlier `at`) is still found. Returns how many were deleted.
 */
export async function pruneReadEvents(db: Db, before: Date, batch = 10_000): Promise<number> {
  const [slowest] = await db.select({ txId: outboxPositions.txId, seq: outboxPositions.seq }).from(outboxPositions).orderBy(asc(outboxPositions.txId), asc(outboxPositions.seq)).limit(1);
  if (!slowest) return 0;
  return deleteInBatches(batch, async (limit) => {
    const rows = await db
      .delete(outboxEvents)
      .where(
        inArray(
          outboxEvents.seq,
          db
            .select({ seq: outboxEvents.seq })
            .from(outboxEvents)
            .where(sql`(${outboxEvents.txId}, ${outboxEvents.seq}) <= (${slowest.txId}::bigint, ${slowest.seq}::bigint)
              and ${outboxEvents.createdAt} < ${before.toISOString()}::timestamptz`)
            .orderBy(asc(outboxEvents.txId), asc(outboxEvents.seq))
            .limit(limit),
        ),
      )
      .returning({ seq: outboxEvents.seq });
    return rows.length;
  });
}
