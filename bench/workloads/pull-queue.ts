import { withProcesses, type BenchConfig } from '../support/config.ts';
import { cpuPair, timeConcurrent, type Throughput } from '../support/measure.ts';
import { throughputRow, skippedRow, type ResultRow } from '../support/report.ts';
import { createDataset, createProject, createTask, members, missingRoutes, seedItems, settle } from '../support/scenario.ts';
import type { BenchUser, Spread, Target } from '../support/target.ts';

export const pullRoutes = ['POST /api/v1/projects/{projectId}/datasets', 'POST /api/v1/projects/{projectId}/tasks', 'POST /api/v1/tasks/{taskId}/pull'];

/** Claims per second a raw-SQL queue reaches here (STACK.md); sizes the queue so it never runs dry. */
const expectedRaw = (kind: string) => (kind === 'postgres' ? 8000 : 3000);

/**
 * The one-statement claim a hand-written queue would use, against the same table and index as
 * Loupe's pull: the first free unit in queue order (`task_items_free_idx`: nobody works it),
 * skipping rows other claimers hold, leased for an hour. Leases here never expire within a run,
 * so the raw side needs no sweep.
 */
export const RAW_CLAIM = `
update task_items t set worker_id = $2, assignment_id = $3, lease_expires_at = now() + interval '1 hour', started_at = coalesce(t.started_at, now())
where t.id = (
  select id from task_items
  where task_id = $1 and worker_id is null and status is null and not is_gold
  order by position, copy
  limit 1
  for update skip locked)
returning t.id`;

interface Queue {
  taskId: string;
  rawTaskId: string;
  annotators: BenchUser[];
  assignmentOf: Map<string, string>;
}

/**
 * Builds a pulling task (and a twin task over the same items for the raw claims) with enough
 * annotators that none reaches `maxWorkload` before the run ends: each client works through
 * its own share of annotators, moving to the next when the queue says "workload full".
 */
async function buildQueue(target: Target, cfg: BenchConfig, items: number, annotatorCount: number, label: string, maxWorkload = cfg.maxWorkload): Promise<Queue> {
  const projectId = await createProject(target, `bench-${label}`);
  const datasetId = await createDataset(target, projectId);
  await seedItems(target, projectId, datasetId, items);
  const annotators = await members(target, projectId, 'annotator', annotatorCount, `${label}-annotator`);
  const allocation = { method: 'pulling', batchSize: 1, maxWorkload, leaseSeconds: 3600 };
  const assigneeIds = annotators.map((a) => a.id);
  const task = await createTask(target, projectId, { name: `${label} loupe`, datasetId, assigneeIds, allocation });
  const rawTask = await createTask(target, projectId, { name: `${label} raw`, datasetId, assigneeIds, allocation });
  await settle(target);
  console.log(`  [${target.kind}] ${label}: ${items.toLocaleString('en-US')} items, ${annotatorCount} annotators, task created in ${task.seconds.toFixed(1)} s`);
  const rows = await target.raw.query<{ id: string; assignee_id: string }>('select id, assignee_id from task_assignees where task_id = $1', [rawTask.id]);
  return { taskId: task.id, rawTaskId: rawTask.id, annotators, assignmentOf: new Map(rows.map((r) => [r.assignee_id, r.id])) };
}

async function runLoupe(target: Target, queue: Queue, clients: number, seconds: number, opts: Parameters<typeof timeConcurrent>[3] = {}, http: Spread = target.http) {
  let next = 0;
  const current: Array<BenchUser | undefined> = [];
  return timeConcurrent(
    clients,
    seconds,
    async (w) => {
      for (;;) {
        const who = (current[w] ??= queue.annotators[next++]);
        if (!who) return false;
        const res = await http.request<{ items: unknown[] }>('POST', `/api/v1/tasks/${queue.taskId}/pull`, { token: who.token, body: { count: 1 } });
        if (res.status !== 200) throw new Error(`pull -> ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
        if (res.body.items.length > 0) return res.body.items.length;
        current[w] = undefined; // workload full (or queue empty): next annotator
      }
    },
    opts,
  );
}

async function runRaw(target: Target, queue: Queue, clients: number, seconds: number, opts: Parameters<typeof timeConcurrent>[3] = {}) {
  let next = 0;
  return timeConcurrent(
    clients,
    seconds,
    async () => {
      const who = queue.annotators[next++ % queue.annotators.length]!;
      const rows = await target.raw.query(RAW_CLAIM, [queue.rawTaskId, who.id, queue.assignmentOf.get(who.id)]);
      return rows.length > 0 ? 1 : false;
    },
    opts,
  );
}

export async function pullWorkload(target: Target, cfg: BenchConfig, routes: Set<string>): Promise<{ rows: ResultRow[]; rate8?: Rates }> {
  const missing = missingRoutes(routes, pullRoutes);
  if (missing.length) return { rows: [skippedRow(target.kind, 'pull-queue claims', `routes not landed: ${missing.join(', ')}`)] };
  // Every row (each client count against each process count) claims beside its own raw run.
  const runs = cfg.pullClients.length * cfg.processes.length;
  const claims = Math.ceil(runs * cfg.seconds * expectedRaw(target.kind) * 1.3);
  // At most 1,000 annotators (a task's assignee limit): the sizing assumes raw SQL's best rate in
  // every run, so 1,000 × maxWorkload claims are more than all the runs make.
  const annotators = Math.min(1000, Math.ceil(claims / cfg.maxWorkload) + Math.max(...cfg.pullClients) * 2 * cfg.processes.length);
  const queue = await buildQueue(target, cfg, claims, annotators, 'pull');
  const rows: ResultRow[] = [];
  let rate8: Rates | undefined;
  for (const clients of cfg.pullClients) {
    for (const processes of cfg.processes) {
      const http = await target.processes(processes);
      const measured = target.databaseCpu ? { databaseCpu: target.databaseCpu } : {};
      const loupe = await runLoupe(target, queue, clients, cfg.seconds, measured, http);
      const raw = await runRaw(target, queue, clients, cfg.seconds, measured);
      // The decay run (one process) sizes its queue for the faster of the two at 8 clients, measured here.
      if (clients === 8 && processes === cfg.processes[0]) rate8 = { loupe: loupe.perSecond, raw: raw.perSecond };
      console.log(`  [${target.kind}] pull ${clients} clients, ${processes ? `${processes} server process${processes > 1 ? 'es' : ''}` : 'in-process'}: Loupe ${loupe.perSecond.toFixed(0)}/s (p99 ${loupe.latency.p99.toFixed(1)} ms), raw ${raw.perSecond.toFixed(0)}/s; CPU per op, this process / database: Loupe ${cpuPair(loupe)}, raw ${cpuPair(raw)}`);
      rows.push(throughputRow(target.kind, withProcesses(`pull-queue claims, ${clients} annotator${clients > 1 ? 's' : ''}`, processes), loupe.perSecond, raw.perSecond, { details: { loupe, raw, processes } }));
    }
  }
  return { rows, rate8 };
}

/** Claims per second measured at 8 clients, Loupe's and raw SQL's. */
export interface Rates {
  loupe: number;
  raw: number;
}

/** Claims per window over a long run: does throughput hold as held units and dead tuples pile up? */
export async function decayWorkload(target: Target, cfg: BenchConfig, routes: Set<string>, rate8?: Rates): Promise<ResultRow[]> {
  const missing = missingRoutes(routes, pullRoutes);
  if (missing.length) return [skippedRow(target.kind, 'pull-queue decay', `routes not landed: ${missing.join(', ')}`)];
  if (cfg.decaySeconds <= 0) return [skippedRow(target.kind, 'pull-queue decay', 'BENCH_DECAY_SECONDS=0')];
  // Sized from this run's measured rates when the pull workload ran. The items must outlast the
  // raw claim for the whole run (raw SQL enforces no workload); the annotators must outlast
  // Loupe's pulls, each holding up to maxWorkload, within a task's 1,000 assignees and 1,000 maxWorkload.
  const items = Math.ceil(cfg.decaySeconds * (rate8?.raw ?? expectedRaw(target.kind)) * 1.2);
  const loupeClaims = Math.min(items, Math.ceil(cfg.decaySeconds * (rate8?.loupe ?? expectedRaw(target.kind)) * 1.5));
  const maxWorkload = Math.min(1000, Math.max(cfg.maxWorkload, Math.ceil(loupeClaims / 900)));
  const annotators = Math.min(1000, Math.ceil(loupeClaims / maxWorkload) + cfg.decayClients * 2);
  const queue = await buildQueue(target, cfg, items, annotators, 'decay', maxWorkload);
  const show = (who: string) => (i: number, perSecond: number) =>
    console.log(`  [${target.kind}] decay ${who} window ${i + 1} (${i * cfg.decayWindowSeconds}-${(i + 1) * cfg.decayWindowSeconds} s): ${perSecond.toFixed(0)}/s`);
  const loupe = await runLoupe(target, queue, cfg.decayClients, cfg.decaySeconds, { windowSeconds: cfg.decayWindowSeconds, onWindow: show('Loupe') });
  const raw = await runRaw(target, queue, cfg.decayClients, cfg.decaySeconds, { windowSeconds: cfg.decayWindowSeconds, onWindow: show('raw') });
  const perWindow = (t: Throughput) => t.windows.map((n) => n / cfg.decayWindowSeconds);
  const last = (t: Throughput) => perWindow(t).filter((_, i, a) => i < a.length - 1 || a.length === 1).at(-1) ?? 0;
  const first = (t: Throughput) => perWindow(t)[0] ?? 0;
  return [
    throughputRow(target.kind, `pull-queue decay, ${cfg.decayClients} annotators, first ${cfg.decayWindowSeconds} s`, first(loupe), first(raw)),
    throughputRow(target.kind, `pull-queue decay, ${cfg.decayClients} annotators, last full ${cfg.decayWindowSeconds} s of ${cfg.decaySeconds} s`, last(loupe), last(raw), {
      details: { loupeWindows: perWindow(loupe), rawWindows: perWindow(raw) },
    }),
  ];
}
