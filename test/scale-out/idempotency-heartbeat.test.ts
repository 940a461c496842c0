import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';

/**
 * An `Idempotency-Key` reservation whose request runs longer than the abandonment delay (2 min)
 * is renewed by the process running it, so a retry, on this process or another one, waits for
 * its answer instead of taking it for dead and running the request a second time
 * (docs/deployment.md#what-the-processes-share). The server's clock jumps past the delay while
 * the first request is still uploading; the renewal comes every 20 s of real time.
 */
const clock = new ManualClock(new Date('2033-01-01T00:00:00Z'));
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ clock });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(() => t?.close());

describe('a request holding an Idempotency-Key for longer than the abandonment delay', () => {
  it('is not run again by a retry: the retry gets its answer, and the items are imported once', async () => {
    const { id: projectId, owner } = await t.project();
    const datasetId = (await t.post(`/api/v1/projects/${projectId}/datasets`, { name: 'slow' }, { token: owner.token })).body.id as string;
    const n = 300;
    const body = Array.from({ length: n }, (_, i) => JSON.stringify({ kind: 'text', payload: { text: `line ${i}` } })).join('\n') + '\n';
    const headers = { authorization: `Bearer ${owner.token}`, 'content-type': 'application/x-ndjson', 'idempotency-key': `slow-${Date.now()}` };
    const { port } = t.app.server.address() as AddressInfo;

    // The first request uploads slowly (a chunk every 200 ms, never idle long enough to be cut).
    const first = new Promise<{ status: number; body: any }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: `/api/v1/datasets/${datasetId}/items`, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      });
      req.on('error', reject);
      const chunks = body.match(/[\s\S]{1,100}/g)!;
      let i = 0;
      const timer = setInterval(() => {
        // Hold the last chunk until the retry has been sent.
        if (i < chunks.length - 1) req.write(chunks[i++]);
        else if (release) {
          clearInterval(timer);
          req.end(chunks[i]);
        }
      }, 200);
    });
    let release = false;
    await new Promise((r) => setTimeout(r, 1000));
    // Past the abandonment delay by the server's clock; then one renewal.
    clock.advance(150_000);
    await new Promise((r) => setTimeout(r, 21_000));

    const retry = t.request('POST', `/api/v1/datasets/${datasetId}/items`, { payload: body, contentType: 'application/x-ndjson', token: owner.token, headers: { 'idempotency-key': headers['idempotency-key'] } });
    await new Promise((r) => setTimeout(r, 1000));
    release = true;
    const [a, b] = await Promise.all([first, retry]);
    expect(a.status).toBe(200);
    expect(a.body.created).toBe(n);
    expect(b.status).toBe(200);
    expect(b.headers['idempotent-replayed']).toBe('true');
    expect(b.body).toEqual(a.body);
    expect((await t.get(`/api/v1/datasets/${datasetId}`, { token: owner.token })).body.itemCount).toBe(n);
  }, 90_000);
});
