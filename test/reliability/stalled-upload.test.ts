import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createToken, createUser } from '../../src/auth/auth.service.ts';
import { systemClock } from '../../src/core/clock.ts';
import type { Ctx } from '../../src/context.ts';
import { startServer, type ServerProcess } from '../support/server-process.ts';
import { openTestDb } from '../support/test-db.ts';

/**
 * A stalled or slow uploader never holds the database (docs/imports.md), checked against the
 * real server process on both databases: the upload is received to a staging file before any
 * transaction starts, so other requests are served meanwhile.
 */
const ADMIN_TOKEN = 'lp_stalled_upload_test_0123456789abcdefXYZ';
const servers: ServerProcess[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const s of servers) {
    s.child.kill('SIGKILL');
    await s.exited.catch(() => {});
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function api<T = any>(url: string, method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as T };
}

async function newDataset(url: string, token: string) {
  const project = await api(url, 'POST', '/api/v1/projects', token, { name: `stalled-${Date.now()}-${Math.random()}` });
  expect(project.status).toBe(201);
  const dataset = await api(url, 'POST', `/api/v1/projects/${project.body.id}/datasets`, token, { name: 'd' });
  expect(dataset.status).toBe(201);
  return dataset.body.id as string;
}

/** Opens an NDJSON import, sends one line, then nothing. Resolves its status once the server answers. */
function stalledImport(url: string, datasetId: string, token: string) {
  const target = new URL(`${url}/api/v1/datasets/${datasetId}/items`);
  const req = http.request({
    host: target.hostname,
    port: target.port,
    path: target.pathname,
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson', 'transfer-encoding': 'chunked' },
  });
  const answered = new Promise<number>((resolve) => {
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(-1));
  });
  req.write('{"kind":"text","payload":{"text":"first and last"}}\n');
  return { answered, abort: () => req.destroy() };
}

/** The slowest of `n` sequential `GET /api/v1/me`, in ms. */
async function slowestMe(url: string, token: string, n = 10) {
  let worst = 0;
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    const res = await fetch(`${url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
    expect(res.status).toBe(200);
    worst = Math.max(worst, performance.now() - started);
    await new Promise((r) => setTimeout(r, 100));
  }
  return worst;
}

describe('a stalled import upload against the real server', () => {
  it('does not delay GET /api/v1/me on PGlite, and is cut with 408 after the idle timeout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loupe-stalled-'));
    dirs.push(dir);
    const server = await startServer({ LOUPE_DATA_DIR: join(dir, 'data'), LOUPE_ADMIN_TOKEN: ADMIN_TOKEN, LOUPE_UPLOAD_IDLE_TIMEOUT_MS: '3000' });
    servers.push(server);
    const datasetId = await newDataset(server.url, ADMIN_TOKEN);
    const stalled = stalledImport(server.url, datasetId, ADMIN_TOKEN);
    await new Promise((r) => setTimeout(r, 200));
    expect(await slowestMe(server.url, ADMIN_TOKEN)).toBeLessThan(1000);
    expect(await stalled.answered).toBe(408);
    const dataset = await api(server.url, 'GET', `/api/v1/datasets/${datasetId}`, ADMIN_TOKEN);
    expect(dataset.body.itemCount).toBe(0);
  });

  it('lets 20 stalled uploads on PostgreSQL leave the pool free: GET /api/v1/me stays fast', async () => {
    const databaseUrl = inject('testDatabaseUrl');
    if (!databaseUrl) throw new Error('the reliability suite runs on PostgreSQL: set TEST_DATABASE_URL or use its global setup');
    const database = await openTestDb({ databaseUrl }, 2);
    const ctx = { db: database.db, clock: systemClock, jobs: { enqueue: async () => null } } as unknown as Ctx;
    const name = `stalled-admin-${process.pid}-${Date.now()}`;
    const user = await createUser(ctx, null, { email: `${name}@example.com`, name, isAdmin: true });
    const { token } = await createToken(ctx, { userId: user.id, isAdmin: true }, user.id, 'stalled');
    await database.close();
    const server = await startServer({ DATABASE_URL: databaseUrl, LOUPE_UPLOADS_PER_USER: '25', LOUPE_UPLOAD_IDLE_TIMEOUT_MS: '20000' });
    servers.push(server);
    const datasetId = await newDataset(server.url, token);
    const stalled = Array.from({ length: 20 }, () => stalledImport(server.url, datasetId, token));
    await new Promise((r) => setTimeout(r, 500));
    expect(await slowestMe(server.url, token)).toBeLessThan(1000);
    for (const s of stalled) s.abort();
    // The server is still whole: a normal import goes through.
    const ok = await fetch(`${server.url}/api/v1/datasets/${datasetId}/items`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
      body: '{"kind":"text","payload":{"text":"after"}}\n',
    });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { created: number }).created).toBe(1);
  });
});
