import { and, asc, eq, gt, ilike, inArray, isNull, ne, or, sql, type Placeholder, type SQL } from 'drizzle-orm';
import { containsPattern } from '../core/like.ts';
import { decodeCursor, toPage, type PageQuery } from '../core/pagination.ts';
import type { Caller, Ctx } from '../context.ts';
import type { Db } from '../db/client.ts';
import { DomainError, forbidden, notFound } from '../core/errors.ts';
import { isId, newId } from '../core/ids.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { apiTokens, loginFailures, sessions, users } from './auth.table.ts';
import { decoyHash, hashPassword, verifyPassword } from './passwords.ts';
import { digestToken, generateToken } from './tokens.ts';
import { prepared } from '../db/prepared.ts';
import type { Role } from '../core/shared/roles.ts';

export const SESSION_TTL_MS = 14 * 24 * 3600 * 1000;
/** Failed logins allowed per address and email within the window before 429. */
export const LOGIN_MAX_FAILURES = 10;
/** Attempts per client address and window, all accounts together (a shared NAT signs many people in). */
export const LOGIN_MAX_FAILURES_PER_IP = 100;
export const LOGIN_WINDOW_MS = 15 * 60 * 1000;

const publicUser = (u: typeof users.$inferSelect) => ({
  id: u.id,
  email: u.email,
  name: u.name,
  isAdmin: u.isAdmin,
  createdAt: u.createdAt,
});

/** Creates a user. Admin only: sign-up is closed. Refuses a taken email with 409 `email_taken`. */
export async function createUser(
  ctx: Ctx,
  caller: Caller | null,
  input: { email: string; name: string; password?: string; isAdmin?: boolean },
) {
  if (caller && !caller.isAdmin) throw forbidden('Only administrators create users');
  const passwordHash = input.password ? await hashPassword(input.password) : null;
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(users)
      .values({
        id: newId(),
        email: input.email.toLowerCase(),
        name: input.name,
        passwordHash,
        isAdmin: input.isAdmin ?? false,
        createdAt: ctx.clock.now(),
      })
      .onConflictDoNothing({ target: users.email })
      .returning();
    if (!row) throw new DomainError('email_taken', 'A user with this email already exists');
    await recordAudit(tx, {
      projectId: null,
      actorId: caller?.userId ?? null,
      action: 'user.create',
      subjectKind: 'user',
      subjectId: row.id,
      after: { email: row.email, name: row.name, isAdmin: row.isAdmin },
    });
    return publicUser(row);
  });
}

/** All users, for administrators; `q` matches email or name. Keyset by id. */
export async function listUsers(ctx: Ctx, caller: Caller, query: PageQuery & { q?: string }) {
  if (!caller.isAdmin) throw forbidden('Only administrators list users');
  const conditions = [];
  if (query.q) conditions.push(or(ilike(users.email, containsPattern(query.q)), ilike(users.name, containsPattern(query.q))));
  if (query.cursor) conditions.push(gt(users.id, String(decodeCursor(query.cursor, 1)[0])));
  const rows = await ctx.db
    .select()
    .from(users)
    .where(and(...conditions))
    .orderBy(asc(users.id))
    .limit(query.limit + 1);
  const result = toPage(rows, query.limit, (u) => [u.id]);
  // The list is the administrators' view: it says who is deactivated, and since when.
  return { data: result.data.map((u) => ({ ...publicUser(u), deactivatedAt: u.deactivatedAt })), nextCursor: result.nextCursor };
}


export async function getUser(db: Db, id: string) {
  if (!isId(id)) return null;
  const [row] = await db.select().from(users).where(eq(users.id, id));
  return row ? publicUser(row) : null;
}

/** Finds users named by id or by email (as assignee lists and member routes accept both). */
export async function resolveUserRefs(db: Db, refs: string[]): Promise<Map<string, string>> {
  const ids = refs.filter(isId);
  const emails = refs.filter((r) => !isId(r)).map((r) => r.toLowerCase());
  const found = new Map<string, string>();
  if (ids.length) {
    const rows = await db.select({ id: users.id }).from(users).where(inArray(users.id, ids));
    for (const r of rows) found.set(r.id, r.id);
  }
  if (emails.length) {
    const rows = await db
      .select({ id: users.id, email: users.email })
      .from(users)
      .where(inArray(users.email, emails));
    for (const r of rows) found.set(r.email, r.id);
  }
  return new Map(refs.map((r) => [r, found.get(isId(r) ? r : r.toLowerCase())]).filter(([, v]) => v) as [string, string][]);
}

/** Issues an API token for a user (admin, or the user for themself). The token is returned once. */
export async function createToken(ctx: Ctx, caller: Caller, userId: string, name: string, presetToken?: string) {
  if (!caller.isAdmin && caller.userId !== userId) throw notFound('User');
  const target = await getUser(ctx.db, userId);
  if (!target) throw notFound('User');
  const token = presetToken ?? generateToken();
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(apiTokens)
      .values({
        id: newId(),
        userId,
        name,
        tokenHash: digestToken(token),
        prefix: token.slice(0, 8),
        createdAt: ctx.clock.now(),
      })
      .returning();
    await recordAudit(tx, {
      projectId: null,
      actorId: caller.userId,
      action: 'token.create',
      subjectKind: 'token',
      subjectId: row!.id,
      after: { userId, name, prefix: row!.prefix },
    });
    return { ...tokenView(row!), token };
  });
}

const tokenView = (t: typeof apiTokens.$inferSelect) => ({
  id: t.id,
  name: t.name,
  prefix: t.prefix,
  createdAt: t.createdAt,
  lastUsedAt: t.lastUsedAt,
  revokedAt: t.revokedAt,
});

export async function listTokens(ctx: Ctx, caller: Caller, userId: string) {
  if (!caller.isAdmin && caller.userId !== userId) throw notFound('User');
  const rows = await ctx.db.select().from(apiTokens).where(eq(apiTokens.userId, userId)).orderBy(apiTokens.id);
  return rows.map(tokenView);
}

/** Revokes a token; it stops working at once. Revoking twice is harmless. */
export async function revokeToken(ctx: Ctx, caller: Caller, userId: string, tokenId: string) {
  if (!caller.isAdmin && caller.userId !== userId) throw notFound('User');
  if (!isId(tokenId)) throw notFound('Token');
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .update(apiTokens)
      .set({ revokedAt: sql`coalesce(${apiTokens.revokedAt}, ${ctx.clock.now()})` })
      .where(and(eq(apiTokens.id, tokenId), eq(apiTokens.userId, userId)))
      .returning();
    if (!row) throw notFound('Token');
    await recordAudit(tx, {
      projectId: null,
      actorId: caller.userId,
      action: 'token.revoke',
      subjectKind: 'token',
      subjectId: row.id,
      after: { revokedAt: row.revokedAt },
    });
    return tokenView(row);
  });
}

/**
 * What the authenticating statement read: the caller and, when it was asked to, the project of
 * the route's object (null: no such object) and the caller's membership role there (null: none).
 */
export interface Authenticated {
  caller: Caller;
  project?: { projectId: string | null; role: Role | null };
  /** The scope's `preload` value (null: no such object). */
  preload?: unknown;
}

/** A project-scoped route's lookup: the path parameter and its subquery (see `projectIdSql` in permissions.ts). */
export interface AuthScope {
  param: string;
  id: string;
  projectIdSql: (id: string | Placeholder) => SQL;
  /** A value the route's service needs anyway, read by the same statement (`preload` in src/api/access.ts). */
  preload?: AuthPreload;
}

/**
 * A JSON value of the object `objectId` as the user `userId` sees it (SQL of the authenticating
 * statement); `arg` is a second id it depends on (another path parameter, e.g. an item of a task;
 * the nil id when absent or not an id).
 */
export interface AuthPreload {
  name: string;
  sql: (objectId: SQL, userId: SQL, arg: SQL) => SQL;
  arg?: string;
}

const NIL_ID = '00000000-0000-0000-0000-000000000000';

/**
 * The authenticating statement, one per credential kind and route parameter, prepared by name:
 * the credential's user, and with a scope the object's project and the caller's role in it.
 */
function authStatement(db: Db, kind: 'token' | 'session', scope?: AuthScope) {
  const name = `loupe_auth_${kind}_${scope?.param ?? 'none'}${scope?.preload ? `_${scope.preload.name}` : ''}`;
  return prepared(db, name, () => {
    const credential = kind === 'token' ? apiTokens : sessions;
    const projectId = scope ? sql<string | null>`(${scope.projectIdSql(sql.placeholder('objectId'))})` : sql<string | null>`null::uuid`;
    return db
      .select({
        userId: users.id,
        isAdmin: users.isAdmin,
        tokenId: credential.id,
        stale:
          kind === 'token'
            ? sql<boolean>`(${apiTokens.lastUsedAt} is null or ${apiTokens.lastUsedAt} < ${sql.placeholder('staleBefore')})`
            : sql<boolean>`false`,
        projectId: sql<string | null>`p.project_id`,
        role: sql<Role | null>`m.role`,
        preload: scope?.preload ? sql<unknown>`${scope.preload.sql(sql`${sql.placeholder('objectId')}::uuid`, sql`${users.id}`, sql`${sql.placeholder('preloadArg')}::uuid`)}` : sql<unknown>`null`,
      })
      .from(credential)
      .innerJoin(users, and(eq(users.id, credential.userId), isNull(users.deactivatedAt)))
      .leftJoin(sql`(select ${projectId} as project_id) p`, sql`true`)
      .leftJoin(sql`project_members m`, sql`m.project_id = p.project_id and m.user_id = ${users.id}`)
      .where(
        kind === 'token'
          ? and(eq(apiTokens.tokenHash, sql.placeholder('digest')), isNull(apiTokens.revokedAt))
          : and(eq(sessions.tokenHash, sql.placeholder('digest')), gt(sessions.expiresAt, sql.placeholder('now'))),
      )
      .prepare(name);
  });
}

/**
 * Resolves a bearer token (unknown or revoked: null) or a session cookie (unknown or expired:
 * null) to its user in ONE statement. With a scope (the route's path parameter and its project
 * subquery), the same statement reads the caller's role in the object's project, so an
 * authenticated, project-scoped request costs one round trip before its own work. A token's
 * `last_used_at` is touched at most once a minute (a write per request would make every GET a
 * write), in a second statement on that request only.
 */
export async function authenticate(ctx: Ctx, credential: { token: string } | { session: string }, scope?: AuthScope): Promise<Authenticated | null> {
  const now = ctx.clock.now();
  const kind = 'token' in credential ? 'token' : 'session';
  const [row] = await authStatement(ctx.db, kind, scope).execute({
    digest: digestToken('token' in credential ? credential.token : credential.session),
    staleBefore: new Date(now.getTime() - 60_000),
    now,
    // A value that cannot be an id names nothing; the nil id names nothing either and casts.
    objectId: scope && isId(scope.id) ? scope.id : NIL_ID,
    preloadArg: scope?.preload?.arg && isId(scope.preload.arg) ? scope.preload.arg : NIL_ID,
  });
  if (!row) return null;
  if (row.stale) await ctx.db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, row.tokenId));
  return {
    caller: { userId: row.userId, isAdmin: row.isAdmin },
    ...(scope ? { project: { projectId: row.projectId ?? null, role: row.role ?? null } } : {}),
    ...(scope?.preload ? { preload: row.preload ?? null } : {}),
  };
}

/** Resolves a bearer token to its user; null when unknown or revoked. */
export async function authenticateToken(ctx: Ctx, token: string): Promise<Caller | null> {
  return (await authenticate(ctx, { token }))?.caller ?? null;
}

/** Resolves a session cookie to its user; null when unknown or expired. */
export async function authenticateSession(ctx: Ctx, sessionToken: string): Promise<Caller | null> {
  return (await authenticate(ctx, { session: sessionToken }))?.caller ?? null;
}

/**
 * Password login. Failures answer the same `invalid_credentials` whether or not the email exists
 * (and take the same time: an unknown email still costs one argon2 verification).
 *
 * Lockout (docs/sessions.md): every attempt is counted BEFORE the password is checked, per
 * account (`acct|email`, whatever the address) and per client address (`ip|address`, the
 * trustProxy-aware `request.ip`), in ONE upsert statement that returns the new counts. An attempt
 * past LOGIN_MAX_FAILURES for the account, or LOGIN_MAX_FAILURES_PER_IP for the address, within
 * the window answers `rate_limited` unchecked; concurrent attempts each get their own count from
 * the row lock of the upsert, so exactly the limit is ever checked. A success clears the
 * account's count and gives its attempt back to the address.
 */
export async function login(ctx: Ctx, input: { email: string; password: string; address: string }) {
  const accountKey = `acct|${input.email.toLowerCase()}`;
  const addressKey = `ip|${input.address}`;
  const now = ctx.clock.now();
  const windowFrom = new Date(now.getTime() - LOGIN_WINDOW_MS);
  const counted = await ctx.db
    .insert(loginFailures)
    .values([
      { key: accountKey, failures: 1, windowStartedAt: now },
      { key: addressKey, failures: 1, windowStartedAt: now },
    ])
    .onConflictDoUpdate({
      target: loginFailures.key,
      set: {
        failures: sql`case when ${loginFailures.windowStartedAt} > ${windowFrom} then ${loginFailures.failures} + 1 else 1 end`,
        windowStartedAt: sql`case when ${loginFailures.windowStartedAt} > ${windowFrom} then ${loginFailures.windowStartedAt} else ${now} end`,
      },
    })
    .returning({ key: loginFailures.key, failures: loginFailures.failures, windowStartedAt: loginFailures.windowStartedAt });
  const over = counted.find((c) => c.failures > (c.key === accountKey ? LOGIN_MAX_FAILURES : LOGIN_MAX_FAILURES_PER_IP));
  if (over) {
    const retryAfter = Math.max(1, Math.ceil((over.windowStartedAt.getTime() + LOGIN_WINDOW_MS - now.getTime()) / 1000));
    throw new DomainError('rate_limited', 'Too many failed sign-in attempts; try again later', { retryAfter });
  }
  const [user] = await ctx.db.select().from(users).where(eq(users.email, input.email.toLowerCase()));
  const ok = user?.passwordHash
    ? await verifyPassword(user.passwordHash, input.password)
    : (await verifyPassword(await decoyHash(), input.password), false);
  // A deactivated account signs in no more (the same answer as a wrong password).
  if (!ok || !user || user.deactivatedAt) throw new DomainError('invalid_credentials', 'Email or password is wrong');
  const sessionToken = generateToken();
  await ctx.db.transaction(async (tx) => {
    await tx.delete(loginFailures).where(eq(loginFailures.key, accountKey));
    await tx.update(loginFailures).set({ failures: sql`greatest(${loginFailures.failures} - 1, 0)` }).where(eq(loginFailures.key, addressKey));
    const id = newId();
    await tx.insert(sessions).values({
      id,
      userId: user.id,
      tokenHash: digestToken(sessionToken),
      createdAt: now,
      expiresAt: new Date(now.getTime() + SESSION_TTL_MS),
    });
    await recordAudit(tx, { projectId: null, actorId: user.id, action: 'session.create', subjectKind: 'session', subjectId: id });
  });
  return { sessionToken, user: publicUser(user), expiresAt: new Date(now.getTime() + SESSION_TTL_MS) };
}

/**
 * Changes the caller's own name or password. A new password needs the current one (401
 * `invalid_credentials` otherwise) and ends every other session of the user in the same
 * transaction; the session making the change (`keepSession`) stays. API tokens are kept: they
 * are separate credentials, listed and revoked one by one.
 */
export async function updateSelf(ctx: Ctx, caller: Caller, input: { name?: string; password?: string; currentPassword?: string }, keepSession?: string) {
  if (input.password) {
    const [row] = await ctx.db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, caller.userId));
    const ok = row?.passwordHash && input.currentPassword ? await verifyPassword(row.passwordHash, input.currentPassword) : false;
    if (!ok) throw new DomainError('invalid_credentials', 'Send your current password (currentPassword) to set a new one');
  }
  const passwordHash = input.password ? await hashPassword(input.password) : undefined;
  if (!input.name && !passwordHash) {
    const user = await getUser(ctx.db, caller.userId);
    if (!user) throw notFound('User');
    return user;
  }
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .update(users)
      .set({ ...(input.name ? { name: input.name } : {}), ...(passwordHash ? { passwordHash } : {}) })
      .where(eq(users.id, caller.userId))
      .returning();
    if (!row) throw notFound('User');
    if (passwordHash) {
      const keep = keepSession ? digestToken(keepSession) : '';
      await tx.delete(sessions).where(and(eq(sessions.userId, caller.userId), ne(sessions.tokenHash, keep)));
    }
    await recordAudit(tx, {
      projectId: null,
      actorId: caller.userId,
      action: 'user.update',
      subjectKind: 'user',
      subjectId: row.id,
      after: { ...(input.name ? { name: input.name } : {}), ...(passwordHash ? { password: '(changed)' } : {}) },
    });
    return publicUser(row);
  });
}

export async function logout(ctx: Ctx, sessionToken: string) {
  await ctx.db.delete(sessions).where(eq(sessions.tokenHash, digestToken(sessionToken)));
}

/** Removes expired sessions and login-failure windows. Run by the `maintenance.purge` job. */
export async function purgeExpiredAuth(ctx: Ctx) {
  const now = ctx.clock.now();
  await ctx.db.delete(sessions).where(sql`${sessions.expiresAt} <= ${now}`);
  await ctx.db
    .delete(loginFailures)
    .where(sql`${loginFailures.windowStartedAt} <= ${new Date(now.getTime() - LOGIN_WINDOW_MS)}`);
}

/**
 * First start: when there is no user at all, create the administrator `admin@localhost`. Its API
 * token is `LOUPE_ADMIN_TOKEN` when set, otherwise a generated one that is returned (and printed
 * once by the caller). Safe to call on every start and from several processes at once.
 */
export async function bootstrapAdmin(
  ctx: Ctx,
  preset: { token?: string; password?: string } = {},
): Promise<{ created: boolean; token?: string; password?: string }> {
  const presetToken = preset.token;
  // Without LOUPE_ADMIN_PASSWORD a password is generated and printed once, so the web app can be used at once.
  const password = preset.password ?? generateToken().slice(3, 23);
  const [{ n }] = (await ctx.db.select({ n: sql<number>`count(*)` }).from(users)) as [{ n: number }];
  if (Number(n) > 0) return { created: false };
  const token = presetToken ?? generateToken();
  try {
    // One transaction: a crash between the user and its token must not leave an administrator
    // nobody can sign in as (the next start would see a user and bootstrap nothing).
    await ctx.db.transaction(async (tx) => {
      const inTx: Ctx = { ...ctx, db: tx };
      const admin = await createUser(inTx, null, { email: 'admin@localhost', name: 'Administrator', isAdmin: true, password });
      await createToken(inTx, { userId: admin.id, isAdmin: true }, admin.id, 'bootstrap', token);
    });
  } catch (error) {
    if (error instanceof DomainError && error.code === 'email_taken') return { created: false };
    throw error;
  }
  return { created: true, token: presetToken ? undefined : token, password: preset.password ? undefined : password };
}
