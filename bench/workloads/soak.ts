import type { BenchConfig } from '../support/config.ts';
import { timeConcurrent, type Throughput } from '../support/measure.ts';
import { skippedRow, throughputRow, type ResultRow } from '../support/report.ts';
import { createDataset, createProject, createTask, emptyAnswersRecipe, members, missingRoutes, seedItems } from '../support/scenario.ts';
import type { Target } from '../support/target.ts';
import { RAW_CLAIM } from './pull-queue.ts';

export const soakRoutes = ['POST /api/v1/tasks/{taskId}/pull', 'PUT /api/v1/tasks/{taskId}/items/{itemId}/status'];

/** The raw side's finish of a claimed unit: the bare row update. */
const RAW_FINISH = `update task_items set status = 'completed', done = true, status_by = $2, finished_at = now() where id = $1`;

/** Items a run finishes per second at most (raw SQL on this machine), to size the queue so neither side runs dry. */
const expected = (kind: string) => (kind === 'postgres' ? 1500 : 600);

/**
 * Soak: annotators each loop pull one item → set `completed` on a pulling task (batch 1, max
 * workload 2) for `BENCH_SOAK_SECONDS`, finished items counted per `BENCH_SOAK_WINDOW_SECONDS`
 * window (a minute by default), against raw SQL's claim + row update on a twin task. The table
 * shows the first and the last full window; the JSON every window. Does throughput hold as
 * finished units, audit events and dead tuples pile up?
 */
export async function soakWorkload(target: Target, cfg: BenchConfig, routes: Set<string>): Promise<ResultRow[]> {
  const missing = missingRoutes(routes, soakRoutes);
  if (missing.length) return [skippedRow(target.kind, 'soak', `routes not landed: ${missing.join(', ')}`)];
  if (cfg.soakSeconds <= 0) return [skippedRow(target.kind, 'soak', 'BENCH_SOAK_SECONDS=0')];
  const items = Math.ceil(cfg.soakSeconds * expected(target.kind) * 1.2);
  const projectId = await createProject(target, 'bench-soak');
  const datasetId = await createDataset(target, projectId);
  await seedItems(target, projectId, datasetId, items);
  const annotators = await members(target, projectId, 'annotator', cfg.soakClients, 'soak-annotator');
  const allocation = { method: 'pulling', batchSize: 1, maxWorkload: 2, leaseSeconds: 3600 };
  const assigneeIds = annotators.map((a) => a.id);
  const recipeId = await emptyAnswersRecipe(target, projectId);
  const task = await createTask(target, projectId, { name: 'soak loupe', recipeId, datasetId, assigneeIds, allocation });
  const rawTask = await createTask(target, projectId, { name: 'soak raw', recipeId, datasetId, assigneeIds, allocation });
  const assignments = new Map(
    (await target.raw.query<{ id: string; assignee_id: string }>('select id, assignee_id from task_assignees where task_id = $1', [rawTask.id])).map((r) => [r.assignee_id, r.id]),
  );
  console.log(`  [${target.kind}] soak: ${items.toLocaleString('en-US')} items, ${cfg.soakClients} annotators, ${cfg.soakSeconds} s in ${cfg.soakWindowSeconds} s windows`);
  const show = (who: string) => (i: number, perSecond: number) =>
    console.log(`  [${target.kind}] soak ${who} window ${i + 1} (${i * cfg.soakWindowSeconds}-${(i + 1) * cfg.soakWindowSeconds} s): ${perSecond.toFixed(1)} items/s`);
  const opts = (who: string) => ({ windowSeconds: cfg.soakWindowSeconds, onWindow: show(who) });

  const loupe = await timeConcurrent(
    cfg.soakClients,
    cfg.soakSeconds,
    async (w) => {
      const who = annotators[w]!;
      const pulled = await target.http.request<{ items: Array<{ itemId: string }> }>('POST', `/api/v1/tasks/${task.id}/pull`, { token: who.token, body: { count: 1 } });
      if (pulled.status !== 200) throw new Error(`pull -> ${pulled.status} ${JSON.stringify(pulled.body).slice(0, 300)}`);
      const item = pulled.body.items[0];
      if (!item) return false;
      const set = await target.http.request('PUT', `/api/v1/tasks/${task.id}/items/${item.itemId}/status`, { token: who.token, body: { status: 'completed' } });
      if (set.status !== 200) throw new Error(`status -> ${set.status} ${JSON.stringify(set.body).slice(0, 300)}`);
      return 1;
    },
    opts('Loupe'),
  );
  const raw = await timeConcurrent(
    cfg.soakClients,
    cfg.soakSeconds,
    async (w) => {
      const who = annotators[w]!;
      const claimed = await target.raw.query<{ id: string }>(RAW_CLAIM, [rawTask.id, who.id, assignments.get(who.id)]);
      if (!claimed[0]) return false;
      await target.raw.query(RAW_FINISH, [claimed[0].id, who.id]);
      return 1;
    },
    opts('raw'),
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
  const label = `soak, ${cfg.soakClients} annotators pull → completed`;
  return [
    throughputRow(target.kind, `${label}, first ${cfg.soakWindowSeconds} s (items/s)`, first(loupe), first(raw)),
    throughputRow(target.kind, `${label}, last full ${cfg.soakWindowSeconds} s of ${cfg.soakSeconds} s (items/s)`, last(loupe), last(raw), {
      note: `Loupe ${change(loupe)}, raw ${change(raw)} first → last`,
      details: { loupeWindows: perWindow(loupe), rawWindows: perWindow(raw) },
    }),
  ];
}
