import { and, count, desc, eq, inArray, isNull, lt, sql } from 'drizzle-orm';
import type { Caller, Ctx } from '../context.ts';
import type { Tx } from '../db/client.ts';
import { isId, newId } from '../core/ids.ts';
import { decodeCursor, toPage, type PageQuery } from '../core/pagination.ts';
import type { StoredEvent } from '../outbox/outbox.service.ts';
import { notifications } from './notifications.table.ts';

/**
 * Gives each recipient of each event one notification (docs/webhooks.md#notifications). Called
 * by the outbox relay in the transaction that advances its position; the unique `(user, event)`
 * makes a replayed event harmless. The actor is never notified of their own action.
 */
export async function notifyRecipients(tx: Tx, events: StoredEvent[]) {
  const rows = events.flatMap((e) =>
    [...new Set(e.recipientIds)].filter((userId) => userId !== e.actorId).map((userId) => ({
      id: newId(),
      userId,
      projectId: e.projectId,
      eventId: e.id,
      type: e.type,
      subjectKind: e.subjectKind,
      subjectId: e.subjectId,
      actorId: e.actorId,
      data: e.data,
      createdAt: e.createdAt,
    })),
  );
  for (let i = 0; i < rows.length; i += 500) await tx.insert(notifications).values(rows.slice(i, i + 500)).onConflictDoNothing();
  return rows.length;
}

const view = (n: typeof notifications.$inferSelect) => ({
  id: n.id,
  type: n.type,
  projectId: n.projectId,
  subjectKind: n.subjectKind,
  subjectId: n.subjectId,
  actorId: n.actorId,
  data: n.data,
  read: n.readAt !== null,
  readAt: n.readAt,
  createdAt: n.createdAt,
});

/** The caller's notifications, newest first, keyset on id (UUIDv7: time-ordered). */
export async function listNotifications(ctx: Ctx, caller: Caller, query: PageQuery & { unread?: boolean }) {
  const before = query.cursor ? String(decodeCursor(query.cursor, 1)[0]) : null;
  const rows = await ctx.db
    .select()
    .from(notifications)
    .where(and(eq(notifications.userId, caller.userId), query.unread ? isNull(notifications.readAt) : undefined, before && isId(before) ? lt(notifications.id, before) : undefined))
    .orderBy(desc(notifications.id))
    .limit(query.limit + 1);
  const p = toPage(rows, query.limit, (r) => [r.id]);
  return { data: p.data.map(view), nextCursor: p.nextCursor };
}

export async function countUnread(ctx: Ctx, caller: Caller) {
  const [row] = await ctx.db.select({ n: count() }).from(notifications).where(and(eq(notifications.userId, caller.userId), isNull(notifications.readAt)));
  return { unread: Number(row?.n ?? 0) };
}

/** Marks the given notifications (only the caller's own), or all of them, read. */
export async function markRead(ctx: Ctx, caller: Caller, input: { ids?: string[]; all?: boolean }) {
  const ids = (input.ids ?? []).filter(isId);
  if (!input.all && !ids.length) return { updated: 0 };
  const rows = await ctx.db
    .update(notifications)
    .set({ readAt: sql`coalesce(${notifications.readAt}, ${ctx.clock.now().toISOString()}::timestamptz)` })
    .where(and(eq(notifications.userId, caller.userId), isNull(notifications.readAt), input.all ? undefined : inArray(notifications.id, ids)))
    .returning({ id: notifications.id });
  return { updated: rows.length };
}
