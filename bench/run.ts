/**
 * `npm run bench`: Loupe through its HTTP API next to raw SQL doing the same work on the same
 * database in the same run, on PostgreSQL and PGlite. Prints a table and writes
 * bench/results/<timestamp>.json. Sizes and durations come from the environment (see
 * docs/benchmarks.md); BENCH_QUICK=1 runs everything small in about two minutes.
 */
import { fileURLToPath } from 'node:url';
import { benchConfig, selectedWorkloads } from './support/config.ts';
import { machine, markdownTable, skippedRow, writeResults, type ResultRow } from './support/report.ts';
import { documentedRoutes, openTarget, type TargetKind } from './support/target.ts';
import { decayWorkload, pullWorkload, type Rates } from './workloads/pull-queue.ts';
import { statusWorkload } from './workloads/status-writes.ts';
import { createWorkload } from './workloads/task-create.ts';
import { soakWorkload } from './workloads/soak.ts';
import { importWorkload } from './workloads/import-items.ts';
import { otlpWorkload } from './workloads/otlp-ingest.ts';
import { exportWorkload } from './workloads/export.ts';
import { evaluatorsWorkload } from './workloads/evaluators.ts';
import { detailWorkload, listWorkload, seedBigProject, type BigProject } from './workloads/task-list.ts';

const baseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const targets = (process.env.BENCH_TARGETS ?? 'postgres,pglite').split(',').map((s) => s.trim()) as TargetKind[];
const workloads = selectedWorkloads();
const resultsDir = fileURLToPath(new URL('./results', import.meta.url));

async function runTarget(kind: TargetKind): Promise<ResultRow[]> {
  const cfg = benchConfig(kind);
  console.log(`\n== ${kind}${cfg.quick ? ' (quick)' : ''}`);
  const target = await openTarget(kind, { baseUrl, pglitePath: process.env.BENCH_PGLITE_DIR === '1' ? 'dir' : 'memory' });
  const rows: ResultRow[] = [];
  // One workload failing (a route that answers unexpectedly) must not hide the others' figures.
  const attempt = async (name: string, fn: () => Promise<ResultRow[]>) => {
    try {
      rows.push(...(await fn()));
    } catch (error) {
      console.error(`  [${kind}] ${name} failed:`, error instanceof Error ? error.message : error);
      rows.push(skippedRow(kind, name, `failed: ${(error instanceof Error ? error.message : String(error)).slice(0, 160)}`));
    }
  };
  try {
    const routes = await documentedRoutes(target);
    let rate8: Rates | undefined;
    if (workloads.has('pull')) {
      await attempt('pull-queue claims', async () => {
        const r = await pullWorkload(target, cfg, routes);
        rate8 = r.rate8;
        return r.rows;
      });
    }
    if (workloads.has('decay')) await attempt('pull-queue decay', () => decayWorkload(target, cfg, routes, rate8));
    if (workloads.has('status')) await attempt('item status writes', () => statusWorkload(target, cfg, routes));
    if (workloads.has('create')) await attempt('task creation', () => createWorkload(target, cfg, routes));
    if (workloads.has('soak')) await attempt('soak', () => soakWorkload(target, cfg, routes));
    if (workloads.has('import')) await attempt('NDJSON import', () => importWorkload(target, cfg, routes));
    if (workloads.has('otlp')) await attempt('OTLP ingest', () => otlpWorkload(target, routes));
    if (workloads.has('export')) await attempt('export', () => exportWorkload(target, cfg, routes));
    if (workloads.has('evaluators')) await attempt('evaluators', () => evaluatorsWorkload(target));
    if (workloads.has('list') || workloads.has('detail')) {
      let big: BigProject | null = null;
      let finished: BigProject | null = null;
      await attempt('seed 100k tasks', async () => {
        const t0 = performance.now();
        big = await seedBigProject(target, cfg.tasks);
        console.log(`  [${kind}] seeded ${cfg.tasks.toLocaleString('en-US')} tasks in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
        // And a finished project of the same size for the list's rare statuses.
        if (workloads.has('list')) finished = await seedBigProject(target, cfg.tasks, 'finished');
        return [];
      });
      if (workloads.has('list')) await attempt('task list', () => listWorkload(target, cfg, routes, big, finished));
      if (workloads.has('detail')) await attempt('summary and task detail', () => detailWorkload(target, cfg, routes, big));
    }
  } finally {
    await target.close();
  }
  return rows;
}

async function main() {
  const started = new Date();
  const rows: ResultRow[] = [];
  for (const kind of targets) rows.push(...(await runTarget(kind)));
  const table = markdownTable(rows);
  console.log(`\n${table}\n\nratio = Loupe as a share of raw SQL's speed (throughput Loupe/raw; latency and duration raw/Loupe); ⚠ below 1/3.`);
  const file = writeResults(resultsDir, {
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: machine(),
    quick: process.env.BENCH_QUICK === '1',
    config: Object.fromEntries(targets.map((k) => [k, benchConfig(k)])),
    rows,
    table,
  });
  console.log(`results: ${file}`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
