import { writeFile } from 'node:fs/promises';
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
  options: { windowSeconds?: number; onWindow?: (index: number, perSecond: number) => void } = {},
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
  const cpuBefore = process.cpuUsage();
  await Promise.all(Array.from({ length: workers }, (_, i) => loop(i)));
  const elapsed = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  await profiling?.();
  for (let i = 0; i < windows.length; i++) windows[i] ??= 0;
  report(Math.floor((elapsed * 1000) / windowMs));
  return { perSecond: operations / elapsed, operations, seconds: elapsed, windows, latency: latency(samples), cpuMicrosPerOp: (cpu.user + cpu.system) / Math.max(1, operations), ranOut: exhausted };
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
