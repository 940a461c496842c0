import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

describe('health', () => {
  it('answers GET /healthz with ok', async () => {
    const res = await t.get('/healthz', { token: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('answers GET /readyz when the database answers', async () => {
    const res = await t.get('/readyz', { token: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ready' });
  });
});

describe('API conventions', () => {
  it('answers unknown API routes with problem+json 404', async () => {
    const res = await t.get('/api/v1/no-such-thing');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body).toMatchObject({ status: 404, code: 'not_found', title: 'Not Found' });
  });

  it('refuses a JSON body above the size limit with 413 payload_too_large', async () => {
    const res = await t.post('/api/v1/projects', { name: 'x'.repeat(2 * 1024 * 1024) });
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('payload_too_large');
  });

  it('refuses a content type the route does not take with 415', async () => {
    const res = await t.request('POST', '/api/v1/projects', { payload: 'name=x', contentType: 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(415);
    expect(res.body.code).toBe('unsupported_media_type');
  });

  it('echoes a request id on every answer', async () => {
    const res = await t.get('/healthz', { token: null, headers: { 'x-request-id': 'trace-me-123' } });
    expect(res.headers['x-request-id']).toBe('trace-me-123');
  });

  it('serves an OpenAPI 3.1 document generated from the route schemas, and the docs UI', async () => {
    const doc = await t.get('/api/v1/openapi.json', { token: null });
    expect(doc.body.openapi).toBe('3.1.0');
    expect(doc.body.paths['/api/v1/projects'].post.requestBody).toBeDefined();
    const ui = await t.get('/api/docs', { token: null });
    expect([200, 302]).toContain(ui.status);
  });
});

describe('hostile input', () => {
  it('refuses a NUL character in a body or a query with 400 problem+json, writing nothing', async () => {
    const user = await t.user();
    const body = await t.post('/api/v1/projects', { name: 'bad\u0000name' }, { token: user.token });
    expect(body.status).toBe(400);
    expect(body.body.code).toBe('invalid_request');
    const query = await t.get('/api/v1/users', { query: { q: 'a\u0000b' } });
    expect(query.status).toBe(400);
    expect((await t.get('/api/v1/projects', { token: user.token })).body.data).toEqual([]);
  });

  it('answers an absurdly long path parameter with problem+json, not a bare 414', async () => {
    const res = await t.get(`/api/v1/projects/${'x'.repeat(600)}`);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body.code).toBe('not_found');
  });

  it('treats PATCH /api/v1/me with nothing to change as a no-op', async () => {
    const user = await t.user();
    const res = await t.patch('/api/v1/me', { unknown: 1 }, { token: user.token });
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(user.id);
  });
});

describe.runIf(Boolean(process.env.TEST_DATABASE_URL))('lost database connections (PostgreSQL)', () => {
  it('survives pg_terminate_backend of a connection in the middle of a query, and answers the next requests', async () => {
    const pool = t.database.pool!;
    const marker = `loupe_kill_me_${Date.now()}`;
    const sleeping = pool.query(`select pg_sleep(10) as ${marker}`).then(
      () => null,
      (error: Error) => error,
    );
    const killer = new pg.Client({ connectionString: inject('testDatabaseUrl') });
    await killer.connect();
    let killed = 0;
    for (let i = 0; i < 50 && !killed; i++) {
      const res = await killer.query(`select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where query like '%' || $1 || '%' and pid <> pg_backend_pid()`, [marker]);
      killed = res.rows[0].n;
      if (!killed) await new Promise((r) => setTimeout(r, 50));
    }
    await killer.end();
    expect(killed).toBe(1);
    expect(await sleeping).toBeInstanceOf(Error);
    await new Promise((r) => setTimeout(r, 200));
    // Had the dead connection's error event gone unhandled, this process (and this test) would be gone.
    const after = [];
    for (let i = 0; i < 4; i++) after.push((await t.get('/readyz', { token: null })).status);
    expect(after).toEqual([200, 200, 200, 200]);
  });
});
