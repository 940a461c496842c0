import { and, desc, eq, lt, sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.ts';
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
export async function recordAudit(tx: Tx, entry: AuditEntry, at?: Date): Promise<void> {
  await tx.insert(auditEvents).values({
    id: newId(),
    ...entry,
    before: entry.before ?? null,
    after: entry.after ?? null,
    ...(at ? { createdAt: at } : {}),
  });
}

/**
 * The same audit event as `recordAudit`, as an `INSERT` statement to run as one part of a larger
 * statement (a data-modifying CTE), for hot paths that write the change and its event in one
 * round trip. The caller runs it in the transaction (or the single statement) that makes the change.
 *
 * @example await tx.execute(sql`with u as (update … ) ${auditInsert(entry, now)}`)
 */
export function auditInsert(entry: AuditEntry, at: Date): SQL {
  const json = (v: Record<string, unknown> | null | undefined) => (v ? sql`${JSON.stringify(v)}::jsonb` : sql`null`);
  return sql`insert into ${auditEvents} (id, project_id, actor_id, action, subject_kind, subject_id, before, after, created_at)
    values (${newId()}::uuid, ${entry.projectId}::uuid, ${entry.actorId}::uuid, ${entry.action}, ${entry.subjectKind}, ${entry.subjectId}::uuid, ${json(entry.before)}, ${json(entry.after)}, ${at.toISOString()}::timestamptz)`;
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
/**
 * The comments reviewers gave when failing a task's review (the `task.fail_review` audit events
 * of one subject), as rows `(id, project_id, 'task', subject_id, actor_id, 'review_failure',
 * comment, created_at)` that the reviews module unions into a task's comment list
 * (docs/workflow.md, Workflow).
 */
export function reviewFailureCommentRows(subjectId: string): SQL {
  return sql`select a.id, a.project_id, 'task', a.subject_id, a.actor_id, 'review_failure', a.after->>'comment', a.created_at
        from ${auditEvents} a
        where a.subject_id = ${subjectId}::uuid and a.action = 'task.fail_review' and a.after ? 'comment'`;
}

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
