/**
 * Export row of the benchmarks (docs/exports.md): N annotated task items written to JSONL and to
 * Parquet by the export writers, beside `COPY … TO STDOUT` of the same rows in the same run, on
 * PostgreSQL. Prints items/s, peak RSS and time to first byte.
 *
 *   BENCH_EXPORT_ITEMS=100000 npx tsx bench/export.ts
 */
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { sql } from 'drizzle-orm';
import { openDb } from '../src/db/client.ts';
import { runMigrations } from '../src/db/migrate.ts';
import { newId } from '../src/core/ids.ts';
import { readExportBatch, type ExportQuery, type ExportRow } from '../src/annotations/annotations-for-export.ts';
import { writeJsonl } from '../src/exports/formats/json.ts';
import { writeParquet } from '../src/exports/formats/parquet.ts';
import type { FormatWriter } from '../src/exports/formats/format.ts';

const N = Number(process.env.BENCH_EXPORT_ITEMS ?? 100_000);
const base = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const dbName = `loupe_bench_export_${process.pid}`;

async function main() {
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  const url = base.replace(/\/[^/]*$/, `/${dbName}`);
  const database = await openDb({ databaseUrl: url, poolSize: 4 });
  try {
    await runMigrations(database);
    const db = database.db;
    const projectId = newId();
    const datasetId = newId();
    const taskId = newId();
    const userId = newId();
    console.log(`seeding ${N} annotated items…`);
    const t0 = performance.now();
    await db.execute(sql`insert into users (id, email, name) values (${userId}::uuid, ${`bench-${userId}@example.com`}, 'bench')`);
    await db.execute(sql`insert into projects (id, name) values (${projectId}::uuid, 'bench')`);
    await db.execute(sql`insert into datasets (id, project_id, name) values (${datasetId}::uuid, ${projectId}::uuid, 'bench')`);
    await db.execute(sql`insert into tasks (id, project_id, name, type, workflow_state, allocation) values (${taskId}::uuid, ${projectId}::uuid, 'bench', 'labeling', 'draft', '{"method":"pulling"}'::jsonb)`);
    for (let from = 0; from < N; from += 100_000) {
      const to = Math.min(N, from + 100_000);
      await db.execute(sql`
        with src as (select g, gen_random_uuid() as item_id, gen_random_uuid() as unit_id from generate_series(${from}::int, ${to - 1}::int) g),
        i as (insert into items (id, project_id, dataset_id, external_id, kind, payload, seq)
          select item_id, ${projectId}::uuid, ${datasetId}::uuid, 'ext-' || g, 'text', jsonb_build_object('text', 'item number ' || g || ' with some words'), g from src),
        u as (insert into task_items (id, project_id, task_id, item_id, position, worker_id, status, done)
          select unit_id, ${projectId}::uuid, ${taskId}::uuid, item_id, g, ${userId}::uuid, 'done', true from src)
        insert into annotations (id, project_id, task_id, item_id, task_item_id, author_id, shapes)
          select gen_random_uuid(), ${projectId}::uuid, ${taskId}::uuid, item_id, unit_id, ${userId}::uuid,
            jsonb_build_array(jsonb_build_object('tool', 'classification', 'label', 'cat')) from src`);
    }
    await db.execute(sql`analyze`);
    console.log(`seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const dir = mkdtempSync(join(tmpdir(), 'loupe-bench-export-'));
    const query: ExportQuery = { projectId, taskIds: [taskId] };

    const measure = async (name: string, run: (firstByte: () => void) => Promise<number>) => {
      global.gc?.();
      let peak = process.memoryUsage().rss;
      const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
      const start = performance.now();
      let first = 0;
      const rows = await run(() => (first ||= performance.now() - start));
      const seconds = (performance.now() - start) / 1000;
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage().rss);
      const result = { name, rows, seconds: +seconds.toFixed(2), itemsPerSecond: Math.round(rows / seconds), firstByteMs: Math.round(first), peakRssMb: Math.round(peak / 2 ** 20) };
      console.log(JSON.stringify(result));
      return result;
    };
    const viaWriter = (writer: FormatWriter, file: string) => (firstByte: () => void) =>
      writer({
        path: join(dir, file),
        scratchDir: dir,
        batches: async function* () {
          let after: string | null = null;
          for (;;) {
            const batch: ExportRow[] = await readExportBatch(db, query, after, 2000);
            if (!batch.length) return;
            after = batch[batch.length - 1]!.taskItemId;
            yield batch;
            firstByte();
            if (batch.length < 2000) return;
          }
        },
        categories: [],
        taskNames: new Map(),
        options: {},
      }).then((r) => r.rows);

    const copy = await measure('COPY TO', async (firstByte) => {
      const client = await database.pool!.connect();
      let lines = 0;
      try {
        const stream = client.query(copyTo(`copy (select ti.id, ti.item_id, i.external_id, ti.task_id, ti.status, coalesce(a.author_id, ti.worker_id), greatest(a.updated_at, ti.finished_at, ti.created_at), a.shapes, i.payload
          from task_items ti join items i on i.id = ti.item_id left join annotations a on a.task_item_id = ti.id where ti.task_id = '${taskId}' order by ti.id) to stdout`));
        await pipeline(stream, new Writable({ write(chunk: Buffer, _e, cb) { firstByte(); for (const b of chunk) if (b === 10) lines++; cb(); } }));
      } finally {
        client.release();
      }
      return lines;
    });
    const jsonl = await measure('JSONL export', viaWriter(writeJsonl, 'out.jsonl'));
    const parquet = await measure('Parquet export', viaWriter(writeParquet, 'out.parquet'));
    console.log(`\nitems: ${N}; JSONL ${jsonl.itemsPerSecond}/s (${(jsonl.itemsPerSecond / copy.itemsPerSecond * 100).toFixed(0)}% of COPY TO ${copy.itemsPerSecond}/s), ` +
      `first byte ${jsonl.firstByteMs} ms, peak RSS ${jsonl.peakRssMb} MB, ${(statSync(join(dir, 'out.jsonl')).size / 2 ** 20).toFixed(1)} MiB; ` +
      `Parquet ${parquet.itemsPerSecond}/s, peak RSS ${parquet.peakRssMb} MB`);
  } finally {
    await database.close();
    await admin.query(`drop database if exists ${dbName} with (force)`);
    await admin.end();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
