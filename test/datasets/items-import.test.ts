import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../support/test-app.ts';
import { IMPORT_BATCH_ROWS } from '../../src/datasets/item-import.ts';
import { pgClientOf } from '../../src/datasets/import-writers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

const ndjson = (lines: unknown[]) => lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n';

async function newDataset(token?: string) {
  const project = await t.project();
  const owner = project.owner;
  const res = await t.post(`/api/v1/projects/${project.id}/datasets`, { name: 'd' }, { token: token ?? owner.token });
  expect(res.status).toBe(201);
  return { project, owner, datasetId: res.body.id as string };
}

const importBody = (datasetId: string, payload: string, contentType: string, owner: TestUser, query: Record<string, string> = {}) =>
  t.request('POST', `/api/v1/datasets/${datasetId}/items`, { payload, contentType, token: owner.token, query });

async function allItems(datasetId: string, owner: TestUser, include?: 'payload') {
  const out: any[] = [];
  let cursor: string | undefined;
  do {
    const res = await t.get(`/api/v1/datasets/${datasetId}/items`, { token: owner.token, query: { limit: 500, cursor, include } });
    expect(res.status).toBe(200);
    out.push(...res.body.data);
    cursor = res.body.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

const itemCount = async (datasetId: string, owner: TestUser) => (await t.get(`/api/v1/datasets/${datasetId}`, { token: owner.token })).body.itemCount;

describe('POST /api/v1/datasets/:datasetId/items', () => {
  it('finds the PostgreSQL client under a transaction, so imports use COPY there (none on PGlite)', async () => {
    const client = await t.ctx.db.transaction(async (tx) => pgClientOf(tx));
    expect(client === null).toBe(t.database.kind === 'pglite');
  });

  it('imports NDJSON lines of every kind and keeps the dataset’s item count', async () => {
    const { datasetId, owner } = await newDataset();
    const res = await importBody(datasetId, ndjson([
      { kind: 'text', payload: { text: 'hello' }, metadata: { lang: 'en' } },
      { kind: 'image', payload: { url: 'https://example.com/a.png', width: 640, height: 480 } },
      { kind: 'conversation', payload: { turns: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }] } },
      { kind: 'test_case', payload: { turns: [{ role: 'user', content: 'q' }], expectedOutput: 'a', checks: [{ check: 'correctness', passed: false, reason: 'wrong' }] } },
      { kind: 'trace', payload: { traceId: 't1', spanId: 's1' } },
      { kind: 'record', payload: { finding: { severity: 'high', detector: 'prompt_injection' } } },
    ]), 'application/x-ndjson', owner);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ created: 6, updated: 0, failed: [], failedCount: 0 });
    expect(await itemCount(datasetId, owner)).toBe(6);
    const items = await allItems(datasetId, owner);
    expect(items.map((i) => i.kind)).toEqual(['text', 'image', 'conversation', 'test_case', 'trace', 'record']);
    expect(items[0]).not.toHaveProperty('payload');
    expect(items.map((i) => i.seq)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('imports a JSON array, element by element', async () => {
    const { datasetId, owner } = await newDataset();
    const body = JSON.stringify([{ kind: 'text', payload: { text: 'a' } }, { kind: 'text', payload: { text: 'b' }, externalId: 'b' }]);
    const res = await importBody(datasetId, body, 'application/json', owner);
    expect(res.body).toMatchObject({ created: 2, updated: 0, failed: [] });
    const items = await allItems(datasetId, owner, 'payload');
    expect(items.map((i) => i.payload.text)).toEqual(['a', 'b']);
    expect(items[1].externalId).toBe('b');
  });

  it('maps CSV payload.x and metadata.x headers into the objects, and a lone text column makes text items', async () => {
    const { datasetId, owner } = await newDataset();
    const textOnly = await importBody(datasetId, 'text\nfirst line\n"quoted, with comma"\n', 'text/csv', owner);
    expect(textOnly.body).toMatchObject({ created: 2, failed: [] });
    const mapped = await importBody(
      datasetId,
      'externalId,kind,payload.url,payload.width,payload.height,metadata.source,metadata.score\nimg-1,image,https://example.com/1.png,640,480,crawl,0.75\n',
      'text/csv',
      owner,
    );
    expect(mapped.body).toMatchObject({ created: 1, failed: [] });
    const items = await allItems(datasetId, owner, 'payload');
    expect(items.map((i) => [i.kind, i.payload.text ?? i.payload.url])).toEqual([
      ['text', 'first line'],
      ['text', 'quoted, with comma'],
      ['image', 'https://example.com/1.png'],
    ]);
    expect(items[2].payload).toEqual({ url: 'https://example.com/1.png', width: 640, height: 480 });
    expect(items[2].metadata).toEqual({ source: 'crawl', score: 0.75 });
  });

  it('refuses a CSV with an unknown column as a whole, naming it', async () => {
    const { datasetId, owner } = await newDataset();
    const res = await importBody(datasetId, 'text,evil\nx,y\n', 'text/csv', owner);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_import');
    expect(res.body.failed[0]).toMatchObject({ line: 1 });
    expect(res.body.failed[0].error).toContain('evil');
  });

  it('writes nothing when one line is bad, and names every bad line (atomic by default)', async () => {
    const { datasetId, owner } = await newDataset();
    const res = await importBody(datasetId, ndjson([
      { kind: 'text', payload: { text: 'fine' } },
      '{not json',
      { kind: 'image', payload: { url: 'not a url' } },
      { kind: 'text', payload: { text: 'fine too' } },
      { kind: 'banana', payload: {} },
    ]), 'application/x-ndjson', owner);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_import');
    expect(res.body.failed.map((f: any) => f.line)).toEqual([2, 3, 5]);
    expect(res.body.failed[1].error).toContain('payload.url');
    expect(res.body.failedCount).toBe(3);
    expect(await allItems(datasetId, owner)).toEqual([]);
    expect(await itemCount(datasetId, owner)).toBe(0);
  });

  it('writes the good lines and reports the bad with mode=partial', async () => {
    const { datasetId, owner } = await newDataset();
    const res = await importBody(datasetId, ndjson([
      { kind: 'text', payload: { text: 'one' } },
      { kind: 'text', payload: { nope: 1 } },
      { kind: 'text', payload: { text: 'three' } },
    ]), 'application/x-ndjson', owner, { mode: 'partial' });
    expect(res.status).toBe(200);
    expect(res.body.created).toBe(2);
    expect(res.body.failed).toEqual([{ line: 2, error: expect.stringContaining('payload.text') }]);
    expect(await itemCount(datasetId, owner)).toBe(2);
  });

  it('lists at most 1000 bad lines and counts them all (partial), and stops reading at 1000 (atomic)', async () => {
    const { datasetId, owner } = await newDataset();
    const body = ndjson([...Array.from({ length: 1005 }, () => '{bad'), { kind: 'text', payload: { text: 'good' } }]);
    const partial = await importBody(datasetId, body, 'application/x-ndjson', owner, { mode: 'partial' });
    expect(partial.body).toMatchObject({ created: 1, failedCount: 1005 });
    expect(partial.body.failed).toHaveLength(1000);
    const atomic = await importBody(datasetId, body, 'application/x-ndjson', owner);
    expect(atomic.status).toBe(400);
    expect(atomic.body.failed).toHaveLength(1000);
    expect(await itemCount(datasetId, owner)).toBe(1);
  });

  it('updates the item with an existing externalId instead of duplicating it', async () => {
    const { datasetId, owner } = await newDataset();
    await importBody(datasetId, ndjson([{ externalId: 'a', kind: 'text', payload: { text: 'v1' }, metadata: { keep: 1, x: 1 } }, { externalId: 'b', kind: 'text', payload: { text: 'b' } }]), 'application/x-ndjson', owner);
    const res = await importBody(datasetId, ndjson([{ externalId: 'a', kind: 'text', payload: { text: 'v2' }, metadata: { x: 2 } }, { externalId: 'c', kind: 'text', payload: { text: 'c' } }]), 'application/x-ndjson', owner);
    expect(res.body).toMatchObject({ created: 1, updated: 1 });
    const items = await allItems(datasetId, owner, 'payload');
    expect(items).toHaveLength(3);
    const a = items.find((i) => i.externalId === 'a');
    expect(a.payload.text).toBe('v2');
    expect(a.metadata).toEqual({ keep: 1, x: 2 });
    expect(a.seq).toBe(1);
    expect(await itemCount(datasetId, owner)).toBe(3);
  });

  it('treats a repeated externalId within one body as an update, across batch boundaries too', async () => {
    const { datasetId, owner } = await newDataset();
    const lines = Array.from({ length: 2500 }, (_, i) => ({ externalId: `k${i % 1200}`, kind: 'text', payload: { text: `n${i}` } }));
    const res = await importBody(datasetId, ndjson(lines), 'application/x-ndjson', owner);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ created: 1200, updated: 1300, failed: [] });
    expect(await itemCount(datasetId, owner)).toBe(1200);
    const items = await allItems(datasetId, owner, 'payload');
    expect(items).toHaveLength(1200);
    expect(items.find((i) => i.externalId === 'k5').payload.text).toBe('n2405');
  });

  it('stores every line exactly, keyed and unkeyed mixed over several batches, in body order', async () => {
    const { datasetId, owner } = await newDataset();
    const tricky = 'back\\slash \\N tab\t nl\n cr\r "quote" ünï 😀 \u2028';
    const n = IMPORT_BATCH_ROWS * 2 + 7;
    const lines = Array.from({ length: n }, (_, i) => ({
      ...(i % 3 === 0 ? { externalId: `${tricky}#${i}` } : {}),
      kind: i % 2 ? 'text' : 'record',
      payload: i % 2 ? { text: `${tricky} ${i}` } : { nested: { s: tricky, n: i, a: [1, null, true] } },
      metadata: { [`k\\${i % 4}`]: tricky, i },
      ...(i % 5 === 0 ? { draft: true } : {}),
    }));
    const res = await importBody(datasetId, ndjson(lines), 'application/x-ndjson', owner);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ created: n, updated: 0, failed: [], failedCount: 0 });
    const items = await allItems(datasetId, owner, 'payload');
    // Ids are time-ordered: listing by id walks the body's order.
    expect(items.map((i) => i.seq)).toEqual(lines.map((_, i) => i + 1));
    items.forEach((item, i) => {
      expect(item.externalId).toBe(lines[i]!.externalId ?? null);
      expect(item.kind).toBe(lines[i]!.kind);
      expect(item.payload).toEqual(lines[i]!.payload);
      expect(item.metadata).toEqual(lines[i]!.metadata);
      expect(item.draft).toBe(i % 5 === 0);
    });
  });

  it('answers the same for a line whether the quick check or the full schema reads it', async () => {
    const { datasetId, owner } = await newDataset();
    const res = await importBody(datasetId, ndjson([
      { externalId: 42, kind: 'text', payload: { text: 'numeric id becomes a string' } },
      { externalId: '', kind: 'text', payload: { text: 'empty id' } },
      { kind: 'text', payload: { text: 'x' }, extra: 1 },
      { kind: 'record', payload: [1, 2] },
      { kind: 'text', payload: { txt: 'no text' } },
      { kind: 'text', payload: { text: 'x' }, draft: 'yes' },
      { kind: 'nope', payload: {} },
      { payload: { any: 'record' }, metadata: null },
    ]), 'application/x-ndjson', owner, { mode: 'partial' });
    expect(res.status).toBe(200);
    expect(res.body.created).toBe(1);
    expect(res.body.failed.map((f: { line: number }) => f.line)).toEqual([2, 3, 4, 5, 6, 7, 8]);
    expect(res.body.failed.every((f: { error: string }) => f.error.length > 0)).toBe(true);
    const [item] = await allItems(datasetId, owner);
    expect(item.externalId).toBe('42');
  });

  it('refuses lines PostgreSQL could not store (NUL, half a surrogate pair) as bad lines, not a failed import', async () => {
    const { datasetId, owner } = await newDataset();
    const body = ['{"payload":{"a":"ok"}}', '{"payload":{"a":"\\ud800"}}', '{"externalId":"x\\udc00","payload":{}}', '{"payload":{"\\ud83d":1}}', '{"payload":{"a":"\\u0000"}}', '{"payload":{"a":"\\ud83d\\ude00"}}'].join('\n');
    const atomic = await importBody(datasetId, body, 'application/x-ndjson', owner);
    expect(atomic.status).toBe(400);
    expect(atomic.body.code).toBe('invalid_import');
    expect(atomic.body.failed.map((f: { line: number }) => f.line)).toEqual([2, 3, 4, 5]);
    expect(atomic.body.failed[0].error).toContain('surrogate');
    expect(atomic.body.failed[3].error).toContain('NUL');
    expect(await itemCount(datasetId, owner)).toBe(0);
    const partial = await importBody(datasetId, body, 'application/x-ndjson', owner, { mode: 'partial' });
    expect(partial.status).toBe(200);
    expect(partial.body).toMatchObject({ created: 2, failedCount: 4 });
    const stored = await allItems(datasetId, owner, 'payload');
    expect(stored.map((i) => i.payload.a)).toEqual(['ok', '😀']);
  });

  it('keeps pre-annotations and gold that ride along, and refuses malformed shapes', async () => {
    const { datasetId, owner } = await newDataset();
    const ok = await importBody(datasetId, ndjson([
      { externalId: 'x', kind: 'image', payload: { url: 'https://e.com/x.png' }, annotations: [{ tool: 'bbox', label: 'cat', x: 1, y: 2, w: 3, h: 4 }], gold: [{ tool: 'classification', label: 'cat' }] },
    ]), 'application/x-ndjson', owner);
    expect(ok.body.created).toBe(1);
    const [summary] = await allItems(datasetId, owner);
    const item = (await t.get(`/api/v1/items/${summary.id}`, { token: owner.token })).body;
    expect(item.annotations).toEqual([{ tool: 'bbox', label: 'cat', x: 1, y: 2, w: 3, h: 4 }]);
    expect(item.gold).toEqual([{ tool: 'classification', label: 'cat' }]);
    const bad = await importBody(datasetId, ndjson([{ kind: 'text', payload: { text: 'x' }, annotations: [{ tool: 'lasso' }] }]), 'application/x-ndjson', owner);
    expect(bad.status).toBe(400);
    expect(bad.body.failed[0].error).toContain('annotations');
  });

  it('uses ?kind= for lines without a kind, and record otherwise', async () => {
    const { datasetId, owner } = await newDataset();
    await importBody(datasetId, ndjson([{ payload: { text: 'a' } }]), 'application/x-ndjson', owner, { kind: 'text' });
    await importBody(datasetId, ndjson([{ payload: { anything: [1, 2] } }]), 'application/x-ndjson', owner);
    expect((await allItems(datasetId, owner)).map((i) => i.kind)).toEqual(['text', 'record']);
  });

  it('writes one audit event per import, not one per item', async () => {
    const { datasetId, owner, project } = await newDataset();
    await importBody(datasetId, ndjson(Array.from({ length: 30 }, (_, i) => ({ kind: 'text', payload: { text: String(i) } }))), 'application/x-ndjson', owner);
    const audit = await t.get('/api/v1/audit', { query: { projectId: project.id, subjectId: datasetId } });
    const imports = audit.body.data.filter((e: any) => e.action === 'dataset.import');
    expect(imports).toHaveLength(1);
    expect(imports[0].after).toMatchObject({ created: 30, format: 'ndjson', mode: 'atomic' });
  });

  it('refuses a body that is not JSON, NDJSON or CSV with 415', async () => {
    const { datasetId, owner } = await newDataset();
    const res = await importBody(datasetId, 'hello', 'text/plain', owner);
    expect(res.status).toBe(415);
    expect(res.body.code).toBe('unsupported_media_type');
  });

  it('refuses a broken JSON array as a whole and writes nothing, even with mode=partial', async () => {
    const { datasetId, owner } = await newDataset();
    const res = await importBody(datasetId, '[{"kind":"text","payload":{"text":"a"}},{"kind":', 'application/json', owner, { mode: 'partial' });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_import');
    // The element it broke in, or one before when the parser ran ahead of the reader.
    expect([1, 2]).toContain(res.body.failed[0].line);
    expect(await itemCount(datasetId, owner)).toBe(0);
  });

  it('refuses annotators and viewers (403) but lets managers import', async () => {
    const { datasetId, project } = await newDataset();
    const annotator = await t.member(project.id, 'annotator');
    const manager = await t.member(project.id, 'manager');
    const body = ndjson([{ kind: 'text', payload: { text: 'x' } }]);
    expect((await importBody(datasetId, body, 'application/x-ndjson', annotator)).status).toBe(403);
    expect((await importBody(datasetId, body, 'application/x-ndjson', manager)).status).toBe(200);
  });

  it('replays an import sent twice with one Idempotency-Key instead of importing twice', async () => {
    const { datasetId, owner } = await newDataset();
    const body = ndjson([{ kind: 'text', payload: { text: 'x' } }]);
    const send = () => t.request('POST', `/api/v1/datasets/${datasetId}/items`, { payload: body, contentType: 'application/x-ndjson', token: owner.token, headers: { 'idempotency-key': 'imp-1' } });
    const first = await send();
    const second = await send();
    expect(first.body.created).toBe(1);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(await itemCount(datasetId, owner)).toBe(1);
  });

  it('refuses the same Idempotency-Key with a different body of the same length (422) and writes nothing', async () => {
    const { datasetId, owner } = await newDataset();
    const send = (text: string) =>
      t.request('POST', `/api/v1/datasets/${datasetId}/items`, {
        payload: ndjson([{ externalId: 'k', kind: 'text', payload: { text } }]),
        contentType: 'application/x-ndjson',
        token: owner.token,
        headers: { 'idempotency-key': 'imp-2' },
      });
    expect((await send('first')).status).toBe(200);
    const other = await send('other');
    expect(other.status).toBe(422);
    expect(other.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(other.body.code).toBe('idempotency_key_reused');
    const items = await allItems(datasetId, owner, 'payload');
    expect(items.map((i) => i.payload.text)).toEqual(['first']);
    // The first body is still recognised and replayed, not run again.
    const again = await send('first');
    expect(again.status).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual({ created: 1, updated: 0, failed: [], failedCount: 0 });
  });

  it('frees the Idempotency-Key of a refused import, so a corrected body under that key imports', async () => {
    const { datasetId, owner } = await newDataset();
    const send = (lines: unknown[]) =>
      t.request('POST', `/api/v1/datasets/${datasetId}/items`, { payload: ndjson(lines), contentType: 'application/x-ndjson', token: owner.token, headers: { 'idempotency-key': 'imp-3' } });
    expect((await send([{ kind: 'text', payload: { text: 1 } }])).status).toBe(400);
    const fixed = await send([{ kind: 'text', payload: { text: 'one' } }]);
    expect(fixed.status).toBe(200);
    expect(fixed.headers['idempotent-replayed']).toBeUndefined();
    expect(fixed.body.created).toBe(1);
  });

  it('writes nothing when the client breaks off mid-upload, and frees its Idempotency-Key for the retry', async () => {
    const { datasetId, owner } = await newDataset();
    if (!t.app.server.listening) await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.server.address() as AddressInfo;
    const n = IMPORT_BATCH_ROWS * 2 + 500;
    const body = ndjson(Array.from({ length: n }, (_, i) => ({ kind: 'text', payload: { text: `line ${i}` } })));
    const headers = { authorization: `Bearer ${owner.token}`, 'content-type': 'application/x-ndjson', 'idempotency-key': 'imp-abort' };
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: `/api/v1/datasets/${datasetId}/items`, headers: { ...headers, 'content-length': Buffer.byteLength(body) } });
    req.on('error', () => {});
    // More than one batch goes out (and is written), then the client disappears.
    req.write(body.slice(0, Math.floor(body.length * 0.7)));
    await new Promise((r) => setTimeout(r, 1500));
    req.destroy();
    const retry = await t.request('POST', `/api/v1/datasets/${datasetId}/items`, { payload: body, contentType: 'application/x-ndjson', token: owner.token, headers: { 'idempotency-key': 'imp-abort' } });
    expect(retry.status).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect(retry.body.created).toBe(n);
    expect(await itemCount(datasetId, owner)).toBe(n);
    expect((await allItems(datasetId, owner)).length).toBe(n);
  });

  it('keeps the item count exact under parallel imports into one dataset', async () => {
    const { datasetId, owner } = await newDataset();
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, n) =>
        importBody(datasetId, ndjson(Array.from({ length: 50 }, (_, i) => ({ externalId: `e${(n * 50 + i) % 300}`, kind: 'text', payload: { text: 'x' } }))), 'application/x-ndjson', owner),
      ),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(results.reduce((s, r) => s + r.body.created, 0)).toBe(300);
    expect(await itemCount(datasetId, owner)).toBe(300);
    const seqs = (await allItems(datasetId, owner)).map((i) => i.seq);
    expect(new Set(seqs).size).toBe(300);
  });
});
