import { and, eq, isNull } from 'drizzle-orm';
import type { Caller, Ctx } from '../context.ts';
import { DomainError, notFound } from '../core/errors.ts';
import { isId } from '../core/ids.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { apiTokens, sessions, users } from './auth.table.ts';
import { hashPassword } from './passwords.ts';

/**
 * Deactivates or reactivates an account (admin; docs/sessions.md). Deactivation ends every
 * session and revokes every API token of the user in the same transaction as the flag and its
 * audit event; while deactivated, sign-in answers `invalid_credentials` and no credential
 * authenticates (the authenticating statement checks the flag too, so a token minted in a race
 * still does not work). Reactivation allows sign-in again; revoked tokens stay revoked.
 */
export async function setUserActive(ctx: Ctx, caller: Caller, userId: string, active: boolean) {
  if (!isId(userId)) throw notFound('User');
  if (!active && userId === caller.userId) throw new DomainError('validation_failed', 'You cannot deactivate yourself');
  const now = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const [before] = await tx.select().from(users).where(eq(users.id, userId)).for('update');
    if (!before) throw notFound('User');
    const [row] = await tx
      .update(users)
      .set({ deactivatedAt: active ? null : (before.deactivatedAt ?? now) })
      .where(eq(users.id, userId))
      .returning();
    if (!active) {
      await tx.delete(sessions).where(eq(sessions.userId, userId));
      await tx.update(apiTokens).set({ revokedAt: now }).where(and(eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)));
    }
    if (Boolean(before.deactivatedAt) === active) {
      await recordAudit(tx, { projectId: null, actorId: caller.userId, action: active ? 'user.reactivate' : 'user.deactivate', subjectKind: 'user', subjectId: userId });
    }
    return { id: row!.id, email: row!.email, name: row!.name, isAdmin: row!.isAdmin, deactivatedAt: row!.deactivatedAt };
  });
}

/**
 * Sets another user's password (admin; docs/sessions.md): for a user who forgot theirs, since
 * there is no e-mail reset. It ends every session of that user in the same transaction as the
 * new hash and its audit event (the audit records that the password changed, never the
 * password); API tokens are separate credentials and stay. Admins change their own password
 * with `PATCH /api/v1/me`, which needs the current one.
 */
export async function resetPassword(ctx: Ctx, caller: Caller, userId: string, password: string) {
  if (!isId(userId)) throw notFound('User');
  if (userId === caller.userId) throw new DomainError('validation_failed', 'Change your own password on your account page (it needs your current password)');
  const passwordHash = await hashPassword(password);
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx.update(users).set({ passwordHash }).where(eq(users.id, userId)).returning({ id: users.id, email: users.email, name: users.name, isAdmin: users.isAdmin, deactivatedAt: users.deactivatedAt });
    if (!row) throw notFound('User');
    const ended = await tx.delete(sessions).where(eq(sessions.userId, userId)).returning({ id: sessions.id });
    await recordAudit(tx, { projectId: null, actorId: caller.userId, action: 'user.password_reset', subjectKind: 'user', subjectId: userId, after: { password: '(reset)', sessionsEnded: ended.length } });
    return { ...row, sessionsEnded: ended.length };
  });
}
