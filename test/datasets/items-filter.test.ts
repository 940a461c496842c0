import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../support/test-app.ts';

/** The item filter language, run against the real database through the list route. */
let t: TestApp;
let owner: TestUser;
let datasetId: string;
let ids: Record<string, string>;

const lines = [
  { externalId: 'a', kind: 'text', payload: { text: 'Hello World', lang: 'en' }, metadata: { score: 0.9, tags: ['red', 'blue'], source: 'crawl', nested: { level: 2 } } },
  { externalId: 'b', kind: 'text', payload: { text: 'bonjour' }, metadata: { score: 0.2, tags: ['green'], source: 'manual' } },
  { externalId: 'c', kind: 'image', payload: { url: 'https://e.com/c.png' }, metadata: { score: 0.5, source: null } },
  { kind: 'record', payload: { anything: 1 }, metadata: { score: 'high' } },
];

beforeAll(async () => {
  t = await createTestApp();
  const project = await t.project();
  owner = project.owner;
  datasetId = (await t.post(`/api/v1/projects/${project.id}/datasets`, { name: 'filters' }, { token: owner.token })).body.id;
  const res = await t.request('POST', `/api/v1/datasets/${datasetId}/items`, {
    payload: lines.map((l) => JSON.stringify(l)).join('\n'),
    contentType: 'application/x-ndjson',
    token: owner.token,
  });
  expect(res.body.created).toBe(4);
  const list = (await t.get(`/api/v1/datasets/${datasetId}/items`, { token: owner.token })).body.data;
  ids = Object.fromEntries(list.map((i: any) => [i.externalId ?? 'none', i.id]));
  await t.patch(`/api/v1/items/${ids.b}`, { draft: true }, { token: owner.token });
});
afterAll(() => t?.close());

async function matching(filter: unknown): Promise<string[]> {
  const res = await t.get(`/api/v1/datasets/${datasetId}/items`, { token: owner.token, query: { filter: JSON.stringify(filter) } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.data.map((i: any) => i.externalId ?? 'none').sort();
}

describe('GET /api/v1/datasets/:datasetId/items?filter=', () => {
  it('filters on columns: id, externalId, kind, draft, createdAt, updatedAt', async () => {
    expect(await matching({ field: 'id', op: 'eq', value: ids.a })).toEqual(['a']);
    expect(await matching({ field: 'id', op: 'in', value: [ids.a, ids.c] })).toEqual(['a', 'c']);
    expect(await matching({ field: 'externalId', op: 'ne', value: 'a' })).toEqual(['b', 'c', 'none']);
    expect(await matching({ field: 'externalId', op: 'exists', value: false })).toEqual(['none']);
    expect(await matching({ field: 'externalId', op: 'contains', value: 'B' })).toEqual(['b']);
    expect(await matching({ field: 'kind', op: 'eq', value: 'text' })).toEqual(['a', 'b']);
    expect(await matching({ field: 'kind', op: 'nin', value: ['text', 'image'] })).toEqual(['none']);
    expect(await matching({ field: 'draft', op: 'eq', value: true })).toEqual(['b']);
    expect(await matching({ field: 'draft', op: 'ne', value: true })).toEqual(['a', 'c', 'none']);
    expect(await matching({ field: 'createdAt', op: 'lt', value: '2000-01-01T00:00:00Z' })).toEqual([]);
    expect(await matching({ field: 'createdAt', op: 'gte', value: '2000-01-01T00:00:00Z' })).toEqual(['a', 'b', 'c', 'none']);
    expect(await matching({ field: 'updatedAt', op: 'gt', value: '2999-01-01T00:00:00Z' })).toEqual([]);
  });

  it('eq and ne on a JSON key (ne also matches items without the key)', async () => {
    expect(await matching({ field: 'metadata.source', op: 'eq', value: 'crawl' })).toEqual(['a']);
    expect(await matching({ field: 'metadata.source', op: 'eq', value: null })).toEqual(['c']);
    expect(await matching({ field: 'metadata.source', op: 'ne', value: 'crawl' })).toEqual(['b', 'c', 'none']);
    expect(await matching({ field: 'payload.lang', op: 'eq', value: 'en' })).toEqual(['a']);
    expect(await matching({ field: 'metadata.nested.level', op: 'eq', value: 2 })).toEqual(['a']);
  });

  it('in and nin on a JSON key', async () => {
    expect(await matching({ field: 'metadata.source', op: 'in', value: ['crawl', 'manual'] })).toEqual(['a', 'b']);
    expect(await matching({ field: 'metadata.source', op: 'nin', value: ['crawl'] })).toEqual(['b', 'c', 'none']);
  });

  it('gt, gte, lt, lte compare numbers with numbers only', async () => {
    expect(await matching({ field: 'metadata.score', op: 'gt', value: 0.5 })).toEqual(['a']);
    expect(await matching({ field: 'metadata.score', op: 'gte', value: 0.5 })).toEqual(['a', 'c']);
    expect(await matching({ field: 'metadata.score', op: 'lt', value: 0.5 })).toEqual(['b']);
    expect(await matching({ field: 'metadata.score', op: 'lte', value: 0.5 })).toEqual(['b', 'c']);
    expect(await matching({ field: 'metadata.score', op: 'gte', value: 'a' })).toEqual(['none']);
  });

  it('contains: a case-insensitive substring of a string, or an element of an array', async () => {
    expect(await matching({ field: 'payload.text', op: 'contains', value: 'world' })).toEqual(['a']);
    expect(await matching({ field: 'metadata.tags', op: 'contains', value: 'green' })).toEqual(['b']);
  });

  it('exists on a JSON key (a JSON null counts as present)', async () => {
    expect(await matching({ field: 'metadata.source', op: 'exists', value: true })).toEqual(['a', 'b', 'c']);
    expect(await matching({ field: 'metadata.tags', op: 'exists', value: false })).toEqual(['c', 'none']);
  });

  it('combines with and, or and not, where not is the exact complement', async () => {
    expect(await matching({ and: [{ field: 'kind', op: 'eq', value: 'text' }, { field: 'metadata.score', op: 'gt', value: 0.5 }] })).toEqual(['a']);
    expect(await matching({ or: [{ field: 'kind', op: 'eq', value: 'image' }, { field: 'draft', op: 'eq', value: true }] })).toEqual(['b', 'c']);
    expect(await matching({ not: { field: 'metadata.score', op: 'gt', value: 0.5 } })).toEqual(['b', 'c', 'none']);
  });

  it('treats SQL in values and in quoted keys as plain data', async () => {
    expect(await matching({ field: 'metadata.source', op: 'eq', value: "crawl' or '1'='1" })).toEqual([]);
    expect(await matching({ field: 'payload.text', op: 'contains', value: "%'; drop table items; --" })).toEqual([]);
    const refused = await t.get(`/api/v1/datasets/${datasetId}/items`, {
      token: owner.token,
      query: { filter: JSON.stringify({ field: "metadata.x' or 1=1 --", op: 'exists', value: true }) },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('invalid_filter');
    expect(await matching({ field: 'kind', op: 'in', value: ['text'] })).toEqual(['a', 'b']);
  });

  it('answers 400 invalid_filter to a filter that is not JSON or breaks the language', async () => {
    for (const filter of ['{', JSON.stringify({ field: 'secret', op: 'eq', value: 1 }), JSON.stringify({ field: 'kind', op: 'regex', value: '.*' })]) {
      const res = await t.get(`/api/v1/datasets/${datasetId}/items`, { token: owner.token, query: { filter } });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('invalid_filter');
    }
  });

  it('paginates filtered results with a keyset cursor', async () => {
    const filter = JSON.stringify({ field: 'externalId', op: 'exists', value: true });
    const first = await t.get(`/api/v1/datasets/${datasetId}/items`, { token: owner.token, query: { filter, limit: 2 } });
    expect(first.body.data.map((i: any) => i.externalId)).toEqual(['a', 'b']);
    const second = await t.get(`/api/v1/datasets/${datasetId}/items`, { token: owner.token, query: { filter, limit: 2, cursor: first.body.nextCursor } });
    expect(second.body.data.map((i: any) => i.externalId)).toEqual(['c']);
    expect(second.body.nextCursor).toBeNull();
  });
});
