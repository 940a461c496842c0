import { and, asc, eq, gt, sql } from 'drizzle-orm';
import type { Caller, Ctx } from '../context.ts';
import type { Db } from '../db/client.ts';
import { notFound } from '../core/errors.ts';
import { isId, newId } from '../core/ids.ts';
import { decodeCursor, toPage, type PageQuery } from '../core/pagination.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { requireRole } from '../projects/permissions.ts';
import { digestToken } from '../auth/tokens.ts';
import { randomBytes } from 'node:crypto';
import { ingestTokens } from './traces.table.ts';

type Row = typeof ingestTokens.$inferSelect;
const view = (t: Row) => ({ id: t.id, projectId: t.projectId, name: t.name, prefix: t.prefix, createdAt: t.createdAt, lastUsedAt: t.lastUsedAt, revokedAt: t.revokedAt });

/** `lpi_` + 43 base64url characters (256 random bits); the prefix tells ingest tokens from API tokens. */
const generateIngestToken = () => `lpi_${randomBytes(32).toString('base64url')}`;

/**
 * Creates an ingest token for one project (manager+). The token is returned once; only its
 * SHA-256 digest is stored. Audited in the same transaction.
 */
export async function createIngestToken(ctx: Ctx, caller: Caller, projectId: string, input: { name: string }) {
  await requireRole(ctx.db, caller, projectId, 'manager', 'Project');
  const token = generateIngestToken();
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(ingestTokens)
      .values({ id: newId(), projectId, name: input.name, tokenHash: digestToken(token), prefix: token.slice(0, 10), createdBy: caller.userId, createdAt: ctx.clock.now() })
      .returning();
    await recordAudit(tx, { projectId, actorId: caller.userId, action: 'ingest_token.create', subjectKind: 'ingest_token', subjectId: row!.id, after: { name: input.name } });
    return { ...view(row!), token };
  });
}

/** A project's ingest tokens (manager+), revoked ones included, keyset by id; never the token. */
export async function listIngestTokens(ctx: Ctx, caller: Caller, projectId: string, page: PageQuery) {
  await requireRole(ctx.db, caller, projectId, 'manager', 'Project');
  const after = page.cursor ? String(decodeCursor(page.cursor, 1)[0]) : null;
  const rows = await ctx.db
    .select()
    .from(ingestTokens)
    .where(and(eq(ingestTokens.projectId, projectId), after && isId(after) ? gt(ingestTokens.id, after) : undefined))
    .orderBy(asc(ingestTokens.id))
    .limit(page.limit + 1);
  const result = toPage(rows, page.limit, (r) => [r.id]);
  return { data: result.data.map(view), nextCursor: result.nextCursor };
}

/** Revokes a token (manager+); revoking twice is a no-op. A token of another project is 404. */
export async function revokeIngestToken(ctx: Ctx, caller: Caller, projectId: string, tokenId: string) {
  await requireRole(ctx.db, caller, projectId, 'manager', 'Project');
  if (!isId(tokenId)) throw notFound('Ingest token');
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx.select().from(ingestTokens).where(and(eq(ingestTokens.id, tokenId), eq(ingestTokens.projectId, projectId))).for('update');
    if (!row) throw notFound('Ingest token');
    if (row.revokedAt) return view(row);
    const [updated] = await tx.update(ingestTokens).set({ revokedAt: ctx.clock.now() }).where(eq(ingestTokens.id, tokenId)).returning();
    await recordAudit(tx, { projectId, actorId: caller.userId, action: 'ingest_token.revoke', subjectKind: 'ingest_token', subjectId: tokenId });
    return view(updated!);
  });
}

/**
 * The project an ingest token writes to, or null for an unknown or revoked token. Notes the use
 * at most once a minute, in the same statement (no write per request).
 */
export async function projectOfIngestToken(db: Db, token: string): Promise<string | null> {
  const hash = digestToken(token);
  const result = await db.execute<{ project_id: string }>(sql`
    with t as (select id, project_id, last_used_at from ${ingestTokens} where token_hash = ${hash} and revoked_at is null),
    touch as (update ${ingestTokens} set last_used_at = now() where id = (select id from t)
      and (last_used_at is null or last_used_at < now() - interval '1 minute'))
    select project_id from t`);
  return (result as unknown as { rows: Array<{ project_id: string }> }).rows[0]?.project_id ?? null;
}

