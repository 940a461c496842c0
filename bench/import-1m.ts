/**
 * `npx tsx bench/import-1m.ts`: imports 1,000,000 small NDJSON items through the real HTTP API
 * (a listening server, the body streamed from a generator: never a 1M-line string in memory),
 * then COPYs the same rows into a scratch table of the same shape on the same database, and prints
 * both times and the process's peak resident memory. Runs on PostgreSQL (`BENCH_DATABASE_URL`,
 * default postgres://postgres@127.0.0.1:5432/test: a scratch database is made and dropped) and on
 * PGlite (a temporary data directory). `BENCH_IMPORT_ITEMS` changes the count, `BENCH_TARGETS`
 * the databases (`postgres,pglite`).
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { newId } from '../src/core/ids.ts';
import { openTarget, type Target, type TargetKind } from './support/target.ts';

const count = Number(process.env.BENCH_IMPORT_ITEMS ?? 1_000_000);
const baseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const targets = (process.env.BENCH_TARGETS ?? 'postgres,pglite').split(',').map((s) => s.trim()) as TargetKind[];

const mb = (bytes: number) => Math.round(bytes / 2 ** 20);

/** Samples RSS every 50 ms while `fn` runs: the peak and the level it started from. */
async function withPeakRss<T>(fn: () => Promise<T>) {
  const base = process.memoryUsage.rss();
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 50);
  try {
    const result = await fn();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { result, baseMb: mb(base), peakMb: mb(peak) };
  } finally {
    clearInterval(timer);
  }
}

const line = (i: number) => `{"externalId":"e${i}","kind":"text","payload":{"text":"imported item ${i}"},"metadata":{"bucket":${i % 10}}}\n`;

/** The body, 1000 lines per chunk, produced only as fast as the socket takes it. */
function* ndjsonBody(n: number): Generator<string> {
  for (let i = 0; i < n; i += 1000) {
    let chunk = '';
    for (let j = i; j < Math.min(n, i + 1000); j++) chunk += line(j);
    yield chunk;
  }
}

function streamImport(target: Target, datasetId: string, n: number): Promise<{ status: number; body: any; bytes: number }> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    const req = http.request(`${target.url}/api/v1/datasets/${datasetId}/items`, {
      method: 'POST',
      headers: { authorization: `Bearer ${target.admin.token}`, 'content-type': 'application/x-ndjson' },
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null, bytes }));
    });
    req.on('error', reject);
    const body = Readable.from(ndjsonBody(n));
    body.on('data', (c: string) => (bytes += Buffer.byteLength(c)));
    body.pipe(req);
  });
}

/** The same rows as COPY text (no tabs, backslashes or newlines in them, so no escaping). */
function* copyRows(projectId: string, datasetId: string, n: number): Generator<string> {
  const now = new Date().toISOString();
  for (let i = 0; i < n; i += 10_000) {
    let chunk = '';
    for (let j = i; j < Math.min(n, i + 10_000); j++) {
      chunk += `${newId()}\t${projectId}\t${datasetId}\te${j}\ttext\t{"text":"imported item ${j}"}\t{"bucket":${j % 10}}\tf\t${j + 1}\t${now}\t${now}\n`;
    }
    yield chunk;
  }
}
const COPY_COLUMNS = '(id, project_id, dataset_id, external_id, kind, payload, metadata, draft, seq, created_at, updated_at)';

async function copyInto(target: Target, projectId: string, datasetId: string, n: number) {
  // Same columns, defaults and indexes as items (the partial unique index on externalId included).
  await target.raw.query('create table bench_copy (like items including defaults including indexes)');
  if (target.kind === 'pglite') {
    // PGlite's COPY reads a Blob: the rows are built in memory first (that is in the RSS figure).
    const blob = new Blob([...copyRows(projectId, datasetId, n)]);
    await target.database.pglite!.query(`COPY bench_copy ${COPY_COLUMNS} FROM '/dev/blob'`, [], { blob });
    return;
  }
  const client = new pg.Client({ connectionString: target.databaseUrl });
  await client.connect();
  try {
    const stream = client.query(copyFrom(`COPY bench_copy ${COPY_COLUMNS} FROM STDIN`));
    await new Promise<void>((resolve, reject) => {
      stream.on('finish', resolve);
      stream.on('error', reject);
      Readable.from(copyRows(projectId, datasetId, n)).pipe(stream);
    });
  } finally {
    await client.end();
  }
}

async function run(kind: TargetKind) {
  const target = await openTarget(kind, { baseUrl, pglitePath: 'dir' });
  try {
    const project = await fetch(`${target.url}/api/v1/projects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${target.admin.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench-import-1m' }),
    }).then((r) => r.json() as Promise<{ id: string }>);
    const dataset = await fetch(`${target.url}/api/v1/projects/${project.id}/datasets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${target.admin.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench' }),
    }).then((r) => r.json() as Promise<{ id: string }>);
    global.gc?.();

    const t0 = performance.now();
    const imported = await withPeakRss(() => streamImport(target, dataset.id, count));
    const importSeconds = (performance.now() - t0) / 1000;
    if (imported.result.status !== 200) throw new Error(`import answered ${imported.result.status}: ${JSON.stringify(imported.result.body).slice(0, 300)}`);
    const { rows } = (await target.raw.query<{ rows: number }>('select count(*)::int as rows from items where dataset_id = $1', [dataset.id]))[0]!;

    const t1 = performance.now();
    const copied = await withPeakRss(() => copyInto(target, project.id, dataset.id, count));
    const copySeconds = (performance.now() - t1) / 1000;
    const { copiedRows } = (await target.raw.query<{ copiedRows: number }>('select count(*)::int as "copiedRows" from bench_copy'))[0]!;

    const result = {
      database: kind,
      items: count,
      bodyMb: mb(imported.result.bytes),
      import: { seconds: +importSeconds.toFixed(1), itemsPerSecond: Math.round(count / importSeconds), created: imported.result.body.created, rowsPresent: rows, rssBaseMb: imported.baseMb, rssPeakMb: imported.peakMb },
      copy: { seconds: +copySeconds.toFixed(1), rowsPresent: copiedRows, rssBaseMb: copied.baseMb, rssPeakMb: copied.peakMb },
      importOverCopy: +(importSeconds / copySeconds).toFixed(1),
    };
    console.log(JSON.stringify(result));
    return result;
  } finally {
    await target.close();
  }
}

const results = [];
for (const kind of targets) results.push(await run(kind));
console.log('\n| database | items | body | HTTP import | items/s | RSS base → peak | COPY | RSS base → peak | import ÷ COPY |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of results) {
  console.log(
    `| ${r.database} | ${r.items.toLocaleString('en-US')} | ${r.bodyMb} MB | ${r.import.seconds} s | ${r.import.itemsPerSecond.toLocaleString('en-US')} | ${r.import.rssBaseMb} → ${r.import.rssPeakMb} MB | ${r.copy.seconds} s | ${r.copy.rssBaseMb} → ${r.copy.rssPeakMb} MB | ${r.importOverCopy}× |`,
  );
}
process.exit(0);
