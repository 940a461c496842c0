import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createTestApp, unique, type TestApp } from '../support/test-app.ts';
import { apiTokens, users } from '../../src/auth/auth.table.ts';
import { bootstrapAdmin, LOGIN_MAX_FAILURES } from '../../src/auth/auth.service.ts';
import { digestToken } from '../../src/auth/tokens.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

const cookieOf = (res: { headers: Record<string, unknown> }) => {
  const header = res.headers['set-cookie'];
  const raw = Array.isArray(header) ? header[0] : String(header);
  return raw.split(';')[0]!;
};

describe('POST /api/v1/users', () => {
  it('lets an administrator create a user whose password is stored as argon2id', async () => {
    const email = `${unique('new')}@example.com`;
    const res = await t.post('/api/v1/users', { email, name: 'New Person', password: 'a long password' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ email, name: 'New Person', isAdmin: false });
    expect(res.body).not.toHaveProperty('passwordHash');
    const [row] = await t.ctx.db.select().from(users).where(eq(users.id, res.body.id));
    expect(row!.passwordHash).toMatch(/^\$argon2id\$/);
    expect(row!.passwordHash).not.toContain('a long password');
  });

  it('refuses a second user with the same email, whatever its case', async () => {
    const email = `${unique('dup')}@example.com`;
    expect((await t.post('/api/v1/users', { email, name: 'A' })).status).toBe(201);
    const again = await t.post('/api/v1/users', { email: email.toUpperCase(), name: 'B' });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('email_taken');
  });

  it('is closed to non-administrators (sign-up is closed)', async () => {
    const user = await t.user();
    const res = await t.post('/api/v1/users', { email: `${unique('x')}@example.com`, name: 'X' }, { token: user.token });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('forbidden');
  });

  it('answers 400 problem+json naming the field for a malformed body', async () => {
    const res = await t.post('/api/v1/users', { email: 'not-an-email', name: '' });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body.code).toBe('invalid_request');
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(['/email', '/name']));
  });
});

describe('API tokens', () => {
  it('shows a token once, stores only its digest, and stops accepting it once revoked', async () => {
    const user = await t.user();
    const created = await t.post(`/api/v1/users/${user.id}/tokens`, { name: 'ci' }, { token: user.token });
    expect(created.status).toBe(201);
    const token: string = created.body.token;
    const [stored] = await t.ctx.db.select().from(apiTokens).where(eq(apiTokens.id, created.body.id));
    expect(stored!.tokenHash).toBe(digestToken(token));
    expect(JSON.stringify(stored)).not.toContain(token);

    const listed = await t.get(`/api/v1/users/${user.id}/tokens`, { token });
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).not.toContain(token);

    expect((await t.get('/api/v1/me', { token })).status).toBe(200);
    const revoked = await t.delete(`/api/v1/users/${user.id}/tokens/${created.body.id}`, { token: user.token });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    const after = await t.get('/api/v1/me', { token });
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('unauthenticated');
  });

  it('does not let a user issue tokens for someone else', async () => {
    const a = await t.user();
    const b = await t.user();
    const res = await t.post(`/api/v1/users/${b.id}/tokens`, { name: 'steal' }, { token: a.token });
    expect(res.status).toBe(404);
  });
});

describe('POST /api/v1/auth/login', () => {
  it('issues an httpOnly session cookie that authenticates /me, and logout ends it', async () => {
    const user = await t.user();
    const res = await t.post('/api/v1/auth/login', { email: user.email, password: 'correct horse battery' }, { token: null });
    expect(res.status).toBe(200);
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/loupe_session=/);
    expect(setCookie).toMatch(/HttpOnly/i);
    const cookie = cookieOf(res);
    const me = await t.get('/api/v1/me', { token: null, headers: { cookie } });
    expect(me.status).toBe(200);
    expect(me.body.email).toBe(user.email);

    expect((await t.post('/api/v1/auth/logout', undefined, { token: null, headers: { cookie } })).status).toBe(204);
    expect((await t.get('/api/v1/me', { token: null, headers: { cookie } })).status).toBe(401);
  });

  it('answers the same for a wrong password and for an unknown email', async () => {
    const user = await t.user();
    const wrong = await t.post('/api/v1/auth/login', { email: user.email, password: 'nope nope' }, { token: null });
    const unknown = await t.post('/api/v1/auth/login', { email: `${unique('ghost')}@example.com`, password: 'nope nope' }, { token: null });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
  });

  it('rate-limits repeated failures for one address and email, even with the right password after', async () => {
    const user = await t.user();
    for (let i = 0; i < LOGIN_MAX_FAILURES; i++) {
      const res = await t.post('/api/v1/auth/login', { email: user.email, password: `wrong ${i}` }, { token: null });
      expect(res.status).toBe(401);
    }
    const limited = await t.post('/api/v1/auth/login', { email: user.email, password: 'correct horse battery' }, { token: null });
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });
});

describe('bootstrap', () => {
  it('creates no administrator when users already exist', async () => {
    const result = await bootstrapAdmin(t.ctx, { token: 'lp_preset' });
    expect(result.created).toBe(false);
    const [row] = await t.ctx.db.select().from(apiTokens).where(eq(apiTokens.tokenHash, digestToken('lp_preset')));
    expect(row).toBeUndefined();
  });
});

describe('GET /api/v1/me', () => {
  it('lists the caller’s projects with roles', async () => {
    const { id, owner } = await t.project();
    const me = await t.get('/api/v1/me', { token: owner.token });
    expect(me.body.projects).toEqual([expect.objectContaining({ id, role: 'owner' })]);
  });
});

describe('GET /api/v1/users', () => {
  it('lets administrators find users by email or name, treating % and _ literally', async () => {
    const tag = unique('find_me');
    const user = await t.user(tag);
    const res = await t.get('/api/v1/users', { query: { q: tag } });
    expect(res.body.data.map((u: { id: string }) => u.id)).toEqual([user.id]);
    const wildcard = await t.get('/api/v1/users', { query: { q: '%' } });
    expect(wildcard.body.data).toEqual([]);
  });

  it('says who is deactivated, and since when (deactivatedAt)', async () => {
    const tag = unique('leaver');
    const user = await t.user(tag);
    expect((await t.get('/api/v1/users', { query: { q: tag } })).body.data[0].deactivatedAt).toBeNull();
    const off = await t.post(`/api/v1/users/${user.id}/deactivate`);
    expect(off.status).toBe(200);
    const listed = (await t.get('/api/v1/users', { query: { q: tag } })).body.data[0];
    expect(listed.deactivatedAt).toBe(off.body.deactivatedAt);
    expect(listed).not.toHaveProperty('passwordHash');
    await t.post(`/api/v1/users/${user.id}/reactivate`);
    expect((await t.get('/api/v1/users', { query: { q: tag } })).body.data[0].deactivatedAt).toBeNull();
  });
});
