import { and, desc, eq, lt } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { newId } from '../core/ids.ts';
import { decodeCursor, toPage, type PageQuery } from '../core/pagination.ts';
import { auditEvents } from './audit.table.ts';

export interface AuditEntry {
  projectId: string | null;
  actorId: string | null;
  action: string;
  subjectKind: string;
  subjectId: string;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
}

/**
 * Writes one audit event. Call it with the transaction that makes the change, so the event
 * exists if and only if the change does.
 */
export async function recordAudit(tx: Db, entry: AuditEntry, at?: Date): Promise<void> {
  await tx.insert(auditEvents).values({
    id: newId(),
    ...entry,
    before: entry.before ?? null,
    after: entry.after ?? null,
    ...(at ? { createdAt: at } : {}),
  });
}

/** Keeps only the fields that changed, for the before/after of an update. */
export function changedFields<T extends Record<string, unknown>>(before: T, patch: Partial<T>) {
  const b: Record<string, unknown> = {};
  const a: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    if (JSON.stringify(before[key]) !== JSON.stringify(value)) {
      b[key] = before[key];
      a[key] = value;
    }
  }
  return Object.keys(a).length ? { before: b, after: a } : null;
}

/** Newest first, keyset-paginated by id (UUIDv7 ids are time-ordered). */
export async function listAudit(db: Db, filter: { projectId: string; subjectId?: string }, pageQuery: PageQuery) {
  const conditions = [eq(auditEvents.projectId, filter.projectId)];
  if (filter.subjectId) conditions.push(eq(auditEvents.subjectId, filter.subjectId));
  if (pageQuery.cursor) {
    const [id] = decodeCursor(pageQuery.cursor, 1);
    conditions.push(lt(auditEvents.id, String(id)));
  }
  const rows = await db
    .select()
    .from(auditEvents)
    .where(and(...conditions))
    .orderBy(desc(auditEvents.id))
    .limit(pageQuery.limit + 1);
  return toPage(rows, pageQuery.limit, (r) => [r.id]);
}
