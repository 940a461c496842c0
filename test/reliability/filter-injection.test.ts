import fc from 'fast-check';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { hostileString, hostileStrings } from './support/schema-arbitrary.ts';
import { projectRowCounts } from './support/project-rows.ts';

/**
 * Hostile filter trees against the item filter language, through the routes that take one:
 * refused with 400 `invalid_filter` or answered correctly, always within a bounded time, and
 * never changing a row.
 */
const BOUND_MS = 2000;
let t: TestApp;
let projectId: string;
let datasetId: string;
let owner: { token: string };
const ITEMS = 40;

beforeAll(async () => {
  t = await createTestApp();
  const p = await t.project();
  projectId = p.id;
  owner = p.owner;
  datasetId = (await t.post(`/api/v1/projects/${projectId}/datasets`, { name: 'filters' }, { token: owner.token })).body.id;
  const lines = Array.from({ length: ITEMS }, (_, i) =>
    JSON.stringify({ kind: 'text', payload: { text: `item ${i}` }, metadata: { lang: i % 2 ? 'de' : "o'brien", n: i, tags: ['a', `t${i % 3}`] } }),
  ).join('\n');
  const res = await t.request('POST', `/api/v1/datasets/${datasetId}/items`, { token: owner.token, payload: lines, contentType: 'application/x-ndjson' });
  expect(res.status).toBeLessThan(300);
});
afterAll(() => t?.close());

async function list(filter: unknown) {
  const raw = typeof filter === 'string' ? filter : JSON.stringify(filter);
  const t0 = performance.now();
  const res = await t.get(`/api/v1/datasets/${datasetId}/items`, { token: owner.token, query: { filter: raw, limit: 500 } });
  return { ...res, ms: performance.now() - t0 };
}

/** A filter nested `depth` levels deep, as JSON text (built as text: deep objects overflow JSON.stringify). */
const nest = (depth: number, leaf: unknown, kinds = ['not', 'and', 'or']) => {
  let open = '';
  let close = '';
  for (let i = 0; i < depth; i++) {
    const kind = kinds[i % kinds.length]!;
    open += kind === 'not' ? '{"not":' : `{"${kind}":[`;
    close = (kind === 'not' ? '}' : ']}') + close;
  }
  return open + JSON.stringify(leaf) + close;
};

describe('filter injection on GET /api/v1/datasets/{datasetId}/items?filter=', () => {
  it('refuses unknown fields, operators and SQL in keys with 400 invalid_filter', async () => {
    const hostile = [
      { field: 'password_hash', op: 'eq', value: 'x' },
      { field: 'payload', op: 'eq', value: 'x' },
      { field: 'metadata', op: 'eq', value: 'x' },
      { field: "metadata.lang'; drop table items; --", op: 'eq', value: 'x' },
      { field: 'metadata.lang") or true --', op: 'eq', value: 'x' },
      { field: 'metadata.a.b.c.d.e', op: 'eq', value: 'x' },
      { field: 'kind', op: 'like', value: '%' },
      { field: 'kind', op: 'eq; select 1', value: 'text' },
      { field: 'kind', op: 'eq', value: { $gt: '' } },
      { field: 'createdAt', op: 'contains', value: '2020' },
      { and: 'select 1' },
      { or: [{ field: 'kind', op: 'eq', value: 'text' }], and: [] },
      { not: [] },
      [],
      null,
      42,
      'kind = text',
    ];
    const failures: string[] = [];
    for (const filter of hostile) {
      const res = await list(filter);
      if (res.status !== 400 || res.body?.code !== 'invalid_filter') failures.push(`${JSON.stringify(filter)} -> ${res.status} ${res.body?.code}`);
      if (res.ms > BOUND_MS) failures.push(`${JSON.stringify(filter)} took ${res.ms.toFixed(0)} ms`);
    }
    expect(failures).toEqual([]);
  });

  it('binds hostile values as data: SQL in a value matches only items whose value is that text', async () => {
    const quoted = await list({ field: 'metadata.lang', op: 'eq', value: "o'brien" });
    expect(quoted.status).toBe(200);
    expect(quoted.body.data).toHaveLength(ITEMS / 2);
    for (const value of hostileStrings.filter((s) => s.length <= 1000)) {
      for (const op of ['eq', 'contains', 'in', 'gt']) {
        const res = await list({ field: 'metadata.lang', op, value: op === 'in' ? [value] : value });
        if (value.includes('\u0000')) {
          expect([200, 400]).toContain(res.status);
          continue;
        }
        expect(res.status, `${op} ${JSON.stringify(value)}`).toBe(200);
        const expected = op === 'gt' ? res.body.data.length : 0; // `gt` compares text: only checked for being answered
        if (op !== 'gt') expect(res.body.data, `${op} ${JSON.stringify(value)}`).toHaveLength(expected);
        expect(res.ms).toBeLessThan(BOUND_MS);
      }
    }
    const after = await list({ field: 'kind', op: 'eq', value: 'text' });
    expect(after.body.data).toHaveLength(ITEMS);
  });

  it('refuses filters nested past the limit, even thousands of levels deep, in bounded time', async () => {
    const leaf = { field: 'kind', op: 'eq', value: 'text' };
    const notOnly = nest(1500, leaf, ['not']); // ~12,000 characters: inside the text limit
    for (const [name, filter] of [['7 levels', nest(7, leaf)], ['50 levels', nest(50, leaf)], ['1,500 levels of not', notOnly]] as const) {
      const res = await list(filter);
      expect(res.status, name).toBe(400);
      expect(res.body.code, name).toBe('invalid_filter');
      expect(res.ms).toBeLessThan(BOUND_MS);
    }
    // Past the 16,000-character limit the text is refused before it is parsed.
    const tooLong = await list(nest(3000, leaf));
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.code).toBe('invalid_filter');
    const ok = await list(nest(5, { field: 'kind', op: 'eq', value: 'text' }));
    expect(ok.status).toBe(200);
    expect(ok.body.data).toHaveLength(ITEMS);
  });

  it('answers an `in` list at the limit in bounded time and refuses a larger one', async () => {
    const values = Array.from({ length: 1000 }, (_, i) => `v${i}`);
    const atLimit = await list({ field: 'metadata.lang', op: 'in', value: [...values.slice(0, 999), 'de'] });
    expect(atLimit.status).toBe(200);
    expect(atLimit.body.data).toHaveLength(ITEMS / 2);
    expect(atLimit.ms).toBeLessThan(BOUND_MS);
    const over = await list({ field: 'metadata.lang', op: 'in', value: [...values, 'de'] });
    expect(over.status).toBe(400);
    expect(over.body.code).toBe('invalid_filter');
    const huge = await list({ field: 'id', op: 'in', value: Array.from({ length: 100_000 }, (_, i) => String(i)) });
    expect(huge.status).toBe(400);
    expect(huge.ms).toBeLessThan(BOUND_MS);
  });

  it('answers random hostile filter trees with 200 or 400 invalid_filter, in bounded time, changing nothing', async () => {
    const before = await projectRowCounts(t.ctx.db, projectId);
    const field = fc.oneof(
      fc.constantFrom('id', 'externalId', 'kind', 'draft', 'createdAt', 'metadata.lang', 'metadata.n', 'metadata.tags', 'payload.text', 'metadata'),
      hostileString().map((s) => `metadata.${s}`),
      hostileString(),
    );
    const scalar = fc.oneof(hostileString(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
    const value = fc.oneof(scalar, fc.array(scalar, { maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }));
    const op = fc.oneof(fc.constantFrom('eq', 'ne', 'in', 'nin', 'gt', 'gte', 'lt', 'lte', 'contains', 'exists'), hostileString());
    const tree = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.record({ field, op, value }),
        fc.record({ and: fc.array(tie('node'), { maxLength: 4 }) }),
        fc.record({ or: fc.array(tie('node'), { maxLength: 4 }) }),
        fc.record({ not: tie('node') }),
        fc.jsonValue({ maxDepth: 3 }),
      ),
    })).node;
    const failures: string[] = [];
    await fc.assert(
      fc.asyncProperty(tree, async (filter) => {
        const res = await list(filter);
        const ok = res.status === 200 || (res.status === 400 && res.body?.code === 'invalid_filter');
        if (!ok) failures.push(`${JSON.stringify(filter).slice(0, 300)} -> ${res.status} ${res.body?.code}`);
        if (res.ms > BOUND_MS) failures.push(`${JSON.stringify(filter).slice(0, 300)} took ${res.ms.toFixed(0)} ms`);
        return failures.length < 10;
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 25) * 12 },
    );
    expect(failures).toEqual([]);
    expect(await projectRowCounts(t.ctx.db, projectId)).toEqual(before);
  });
});
