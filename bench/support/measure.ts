import { readFile, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { performance } from 'node:perf_hooks';

export interface Latency {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
}

/** Percentiles of a list of durations in milliseconds (nearest-rank). */
export function latency(samples: number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
  const mean = sorted.reduce((s, v) => s + v, 0) / Math.max(1, sorted.length);
  return { count: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), mean };
}

/** Runs `fn` `iterations` times by one caller after `warmup` untimed calls; returns its latencies. */
export async function timeSerial(iterations: number, fn: (i: number) => Promise<void>, warmup = Math.min(20, iterations)): Promise<Latency> {
  for (let i = 0; i < warmup; i++) await fn(i);
  const samples: number[] = [];
  const profiling = await startProfile();
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    await fn(i);
    samples.push(performance.now() - t0);
  }
  await profiling?.();
  return latency(samples);
}

export interface Throughput {
  /** Completed operations per second over the whole run. */
  perSecond: number;
  operations: number;
  seconds: number;
  /** Operations per window (for decay runs), in windows of `windowSeconds`. */
  windows: number[];
  latency: Latency;
  /**
   * CPU time of this process (user + system, all its threads) per operation, in microseconds:
   * with the server in this process, what one request costs the server and its HTTP client
   * together; for raw SQL, what the driver costs. The database's own CPU is not in it.
   */
  cpuMicrosPerOp: number;
  /**
   * CPU time of the database's server processes (the scratch database's backends, read from
   * /proc on this machine) per operation, in microseconds, when the workload passed a
   * `databaseCpu` reader: with `cpuMicrosPerOp`, where an operation's CPU goes on a machine whose
   * cores the two share. Absent on PGlite (the database runs in this process).
   */
  dbCpuMicrosPerOp?: number;
  /** A worker had no work left before the time was up (every worker then stops): the figure covers less than a full run. */
  ranOut: boolean;
}

/**
 * `workers` concurrent loops call `fn(worker)` until `seconds` have passed or `fn` returns
 * false (work exhausted). Each call counts as one operation when it returns a positive number
 * (the number of operations it did, e.g. items claimed). Windows of `windowSeconds` record the
 * rate over time; `onWindow` is called as each one closes.
 */
export async function timeConcurrent(
  workers: number,
  seconds: number,
  fn: (worker: number) => Promise<number | false>,
  options: { windowSeconds?: number; onWindow?: (index: number, perSecond: number) => void; databaseCpu?: DatabaseCpu } = {},
): Promise<Throughput> {
  const windowMs = (options.windowSeconds ?? seconds) * 1000;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  const windows: number[] = [];
  const samples: number[] = [];
  let operations = 0;
  let exhausted = false;
  const windowOf = (t: number) => Math.floor((t - start) / windowMs);
  let reported = 0;
  const report = (upTo: number) => {
    while (reported < upTo) {
      options.onWindow?.(reported, (windows[reported] ?? 0) / (windowMs / 1000));
      reported++;
    }
  };
  const loop = async (worker: number) => {
    while (!exhausted && performance.now() < deadline) {
      const t0 = performance.now();
      const done = await fn(worker);
      const t1 = performance.now();
      if (done === false) {
        exhausted = true;
        break;
      }
      if (done > 0) {
        samples.push(t1 - t0);
        operations += done;
        const w = windowOf(t1);
        windows[w] = (windows[w] ?? 0) + done;
        report(w);
      }
    }
  };
  const profiling = await startProfile();
  const dbBefore = await options.databaseCpu?.();
  const cpuBefore = process.cpuUsage();
  await Promise.all(Array.from({ length: workers }, (_, i) => loop(i)));
  const elapsed = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const dbAfter = await options.databaseCpu?.();
  await profiling?.();
  const dbCpuMicrosPerOp = dbBefore && dbAfter ? (cpuSpent(dbBefore, dbAfter) * 1e6) / Math.max(1, operations) : undefined;
  for (let i = 0; i < windows.length; i++) windows[i] ??= 0;
  report(Math.floor((elapsed * 1000) / windowMs));
  return { perSecond: operations / elapsed, operations, seconds: elapsed, windows, latency: latency(samples), cpuMicrosPerOp: (cpu.user + cpu.system) / Math.max(1, operations), ...(dbCpuMicrosPerOp !== undefined ? { dbCpuMicrosPerOp } : {}), ranOut: exhausted };
}

/** "1,313 / 420 µs": CPU per operation of this process and of the database (when it was read). */
export const cpuPair = (t: Throughput) => `${t.cpuMicrosPerOp.toFixed(0)}${t.dbCpuMicrosPerOp !== undefined ? ` / ${t.dbCpuMicrosPerOp.toFixed(0)}` : ''} µs`;

/** CPU seconds (user + system) spent so far by each of the database's server processes, by pid; null where it cannot be read. */
export type DatabaseCpu = () => Promise<Map<number, number> | null>;

/**
 * A `DatabaseCpu` reader for a PostgreSQL on this machine: the backends of the current database
 * (`pg_stat_activity`), fields 14 and 15 of /proc/<pid>/stat. Null when /proc does not have them
 * (a database on another machine).
 */
export function postgresCpu(query: (text: string) => Promise<Array<{ pid: number }>>): DatabaseCpu {
  return async () => {
    const pids = await query('select pid from pg_stat_activity where datname = current_database()');
    const seconds = new Map<number, number>();
    for (const { pid } of pids) {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
      const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields) seconds.set(Number(pid), (Number(fields[11]) + Number(fields[12])) / 100);
    }
    return seconds.size ? seconds : null;
  };
}

/** CPU spent between two readings: every process's growth; one that started in between counts whole. */
function cpuSpent(before: Map<number, number>, after: Map<number, number>) {
  let total = 0;
  for (const [pid, s] of after) total += s - (before.get(pid) ?? 0);
  return total;
}

/** Peak resident set size sampled every 100 ms while `fn` runs. */
export async function withPeakRss<T>(fn: () => Promise<T>): Promise<{ result: T; peakRssMb: number; baseRssMb: number }> {
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 100);
  try {
    const result = await fn();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, peakRssMb: peak / 2 ** 20, baseRssMb: base / 2 ** 20 };
  } finally {
    clearInterval(timer);
  }
}

let profiles = 0;

/**
 * With `BENCH_CPU_PROFILE=<dir>`, each timed run (`timeConcurrent`, `timeSerial`) writes a V8 CPU profile of
 * this process (server, HTTP clients and raw clients) to `<dir>/<n>.cpuprofile`, for
 * `tsx bench/profile-summary.ts FILE` or any profile viewer. Returns the function that stops it.
 */
async function startProfile(): Promise<(() => Promise<void>) | undefined> {
  const dir = process.env.BENCH_CPU_PROFILE;
  if (!dir) return undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    const file = `${dir}/${String(++profiles).padStart(2, '0')}.cpuprofile`;
    await writeFile(file, JSON.stringify(profile));
    session.disconnect();
    console.log(`  cpu profile: ${file}`);
  };
}
