import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
