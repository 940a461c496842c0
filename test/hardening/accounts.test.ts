import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOGIN_MAX_FAILURES } from '../../src/auth/auth.service.ts';
import { buildApp } from '../../src/api/app.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/** Sign-in lockout and account deactivation (issue 12, item 5; docs/sessions.md). */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

const PASSWORD = 'correct horse battery';

describe('the sign-in lockout', () => {
  it('checks exactly the limit of 30 parallel wrong attempts on one account and refuses the rest with 429', async () => {
    const user = await t.user();
    const answers = await Promise.all(Array.from({ length: 30 }, () => t.post('/api/v1/auth/login', { email: user.email, password: 'wrong password here' }, { token: null })));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(LOGIN_MAX_FAILURES);
    expect(statuses.filter((s) => s === 429)).toHaveLength(30 - LOGIN_MAX_FAILURES);
    // Locked: even the right password is refused within the window.
    expect((await t.post('/api/v1/auth/login', { email: user.email, password: PASSWORD }, { token: null })).status).toBe(429);
  });

  it('locks the account whatever address the attempts come from, reading the address behind a trusted proxy', async () => {
    const { app } = await buildApp({ database: t.database, jobs: t.jobs, logger: false, trustProxy: true });
    try {
      const user = await t.user();
      const from = (ip: string, password: string) =>
        app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'x-forwarded-for': ip, 'content-type': 'application/json' }, payload: JSON.stringify({ email: user.email, password }) });
      // A success gives the account a clean slate.
      expect((await from('203.0.113.9', 'not the password')).statusCode).toBe(401);
      expect((await from('203.0.113.9', PASSWORD)).statusCode).toBe(200);
      for (let i = 0; i < LOGIN_MAX_FAILURES; i++) expect((await from(`198.51.100.${i + 1}`, 'not the password')).statusCode).toBe(401);
      expect((await from('192.0.2.77', PASSWORD)).statusCode).toBe(429);
      // Another account behind the same proxy is not locked by it.
      const other = await t.user();
      const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'x-forwarded-for': '198.51.100.1', 'content-type': 'application/json' }, payload: JSON.stringify({ email: other.email, password: PASSWORD }) });
      expect(res.statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe('POST /api/v1/users/{id}/deactivate and /reactivate', () => {
  it('ends the user’s sessions and tokens and refuses sign-in until reactivated; only admins may', async () => {
    const user = await t.user();
    const signedIn = await t.post('/api/v1/auth/login', { email: user.email, password: PASSWORD }, { token: null });
    const cookie = String(signedIn.headers['set-cookie']).split(';')[0]!;
    expect((await t.get('/api/v1/me', { token: null, headers: { cookie } })).status).toBe(200);
    expect((await t.get('/api/v1/me', { token: user.token })).status).toBe(200);

    expect((await t.post(`/api/v1/users/${user.id}/deactivate`, undefined, { token: user.token })).status).toBe(403);
    const off = await t.post(`/api/v1/users/${user.id}/deactivate`, undefined);
    expect(off.status).toBe(200);
    expect(off.body.deactivatedAt).not.toBeNull();
    expect((await t.get('/api/v1/me', { token: null, headers: { cookie } })).status).toBe(401);
    expect((await t.get('/api/v1/me', { token: user.token })).status).toBe(401);
    expect((await t.post('/api/v1/auth/login', { email: user.email, password: PASSWORD }, { token: null })).status).toBe(401);

    const on = await t.post(`/api/v1/users/${user.id}/reactivate`, undefined);
    expect(on.status).toBe(200);
    expect(on.body.deactivatedAt).toBeNull();
    expect((await t.post('/api/v1/auth/login', { email: user.email, password: PASSWORD }, { token: null })).status).toBe(200);
    // Tokens revoked by the deactivation stay revoked.
    expect((await t.get('/api/v1/me', { token: user.token })).status).toBe(401);
  });
});
