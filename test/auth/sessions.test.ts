import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { readConfig } from '../../src/main/config.ts';
import { rowsOf } from '../../src/task-units/item-selection.ts';
import { createTestApp, unique, type TestApp } from '../support/test-app.ts';

/** Passwords, sessions and the administrator token (docs/sessions.md). */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

const signIn = async (email: string, password: string) => {
  const res = await t.post('/api/v1/auth/login', { email, password }, { token: null });
  expect(res.status).toBe(200);
  return String(res.headers['set-cookie']).split(';')[0]!;
};
const meWith = (cookie: string) => t.get('/api/v1/me', { token: null, headers: { cookie } });

describe('the password policy', () => {
  it('refuses passwords shorter than 12 characters or made of spaces, and accepts a long one', async () => {
    for (const password of ['        ', ' '.repeat(20), 'short pass1', `  ${'x'.repeat(8)}  `]) {
      const res = await t.post('/api/v1/users', { email: `${unique('p')}@example.com`, name: 'P', password });
      expect([JSON.stringify(password), res.status]).toEqual([JSON.stringify(password), 400]);
    }
    expect((await t.post('/api/v1/users', { email: `${unique('p')}@example.com`, name: 'P', password: 'twelve chars' })).status).toBe(201);
  });
});

describe('PATCH /api/v1/me with a new password', () => {
  it('needs the current password, ends the user’s other sessions and keeps the one making the change', async () => {
    const user = await t.user();
    const here = await signIn(user.email, 'correct horse battery');
    const elsewhere = await signIn(user.email, 'correct horse battery');
    const without = await t.patch('/api/v1/me', { password: 'a new long password' }, { token: null, headers: { cookie: here } });
    expect(without.status).toBe(401);
    const wrong = await t.patch('/api/v1/me', { password: 'a new long password', currentPassword: 'not the password' }, { token: null, headers: { cookie: here } });
    expect(wrong.status).toBe(401);
    expect((await meWith(elsewhere)).status).toBe(200);
    const ok = await t.patch('/api/v1/me', { password: 'a new long password', currentPassword: 'correct horse battery' }, { token: null, headers: { cookie: here } });
    expect(ok.status).toBe(200);
    expect((await meWith(here)).status).toBe(200);
    expect((await meWith(elsewhere)).status).toBe(401);
    // API tokens are kept (revoked one by one).
    expect((await t.get('/api/v1/me', { token: user.token })).status).toBe(200);
    await signIn(user.email, 'a new long password');
  });
});

describe('LOUPE_ADMIN_TOKEN', () => {
  it('refuses a short or repetitive token at start-up with a message naming the setting', () => {
    for (const token of ['a', 'lp_short', 'a'.repeat(64)]) {
      expect(() => readConfig({ LOUPE_ADMIN_TOKEN: token })).toThrow(/LOUPE_ADMIN_TOKEN is too weak/);
    }
    expect(readConfig({ LOUPE_ADMIN_TOKEN: 'lp_0123456789abcdef0123456789abcdef' }).adminToken).toBe('lp_0123456789abcdef0123456789abcdef');
  });
});

describe('POST /api/v1/users/{userId}/password (administrators)', () => {
  it('sets a forgotten password: the user’s sessions end, their API tokens stay, the old password stops working', async () => {
    const user = await t.user(unique('forgetful'));
    const [one, two] = [await signIn(user.email, 'correct horse battery'), await signIn(user.email, 'correct horse battery')];
    expect((await meWith(one)).status).toBe(200);

    // Only administrators, never for oneself here, never a weak password, and 404 for nobody.
    expect((await t.post(`/api/v1/users/${user.id}/password`, { password: 'a brand new password' }, { token: user.token })).status).toBe(403);
    expect((await t.post(`/api/v1/users/${user.id}/password`, { password: 'short' })).status).toBe(400);
    expect((await t.post(`/api/v1/users/${t.admin.id}/password`, { password: 'a brand new password' })).body.code).toBe('validation_failed');
    expect((await t.post('/api/v1/users/01a22caa-79a3-7b28-b287-c5ed961c648d/password', { password: 'a brand new password' })).status).toBe(404);
    expect((await meWith(one)).status).toBe(200); // the refusals changed nothing

    const res = await t.post(`/api/v1/users/${user.id}/password`, { password: 'a brand new password' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: user.id, email: user.email, sessionsEnded: 2 });
    expect((await meWith(one)).status).toBe(401);
    expect((await meWith(two)).status).toBe(401);
    expect((await t.get('/api/v1/me', { token: user.token })).status).toBe(200);
    expect((await t.post('/api/v1/auth/login', { email: user.email, password: 'correct horse battery' }, { token: null })).status).toBe(401);
    expect((await meWith(await signIn(user.email, 'a brand new password'))).status).toBe(200);

    const audit = rowsOf<{ after: Record<string, unknown> }>(await t.ctx.db.execute(sql`select action, after from audit_events where subject_id = ${user.id}::uuid and action = 'user.password_reset'`));
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit[0]!.after)).not.toContain('brand new');
  });
});
