import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, unique, type TestApp } from '../support/test-app.ts';

/**
 * The same create request retried in parallel with one Idempotency-Key yields one object and
 * one answer, however many copies arrive at once; so does the same annotation save (same id).
 */
const COPIES = 40;
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

describe('Idempotency-Key under parallel retries', () => {
  it('creates one dataset for 40 parallel copies of one create request, and every copy gets its answer', async () => {
    const p = await t.project();
    const key = unique('key');
    const results = await Promise.all(
      Array.from({ length: COPIES }, () => t.post(`/api/v1/projects/${p.id}/datasets`, { name: 'once' }, { token: p.owner.token, headers: { 'idempotency-key': key } })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(COPIES).fill(201));
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    const listed = await t.get(`/api/v1/projects/${p.id}/datasets`, { token: p.owner.token });
    expect(listed.body.data.filter((d: { name: string }) => d.name === 'once')).toHaveLength(1);
    const later = await t.post(`/api/v1/projects/${p.id}/datasets`, { name: 'once' }, { token: p.owner.token, headers: { 'idempotency-key': key } });
    expect(later.body.id).toBe(results[0]!.body.id);
    expect(later.headers['idempotent-replayed']).toBe('true');
  });

  it('creates one project for 40 parallel copies, and a different body under the same key is refused', async () => {
    const owner = await t.user();
    const key = unique('key');
    const name = unique('idem-project');
    const results = await Promise.all(Array.from({ length: COPIES }, () => t.post('/api/v1/projects', { name }, { token: owner.token, headers: { 'idempotency-key': key } })));
    expect(new Set(results.map((r) => r.status))).toEqual(new Set([201]));
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    const mine = await t.get('/api/v1/projects', { token: owner.token, query: { limit: 500 } });
    expect(mine.body.data.filter((x: { name: string }) => x.name === name)).toHaveLength(1);
    const reused = await t.post('/api/v1/projects', { name: `${name}-other` }, { token: owner.token, headers: { 'idempotency-key': key } });
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe('idempotency_key_reused');
  });

  it('keeps one key per user: the same key from two users creates two objects', async () => {
    const p = await t.project();
    const manager = await t.member(p.id, 'manager');
    const key = unique('key');
    const [a, b] = await Promise.all([
      t.post(`/api/v1/projects/${p.id}/datasets`, { name: 'per-user' }, { token: p.owner.token, headers: { 'idempotency-key': key } }),
      t.post(`/api/v1/projects/${p.id}/datasets`, { name: 'per-user' }, { token: manager.token, headers: { 'idempotency-key': key } }),
    ]);
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(a.body.id).not.toBe(b.body.id);
  });
});
