import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { applySpanRetention } from '../../src/traces/retention.job.ts';
import { readSpans } from '../../src/traces/spans.service.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

let counter = 0;
const id = (bytes: number) => (++counter).toString(16).padStart(bytes * 2, 'a');
const kv = (key: string, value: string | number | boolean) => ({
  key,
  value: typeof value === 'string' ? { stringValue: value } : typeof value === 'boolean' ? { boolValue: value } : Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value },
});

interface SpanSpec {
  traceId: string;
  name: string;
  startMs: number;
  durationMs?: number;
  parentSpanId?: string;
  attributes?: Record<string, string | number | boolean>;
  error?: boolean;
}

/** Sends OTLP JSON spans with an ingest token (the SDK tests cover the exporters themselves). */
async function send(token: string, specs: SpanSpec[]) {
  const spans = specs.map((s) => ({
    traceId: s.traceId,
    spanId: id(8),
    ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
    name: s.name,
    kind: 1,
    startTimeUnixNano: String(BigInt(s.startMs) * 1_000_000n),
    endTimeUnixNano: String(BigInt(s.startMs + (s.durationMs ?? 10)) * 1_000_000n),
    attributes: Object.entries(s.attributes ?? {}).map(([k, v]) => kv(k, v)),
    status: { code: s.error ? 2 : 0 },
  }));
  const res = await t.request('POST', '/v1/traces', { token, payload: JSON.stringify({ resourceSpans: [{ resource: { attributes: [kv('service.name', 'svc')] }, scopeSpans: [{ spans }] }] }), contentType: 'application/json' });
  expect(res.status).toBe(200);
  return spans;
}

async function project() {
  const p = await t.project();
  const token = (await t.post(`/api/v1/projects/${p.id}/ingest-tokens`, { name: 'x' }, { token: p.owner.token })).body.token as string;
  return { ...p, ingest: token };
}

describe('GET /api/v1/projects/:projectId/spans', () => {
  it('filters by span kind, model, trace, time range and attributes, newest first', async () => {
    const p = await project();
    const base = Date.now() - 60_000;
    const trace1 = id(16);
    const trace2 = id(16);
    await send(p.ingest, [
      { traceId: trace1, name: 'chain', startMs: base, attributes: { 'openinference.span.kind': 'CHAIN' } },
      { traceId: trace1, name: 'gpt', startMs: base + 1000, attributes: { 'openinference.span.kind': 'LLM', 'llm.model_name': 'gpt-4o', 'llm.provider': 'openai', 'llm.token_count.total': 40 } },
      { traceId: trace2, name: 'claude', startMs: base + 2000, durationMs: 900, attributes: { 'openinference.span.kind': 'LLM', 'llm.model_name': 'claude-3', 'llm.provider': 'anthropic', 'user.tier': 'gold' }, error: true },
    ]);
    const q = async (query: Record<string, string>) => {
      const res = await t.get(`/api/v1/projects/${p.id}/spans`, { token: p.owner.token, query });
      expect(res.status).toBe(200);
      return res.body.data.map((s: any) => s.name);
    };
    expect(await q({})).toEqual(['claude', 'gpt', 'chain']);
    expect(await q({ spanKind: 'LLM' })).toEqual(['claude', 'gpt']);
    expect(await q({ spanKind: 'llm', model: 'gpt-4o' })).toEqual(['gpt']);
    expect(await q({ traceId: trace1 })).toEqual(['gpt', 'chain']);
    expect(await q({ from: new Date(base + 500).toISOString(), to: new Date(base + 1500).toISOString() })).toEqual(['gpt']);
    expect(await q({ filter: JSON.stringify({ field: 'attributes.llm.provider', op: 'eq', value: 'anthropic' }) })).toEqual(['claude']);
    expect(await q({ filter: JSON.stringify({ and: [{ field: 'durationMs', op: 'gt', value: 100 }, { field: 'statusCode', op: 'eq', value: 'error' }] }) })).toEqual(['claude']);
    expect(await q({ filter: JSON.stringify({ field: 'totalTokens', op: 'gte', value: 40 }) })).toEqual(['gpt']);
    const bad = await t.get(`/api/v1/projects/${p.id}/spans`, { token: p.owner.token, query: { filter: JSON.stringify({ field: 'nope', op: 'eq', value: 1 }) } });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('invalid_filter');
    // Without an evaluations port, a label filter matches nothing and spans carry no results.
    expect(await q({ evalLabel: 'correct' })).toEqual([]);
  });

  it('pages with a keyset cursor through spans that share a start time, without repeats', async () => {
    const p = await project();
    const at = Date.now() - 30_000;
    const traceId = id(16);
    await send(p.ingest, Array.from({ length: 7 }, (_, i) => ({ traceId, name: `s${i}`, startMs: i < 4 ? at : at + 1 })));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await t.get(`/api/v1/projects/${p.id}/spans`, { token: p.owner.token, query: { limit: 2, ...(cursor ? { cursor } : {}) } });
      seen.push(...res.body.data.map((s: any) => s.spanId));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(7);
    expect(new Set(seen).size).toBe(7);
  });

  it('reads spans oldest first with payloads for evaluators (readSpans)', async () => {
    const p = await project();
    const base = Date.now() - 10_000;
    const traceId = id(16);
    await send(p.ingest, [
      { traceId, name: 'a', startMs: base, attributes: { 'input.value': 'in-a', 'output.value': 'out-a', 'openinference.span.kind': 'LLM' } },
      { traceId, name: 'b', startMs: base + 5, attributes: { 'openinference.span.kind': 'LLM', 'llm.provider': 'x' } },
    ]);
    const rows = await readSpans(t.ctx.db, p.id, { limit: 10, withPayload: true, spanKind: 'LLM' });
    expect(rows.map((r) => [r.name, r.inputValue, r.outputValue])).toEqual([['a', 'in-a', 'out-a'], ['b', null, null]]);
    const filtered = await readSpans(t.ctx.db, p.id, { limit: 10, attributes: { 'llm.provider': 'x' } });
    expect(filtered.map((r) => r.name)).toEqual(['b']);
    const after = await readSpans(t.ctx.db, p.id, { limit: 10, after: { startTime: rows[0]!.startTime, traceId: rows[0]!.traceId, spanId: rows[0]!.spanId } });
    expect(after.map((r) => r.name)).toEqual(['b']);
    expect(rows[0]).not.toHaveProperty('attributes.input');
  });
});

describe('POST /api/v1/projects/:projectId/spans/to-dataset', () => {
  it('adds spans as trace items once, by id or by filter', async () => {
    const p = await project();
    const traceId = id(16);
    const spans = await send(p.ingest, [
      { traceId, name: 'q1', startMs: Date.now() - 5000, attributes: { 'openinference.span.kind': 'LLM', 'input.value': 'hello', 'output.value': 'hi' } },
      { traceId, name: 'q2', startMs: Date.now() - 4000, attributes: { 'openinference.span.kind': 'CHAIN' } },
    ]);
    const dataset = (await t.post(`/api/v1/projects/${p.id}/datasets`, { name: 'from traces' }, { token: p.owner.token })).body.id;
    const first = await t.post(`/api/v1/projects/${p.id}/spans/to-dataset`, { datasetId: dataset, spanIds: [spans[0]!.spanId] }, { token: p.owner.token });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ matched: 1, created: 1, existing: 0 });
    const byFilter = await t.post(`/api/v1/projects/${p.id}/spans/to-dataset`, { datasetId: dataset, filter: { field: 'traceId', op: 'eq', value: traceId } }, { token: p.owner.token });
    expect(byFilter.body).toEqual({ matched: 2, created: 1, existing: 1 });
    const again = await t.post(`/api/v1/projects/${p.id}/spans/to-dataset`, { datasetId: dataset, filter: { field: 'traceId', op: 'eq', value: traceId } }, { token: p.owner.token });
    expect(again.body).toEqual({ matched: 2, created: 0, existing: 2 });
    const items = await t.get(`/api/v1/datasets/${dataset}/items`, { token: p.owner.token });
    expect(items.body.data).toHaveLength(2);
    expect(items.body.data.every((i: any) => i.kind === 'trace')).toBe(true);
    expect((await t.get(`/api/v1/datasets/${dataset}`, { token: p.owner.token })).body.itemCount).toBe(2);
    const item = await t.get(`/api/v1/items/${items.body.data.find((i: any) => i.externalId?.endsWith(spans[0]!.spanId)).id}`, { token: p.owner.token });
    expect(item.body.payload).toMatchObject({ traceId, spanId: spans[0]!.spanId, input: 'hello', output: 'hi' });
  });

  it('refuses a dataset of another project with 404 and writes nothing', async () => {
    const p = await project();
    const other = await t.project();
    const foreign = (await t.post(`/api/v1/projects/${other.id}/datasets`, { name: 'theirs' }, { token: other.owner.token })).body.id;
    await send(p.ingest, [{ traceId: id(16), name: 'x', startMs: Date.now() - 1000 }]);
    const res = await t.post(`/api/v1/projects/${p.id}/spans/to-dataset`, { datasetId: foreign, filter: { field: 'name', op: 'eq', value: 'x' } }, { token: p.owner.token });
    expect(res.status).toBe(404);
    expect((await t.get(`/api/v1/datasets/${foreign}`, { token: other.owner.token })).body.itemCount).toBe(0);
  });
});

describe('span retention', () => {
  it('drops whole daily partitions past the retention and keeps the rest', async () => {
    const p = await project();
    const traceId = id(16);
    await send(p.ingest, [{ traceId, name: 'recent', startMs: Date.now() - 1000 }]);
    await t.ctx.db.execute(sql`select loupe_spans_ensure_partitions('2020-01-01', '2020-01-02')`);
    const before = await t.ctx.db.execute<{ n: number }>(sql`select count(*)::int as n from pg_class where relname in ('spans_p20200101', 'spans_p20200102')`);
    expect(Number((before as any).rows[0].n)).toBe(2);
    const result = await applySpanRetention(t.ctx, 30);
    expect(result.droppedPartitions).toBeGreaterThanOrEqual(2);
    const after = await t.ctx.db.execute<{ n: number }>(sql`select count(*)::int as n from pg_class where relname in ('spans_p20200101', 'spans_p20200102')`);
    expect(Number((after as any).rows[0].n)).toBe(0);
    expect((await t.get(`/api/v1/projects/${p.id}/spans`, { token: p.owner.token })).body.data).toHaveLength(1);
  });

  it('rejects spans older than the retention window through partialSuccess', async () => {
    const p = await project();
    const old = Date.now() - 40 * 86_400_000;
    const res = await t.request('POST', '/v1/traces', {
      token: p.ingest,
      contentType: 'application/json',
      payload: JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: id(16), spanId: id(8), name: 'old', startTimeUnixNano: String(BigInt(old) * 1_000_000n), endTimeUnixNano: String(BigInt(old) * 1_000_000n) }] }] }] }),
    });
    expect(res.status).toBe(200);
    expect(res.body.partialSuccess).toMatchObject({ rejectedSpans: '1' });
  });
});
