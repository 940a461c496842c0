import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * Imports are received (staged, bounded in time and size) before they are imported, and large
 * ones run as background jobs: see docs/imports.md.
 */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ work: true, uploads: { jobThresholdBytes: 2000, idleTimeoutMs: 700, perUser: 2 } });
});
afterAll(() => t?.close());

const line = (i: number, extra = '') => JSON.stringify({ externalId: `e${i}`, kind: 'text', payload: { text: `item ${i}${extra}` } });

async function newDataset() {
  const project = await t.project();
  const res = await t.post(`/api/v1/projects/${project.id}/datasets`, { name: 'd' }, { token: project.owner.token });
  return { owner: project.owner, datasetId: res.body.id as string };
}

/**
 * An upload that sends its first line and then nothing until `end()`; with `keepAlive`, a blank
 * line now and then (an upload that is slow, not stalled).
 */
function stalledUpload(datasetId: string, token: string, keepAlive = false) {
  const body = new PassThrough();
  body.write(`${line(0)}\n`);
  const timer = keepAlive ? setInterval(() => body.write('\n'), 150) : undefined;
  const reply = t.app.inject({
    method: 'POST',
    url: `/api/v1/datasets/${datasetId}/items`,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
    payload: body,
  });
  return {
    reply,
    end: () => {
      clearInterval(timer);
      body.end();
    },
  };
}

async function waitForImport(importId: string, token: string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await t.get(`/api/v1/imports/${importId}`, { token });
    expect(res.status).toBe(200);
    if (res.body.status === 'completed' || res.body.status === 'failed') return res.body;
    if (Date.now() > deadline) throw new Error(`import ${importId} still ${res.body.status}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('POST /api/v1/datasets/:datasetId/items (receiving first)', () => {
  it('answers GET /api/v1/me at once while another upload has stalled after one line', async () => {
    const { datasetId, owner } = await newDataset();
    const stalled = stalledUpload(datasetId, owner.token, true);
    await new Promise((r) => setTimeout(r, 150));
    const started = performance.now();
    const me = await t.get('/api/v1/me', { token: owner.token });
    const took = performance.now() - started;
    expect(me.status).toBe(200);
    expect(took).toBeLessThan(500);
    stalled.end();
    expect((await stalled.reply).statusCode).toBe(200);
  });

  it('cuts an upload that sends nothing for the idle timeout (408 upload_timeout) and writes nothing', async () => {
    const { datasetId, owner } = await newDataset();
    const stalled = stalledUpload(datasetId, owner.token);
    const res = await stalled.reply;
    expect(res.statusCode).toBe(408);
    expect(res.json().code).toBe('upload_timeout');
    expect((await t.get(`/api/v1/datasets/${datasetId}`, { token: owner.token })).body.itemCount).toBe(0);
  });

  it('refuses a user’s upload past the per-user limit with 429 too_many_uploads, and takes it once one ends', async () => {
    const { datasetId, owner } = await newDataset();
    const first = stalledUpload(datasetId, owner.token, true);
    const second = stalledUpload(datasetId, owner.token, true);
    // Both must be past authentication and receiving (slower on PostgreSQL under load).
    await new Promise((r) => setTimeout(r, 1500));
    const refused = await t.request('POST', `/api/v1/datasets/${datasetId}/items`, { token: owner.token, payload: `${line(9)}\n`, contentType: 'application/x-ndjson' });
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('too_many_uploads');
    // Another user is not counted against this one.
    const other = await newDataset();
    const ok = await t.request('POST', `/api/v1/datasets/${other.datasetId}/items`, { token: other.owner.token, payload: `${line(1)}\n`, contentType: 'application/x-ndjson' });
    expect(ok.status).toBe(200);
    first.end();
    second.end();
    await Promise.all([first.reply, second.reply]);
    const after = await t.request('POST', `/api/v1/datasets/${datasetId}/items`, { token: owner.token, payload: `${line(9)}\n`, contentType: 'application/x-ndjson' });
    expect(after.status).toBe(200);
  });

  it('imports a body above the job threshold as a background job: 202, then progress and the outcome', async () => {
    const { datasetId, owner } = await newDataset();
    const body = Array.from({ length: 200 }, (_, i) => line(i)).join('\n') + '\n';
    expect(body.length).toBeGreaterThan(2000);
    const res = await t.request('POST', `/api/v1/datasets/${datasetId}/items`, { token: owner.token, payload: body, contentType: 'application/x-ndjson' });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ importId: expect.any(String), status: 'queued' });
    const done = await waitForImport(res.body.importId, owner.token);
    expect(done).toMatchObject({ status: 'completed', created: 200, updated: 0, failedCount: 0, datasetId, error: null });
    expect(done.progress).toMatchObject({ lines: 200, totalBytes: body.length });
    expect(done.progress.bytes).toBeGreaterThan(body.length - 201);
    expect((await t.get(`/api/v1/datasets/${datasetId}`, { token: owner.token })).body.itemCount).toBe(200);
  });

  it('fails a background atomic import as a whole, naming the bad lines by number', async () => {
    const { datasetId, owner } = await newDataset();
    const lines = Array.from({ length: 200 }, (_, i) => line(i));
    lines[149] = '{"kind":"text","payload":{}}';
    const res = await t.request('POST', `/api/v1/datasets/${datasetId}/items`, { token: owner.token, payload: lines.join('\n'), contentType: 'application/x-ndjson' });
    expect(res.status).toBe(202);
    const done = await waitForImport(res.body.importId, owner.token);
    expect(done).toMatchObject({ status: 'failed', created: 0, failedCount: 1, error: { code: 'invalid_import' } });
    expect(done.failed[0].line).toBe(150);
    expect((await t.get(`/api/v1/datasets/${datasetId}`, { token: owner.token })).body.itemCount).toBe(0);
  });

  it('shows a background import to managers of its project only (404 elsewhere)', async () => {
    const { datasetId, owner } = await newDataset();
    const body = Array.from({ length: 200 }, (_, i) => line(i)).join('\n');
    const res = await t.request('POST', `/api/v1/datasets/${datasetId}/items`, { token: owner.token, payload: body, contentType: 'application/x-ndjson' });
    const stranger = await t.user();
    expect((await t.get(`/api/v1/imports/${res.body.importId}`, { token: stranger.token })).status).toBe(404);
    await waitForImport(res.body.importId, owner.token);
  });
});
