import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CrashHarness, sleep } from './support/crash-harness.ts';
import { startServer } from '../support/server-process.ts';
import { HttpClient } from '../../bench/support/http-client.ts';

/**
 * kill -9 of the real server process while an export job streams its file (docs/exports.md,
 * "Streaming, crashes, retention"): no file is served for an unfinished export, the stalled
 * attempt is retried after the restart, and the retry writes the whole file from the first row.
 */
const exportDir = mkdtempSync(join(tmpdir(), 'loupe-export-crash-'));
process.env.LOUPE_EXPORT_DIR = exportDir; // inherited by the server process the harness spawns

const N = 100_000;
let h: CrashHarness;
/** The harness's start, with more time: on a loaded machine the server can take over a minute to boot. */
async function start() {
  h.server = await startServer({ DATABASE_URL: h.databaseUrl, LOG_LEVEL: 'fatal' }, 240_000);
  h.http?.close();
  h.http = new HttpClient(h.server.url, 64);
}
beforeAll(async () => {
  h = await CrashHarness.open();
  await start();
}, 300_000);
afterAll(() => h?.close());

/**
 * A project with one task of N worked units. Seeded in SQL (the API would take minutes for
 * 100,000 annotations); the export reads these rows exactly as it reads rows the API wrote.
 */
async function seed() {
  const projectId = randomUUID();
  const datasetId = randomUUID();
  const taskId = randomUUID();
  await h.query(`insert into projects (id, name) values ($1, $2)`, [projectId, `export-crash-${Date.now()}`]);
  await h.query(`insert into datasets (id, project_id, name) values ($1, $2, 'crash')`, [datasetId, projectId]);
  await h.query(`insert into tasks (id, project_id, name, type, workflow_state, allocation) values ($1, $2, 'crash', 'labeling', 'draft', '{"method":"pulling"}'::jsonb)`, [taskId, projectId]);
  await h.query(
    `with src as (select g, gen_random_uuid() as item_id, gen_random_uuid() as unit_id from generate_series(0, $4::int - 1) g),
     i as (insert into items (id, project_id, dataset_id, external_id, kind, payload, seq)
       select item_id, $1, $2, 'ext-' || g, 'text', jsonb_build_object('text', repeat('words of item ' || g || ' ', 12)), g from src),
     u as (insert into task_items (id, project_id, task_id, item_id, position, worker_id, status, done)
       select unit_id, $1, $3, item_id, g, $5, 'done', true from src)
     insert into annotations (id, project_id, task_id, item_id, task_item_id, author_id, shapes)
       select gen_random_uuid(), $1, $3, item_id, unit_id, $5, jsonb_build_array(jsonb_build_object('tool', 'classification', 'label', 'cat', 'n', g)) from src`,
    [projectId, datasetId, taskId, N, h.admin.id],
  );
  return { projectId, taskId };
}

const exportRow = async (id: string) =>
  (await h.query<{ status: string; progress_done: number; stored_as: string | null; manifest: unknown; error: string | null; job_id: string }>(
    `select status, progress_done, stored_as, manifest, error, job_id from exports where id = $1`,
    [id],
  ))[0]!;

describe('kill -9 of the server while an export streams', () => {
  it('serves no half-written file, retries the job after the restart, and the retry writes every row', async () => {
    const { projectId, taskId } = await seed();
    const created = await h.http!.ok<{ id: string; jobId: string }>('POST', `/api/v1/projects/${projectId}/exports`, { token: h.admin.token, body: { taskIds: [taskId], format: 'jsonl' } });

    // Kill once some batches are written and many remain: the cut lands mid-file.
    const deadline = Date.now() + 120_000;
    let seen = await exportRow(created.id);
    while (!(seen.status === 'running' && seen.progress_done >= 4000) && Date.now() < deadline) {
      await sleep(25);
      seen = await exportRow(created.id);
    }
    expect(seen.status, `export never got under way: ${JSON.stringify(seen)}`).toBe('running');
    expect(seen.progress_done).toBeLessThan(N);
    await h.kill9();

    // Dead server: the row is not completed, points at no file, and no final file exists.
    const cut = await exportRow(created.id);
    expect(cut).toMatchObject({ status: 'running', stored_as: null, manifest: null });
    expect(existsSync(join(exportDir, `${created.id}.jsonl`))).toBe(false);

    await start();
    // Until the retry finished, the download refuses instead of serving what the partial file holds.
    const early = await h.http!.request('GET', `/api/v1/exports/${created.id}/download`, { token: h.admin.token });
    const afterRestart = await exportRow(created.id);
    if (afterRestart.status !== 'completed') expect(early.status).toBe(409);

    // pg-boss notices the missing heartbeat (10 s) at its next supervision and retries the job.
    const end = Date.now() + 300_000;
    let final = afterRestart;
    while (final.status !== 'completed' && final.status !== 'failed' && Date.now() < end) {
      await sleep(1000);
      final = await exportRow(created.id);
    }
    expect(final.status, final.error ?? '').toBe('completed');

    const job = await h.http!.ok<{ retryCount: number; state: string; logs: Array<{ message: string }> }>('GET', `/api/v1/jobs/${created.jobId}`, { token: h.admin.token });
    expect(job.state).toBe('completed');
    expect(job.retryCount).toBeGreaterThanOrEqual(1);
    // Two attempts started (the killed one and its retry); one completed.
    expect(job.logs.filter((l) => l.message === 'export started').length).toBeGreaterThanOrEqual(2);
    expect(job.logs.filter((l) => l.message === 'export completed')).toHaveLength(1);

    const meta = await h.http!.ok<{ rows: number; bytes: number; manifest: { sha256: string; rows: number } }>('GET', `/api/v1/exports/${created.id}`, { token: h.admin.token });
    const res = await fetch(`${h.server!.url}/api/v1/exports/${created.id}/download`, { headers: { authorization: `Bearer ${h.admin.token}` } });
    expect(res.status).toBe(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.length).toBe(meta.bytes);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(meta.manifest.sha256);
    // Whole from the first row: every unit once, every line a complete record.
    const lines = bytes.toString('utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(N);
    const items = new Set(lines.map((l) => (JSON.parse(l) as { itemId: string }).itemId));
    expect(items.size).toBe(N);
    expect(meta.rows).toBe(N);
    // Nothing of the killed attempt is left behind.
    expect(readdirSync(exportDir).filter((f) => f.startsWith(created.id))).toEqual([`${created.id}.jsonl`]);
  });
});
