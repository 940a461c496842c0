import type { TargetKind } from './target.ts';

/** A non-negative number from the environment, or `fallback` when unset. */
export const num = (name: string, fallback: number) => {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number, not "${v}"`);
  return n;
};
const list = (name: string, fallback: string) => (process.env[name] ?? fallback).split(',').map((s) => s.trim()).filter(Boolean);

export const workloadNames = ['pull', 'decay', 'status', 'soak', 'import', 'list', 'detail', 'otlp', 'export', 'evaluators', 'create'] as const;
export type WorkloadName = (typeof workloadNames)[number];

/**
 * Every size and duration comes from the environment (documented in docs/benchmarks.md).
 * `BENCH_QUICK=1` shrinks them so both targets finish in about two minutes.
 */
export function benchConfig(kind: TargetKind) {
  const quick = process.env.BENCH_QUICK === '1';
  const pg = kind === 'postgres';
  return {
    quick,
    /** Seconds per concurrency level of the claim and status workloads. */
    seconds: num('BENCH_SECONDS', quick ? 3 : 10),
    pullClients: list('BENCH_PULL_CLIENTS', '1,8,32').map(Number),
    statusClients: list('BENCH_STATUS_CLIENTS', '8,32').map(Number),
    /**
     * Server processes behind the pull and status rows: 0 is the in-process server (the rows
     * without a process count), N ≥ 1 that many server processes (children running
     * src/main/server.ts) on the same database, the client spreading requests over them: the 1-
     * and 2-process rows compare like with like. PostgreSQL only: PGlite lives in one process.
     */
    processes: pg ? processCounts() : [0],
    decaySeconds: num('BENCH_DECAY_SECONDS', quick ? (pg ? 20 : 0) : pg ? 300 : 60),
    decayWindowSeconds: num('BENCH_DECAY_WINDOW_SECONDS', quick ? 10 : 30),
    decayClients: num('BENCH_DECAY_CLIENTS', 8),
    /** Soak: annotators looping pull → completed, its length and its window (docs/benchmarks.md). */
    soakSeconds: num('BENCH_SOAK_SECONDS', quick ? 20 : 120),
    soakWindowSeconds: num('BENCH_SOAK_WINDOW_SECONDS', quick ? 10 : 60),
    soakClients: num('BENCH_SOAK_CLIENTS', 16),
    importItems: num('BENCH_IMPORT_ITEMS', quick ? 20_000 : pg ? 1_000_000 : 200_000),
    /** Items of the task-creation workload's dataset (one unit each, distributed to 32 annotators). */
    createItems: num('BENCH_CREATE_ITEMS', quick ? 20_000 : pg ? 1_000_000 : 200_000),
    tasks: num('BENCH_TASKS', quick ? 20_000 : 100_000),
    samples: num('BENCH_SAMPLES', quick ? 40 : 300),
    /** Items held per annotator before the pull queue refuses more (the task's maxWorkload). */
    maxWorkload: num('BENCH_MAX_WORKLOAD', 1000),
  };
}
export type BenchConfig = ReturnType<typeof benchConfig>;

function processCounts() {
  const counts = list('BENCH_PROCESSES', '0,1,2').map(Number);
  for (const n of counts) if (!Number.isInteger(n) || n < 0 || n > 8) throw new Error(`BENCH_PROCESSES: "${n}" is not 0 (in-process) or a process count from 1 to 8`);
  return counts;
}

/** A row's name, with its count of server processes when it ran against child processes (0: the in-process server). */
export const withProcesses = (name: string, processes: number) => (processes === 0 ? name : `${name}, ${processes} server process${processes > 1 ? 'es' : ''}`);

export function selectedWorkloads(): Set<WorkloadName> {
  const names = list('BENCH_WORKLOADS', workloadNames.join(','));
  for (const n of names) if (!(workloadNames as readonly string[]).includes(n)) throw new Error(`BENCH_WORKLOADS: unknown workload "${n}" (known: ${workloadNames.join(', ')})`);
  return new Set(names as WorkloadName[]);
}
