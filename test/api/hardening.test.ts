import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, unique, type TestApp } from '../support/test-app.ts';
import { createTask, world } from '../tasks/helpers.ts';

/** Refusals found by probing the API as an attacker would (issue 12). */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

describe('secrets and idempotency', () => {
  it('refuses Idempotency-Key on POST /users/{id}/tokens (400) and stores no token for replay', async () => {
    const user = await t.user();
    const key = unique('key');
    const res = await t.post(`/api/v1/users/${user.id}/tokens`, { name: 'ci' }, { token: user.token, headers: { 'idempotency-key': key } });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('idempotency_not_supported');
    const stored = await t.ctx.db.execute(sql`select body::text as body from idempotency_keys where key = ${key}`);
    expect((stored as unknown as { rows: unknown[] }).rows).toEqual([]);
    // Without the key the token is minted and never written to the replay table.
    const minted = await t.post(`/api/v1/users/${user.id}/tokens`, { name: 'ci' }, { token: user.token });
    expect(minted.status).toBe(201);
    const anywhere = await t.ctx.db.execute(sql`select count(*)::int as n from idempotency_keys where body::text like ${`%${minted.body.token}%`}`);
    expect((anywhere as unknown as { rows: Array<{ n: number }> }).rows[0]!.n).toBe(0);
  });
});

describe('cross-project oracle', () => {
  it('answers 404 for PUT /tasks/{taskA}/items/{itemB}/annotations before validating anything against item B', async () => {
    const a = await world(t, 1);
    const b = await world(t, 1);
    const task = await createTask(t, a, {});
    const res = await t.put(`/api/v1/tasks/${task.id}/items/${b.itemIds[0]}/annotations`, { shapes: [{ tool: 'text_span', label: 'x', start: 0, end: 99999 }] }, { token: a.owner.token });
    expect(res.status).toBe(404);
    expect(JSON.stringify(res.body)).not.toMatch(/length|99999|text/i);
  });
});

describe('crafted input answers 400, not 500', () => {
  it('refuses a cursor holding SQL instead of an id on every kind of list', async () => {
    const w = await world(t, 1);
    const task = await createTask(t, w, {});
    const crafted = Buffer.from(JSON.stringify(["x' or 1=1--"])).toString('base64url');
    const crafted2 = Buffer.from(JSON.stringify(["x' or 1=1--", "x' or 1=1--"])).toString('base64url');
    for (const [url, cursor] of [
      [`/api/v1/datasets/${w.datasetId}/items`, crafted],
      [`/api/v1/projects/${w.projectId}/datasets`, crafted],
      ['/api/v1/projects', crafted],
      [`/api/v1/projects/${w.projectId}/tasks`, crafted2],
      [`/api/v1/projects/${w.projectId}/tasks?sort=priority`, crafted2],
      [`/api/v1/tasks/${task.id}/items`, crafted2],
    ] as const) {
      const res = await t.get(url, { token: w.owner.token, query: { cursor } });
      expect([url, res.status, res.body.code]).toEqual([url, 400, 'invalid_cursor']);
    }
  });

  it('refuses an import line nested 10,000 levels deep as a bad line', async () => {
    const w = await world(t, 1);
    const deep = `{"kind":"record","payload":{"x":${'['.repeat(10_000)}${']'.repeat(10_000)}}}`;
    const res = await t.request('POST', `/api/v1/datasets/${w.datasetId}/items`, { token: w.owner.token, payload: `${deep}\n`, contentType: 'application/x-ndjson' });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_import');
    expect(res.body.failed[0].line).toBe(1);
    const json = await t.request('POST', `/api/v1/datasets/${w.datasetId}/items`, { token: w.owner.token, payload: `[${deep}]`, contentType: 'application/json' });
    expect(json.status).toBe(400);
  });

  it('accepts only http and https instructionsUrl on recipes', async () => {
    const { id: projectId, owner } = await t.project();
    const base = { name: 'r', labels: [{ name: 'a' }], tools: ['classification'] };
    for (const url of ['javascript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'vbscript:x']) {
      const res = await t.post(`/api/v1/projects/${projectId}/recipes`, { ...base, instructionsUrl: url }, { token: owner.token });
      expect([url, res.status]).toEqual([url, 400]);
    }
    expect((await t.post(`/api/v1/projects/${projectId}/recipes`, { ...base, instructionsUrl: 'https://example.com/guide' }, { token: owner.token })).status).toBe(201);
  });
});

describe('cookie-authenticated writes from other sites', () => {
  const signIn = async (email: string) => {
    const res = await t.post('/api/v1/auth/login', { email, password: 'correct horse battery' }, { token: null });
    return String(res.headers['set-cookie']).split(';')[0]!;
  };

  it('refuses a cross-origin text/plain POST /lock carrying the session cookie (403 cross_origin), and takes a same-origin one', async () => {
    const w = await world(t, 1);
    const task = await createTask(t, w, {});
    const cookie = await signIn(w.manager.email);
    const forged = await t.request('POST', `/api/v1/tasks/${task.id}/lock`, { token: null, headers: { cookie, origin: 'https://evil.example' }, payload: 'x', contentType: 'text/plain' });
    expect(forged.status).toBe(403);
    expect(forged.body.code).toBe('cross_origin');
    const bySite = await t.request('POST', `/api/v1/tasks/${task.id}/lock`, { token: null, headers: { cookie, 'sec-fetch-site': 'cross-site' } });
    expect(bySite.status).toBe(403);
    expect((await t.get(`/api/v1/tasks/${task.id}`, { token: w.manager.token })).body.locked).toBe(false);
    const own = await t.request('POST', `/api/v1/tasks/${task.id}/lock`, { token: null, headers: { cookie, origin: 'http://localhost:80', host: 'localhost:80' } });
    expect(own.status).toBe(200);
  });

  it('sets the Secure cookie flag behind a TLS proxy when trustProxy is on', async () => {
    const { buildApp } = await import('../../src/api/app.ts');
    const { app } = await buildApp({ database: t.database, jobs: t.jobs, logger: false, trustProxy: true });
    const user = await t.user();
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'x-forwarded-proto': 'https', 'content-type': 'application/json' }, payload: JSON.stringify({ email: user.email, password: 'correct horse battery' }) });
    expect(res.statusCode).toBe(200);
    expect(String(res.headers['set-cookie'])).toMatch(/;\s*Secure/i);
    await app.close();
  });
});

describe('what the server publishes', () => {
  it('never serves the web app’s source maps, and serves /api/docs with a Content-Security-Policy', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const root = mkdtempSync(`${tmpdir()}/loupe-web-`);
    mkdirSync(`${root}/assets`);
    writeFileSync(`${root}/index.html`, '<!doctype html><title>app</title>');
    writeFileSync(`${root}/assets/app.js`, 'console.log(1)');
    writeFileSync(`${root}/assets/app.js.map`, '{"sources":["secret-source.ts"]}');
    const { buildApp } = await import('../../src/api/app.ts');
    const { app } = await buildApp({ database: t.database, jobs: t.jobs, logger: false, webRoot: root });
    try {
      expect((await app.inject({ method: 'GET', url: '/assets/app.js' })).statusCode).toBe(200);
      const map = await app.inject({ method: 'GET', url: '/assets/app.js.map' });
      expect(map.body).not.toContain('secret-source');
      const docs = await app.inject({ method: 'GET', url: '/api/docs/static/index.html' });
      expect(docs.headers['content-security-policy']).toBeTruthy();
    } finally {
      await app.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
