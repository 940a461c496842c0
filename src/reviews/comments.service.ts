import { eq, sql } from 'drizzle-orm';
import type { Caller, Ctx } from '../context.ts';
import type { Db } from '../db/client.ts';
import { notFound } from '../core/errors.ts';
import { isId, newId } from '../core/ids.ts';
import { decodeCursor, toPage } from '../core/pagination.ts';
import { recordAudit, reviewFailureCommentRows } from '../audit/audit.service.ts';
import { requireRole } from '../projects/permissions.ts';
import { userDirectory as users } from '../auth/user-reads.ts';
import { itemRef } from '../datasets/items-for-evaluation.ts';
import { answerFacts } from '../annotations/answer-reads.ts';
import { taskFacts } from '../task-units/unit-reads.ts';
import { rowsOf } from '../task-units/item-selection.ts';
import { comments, issues, type CommentSubject } from './reviews.table.ts';

const subjectNames: Record<CommentSubject, string> = { task: 'Task', item: 'Item', annotation: 'Annotation', issue: 'Issue' };

/** The project a comment subject lives in, or null when there is no such subject. */
export async function subjectProject(db: Db, kind: CommentSubject, id: string): Promise<string | null> {
  if (!isId(id)) return null;
  if (kind === 'item') return (await itemRef(db, id))?.projectId ?? null;
  const table = { task: taskFacts, annotation: answerFacts, issue: issues }[kind];
  const [row] = await db.select({ projectId: table.projectId }).from(table).where(eq(table.id, id));
  return row?.projectId ?? null;
}

type CommentRow = typeof comments.$inferSelect;
const view = (c: CommentRow, author: { name: string; email: string } | null) => ({
  id: c.id,
  projectId: c.projectId,
  subjectKind: c.subjectKind,
  subjectId: c.subjectId,
  kind: c.kind,
  authorId: c.authorId,
  author: author && c.authorId ? { id: c.authorId, name: author.name, email: author.email } : null,
  body: c.body,
  createdAt: c.createdAt,
});

/**
 * Comments on a task, an item, an annotation or an issue. The subject's project decides who may
 * comment: annotators and above (403 for viewers); 404 for subjects outside the caller's
 * projects (never a hint they exist). One transaction with the audit event.
 */
export async function createComment(ctx: Ctx, caller: Caller, input: { subjectKind: CommentSubject; subjectId: string; body: string }) {
  const what = subjectNames[input.subjectKind];
  const projectId = await subjectProject(ctx.db, input.subjectKind, input.subjectId);
  if (!projectId) throw notFound(what);
  await requireRole(ctx.db, caller, projectId, 'annotator', what);
  return ctx.db.transaction(async (tx) => {
    const now = ctx.clock.now();
    const [row] = await tx
      .insert(comments)
      .values({ id: newId(), projectId, subjectKind: input.subjectKind, subjectId: input.subjectId, authorId: caller.userId, kind: 'comment', body: input.body, createdAt: now })
      .returning();
    await recordAudit(tx, { projectId, actorId: caller.userId, action: 'comment.create', subjectKind: input.subjectKind, subjectId: input.subjectId, after: { commentId: row!.id } }, now);
    const [author] = await tx.select({ name: users.name, email: users.email }).from(users).where(eq(users.id, caller.userId));
    return view(row!, author ?? null);
  });
}

/**
 * A subject's comments, oldest first, keyset by id. A task's list also holds its review
 * failures (`kind: 'review_failure'`): the comment a reviewer must give when failing a review
 * (docs/workflow.md, Workflow), read from that transition's audit event, so the annotator sees why the work came
 * back without a second copy of it to keep in step.
 */
export async function listComments(ctx: Ctx, caller: Caller, query: { subjectKind: CommentSubject; subjectId: string; limit: number; cursor?: string }) {
  const what = subjectNames[query.subjectKind];
  const projectId = await subjectProject(ctx.db, query.subjectKind, query.subjectId);
  if (!projectId) throw notFound(what);
  await requireRole(ctx.db, caller, projectId, 'viewer', what);
  const after = query.cursor ? String(decodeCursor(query.cursor, 1)[0]) : null;
  const afterCondition = after && isId(after) ? sql` and x.id > ${after}::uuid` : sql``;
  const failures =
    query.subjectKind === 'task'
      ? sql` union all ${reviewFailureCommentRows(query.subjectId)}`
      : sql``;
  const result = await ctx.db.execute(sql`
    select x.*, ${users.name} as author_name, ${users.email} as author_email from (
      select c.id, c.project_id, c.subject_kind, c.subject_id, c.author_id, c.kind, c.body, c.created_at
      from comments c
      where c.subject_kind = ${query.subjectKind} and c.subject_id = ${query.subjectId}::uuid${failures}
    ) x (id, project_id, subject_kind, subject_id, author_id, kind, body, created_at)
    left join ${users} on ${users.id} = x.author_id
    where true${afterCondition}
    order by x.id
    limit ${query.limit + 1}`);
  type Raw = { id: string; project_id: string; subject_kind: CommentSubject; subject_id: string; author_id: string | null; kind: CommentRow['kind']; body: string; created_at: string | Date; author_name: string | null; author_email: string | null };
  const data = rowsOf<Raw>(result).map((r) =>
    view(
      { id: r.id, projectId: r.project_id, subjectKind: r.subject_kind, subjectId: r.subject_id, authorId: r.author_id, kind: r.kind, body: r.body, createdAt: new Date(r.created_at) },
      r.author_name !== null && r.author_email !== null ? { name: r.author_name, email: r.author_email } : null,
    ),
  );
  return toPage(data, query.limit, (r) => [r.id]);
}
