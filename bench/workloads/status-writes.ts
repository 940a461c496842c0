import { withProcesses, type BenchConfig } from '../support/config.ts';
import { cpuPair, timeConcurrent } from '../support/measure.ts';
import { skippedRow, throughputRow, type ResultRow } from '../support/report.ts';
import { createDataset, createProject, createTask, emptyAnswersRecipe, members, missingRoutes, seedItems } from '../support/scenario.ts';
import type { Target } from '../support/target.ts';

export const statusRoutes = ['POST /api/v1/projects/{projectId}/tasks', 'PUT /api/v1/tasks/{taskId}/items/{itemId}/status'];

/** What a hand-written status update is: the one row, no counters, no audit. */
export const RAW_STATUS = `update task_items set status = 'completed', done = true, status_by = $2, finished_at = now()
where task_id = $1 and item_id = $3 and copy = 0 and not is_gold`;

/** Items are sized for this rate (raw updates reach 6,600/s on 2 cores): a run that runs out stops every client, and its figure says so. */
const expected = (kind: string) => (kind === 'postgres' ? 9000 : 3000);

/**
 * Item status writes per second: annotators set `completed` on the items distributed to them,
 * each through `PUT /tasks/{id}/items/{itemId}/status` (status, task/assignment/project counters,
 * hourly done bucket and audit event in one transaction), against the bare row update.
 */
export async function statusWorkload(target: Target, cfg: BenchConfig, routes: Set<string>): Promise<ResultRow[]> {
  const missing = missingRoutes(routes, statusRoutes);
  if (missing.length) return [skippedRow(target.kind, 'item status writes', `routes not landed: ${missing.join(', ')}`)];
  const annotatorCount = Math.max(...cfg.statusClients);
  // Each row (client count × process count) writes its own items, beside its own raw run.
  const perAnnotator = Math.ceil(cfg.statusClients.reduce((s, c) => s + (expected(target.kind) * cfg.seconds) / c, 0) * 1.3 * cfg.processes.length);
  const projectId = await createProject(target, 'bench-status');
  const datasetId = await createDataset(target, projectId);
  await seedItems(target, projectId, datasetId, perAnnotator * annotatorCount);
  const annotators = await members(target, projectId, 'annotator', annotatorCount, 'status-annotator');
  const assigneeIds = annotators.map((a) => a.id);
  const recipeId = await emptyAnswersRecipe(target, projectId);
  const task = await createTask(target, projectId, { name: 'status loupe', recipeId, datasetId, assigneeIds, allocation: { method: 'distribution' } });
  const rawTask = await createTask(target, projectId, { name: 'status raw', recipeId, datasetId, assigneeIds, allocation: { method: 'distribution' } });
  console.log(`  [${target.kind}] status: ${(perAnnotator * annotatorCount).toLocaleString('en-US')} items over ${annotatorCount} annotators, task created in ${task.seconds.toFixed(1)} s`);

  const itemsOf = async (taskId: string) => {
    const rows = await target.raw.query<{ assignee_id: string; item_id: string }>(
      `select a.assignee_id, ti.item_id from task_items ti join task_assignees a on a.id = ti.assignment_id where ti.task_id = $1 order by ti.position`,
      [taskId],
    );
    const byUser = new Map<string, string[]>();
    for (const r of rows) (byUser.get(r.assignee_id) ?? byUser.set(r.assignee_id, []).get(r.assignee_id)!).push(r.item_id);
    return annotators.map((a) => byUser.get(a.id) ?? []);
  };
  const loupeItems = await itemsOf(task.id);
  const rawItems = await itemsOf(rawTask.id);
  const loupeNext = annotators.map(() => 0);
  const rawNext = annotators.map(() => 0);

  const rows: ResultRow[] = [];
  for (const clients of cfg.statusClients) {
    for (const processes of cfg.processes) {
      const http = await target.processes(processes);
      // Each side runs for the same time with the same clients, its database CPU read when it can be.
      const measured = target.databaseCpu ? { databaseCpu: target.databaseCpu } : {};
      const timed = (op: (w: number) => Promise<number | false>) => timeConcurrent(clients, cfg.seconds, op, measured);
      const loupe = await timed(async (w) => {
        const itemId = loupeItems[w]![loupeNext[w]!++];
        if (!itemId) return false;
        const res = await http.request('PUT', `/api/v1/tasks/${task.id}/items/${itemId}/status`, { token: annotators[w]!.token, body: { status: 'completed' } });
        if (res.status !== 200) throw new Error(`status -> ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
        return 1;
      });
      const raw = await timed(async (w) => {
        const itemId = rawItems[w]![rawNext[w]!++];
        if (!itemId) return false;
        await target.raw.query(RAW_STATUS, [rawTask.id, annotators[w]!.id, itemId]);
        return 1;
      });
      // The ceiling of the row: the same clients sending the cheapest authenticated request (the
      // token's statement and one small read, no write). No status write can go faster than
      // this, so floor ÷ raw is the highest ratio the row could show on this machine.
      const floor = await timed(async (w) => {
        const res = await http.request('GET', '/api/v1/me', { token: annotators[w]!.token });
        if (res.status !== 200) throw new Error(`me -> ${res.status}`);
        return 1;
      });
      console.log(`  [${target.kind}] status ${clients} clients, ${processes ? `${processes} server process${processes > 1 ? 'es' : ''}` : 'in-process'}: Loupe ${loupe.perSecond.toFixed(0)}/s (p99 ${loupe.latency.p99.toFixed(1)} ms), raw ${raw.perSecond.toFixed(0)}/s, GET /me ${floor.perSecond.toFixed(0)}/s; CPU per op, this process / database: Loupe ${cpuPair(loupe)}, raw ${cpuPair(raw)}, GET /me ${cpuPair(floor)}`);
      const ranOut = [loupe.ranOut && 'Loupe', raw.ranOut && 'raw'].filter(Boolean).join(' and ');
      rows.push(
        throughputRow(target.kind, withProcesses(`item status writes, ${clients} annotators`, processes), loupe.perSecond, raw.perSecond, {
          details: { loupe, raw, processes },
          ...(ranOut ? { note: `${ranOut} ran out of items before the end: not a figure` } : {}),
        }),
        throughputRow(target.kind, withProcesses(`ceiling of the row above: GET /api/v1/me, ${clients} clients`, processes), floor.perSecond, raw.perSecond, {
          details: { floor, processes },
          note: 'raw = the raw status writes above: the highest ratio any authenticated request reaches here',
        }),
      );
    }
  }
  return rows;
}
