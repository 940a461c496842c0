import { withProcesses, type BenchConfig } from '../support/config.ts';
import { cpuPair, timeConcurrent } from '../support/measure.ts';
import { skippedRow, throughputRow, type ResultRow } from '../support/report.ts';
import { createDataset, createProject, createTask, emptyAnswersRecipe, members, missingRoutes, seedItems, settle } from '../support/scenario.ts';
import type { Target } from '../support/target.ts';

export const statusRoutes = ['POST /api/v1/projects/{projectId}/tasks', 'PUT /api/v1/tasks/{taskId}/items/{itemId}/status'];

/** What a hand-written status update is: the one row, no counters, no audit. */
export const RAW_STATUS = `update task_items set status = 'completed', done = true, status_by = $2, finished_at = now()
where task_id = $1 and item_id = $3 and copy = 0 and not is_gold`;

/**
 * What a hand-written status update that keeps Loupe's rules writes (docs/workflow.md "How a
 * status write runs"): the unit, its audit event, its outbox event when a webhook of the project
 * listens for it (none does here: docs/events.md#recorded-on-demand, so the check without the row),
 * a counter shard of the task, the assignment's counters and the two hourly done buckets (task-wide shard and assignment), in
 * one statement, each part after the one before so every writer locks rows in the same order.
 * A PL/pgSQL function, so PostgreSQL plans its statement once per connection, as a careful
 * hand-written service would with a prepared statement. No checks, no listeners, no answer: only
 * the rows. `RAW_STATUS` above is the bare row; this is the same work as Loupe's write.
 */
export const RAW_STATUS_SAME_ROWS_FUNCTION = `
create or replace function bench_raw_status_same_rows(p_task uuid, p_user uuid, p_item uuid, p_project uuid, p_shard int)
returns int language plpgsql volatile as $raw$
declare n int;
begin
  with u as (
    update task_items set status = 'completed', done = true, status_by = p_user, worker_id = coalesce(worker_id, p_user),
      started_at = coalesce(started_at, now()), finished_at = now()
    where task_id = p_task and item_id = p_item and copy = 0 and not is_gold
    returning id, assignment_id
  ), a as (
    insert into audit_events (id, project_id, actor_id, action, subject_kind, subject_id, before, after, created_at)
    select gen_random_uuid(), p_project, p_user, 'task_item.status_set', 'task_item', u.id, '{"status":null}'::jsonb,
      jsonb_build_object('status', 'completed', 'taskId', p_task, 'itemId', p_item), now() from u
    returning 1
  ), e as (
    insert into outbox_events (id, project_id, type, subject_kind, subject_id, actor_id, data, created_at)
    select gen_random_uuid(), p_project, 'item.status_set', 'task_item', u.id, p_user,
      jsonb_build_object('taskId', p_task, 'itemId', p_item, 'copy', 0, 'status', 'completed', 'previousStatus', null, 'done', true), now() from u
    where exists (select 1 from outbox_interests where project_id = p_project and types && array['item.status_set', '*'])
    returning 1
  ), cs as (
    insert into task_counter_shards (task_id, shard, project_id, statuses, done)
    select p_task, p_shard, p_project, 1, 1 from u
    on conflict (task_id, shard) do update set statuses = task_counter_shards.statuses + 1, done = task_counter_shards.done + 1
    returning 1
  ), ca as (
    update task_assignees set status_count = status_count + 1, done_count = done_count + 1
    where id = (select u.assignment_id from u) and (select count(*) from cs) >= 0
    returning 1
  ), ch as (
    insert into task_done_hourly (task_id, assignment_id, hour, project_id, done)
    select p_task, k.key, date_trunc('hour', now()), p_project, 1
    from u cross join lateral (values (('00000000-0000-0000-0000-0000000000' || lpad(to_hex(p_shard), 2, '0'))::uuid, 0), (u.assignment_id, 1)) as k(key, ord)
    where k.key is not null and (select count(*) from ca) >= 0
    order by k.ord
    on conflict (task_id, assignment_id, hour) do update set done = task_done_hourly.done + 1
    returning 1
  )
  select (select count(*) from u) + 0 * ((select count(*) from a) + (select count(*) from e) + (select count(*) from ch)) into n;
  return n;
end $raw$`;

/**
 * Items are sized per side for the rate it could reach on 2 cores, with room to spare: raw
 * updates reach 6,600/s, the same-rows function about 3,000/s, Loupe about 1,150/s at best (docs/benchmarks.md, eleventh pass).
 * A run that runs out stops every client, and its figure says so ("not a figure"). Each side gets
 * its own dataset sized for it: one dataset sized for raw under all three tasks made Loupe's and
 * the same-rows task 1.75M units each, minutes of task creation for items never written.
 */
const expected = (kind: string, side: 'loupe' | 'raw' | 'same') =>
  kind === 'postgres' ? { loupe: 3000, raw: 9000, same: 5000 }[side] : { loupe: 1500, raw: 3000, same: 3000 }[side];

export async function statusWorkload(target: Target, cfg: BenchConfig, routes: Set<string>): Promise<ResultRow[]> {
  const missing = missingRoutes(routes, statusRoutes);
  if (missing.length) return [skippedRow(target.kind, 'item status writes', `routes not landed: ${missing.join(', ')}`)];
  const annotatorCount = Math.max(...cfg.statusClients);
  // Each row (client count × process count) writes its own items, beside its own raw run; Loupe
  // also writes for the two uncounted warm-up seconds of each row.
  const perAnnotator = (side: 'loupe' | 'raw' | 'same') => {
    const seconds = cfg.seconds + (side === 'loupe' ? 2 : 0);
    return Math.ceil(cfg.statusClients.reduce((s, c) => s + (expected(target.kind, side) * seconds) / c, 0) * 1.3 * cfg.processes.length);
  };
  const projectId = await createProject(target, 'bench-status');
  const annotators = await members(target, projectId, 'annotator', annotatorCount, 'status-annotator');
  const assigneeIds = annotators.map((a) => a.id);
  const recipeId = await emptyAnswersRecipe(target, projectId);
  const taskOf = async (side: 'loupe' | 'raw' | 'same', name: string) => {
    const datasetId = await createDataset(target, projectId, `bench ${side}`);
    await seedItems(target, projectId, datasetId, perAnnotator(side) * annotatorCount);
    return createTask(target, projectId, { name, recipeId, datasetId, assigneeIds, allocation: { method: 'distribution' } });
  };
  const task = await taskOf('loupe', 'status loupe');
  const rawTask = await taskOf('raw', 'status raw');
  const sameTask = await taskOf('same', 'status raw, same rows');
  await target.raw.query(RAW_STATUS_SAME_ROWS_FUNCTION);
  console.log(`  [${target.kind}] status: Loupe's task ${(perAnnotator('loupe') * annotatorCount).toLocaleString('en-US')} items over ${annotatorCount} annotators, created in ${task.seconds.toFixed(1)} s; raw's ${(perAnnotator('raw') * annotatorCount).toLocaleString('en-US')}, same rows' ${(perAnnotator('same') * annotatorCount).toLocaleString('en-US')}`);

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
  const sameItems = await itemsOf(sameTask.id);
  const loupeNext = annotators.map(() => 0);
  const rawNext = annotators.map(() => 0);
  const sameNext = annotators.map(() => 0);
  await settle(target);

  const rows: ResultRow[] = [];
  for (const clients of cfg.statusClients) {
    for (const processes of cfg.processes) {
      const http = await target.processes(processes);
      // Each side runs for the same time with the same clients, its database CPU read when it can be.
      const measured = target.databaseCpu ? { databaseCpu: target.databaseCpu } : {};
      const timed = (op: (w: number) => Promise<number | false>) => timeConcurrent(clients, cfg.seconds, op, measured);
      const loupeOp = async (w: number) => {
        const itemId = loupeItems[w]![loupeNext[w]!++];
        if (!itemId) return false;
        const res = await http.request('PUT', `/api/v1/tasks/${task.id}/items/${itemId}/status`, { token: annotators[w]!.token, body: { status: 'completed' } });
        if (res.status !== 200) throw new Error(`status -> ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
        return 1;
      };
      // Two seconds not counted first: V8 compiles the write path and every pooled connection
      // prepares its statements, which the first row alone paid before.
      await timeConcurrent(clients, 2, loupeOp);
      const loupe = await timed(loupeOp);
      const raw = await timed(async (w) => {
        const itemId = rawItems[w]![rawNext[w]!++];
        if (!itemId) return false;
        await target.raw.query(RAW_STATUS, [rawTask.id, annotators[w]!.id, itemId]);
        return 1;
      });
      const same = await timed(async (w) => {
        const itemId = sameItems[w]![sameNext[w]!++];
        if (!itemId) return false;
        const [row] = await target.raw.query<{ n: number }>('select bench_raw_status_same_rows($1, $2, $3, $4, $5) as n', [sameTask.id, annotators[w]!.id, itemId, projectId, Math.floor(Math.random() * 16)]);
        if (Number(row?.n) !== 1) throw new Error('raw same-rows status write: no unit updated');
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
      console.log(`  [${target.kind}] status ${clients} clients, ${processes ? `${processes} server process${processes > 1 ? 'es' : ''}` : 'in-process'}: Loupe ${loupe.perSecond.toFixed(0)}/s (p99 ${loupe.latency.p99.toFixed(1)} ms), raw ${raw.perSecond.toFixed(0)}/s, raw with the same rows ${same.perSecond.toFixed(0)}/s, GET /me ${floor.perSecond.toFixed(0)}/s; CPU per op, this process / database: Loupe ${cpuPair(loupe)}, raw ${cpuPair(raw)}, raw with the same rows ${cpuPair(same)}, GET /me ${cpuPair(floor)}`);
      const ranOut = [loupe.ranOut && 'Loupe', raw.ranOut && 'raw', same.ranOut && 'raw with the same rows'].filter(Boolean).join(' and ');
      rows.push(
        throughputRow(target.kind, withProcesses(`item status writes, ${clients} annotators`, processes), loupe.perSecond, raw.perSecond, {
          details: { loupe, raw, processes },
          ...(ranOut ? { note: `${ranOut} ran out of items before the end: not a figure` } : {}),
        }),
        throughputRow(target.kind, withProcesses(`item status writes, ${clients} annotators, against raw SQL writing the same rows`, processes), loupe.perSecond, same.perSecond, {
          details: { same, processes },
          note: 'raw = one statement writing the unit, its audit event (its outbox event only if a webhook listens: none here), a counter shard, the assignment counters and two hourly buckets',
          ...(ranOut ? { note: `${ranOut} ran out of items before the end: not a figure` } : {}),
        }),
        throughputRow(target.kind, withProcesses(`ceiling of the status rows above: GET /api/v1/me, ${clients} clients`, processes), floor.perSecond, raw.perSecond, {
          details: { floor, processes },
          note: 'raw = the raw status writes above: the highest ratio any authenticated request reaches here',
        }),
      );
    }
  }
  return rows;
}
