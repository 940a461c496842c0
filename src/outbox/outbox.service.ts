import { and, asc, eq, gt, inArray, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.ts';
import { newId } from '../core/ids.ts';
import { outboxEvents } from './outbox.table.ts';

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
  id: string;
  actorId: string | null;
  createdAt: Date;
}

/**
 * Records a domain event in the outbox. Call it with the transaction that makes the change, so
 * the event exists if and only if the change commits; delivery happens later, from the outbox.
 */
export async function recordEvent(tx: Tx, event: DomainEvent, at?: Date): Promise<string> {
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
