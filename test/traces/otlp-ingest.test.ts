import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { exportSpans, jsonExporter, llmTrace, protoExporter } from './otel-client.ts';

const require = createRequire(import.meta.url);
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root.js');
const v1 = root.opentelemetry.proto.collector.trace.v1;

const MAX_BYTES = 200_000;
let t: TestApp;
let url: string;
const saved = { ...process.env };

beforeAll(async () => {
  process.env.LOUPE_OTLP_MAX_BYTES = String(MAX_BYTES);
  process.env.LOUPE_OTLP_MAX_INFLIGHT = '2';
  t = await createTestApp();
  process.env = saved;
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(async () => {
  await t.close();
});

async function projectWithToken() {
  const p = await t.project();
  const res = await t.post(`/api/v1/projects/${p.id}/ingest-tokens`, { name: 'prod' }, { token: p.owner.token });
  expect(res.status).toBe(201);
  return { ...p, ingest: res.body.token as string, tokenId: res.body.id as string };
}

/** A raw POST to the listening server (for bodies the SDK would never send). */
function post(path: string, body: Buffer | string, headers: Record<string, string>) {
  return fetch(`${url}${path}`, { method: 'POST', body: body as unknown as string, headers });
}

const hex = (n: number) => Array.from({ length: n }, (_, i) => ((i * 7 + 3) % 16).toString(16)).join('');
const nowNs = () => String(BigInt(Date.now()) * 1_000_000n);

describe('POST /v1/traces with the OpenTelemetry SDK', () => {
  it('stores spans sent as gzipped protobuf and reads them back through the API', async () => {
    const p = await projectWithToken();
    const spans = llmTrace({ model: 'gpt-4o-mini', input: 'Capital of France?', output: 'Paris' });
    const result = await exportSpans(protoExporter(url, p.ingest, 'gzip'), spans);
    expect(result).toEqual({ ok: true });
    const traceId = spans[0]!.spanContext().traceId;

    const list = await t.get(`/api/v1/projects/${p.id}/spans`, { token: p.owner.token });
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(3);
    const llm = list.body.data.find((s: any) => s.name === 'llm-call');
    expect(llm).toMatchObject({ traceId, spanKind: 'LLM', otelKind: 'client', model: 'gpt-4o-mini', promptTokens: 12, completionTokens: 3, totalTokens: 15, statusCode: 'unset', serviceName: 'chatbot', evaluations: [] });
    expect(llm.attributes.llm.provider).toBe('openai');
    // Payloads are not in lists.
    expect(JSON.stringify(list.body)).not.toContain('Capital of France?');

    const one = await t.get(`/api/v1/projects/${p.id}/traces/${traceId}`, { token: p.owner.token });
    expect(one.status).toBe(200);
    expect(one.body.spans).toHaveLength(3);
    const root = one.body.spans.find((s: any) => s.parentSpanId === null);
    expect(root).toMatchObject({ name: 'answer-question', spanKind: 'CHAIN', statusCode: 'ok', input: 'Capital of France?', output: 'Paris' });
    const llmFull = one.body.spans.find((s: any) => s.name === 'llm-call');
    expect(llmFull.parentSpanId).toBe(root.spanId);
    expect(llmFull.events).toEqual([expect.objectContaining({ name: 'first-token', attributes: { gen_ai: { latency_ms: 42 } } })]);
    expect(llmFull.resource.service.name).toBe('chatbot');

    const traces = await t.get(`/api/v1/projects/${p.id}/traces`, { token: p.owner.token });
    expect(traces.body.data).toEqual([expect.objectContaining({ traceId, rootName: 'answer-question', spanCount: 3, model: 'gpt-4o-mini', totalTokens: 15, statusCode: 'ok' })]);
  });

  it('stores spans sent as OTLP JSON (hex ids, string int64) and as gzipped JSON', async () => {
    const p = await projectWithToken();
    const plain = llmTrace({ model: 'claude' });
    const zipped = llmTrace({ model: 'mistral', error: true });
    expect(await exportSpans(jsonExporter(url, p.ingest, 'none'), plain)).toEqual({ ok: true });
    expect(await exportSpans(jsonExporter(url, p.ingest, 'gzip'), zipped)).toEqual({ ok: true });
    const traces = await t.get(`/api/v1/projects/${p.id}/traces`, { token: p.owner.token });
    expect(traces.body.data.map((x: any) => [x.model, x.statusCode, x.errorCount]).sort()).toEqual([['claude', 'ok', 0], ['mistral', 'error', 2]]);
    const errors = await t.get(`/api/v1/projects/${p.id}/traces`, { token: p.owner.token, query: { status: 'error' } });
    expect(errors.body.data.map((x: any) => x.model)).toEqual(['mistral']);
  });

  it('deduplicates a resend: the same spans sent twice are stored and counted once', async () => {
    const p = await projectWithToken();
    const spans = llmTrace();
    const exporter = protoExporter(url, p.ingest);
    expect(await exportSpans(exporter, spans)).toEqual({ ok: true });
    expect(await exportSpans(exporter, spans)).toEqual({ ok: true });
    expect(await exportSpans(jsonExporter(url, p.ingest), spans)).toEqual({ ok: true });
    const list = await t.get(`/api/v1/projects/${p.id}/spans`, { token: p.owner.token });
    expect(list.body.data).toHaveLength(3);
    const traces = await t.get(`/api/v1/projects/${p.id}/traces`, { token: p.owner.token });
    expect(traces.body.data).toEqual([expect.objectContaining({ spanCount: 3, totalTokens: 15 })]);
  });

  it('deduplicates concurrent resends of one batch', async () => {
    const p = await projectWithToken();
    const spans = llmTrace();
    const results = await Promise.all([0, 1].map(() => exportSpans(jsonExporter(url, p.ingest), spans)));
    expect(results.every((r) => r.ok)).toBe(true);
    const traces = await t.get(`/api/v1/projects/${p.id}/traces`, { token: p.owner.token });
    expect(traces.body.data).toEqual([expect.objectContaining({ spanCount: 3 })]);
  });
});

describe('POST /v1/traces refusals', () => {
  it('answers partialSuccess for the spans it rejects and keeps the others (JSON)', async () => {
    const p = await projectWithToken();
    const good = { traceId: hex(32), spanId: hex(16), name: 'ok', kind: 1, startTimeUnixNano: nowNs(), endTimeUnixNano: nowNs() };
    const badId = { ...good, traceId: 'zz', spanId: '1111111111111111' };
    const noEnd = { ...good, spanId: '2222222222222222', endTimeUnixNano: undefined };
    const body = JSON.stringify({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans: [good, badId, noEnd] }] }] });
    const res = await post('/v1/traces', body, { authorization: `Bearer ${p.ingest}`, 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    const answer = (await res.json()) as { partialSuccess: { rejectedSpans: string; errorMessage: string } };
    expect(answer.partialSuccess.rejectedSpans).toBe('2');
    expect(answer.partialSuccess.errorMessage).toMatch(/traceId/);
    expect(answer.partialSuccess.errorMessage).toMatch(/endTimeUnixNano/);
    const list = await t.get(`/api/v1/projects/${p.id}/spans`, { token: p.owner.token });
    expect(list.body.data.map((s: any) => s.spanId)).toEqual([good.spanId]);
  });

  it('answers a protobuf ExportTraceServiceResponse with partialSuccess to a protobuf request', async () => {
    const p = await projectWithToken();
    const start = BigInt(Date.now()) * 1_000_000n;
    const request = v1.ExportTraceServiceRequest.fromObject({
      resourceSpans: [{ scopeSpans: [{ spans: [
        { traceId: Buffer.from(hex(32), 'hex'), spanId: Buffer.from(hex(16), 'hex'), name: 'fine', startTimeUnixNano: String(start), endTimeUnixNano: String(start + 5_000_000n) },
        { traceId: Buffer.alloc(16), spanId: Buffer.from(hex(16), 'hex'), name: 'zero trace id', startTimeUnixNano: String(start), endTimeUnixNano: String(start) },
      ] }] }],
    });
    const res = await post('/v1/traces', Buffer.from(v1.ExportTraceServiceRequest.encode(request).finish()), { authorization: `Bearer ${p.ingest}`, 'content-type': 'application/x-protobuf' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/x-protobuf');
    const answer = v1.ExportTraceServiceResponse.toObject(v1.ExportTraceServiceResponse.decode(new Uint8Array(await res.arrayBuffer())), { longs: Number });
    expect(answer.partialSuccess.rejectedSpans).toBe(1);
    const list = await t.get(`/api/v1/projects/${p.id}/spans`, { token: p.owner.token });
    expect(list.body.data).toEqual([expect.objectContaining({ name: 'fine', durationMs: 5 })]);
  });

  it('answers 400 to a body that does not decode, in either encoding', async () => {
    const p = await projectWithToken();
    const auth = { authorization: `Bearer ${p.ingest}` };
    expect((await post('/v1/traces', Buffer.from([0xff, 0xff, 0xff, 0x0f, 0x01]), { ...auth, 'content-type': 'application/x-protobuf' })).status).toBe(400);
    const bad = await post('/v1/traces', '{"resourceSpans": [', { ...auth, 'content-type': 'application/json' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 3 });
    expect((await post('/v1/traces', Buffer.from('not gzip'), { ...auth, 'content-type': 'application/json', 'content-encoding': 'gzip' })).status).toBe(400);
    expect((await post('/v1/traces', 'x', { ...auth, 'content-type': 'text/plain' })).status).toBe(415);
  });

  it('answers 401 to a missing, unknown or revoked token, and the SDK reports the failure', async () => {
    const p = await projectWithToken();
    expect((await post('/v1/traces', '{}', { 'content-type': 'application/json' })).status).toBe(401);
    expect((await post('/v1/traces', '{}', { authorization: 'Bearer lpi_nope', 'content-type': 'application/json' })).status).toBe(401);
    // An API token is not an ingest token.
    expect((await post('/v1/traces', '{}', { authorization: `Bearer ${p.owner.token}`, 'content-type': 'application/json' })).status).toBe(401);
    expect((await post('/v1/traces', '{}', { authorization: `Bearer ${p.ingest}`, 'content-type': 'application/json' })).status).toBe(200);
    const revoked = await t.delete(`/api/v1/projects/${p.id}/ingest-tokens/${p.tokenId}`, { token: p.owner.token });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    expect((await post('/v1/traces', '{}', { authorization: `Bearer ${p.ingest}`, 'content-type': 'application/json' })).status).toBe(401);
    const result = await exportSpans(protoExporter(url, p.ingest), llmTrace());
    expect(result.ok).toBe(false);
  });

  it('answers 413 above LOUPE_OTLP_MAX_BYTES, compressed or once decompressed', async () => {
    const p = await projectWithToken();
    const auth = { authorization: `Bearer ${p.ingest}`, 'content-type': 'application/json' };
    const big = JSON.stringify({ resourceSpans: [], padding: 'x'.repeat(MAX_BYTES) });
    expect((await post('/v1/traces', big, auth)).status).toBe(413);
    const bomb = gzipSync(Buffer.from(big));
    expect(bomb.length).toBeLessThan(MAX_BYTES);
    const res = await post('/v1/traces', bomb, { ...auth, 'content-encoding': 'gzip' });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: 8 });
    // Just under the limit is fine.
    const fits = gzipSync(Buffer.from(JSON.stringify({ resourceSpans: [], padding: 'x'.repeat(MAX_BYTES - 100) })));
    expect((await post('/v1/traces', fits, { ...auth, 'content-encoding': 'gzip' })).status).toBe(200);
  });

  it('sheds load above LOUPE_OTLP_MAX_INFLIGHT with 429 and Retry-After', async () => {
    const p = await projectWithToken();
    const port = new URL(url).port;
    // Two requests whose bodies never finish hold both slots.
    const held = [0, 1].map(() => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/v1/traces', method: 'POST', headers: { authorization: `Bearer ${p.ingest}`, 'content-type': 'application/json', 'content-length': '2' } });
      req.on('error', () => {});
      req.write('{');
      return req;
    });
    await new Promise((r) => setTimeout(r, 300));
    const shed = await post('/v1/traces', '{}', { authorization: `Bearer ${p.ingest}`, 'content-type': 'application/json' });
    expect(shed.status).toBe(429);
    expect(shed.headers.get('retry-after')).toBe('1');
    const answers = held.map((req) => new Promise<number>((resolve) => req.on('response', (r) => { r.resume(); resolve(r.statusCode ?? 0); })));
    for (const req of held) req.end('}');
    expect(await Promise.all(answers)).toEqual([200, 200]);
    expect((await post('/v1/traces', '{}', { authorization: `Bearer ${p.ingest}`, 'content-type': 'application/json' })).status).toBe(200);
  });
});

describe('POST /v1/traces when storage is unavailable', () => {
  it('answers 503 with Retry-After and an UNAVAILABLE status (protobuf and JSON), so exporters retry later', async () => {
    const down = await createTestApp();
    try {
      await down.app.listen({ port: 0, host: '127.0.0.1' });
      const address = down.app.server.address();
      const downUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      const p = await down.project();
      const token = (await down.post(`/api/v1/projects/${p.id}/ingest-tokens`, { name: 'prod' }, { token: p.owner.token })).body.token as string;
      const body = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: hex(32), spanId: hex(16), name: 'x', startTimeUnixNano: nowNs(), endTimeUnixNano: nowNs() }] }] }] });
      const ok = await fetch(`${downUrl}/v1/traces`, { method: 'POST', body, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
      expect(ok.status).toBe(200);
      // The database goes away under the server (its pool or PGlite session closed).
      await down.database.close();
      const json = await fetch(`${downUrl}/v1/traces`, { method: 'POST', body, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
      expect(json.status).toBe(503);
      expect(json.headers.get('retry-after')).toBe('1');
      expect(await json.json()).toMatchObject({ code: 14 });
      const proto = await fetch(`${downUrl}/v1/traces`, { method: 'POST', body: Buffer.from(v1.ExportTraceServiceRequest.encode(v1.ExportTraceServiceRequest.fromObject({})).finish()), headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-protobuf' } });
      expect(proto.status).toBe(503);
      expect(proto.headers.get('retry-after')).toBe('1');
      expect(proto.headers.get('content-type')).toContain('application/x-protobuf');
    } finally {
      await down.app.close();
      await down.jobs.stop(1000).catch(() => {});
      await down.onClose?.();
    }
  });
});

describe('isolation between projects', () => {
  it('writes spans to the token’s project only; other projects see nothing and answer 404', async () => {
    const a = await projectWithToken();
    const b = await projectWithToken();
    const spans = llmTrace();
    expect(await exportSpans(protoExporter(url, a.ingest), spans)).toEqual({ ok: true });
    const traceId = spans[0]!.spanContext().traceId;
    expect((await t.get(`/api/v1/projects/${b.id}/spans`, { token: b.owner.token })).body.data).toEqual([]);
    expect((await t.get(`/api/v1/projects/${b.id}/traces/${traceId}`, { token: b.owner.token })).status).toBe(404);
    // A member of B cannot read A's spans or trace.
    expect((await t.get(`/api/v1/projects/${a.id}/spans`, { token: b.owner.token })).status).toBe(404);
    expect((await t.get(`/api/v1/projects/${a.id}/traces/${traceId}`, { token: b.owner.token })).status).toBe(404);
    // B's token writing the same span ids stores a separate copy in B.
    expect(await exportSpans(protoExporter(url, b.ingest), spans)).toEqual({ ok: true });
    expect((await t.get(`/api/v1/projects/${b.id}/traces/${traceId}`, { token: b.owner.token })).body.spans).toHaveLength(3);
    // Revoking is per project: B cannot revoke A's token.
    expect((await t.delete(`/api/v1/projects/${b.id}/ingest-tokens/${a.tokenId}`, { token: b.owner.token })).status).toBe(404);
  });

  it('lets only managers create ingest tokens, and never shows a token again', async () => {
    const p = await projectWithToken();
    const annotator = await t.member(p.id, 'annotator');
    expect((await t.post(`/api/v1/projects/${p.id}/ingest-tokens`, { name: 'x' }, { token: annotator.token })).status).toBe(403);
    const list = await t.get(`/api/v1/projects/${p.id}/ingest-tokens`, { token: p.owner.token });
    expect(list.body.data).toHaveLength(1);
    expect(JSON.stringify(list.body)).not.toContain(p.ingest);
    expect(list.body.data[0].prefix).toBe(p.ingest.slice(0, 10));
  });
});
