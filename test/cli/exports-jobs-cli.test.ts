import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, unique, type TestApp } from '../support/test-app.ts';

// LOUPE_EXPORT_DIR is left at its default (./.loupe/exports): on PostgreSQL the test files share
// the database, and an export queued by one file may be written by the worker of any other file
// (test/jobs among them), so every process of a run must agree on the directory.
const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../bin/loupe.mjs', import.meta.url));

let t: TestApp;
let url: string;
beforeAll(async () => {
  t = await createTestApp({ work: true });
  url = await t.app.listen({ port: 0, host: '127.0.0.1' });
}, 180_000);
afterAll(() => t?.close());

const loupe = (args: string[], token: string) =>
  run(process.execPath, [bin, ...args], { env: { ...process.env, LOUPE_URL: url, LOUPE_TOKEN: token } }).catch(
    (error: { code: number; stdout: string; stderr: string }) => error,
  );

describe('loupe exports and loupe jobs', () => {
  it('creates an export, waits for it and downloads the file', async () => {
    const { project, owner } = await t.project();
    const token = owner.token;
    const datasetId = (await t.post(`/api/v1/projects/${project.id}/datasets`, { name: unique('d') }, { token })).body.id;
    await t.request('POST', `/api/v1/datasets/${datasetId}/items`, { payload: '{"kind":"text","payload":{"text":"a"}}\n{"kind":"text","payload":{"text":"b"}}\n', contentType: 'application/x-ndjson', token });
    const items = (await t.get(`/api/v1/datasets/${datasetId}/items`, { token })).body.data;
    const taskId = (await t.post(`/api/v1/projects/${project.id}/tasks`, { name: unique('t'), type: 'labeling', datasetId, assigneeIds: [owner.id], allocation: { method: 'distribution' } }, { token })).body.id;
    for (const item of items) await t.put(`/api/v1/tasks/${taskId}/items/${item.id}/annotations`, { shapes: [{ tool: 'classification', label: 'x' }] }, { token });

    const created = JSON.parse((await loupe(['--json', 'exports', 'create', project.id, '--task', taskId, '--format', 'jsonl'], token)).stdout);
    expect(created.status).toBe('queued');
    const out = join(mkdtempSync(join(tmpdir(), 'loupe-cli-dl-')), 'x.jsonl');
    const downloaded = await loupe(['--json', 'exports', 'download', created.id, '--wait', '--out', out], token);
    expect(JSON.parse(downloaded.stdout).file).toBe(out);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(2);
    const status = JSON.parse((await loupe(['--json', 'exports', 'status', created.id], token)).stdout);
    expect(status).toMatchObject({ status: 'completed', rows: 2 });
  }, 120_000);

  it('shows live queue counts, pauses and resumes (administrators)', async () => {
    const stats = JSON.parse((await loupe(['--json', 'jobs', 'stats'], t.admin.token)).stdout);
    expect(stats.queues.map((q: { name: string }) => q.name)).toContain('exports.run');
    expect(JSON.parse((await loupe(['--json', 'jobs', 'pause'], t.admin.token)).stdout)).toEqual({ paused: true });
    expect(JSON.parse((await loupe(['--json', 'jobs', 'resume'], t.admin.token)).stdout)).toEqual({ paused: false });
    const user = await t.user();
    const refused = (await loupe(['jobs', 'clean'], user.token)) as { code?: number; stderr: string };
    expect(refused.code).toBe(2); // refused by the server (docs/cli.md exit codes)
    expect(refused.stderr).toContain('forbidden');
  }, 120_000);
});
