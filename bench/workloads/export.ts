/**
 * Export row of the benchmarks (docs/exports.md): N annotated task items exported to JSONL and to
 * Parquet through the API (`POST /projects/{id}/exports`, the job runs in the server's workers),
 * beside `COPY (select … the same rows …) TO STDOUT` in the same run. Reports items/s, time to
 * the file's first byte and the process's peak RSS (server and client share this process).
 * Sizes: `BENCH_EXPORT_ITEMS` (default 1,000,000 on PostgreSQL, 200,000 on PGlite, 20,000 quick);
 * formats: `BENCH_EXPORT_FORMATS` (default `jsonl,parquet`).
 */
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { BenchConfig } from '../support/config.ts';
import { withPeakRss } from '../support/measure.ts';
import { skippedRow, throughputRow, type ResultRow } from '../support/report.ts';
import { createDataset, createProject, missingRoutes, sqlId } from '../support/scenario.ts';
import type { Target } from '../support/target.ts';

export const exportRoutes = ['POST /api/v1/projects/{projectId}/exports', 'GET /api/v1/exports/{exportId}'];

const itemsFor = (target: Target, cfg: BenchConfig) =>
  Number(process.env.BENCH_EXPORT_ITEMS ?? (cfg.quick ? 20_000 : target.kind === 'postgres' ? 1_000_000 : 200_000));

const exportFormats = () => {
  const names = (process.env.BENCH_EXPORT_FORMATS ?? 'jsonl,parquet').split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) if (n !== 'jsonl' && n !== 'parquet') throw new Error(`BENCH_EXPORT_FORMATS: unknown format "${n}" (known: jsonl, parquet)`);
  return names as Array<'jsonl' | 'parquet'>;
};

/** N items, each a unit of one task with status done and a one-shape annotation, seeded in SQL. */
async function seed(target: Target, n: number) {
  const projectId = await createProject(target, 'bench-export');
  const datasetId = await createDataset(target, projectId, 'export');
  const [task] = await target.raw.query<{ id: string }>(
    `insert into tasks (id, project_id, name, type, workflow_state, allocation) values (gen_random_uuid(), $1, 'bench-export', 'labeling', 'draft', '{"method":"pulling"}'::jsonb) returning id`,
    [projectId],
  );
  const base = Date.now();
  for (let from = 0; from < n; from += 100_000) {
    const to = Math.min(n, from + 100_000);
    await target.raw.query(
      `with src as (select g, ${sqlId('g', base)} as item_id, ${sqlId('g', base + 1)} as unit_id from generate_series($4::int, $5::int) g),
       i as (insert into items (id, project_id, dataset_id, external_id, kind, payload, seq)
         select item_id, $1, $2, 'ext-' || g, 'text', jsonb_build_object('text', 'item number ' || g || ' with some words'), g from src),
       u as (insert into task_items (id, project_id, task_id, item_id, position, worker_id, status, done)
         select unit_id, $1, $3, item_id, g, $6, 'done', true from src)
       insert into annotations (id, project_id, task_id, item_id, task_item_id, author_id, shapes)
         select gen_random_uuid(), $1, $3, item_id, unit_id, $6, jsonb_build_array(jsonb_build_object('tool', 'classification', 'label', 'cat')) from src`,
      [projectId, datasetId, task!.id, from, to - 1, target.admin.id],
    );
  }
  await target.raw.query('analyze');
  return { projectId, taskId: task!.id };
}

/** The same rows the export reads, as COPY text: the raw baseline. */
const copySql = (taskId: string) => `copy (select ti.id, ti.item_id, i.external_id, ti.task_id, ti.status, coalesce(a.author_id, ti.worker_id),
  greatest(a.updated_at, ti.finished_at, ti.created_at), a.shapes, i.payload
  from task_items ti join items i on i.id = ti.item_id left join annotations a on a.task_item_id = ti.id
  where ti.task_id = '${taskId}' order by ti.id) to stdout`;

async function rawCopy(target: Target, taskId: string): Promise<{ rows: number; firstByteMs: number }> {
  const start = performance.now();
  if (target.kind === 'pglite') {
    const result = await target.database.pglite!.query(copySql(taskId).replace('to stdout', "to '/dev/blob'"));
    const text = await result.blob!.text();
    return { rows: text.split('\n').length - 1, firstByteMs: performance.now() - start };
  }
  const client = new pg.Client({ connectionString: target.databaseUrl });
  await client.connect();
  let rows = 0;
  let first = 0;
  try {
    await pipeline(
      client.query(copyTo(copySql(taskId))),
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          first ||= performance.now() - start;
          for (const b of chunk) if (b === 10) rows++;
          callback();
        },
      }),
    );
  } finally {
    await client.end();
  }
  return { rows, firstByteMs: first };
}

/** One export through the API, timed from the request to `completed`; the first byte is watched on the partial file. */
async function apiExport(target: Target, dir: string, projectId: string, taskId: string, format: 'jsonl' | 'parquet') {
  const start = performance.now();
  const created = await target.http.ok<{ id: string }>('POST', `/api/v1/projects/${projectId}/exports`, { token: target.admin.token, body: { taskIds: [taskId], format } });
  const partial = join(dir, `${created.id}.${format}.partial`);
  let firstByteMs = 0;
  const watch = setInterval(() => {
    if (firstByteMs) return;
    try {
      if (statSync(partial).size > 0) firstByteMs = performance.now() - start;
    } catch {
      // not created yet, or already renamed
    }
  }, 10);
  try {
    for (;;) {
      const e = await target.http.ok<{ status: string; rows: number; bytes: number; error: string | null }>('GET', `/api/v1/exports/${created.id}`, { token: target.admin.token });
      if (e.status === 'failed') throw new Error(`export failed: ${e.error}`);
      if (e.status === 'completed') return { rows: e.rows, bytes: e.bytes, seconds: (performance.now() - start) / 1000, firstByteMs };
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    clearInterval(watch);
  }
}

export async function exportWorkload(target: Target, cfg: BenchConfig, routes: Set<string>): Promise<ResultRow[]> {
  const missing = missingRoutes(routes, exportRoutes);
  if (missing.length) return [skippedRow(target.kind, 'export', `routes not landed: ${missing.join(', ')}`)];
  const n = itemsFor(target, cfg);
  const dir = mkdtempSync(join(tmpdir(), 'loupe-bench-export-'));
  process.env.LOUPE_EXPORT_DIR = dir; // read by the in-process server at each export
  const t0 = performance.now();
  const { projectId, taskId } = await seed(target, n);
  console.log(`  [${target.kind}] seeded ${n.toLocaleString('en-US')} annotated items in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  global.gc?.();
  const copyStart = performance.now();
  const copy = await withPeakRss(() => rawCopy(target, taskId));
  const copyPerSecond = copy.result.rows / ((performance.now() - copyStart) / 1000);
  const rows: ResultRow[] = [];
  for (const format of exportFormats()) {
    global.gc?.();
    const run = await withPeakRss(() => apiExport(target, dir, projectId, taskId, format));
    const r = run.result;
    const perSecond = r.rows / r.seconds;
    const note = `${Math.round(perSecond).toLocaleString('en-US')} items/s vs COPY TO ${Math.round(copyPerSecond).toLocaleString('en-US')}/s; first byte ${Math.round(r.firstByteMs)} ms; peak RSS ${Math.round(run.peakRssMb)} MB (COPY ${Math.round(copy.peakRssMb)} MB); ${(r.bytes / 2 ** 20).toFixed(0)} MiB`;
    console.log(`  [${target.kind}] export ${format} ${n}: ${r.seconds.toFixed(1)} s, ${note}`);
    rows.push(
      throughputRow(target.kind, `export ${n.toLocaleString('en-US')} items to ${format.toUpperCase()}`, perSecond, copyPerSecond, {
        note,
        details: { rows: r.rows, bytes: r.bytes, seconds: r.seconds, firstByteMs: r.firstByteMs, peakRssMb: run.peakRssMb, baseRssMb: run.baseRssMb, copyRows: copy.result.rows, copyFirstByteMs: copy.result.firstByteMs, copyPeakRssMb: copy.peakRssMb },
      }),
    );
  }
  return rows;
}
