import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { newId } from '../../src/core/ids.ts';
import type { BenchConfig } from '../support/config.ts';
import { withPeakRss } from '../support/measure.ts';
import { durationRow, skippedRow, type ResultRow } from '../support/report.ts';
import { createDataset, createProject, missingRoutes } from '../support/scenario.ts';
import type { Target } from '../support/target.ts';

export const importRoutes = ['POST /api/v1/projects/{projectId}/datasets', 'POST /api/v1/datasets/{datasetId}/items'];

/** `BENCH_IMPORT_KEYED=1` gives every line an externalId: the upsert path instead of plain inserts. */
const keyed = process.env.BENCH_IMPORT_KEYED === '1';
const line = (i: number) => `{${keyed ? `"externalId":"e${i}",` : ''}"kind":"text","payload":{"text":"imported item ${i}"},"metadata":{"bucket":${i % 10}}}\n`;

/** The same items as tab-separated COPY rows (JSON needs no escaping here: no tabs, backslashes or newlines). */
function copyText(projectId: string, datasetId: string, from: number, to: number) {
  let out = '';
  for (let i = from; i < to; i++) out += `${newId()}\t${projectId}\t${datasetId}\t${keyed ? `e${i}` : '\\N'}\ttext\t{"text":"imported item ${i}"}\t{"bucket":${i % 10}}\t${i + 1}\n`;
  return out;
}
const COPY_SQL = 'COPY items (id, project_id, dataset_id, external_id, kind, payload, metadata, seq) FROM STDIN';

async function rawCopy(target: Target, projectId: string, datasetId: string, count: number) {
  const chunk = 50_000;
  if (target.kind === 'pglite') {
    const parts: string[] = [];
    for (let i = 0; i < count; i += chunk) parts.push(copyText(projectId, datasetId, i, Math.min(count, i + chunk)));
    await target.database.pglite!.query(COPY_SQL.replace('STDIN', "'/dev/blob'"), [], { blob: new Blob(parts) });
    return;
  }
  const client = new pg.Client({ connectionString: target.databaseUrl });
  await client.connect();
  try {
    await client.query('begin');
    const stream = client.query(copyFrom(COPY_SQL));
    const finished = new Promise<void>((resolve, reject) => {
      stream.on('finish', resolve);
      stream.on('error', reject);
    });
    for (let i = 0; i < count; i += chunk) {
      if (!stream.write(copyText(projectId, datasetId, i, Math.min(count, i + chunk)))) await new Promise((r) => stream.once('drain', r));
    }
    stream.end();
    await finished;
    await client.query('update datasets set item_count = item_count + $2 where id = $1', [datasetId, count]);
    await client.query('commit');
  } finally {
    await client.end();
  }
}

/** Polls an import job (`GET /imports/{id}`) until it completes or fails, answering like a synchronous import would. */
async function importFinished(target: Target, importId: string) {
  for (;;) {
    const res = await target.http.request<{ status: string; created?: number; failedCount?: number; error?: unknown }>('GET', `/api/v1/imports/${importId}`, { token: target.admin.token });
    if (res.status !== 200) return res;
    if (res.body.status === 'completed') return { ...res, status: 201 };
    if (res.body.status === 'failed') return { ...res, status: 422 };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Import of N NDJSON items through `POST /datasets/{id}/items` (validation of every line,
 * batched COPY on PostgreSQL or upserts on PGlite, dataset counters, audit) against one `COPY` of
 * the same rows into `items`. With `BENCH_IMPORT_KEYED=1` every line has an externalId (upserts). Peak memory is
 * the process's resident set (server, client and, on PGlite, the database live in this process).
 */
export async function importWorkload(target: Target, cfg: BenchConfig, routes: Set<string>): Promise<ResultRow[]> {
  const missing = missingRoutes(routes, importRoutes);
  if (missing.length) return [skippedRow(target.kind, 'NDJSON import', `routes not landed: ${missing.join(', ')}`)];
  const n = cfg.importItems;
  const projectId = await createProject(target, 'bench-import');
  const datasetId = await createDataset(target, projectId, 'loupe');
  const rawDatasetId = await createDataset(target, projectId, 'raw');
  const parts: string[] = [];
  for (let i = 0; i < n; i += 10_000) {
    let s = '';
    for (let j = i; j < Math.min(n, i + 10_000); j++) s += line(j);
    parts.push(s);
  }
  const body = Buffer.from(parts.join(''));
  parts.length = 0;
  global.gc?.();

  const t0 = performance.now();
  const loupe = await withPeakRss(async () => {
    const posted = await target.http.request<{ created?: number; failedCount?: number; importId?: string }>('POST', `/api/v1/datasets/${datasetId}/items`, { token: target.admin.token, raw: body, contentType: 'application/x-ndjson' });
    // A body over LOUPE_IMPORT_JOB_BYTES is imported by a job (202, docs/imports.md): the import
    // is done when the job says so, and that is what a user waits for.
    return posted.status === 202 ? await importFinished(target, posted.body.importId!) : posted;
  });
  const loupeSeconds = (performance.now() - t0) / 1000;
  const res = loupe.result;
  if (res.status >= 300) return [skippedRow(target.kind, `NDJSON import of ${n.toLocaleString('en-US')} items`, `import answered ${res.status}: ${JSON.stringify(res.body).slice(0, 200)}`)];
  const [{ count }] = (await target.raw.query<{ count: number }>('select count(*)::int as count from items where dataset_id = $1', [datasetId])) as [{ count: number }];
  if (count !== n) return [skippedRow(target.kind, `NDJSON import of ${n.toLocaleString('en-US')} items`, `the import answered ${res.status} but left ${count} of ${n} rows`)];

  const t1 = performance.now();
  const raw = await withPeakRss(() => rawCopy(target, projectId, rawDatasetId, n));
  const rawSeconds = (performance.now() - t1) / 1000;
  const note = `${Math.round(n / loupeSeconds).toLocaleString('en-US')} items/s; peak RSS +${Math.round(loupe.peakRssMb - loupe.baseRssMb)} MB (raw COPY +${Math.round(raw.peakRssMb - raw.baseRssMb)} MB), body ${Math.round(body.length / 2 ** 20)} MB`;
  console.log(`  [${target.kind}] import ${n}: Loupe ${loupeSeconds.toFixed(1)} s (${count} rows), COPY ${rawSeconds.toFixed(1)} s; ${note}`);
  return [
    durationRow(target.kind, `NDJSON import of ${n.toLocaleString('en-US')} items${keyed ? ' with externalIds' : ''}`, loupeSeconds, rawSeconds, {
      note,
      details: { created: res.body.created, rowsPresent: count, loupePeakRssMb: loupe.peakRssMb, loupeBaseRssMb: loupe.baseRssMb, rawPeakRssMb: raw.peakRssMb, bodyBytes: body.length },
    }),
  ];
}
