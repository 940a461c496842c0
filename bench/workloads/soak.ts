import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { num, type BenchConfig } from '../support/config.ts';
import { latency, timeConcurrent, type Latency, type Throughput } from '../support/measure.ts';
import { skippedRow, throughputRow, type ResultRow } from '../support/report.ts';
import { answersRecipe, createDataset, createProject, createTask, members, missingRoutes, seedItems } from '../support/scenario.ts';
import type { BenchUser, Target } from '../support/target.ts';
import { RAW_CLAIM } from './pull-queue.ts';

export const soakRoutes = [
  'POST /api/v1/tasks/{taskId}/pull',
  'PUT /api/v1/tasks/{taskId}/items/{itemId}/annotations',
  'PUT /api/v1/tasks/{taskId}/items/{itemId}/status',
  'GET /api/v1/projects/{projectId}/tasks',
  'GET /api/v1/projects/{projectId}/summary',
  'GET /api/v1/tasks/{taskId}',
];

/** The answer every annotator saves: one classification label of the soak's recipe. */
const SHAPES = [{ tool: 'classification', label: 'ok' }];

/**
 * The raw side's save of an answer: the current annotation and its first version, in one
 * statement (what a hand-written service would issue; no audit, no checks).
 */
const RAW_ANNOTATE = `
with a as (
  insert into annotations (id, project_id, task_id, item_id, task_item_id, author_id, shapes)
  select gen_random_uuid(), t.project_id, t.task_id, t.item_id, t.id, $2, $3::jsonb from task_items t where t.id = $1
  returning id, project_id, author_id, shapes)
insert into annotation_versions (annotation_id, version, project_id, author_id, shapes)
select id, 1, project_id, author_id, shapes from a`;

/** The raw side's finish of a claimed unit: the bare row update. */
const RAW_FINISH = `update task_items set status = 'completed', done = true, status_by = $2, finished_at = now() where id = $1`;

/** What the raw side's readers read instead of the three routes: the task list page, the summary counters, the task row. */
const RAW_READS: Array<[string, 'project' | 'task']> = [
  [`select * from tasks where project_id = $1 and not archived order by id limit 51`, 'project'],
  [`select sum(tasks)::int as tasks, sum(assignments)::int as assignments, sum(open_issues)::int as open_issues, sum(pending_reviews)::int as pending_reviews from project_counters where project_id = $1`, 'project'],
  [`select * from tasks where id = $1`, 'task'],
];

/** Items finished per second at most (here: 2 cores), to size the queue so neither side runs dry. */
const expected = (kind: string, side: 'loupe' | 'raw') => (side === 'raw' ? (kind === 'postgres' ? 1200 : 600) : kind === 'postgres' ? 450 : 60);

const env = num;

/**
 * The soak's own knobs beside `BENCH_SOAK_SECONDS` / `_WINDOW_SECONDS` / `_CLIENTS` (config.ts),
 * documented in docs/benchmarks.md "Running it".
 */
function soakKnobs(cfg: BenchConfig, kind: string) {
  const rawSeconds = env('BENCH_SOAK_RAW_SECONDS', cfg.soakSeconds);
  const sized = Math.ceil(Math.max(cfg.soakSeconds * expected(kind, 'loupe'), rawSeconds * expected(kind, 'raw')) * 1.2);
  return { rawSeconds, readers: env('BENCH_SOAK_READERS', 2), items: env('BENCH_SOAK_ITEMS', sized) };
}

/** Database facts sampled at the end of each window (PostgreSQL; PGlite answers what it keeps). */
interface Facts {
  at: number;
  taskItems?: { live: number; dead: number; updates: number; hotUpdates: number; autovacuums: number; autoanalyzes: number; vacuums: number; lastAutovacuum: string | null };
  /** Sizes in 8 kB pages. */
  pages?: { taskItems: number; freeIdx: number; heldIdx: number };
  /** Cumulative buffer accesses and scans of `task_items_free_idx` (every claim walks it). */
  freeIdx?: { blocks: number; scans: number; tuplesRead: number };
  /** Rows of the tables the loop appends to. */
  rows?: Record<string, number>;
  /** EXPLAIN (ANALYZE, BUFFERS) of the free-queue head read (the claim's candidate scan, unlocked). */
  head?: { buffers: number; ms: number };
  /** Every index's cumulative [scans, entries read] (pg_stat_user_indexes): which read grows per item. */
  indexes?: Record<string, [number, number]>;
  /** The server's `autovacuum` setting: with it off, nothing removes dead tuples and dead index entries. */
  autovacuum?: string;
  /**
   * CPU seconds spent so far by this process (server and clients; on PGlite the database too) and
   * by the database's server processes (PostgreSQL on this machine: /proc): divided by the items
   * of a window, a cost per item that a busy machine does not blur the way it blurs items/s.
   */
  cpu?: { node: number; database: Record<number, number> | null };
  /** The oldest snapshot held in this database: its xmin age (transactions) and the longest open transaction. */
  horizon?: { xminAge: number; longestXactSeconds: number; longestQuery: string | null };
  /** The machine's speed at this moment (`machineProbe`). */
  probe?: { minMs: number; medianMs: number };
}

/**
 * The same fixed piece of pure JavaScript (an xorshift loop, about a millisecond), timed 25 times
 * in a row: its minimum and median in ms. The work never changes, so when items/s falls and this
 * rises with it, the machine slowed (a neighbour on the shared VM, CPU frequency), not Loupe or
 * the database; the minimum moves with the CPU's speed, the median also with time lost to other
 * processes. Costs ~25 ms of the event loop per window.
 */
let probeSink = 0;
function machineProbe() {
  const runs: number[] = [];
  for (let r = 0; r < 25; r++) {
    const t0 = performance.now();
    let x = (r + 1) | 0;
    for (let i = 0; i < 400_000; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
    }
    probeSink ^= x;
    runs.push(performance.now() - t0);
  }
  runs.sort((a, b) => a - b);
  return { minMs: +runs[0]!.toFixed(3), medianMs: +runs[12]!.toFixed(3) };
}
machineProbe(); // warm: the first runs are interpreted, not optimised

async function sampleFacts(target: Target, taskId: string, at: number): Promise<Facts> {
  const f: Facts = { at, probe: machineProbe() };
  const q = target.raw.query;
  const tryRead = async (fn: () => Promise<void>) => {
    try {
      await fn();
    } catch {
      // PGlite keeps no statistics for some of these views.
    }
  };
  await tryRead(async () => {
    const [t] = await q<Record<string, any>>(
      `select n_live_tup, n_dead_tup, n_tup_upd, n_tup_hot_upd, autovacuum_count, autoanalyze_count, vacuum_count, last_autovacuum from pg_stat_user_tables where relname = 'task_items'`,
    );
    if (t) f.taskItems = { live: +t.n_live_tup, dead: +t.n_dead_tup, updates: +t.n_tup_upd, hotUpdates: +t.n_tup_hot_upd, autovacuums: +t.autovacuum_count, autoanalyzes: +t.autoanalyze_count, vacuums: +t.vacuum_count, lastAutovacuum: t.last_autovacuum ? new Date(t.last_autovacuum).toISOString() : null };
  });
  await tryRead(async () => {
    const [s] = await q<Record<string, any>>(
      `select pg_relation_size('task_items') / 8192 as t, pg_relation_size('task_items_free_idx') / 8192 as f, pg_relation_size('task_items_held_idx') / 8192 as h`,
    );
    if (s) f.pages = { taskItems: +s.t, freeIdx: +s.f, heldIdx: +s.h };
  });
  await tryRead(async () => {
    const [i] = await q<Record<string, any>>(
      `select s.idx_blks_hit + s.idx_blks_read as blocks, u.idx_scan, u.idx_tup_read from pg_statio_user_indexes s join pg_stat_user_indexes u using (indexrelid) where s.indexrelname = 'task_items_free_idx'`,
    );
    if (i) f.freeIdx = { blocks: +i.blocks, scans: +i.idx_scan, tuplesRead: +i.idx_tup_read };
  });
  await tryRead(async () => {
    const [r] = await q<Record<string, any>>(
      `select (select count(*) from annotation_versions) as annotation_versions, (select count(*) from audit_events) as audit_events, (select count(*) from outbox_events) as outbox_events`,
    );
    if (r) f.rows = Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v)]));
  });
  await tryRead(async () => {
    const [e] = await q<Record<string, any>>(
      `explain (analyze, buffers, format json) select id from task_items where task_id = $1 and worker_id is null and status is null and not is_gold order by position, copy limit 1`,
      [taskId],
    );
    const plan = (typeof e!['QUERY PLAN'] === 'string' ? JSON.parse(e!['QUERY PLAN']) : e!['QUERY PLAN'])[0];
    f.head = { buffers: (plan.Plan['Shared Hit Blocks'] ?? 0) + (plan.Plan['Shared Read Blocks'] ?? 0), ms: plan['Execution Time'] };
  });
  const usage = process.cpuUsage();
  f.cpu = { node: (usage.user + usage.system) / 1e6, database: null };
  if (target.kind === 'postgres') {
    await tryRead(async () => {
      const pids = await q<{ pid: number }>('select pid from pg_stat_activity where datname = current_database()');
      const ticks: Record<number, number> = {};
      for (const { pid } of pids) {
        // Fields 14 and 15 of /proc/<pid>/stat (after the command in parentheses): user and system time in clock ticks.
        const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
        const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (fields) ticks[pid] = (Number(fields[11]) + Number(fields[12])) / 100;
      }
      f.cpu!.database = ticks;
    });
  }
  await tryRead(async () => {
    const rows = await q<Record<string, any>>(`select indexrelname, idx_scan, idx_tup_read from pg_stat_user_indexes where idx_scan > 0`);
    f.indexes = Object.fromEntries(rows.map((r) => [r.indexrelname as string, [Number(r.idx_scan), Number(r.idx_tup_read)] as [number, number]]));
  });
  if (target.kind === 'postgres') {
    await tryRead(async () => {
      const [a] = await q<{ autovacuum: string }>('show autovacuum');
      f.autovacuum = a?.autovacuum;
    });
    await tryRead(async () => {
      const [h] = await q<Record<string, any>>(
        `select coalesce(max(age(backend_xmin)), 0) as xmin_age,
                coalesce(max(extract(epoch from now() - xact_start)), 0) as longest,
                (select left(query, 100) from pg_stat_activity where datname = current_database() and xact_start is not null and pid <> pg_backend_pid() order by xact_start limit 1) as query
         from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`,
      );
      if (h) f.horizon = { xminAge: +h.xmin_age, longestXactSeconds: +Number(h.longest).toFixed(2), longestQuery: h.query ?? null };
    });
  }
  return f;
}

interface SideResult {
  throughput: Throughput;
  facts: Facts[];
  /** Reads per second and their latency per window; `byKind`: p50 / p95 of each of the three reads over the run. */
  reads: { perWindow: number[]; latency: Latency[]; byKind: Array<{ p50: number; p95: number }> };
}

/**
 * Runs `writers` annotator loops and `readers` manager loops for `seconds`, sampling the
 * database facts at the start and as each window closes.
 */
async function runSide(
  target: Target,
  cfg: BenchConfig,
  who: string,
  seconds: number,
  taskId: string,
  readers: number,
  write: (w: number) => Promise<number | false>,
  read: (r: number, i: number) => Promise<void>,
): Promise<SideResult> {
  const facts: Facts[] = [await sampleFacts(target, taskId, 0)];
  const pending: Array<Promise<void>> = [];
  const show = (i: number, perSecond: number) => {
    console.log(`  [${target.kind}] soak ${who} window ${i + 1} (${i * cfg.soakWindowSeconds}-${(i + 1) * cfg.soakWindowSeconds} s): ${perSecond.toFixed(1)} items/s`);
    pending.push(sampleFacts(target, taskId, (i + 1) * cfg.soakWindowSeconds).then((f) => void (facts[i + 1] = f)));
  };
  const windowMs = cfg.soakWindowSeconds * 1000;
  const start = performance.now();
  const readSamples: Array<{ t: number; ms: number; kind: number }> = [];
  let stop = false;
  const readLoop = async (r: number) => {
    for (let i = 0; !stop; i++) {
      const t0 = performance.now();
      await read(r, i);
      const t1 = performance.now();
      readSamples.push({ t: t1 - start, ms: t1 - t0, kind: i % 3 });
    }
  };
  const readLoops = Array.from({ length: readers }, (_, r) => readLoop(r));
  const throughput = await timeConcurrent(cfg.soakClients, seconds, write, { windowSeconds: cfg.soakWindowSeconds, onWindow: show }).finally(() => {
    stop = true;
  });
  await Promise.all(readLoops);
  await Promise.all(pending);
  const windows = throughput.windows.length;
  const byWindow = Array.from({ length: windows }, (_, i) => readSamples.filter((s) => Math.floor(s.t / windowMs) === i).map((s) => s.ms));
  return {
    throughput,
    facts: facts.filter(Boolean),
    reads: {
      perWindow: byWindow.map((s) => s.length / cfg.soakWindowSeconds),
      latency: byWindow.map((s) => latency(s)),
      byKind: [0, 1, 2].map((k) => latency(readSamples.filter((s) => s.kind === k).map((s) => s.ms))).map((l) => ({ p50: +l.p50.toFixed(2), p95: +l.p95.toFixed(2) })),
    },
  };
}

/** Per-window figures derived from the facts: what each claim cost the free-unit index, and the head read. */
function explain(side: SideResult) {
  const f = side.facts;
  return f.slice(1).map((cur, i) => {
    const prev = f[i]!;
    const items = side.throughput.windows[i] ?? 0;
    // The indexes whose entries read per finished item are highest in this window.
    const perItem = Object.entries(cur.indexes ?? {})
      .map(([name, [, read]]) => [name, items ? (read - (prev.indexes?.[name]?.[1] ?? 0)) / items : 0] as const)
      .filter(([, n]) => n >= 1)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4)
      .map(([name, n]) => `${name} ${n.toFixed(1)}`);
    const scans = (cur.freeIdx?.scans ?? 0) - (prev.freeIdx?.scans ?? 0);
    const cpuMs = (a?: number | null, b?: number | null) => (items && a != null && b != null ? +(((a - b) * 1000) / items).toFixed(2) : null);
    // Per server process: a connection that closed in the window takes its last seconds with it (a small undercount).
    const dbSeconds = (c?: Record<number, number> | null, p?: Record<number, number> | null) =>
      c && p ? Object.entries(c).reduce((sum, [pid, sec]) => sum + sec - (p[Number(pid)] ?? 0), 0) : null;
    return {
      window: i + 1,
      nodeCpuMsPerItem: cpuMs(cur.cpu?.node, prev.cpu?.node),
      dbCpuMsPerItem: cpuMs(dbSeconds(cur.cpu?.database, prev.cpu?.database), 0),
      deadTuples: cur.taskItems?.dead ?? null,
      autovacuums: cur.taskItems?.autovacuums ?? null,
      freeIdxPages: cur.pages?.freeIdx ?? null,
      freeIdxBlocksPerScan: scans > 0 ? +(((cur.freeIdx?.blocks ?? 0) - (prev.freeIdx?.blocks ?? 0)) / scans).toFixed(1) : null,
      freeIdxTuplesPerScan: scans > 0 ? +(((cur.freeIdx?.tuplesRead ?? 0) - (prev.freeIdx?.tuplesRead ?? 0)) / scans).toFixed(1) : null,
      headBuffers: cur.head?.buffers ?? null,
      headMs: cur.head?.ms ?? null,
      xminAge: cur.horizon?.xminAge ?? null,
      longestXactSeconds: cur.horizon?.longestXactSeconds ?? null,
      indexEntriesPerItem: perItem.join(', '),
      probeMinMs: cur.probe?.minMs ?? null,
      probeMedianMs: cur.probe?.medianMs ?? null,
    };
  });
}

/**
 * Soak (docs/benchmarks.md): `BENCH_SOAK_CLIENTS` annotators each loop pull one item → save an
 * answer → set `completed` on a pulling task (batch 1, max workload 2) whose recipe requires an
 * answer, while `BENCH_SOAK_READERS` managers read the task list, the project summary and the task
 * detail; finished items and reads are counted per `BENCH_SOAK_WINDOW_SECONDS` window (a minute by
 * default). Raw SQL does the same on a twin task: its claim, the answer's insert, the row update,
 * and plain reads, for `BENCH_SOAK_RAW_SECONDS`. The table shows the first and the last full
 * window; the JSON every window with the database facts that explain a decay (dead tuples and
 * autovacuums of `task_items`, the free-unit index's size and buffers per scan, the head read's
 * plan, the oldest open transaction).
 */
export async function soakWorkload(target: Target, cfg: BenchConfig, routes: Set<string>): Promise<ResultRow[]> {
  const missing = missingRoutes(routes, soakRoutes);
  if (missing.length) return [skippedRow(target.kind, 'soak', `routes not landed: ${missing.join(', ')}`)];
  if (cfg.soakSeconds <= 0) return [skippedRow(target.kind, 'soak', 'BENCH_SOAK_SECONDS=0')];
  const knobs = soakKnobs(cfg, target.kind);
  const projectId = await createProject(target, 'bench-soak');
  const datasetId = await createDataset(target, projectId);
  await seedItems(target, projectId, datasetId, knobs.items);
  const annotators = await members(target, projectId, 'annotator', cfg.soakClients, 'soak-annotator');
  const managers = await members(target, projectId, 'manager', Math.max(1, knobs.readers), 'soak-manager');
  const allocation = { method: 'pulling', batchSize: 1, maxWorkload: 2, leaseSeconds: 3600 };
  const assigneeIds = annotators.map((a) => a.id);
  const recipeId = await answersRecipe(target, projectId);
  const task = await createTask(target, projectId, { name: 'soak loupe', recipeId, datasetId, assigneeIds, allocation });
  const rawTask = await createTask(target, projectId, { name: 'soak raw', recipeId, datasetId, assigneeIds, allocation });
  const assignments = new Map(
    (await target.raw.query<{ id: string; assignee_id: string }>('select id, assignee_id from task_assignees where task_id = $1', [rawTask.id])).map((r) => [r.assignee_id, r.id]),
  );
  await target.raw.query('analyze task_items');
  console.log(
    `  [${target.kind}] soak: ${knobs.items.toLocaleString('en-US')} items, ${cfg.soakClients} annotators + ${knobs.readers} readers, Loupe ${cfg.soakSeconds} s, raw ${knobs.rawSeconds} s, ${cfg.soakWindowSeconds} s windows`,
  );

  const ok = (res: { status: number; body: unknown }, what: string) => {
    if (res.status !== 200) throw new Error(`${what} -> ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  };
  const loupeReads = [`/api/v1/projects/${projectId}/tasks`, `/api/v1/projects/${projectId}/summary`, `/api/v1/tasks/${task.id}`];
  const reader = (r: number): BenchUser => managers[r % managers.length]!;

  const loupe = await runSide(
    target,
    cfg,
    'Loupe',
    cfg.soakSeconds,
    task.id,
    knobs.readers,
    async (w) => {
      const who = annotators[w]!;
      const pulled = await target.http.request<{ items: Array<{ itemId: string }> }>('POST', `/api/v1/tasks/${task.id}/pull`, { token: who.token, body: { count: 1 } });
      ok(pulled, 'pull');
      const item = pulled.body.items[0];
      if (!item) return false;
      ok(await target.http.request('PUT', `/api/v1/tasks/${task.id}/items/${item.itemId}/annotations`, { token: who.token, body: { shapes: SHAPES } }), 'annotation');
      ok(await target.http.request('PUT', `/api/v1/tasks/${task.id}/items/${item.itemId}/status`, { token: who.token, body: { status: 'completed' } }), 'status');
      return 1;
    },
    async (r, i) => ok(await target.http.request('GET', loupeReads[i % loupeReads.length]!, { token: reader(r).token }), 'read'),
  );
  const shapes = JSON.stringify(SHAPES);
  const raw = await runSide(
    target,
    cfg,
    'raw',
    knobs.rawSeconds,
    rawTask.id,
    knobs.readers,
    async (w) => {
      const who = annotators[w]!;
      const claimed = await target.raw.query<{ id: string }>(RAW_CLAIM, [rawTask.id, who.id, assignments.get(who.id)]);
      if (!claimed[0]) return false;
      await target.raw.query(RAW_ANNOTATE, [claimed[0].id, who.id, shapes]);
      await target.raw.query(RAW_FINISH, [claimed[0].id, who.id]);
      return 1;
    },
    async (_, i) => {
      const [text, by] = RAW_READS[i % RAW_READS.length]!;
      await target.raw.query(text, [by === 'project' ? projectId : rawTask.id]);
    },
  );

  const perWindow = (t: Throughput) => t.windows.map((n) => n / cfg.soakWindowSeconds);
  const full = (t: Throughput) => perWindow(t).filter((_, i, a) => i < a.length - 1 || a.length === 1);
  const first = (t: Throughput) => full(t)[0] ?? 0;
  const last = (t: Throughput) => full(t).at(-1) ?? 0;
  const change = (t: Throughput) => {
    if (!first(t)) return 'n/a';
    const pct = ((last(t) - first(t)) / first(t)) * 100;
    return `${pct >= 0 ? '+' : ''}${pct.toFixed(0)} %`;
  };
  // A side whose queue ran out stopped early: say so, since its "last" window is then not the run's end (BENCH_SOAK_ITEMS).
  const dry = (t: Throughput, seconds: number, who: string) =>
    full(t).length * cfg.soakWindowSeconds < seconds - cfg.soakWindowSeconds ? `; ⚠ ${who} ran out of items after ${full(t).length * cfg.soakWindowSeconds} s` : '';
  const fullReads = (s: SideResult) => s.reads.perWindow.slice(0, Math.max(1, full(s.throughput).length));
  const readNote = (s: SideResult) => {
    const n = fullReads(s);
    const lat = s.reads.latency.slice(0, n.length);
    return n.length && knobs.readers ? `${n.at(-1)!.toFixed(1)} reads/s p95 ${lat.at(-1)!.p95.toFixed(1)} ms` : 'no readers';
  };
  // The machine probe over the Loupe side: its first and last full windows (facts[1] closes window 1).
  const probeNote = (s: SideResult) => {
    const n = full(s.throughput).length;
    const a = s.facts[1]?.probe;
    const b = s.facts[n]?.probe;
    return a && b && n > 1 ? `; machine probe (fixed JS loop, median) ${a.medianMs.toFixed(2)} → ${b.medianMs.toFixed(2)} ms` : '';
  };
  for (const [who, s] of [['Loupe', loupe], ['raw', raw]] as const) {
    for (const e of explain(s)) console.log(`  [${target.kind}] soak ${who} facts ${JSON.stringify(e)}`);
  }
  const label = `soak, ${cfg.soakClients} annotators pull → annotate → completed`;
  const side = (s: SideResult) => ({
    windows: perWindow(s.throughput),
    readsPerWindow: s.reads.perWindow,
    readLatencyPerWindow: s.reads.latency.map((l) => ({ p50: +l.p50.toFixed(2), p95: +l.p95.toFixed(2), count: l.count })),
    /** Task list, project summary, task detail (raw: their plain-SQL rows). */
    readLatencyByKind: s.reads.byKind,
    perWindowFacts: explain(s),
    facts: s.facts,
  });
  return [
    throughputRow(target.kind, `${label}, first ${cfg.soakWindowSeconds} s (items/s)`, first(loupe.throughput), first(raw.throughput)),
    throughputRow(
      target.kind,
      `${label}, last full ${cfg.soakWindowSeconds} s (Loupe of ${cfg.soakSeconds} s, raw of ${knobs.rawSeconds} s) (items/s)`,
      last(loupe.throughput),
      last(raw.throughput),
      {
        note: `Loupe ${change(loupe.throughput)}, raw ${change(raw.throughput)} first → last${dry(loupe.throughput, cfg.soakSeconds, 'Loupe')}${dry(raw.throughput, knobs.rawSeconds, 'raw')}${probeNote(loupe)}; last window's readers: Loupe ${readNote(loupe)}, raw ${readNote(raw)}`,
        details: { items: knobs.items, readers: knobs.readers, loupe: side(loupe), raw: side(raw) },
      },
    ),
  ];
}
