import type { BenchConfig } from '../support/config.ts';
import { timeSerial } from '../support/measure.ts';
import { latencyRow, skippedRow, type ResultRow } from '../support/report.ts';
import { createProject, members, missingRoutes, sqlId } from '../support/scenario.ts';
import type { BenchUser, Target } from '../support/target.ts';

export const listRoutes = ['GET /api/v1/projects/{projectId}/tasks'];
export const detailRoutes = ['GET /api/v1/projects/{projectId}/summary', 'GET /api/v1/tasks/{taskId}'];

/**
 * The columns a task list row or task detail carries: the task's own row, with its exact status
 * counters (the row's base plus its counter shards, docs/tasks.md) as the API shows them. `FROM`
 * joins the shards' sums once per row (`c.s`, `c.d`), the way a hand-written query would.
 */
const COLUMNS = `id, project_id, name, type, dataset_id, recipe_id, owner_id, priority, due_date, lock_after_due_date, locked, archived,
  workflow_state, description, allocation, consensus, honeypot, source_task_id, review_note, item_count, t.done_count + c.d as done_count,
  t.status_count + c.s as status_count, open_issues, for_review, dataset_count, invalid_count, created_at, updated_at`;
const FROM = `tasks t cross join lateral (select coalesce(sum(cs.statuses), 0)::int as s, coalesce(sum(cs.done), 0)::int as d
  from task_counter_shards cs where cs.task_id = t.id) c`;
const STATUSES = '(t.status_count + c.s)';

export interface BigProject {
  projectId: string;
  caller: BenchUser;
  owners: BenchUser[];
  annotators: BenchUser[];
  datasetIds: string[];
  taskIds: string[];
}

/**
 * A project with `count` tasks seeded by set-based SQL, with a realistic spread of types,
 * priorities, workflow states, derived statuses (through the counters), issues, owners, due dates,
 * archived tasks, and assignees (the caller is assigned to 5%, a tenth of tasks have none), and
 * summary counters in step.
 */
export async function seedBigProject(target: Target, count: number, shape: 'mixed' | 'finished' = 'mixed'): Promise<BigProject> {
  const projectId = await createProject(target, shape === 'mixed' ? 'bench-list' : 'bench-list-finished');
  const [caller] = await members(target, projectId, 'manager', 1, 'list-manager');
  const owners = await members(target, projectId, 'manager', 4, 'list-owner');
  const annotators = await members(target, projectId, 'annotator', 10, 'list-annotator');
  // Datasets by SQL too: the list only needs their ids, not their items.
  const datasetIds = (
    await target.raw.query<{ id: string }>(`insert into datasets (id, project_id, name) select ${sqlId('g', Date.now())}, $1, 'list ' || g from generate_series(1, 2) g returning id`, [projectId])
  ).map((d) => d.id);
  const baseMs = Date.now() - count * 1000;
  await target.raw.query(
    `insert into tasks (id, project_id, name, type, dataset_id, owner_id, priority, priority_rank, due_date, archived, workflow_state,
        allocation, item_count, done_count, status_count, open_issues, for_review, dataset_count, created_at, updated_at)
     select ${sqlId('g', baseMs)}, $1,
       'Task ' || g || ' ' || (array['alpha','bravo','charlie','delta','echo','foxtrot','golf','hotel'])[1 + g % 8],
       t.type, (case when g % 2 = 0 then $2 else $3 end)::uuid, ($4::uuid[])[1 + g % 4],
       (array['high','medium','low',null])[1 + g % 4], g % 4,
       case when g % 3 = 0 then null else now() + g * interval '1 minute' end,
       g % 50 = 0,
       case when t.type = 'ticket' then (array['open','in_progress','resolved'])[1 + g % 3]
            else (array['pending','in_progress','pending_review','review_passed','data_submitted'])[1 + g % 5] end,
       '{"method":"distribution","batchSize":5,"maxWorkload":10,"leaseSeconds":3600}'::jsonb,
       100, c.n, c.n, case when g % 20 = 0 then 2 else 0 end, case when g % 25 = 0 then 1 else 0 end, 1,
       to_timestamp(($5::bigint + g * 1000) / 1000.0), now() - g * interval '1 second'
     from generate_series(0, $6::int - 1) g,
       lateral (select (array['labeling','labeling','labeling','labeling','labeling','labeling','labeling','review','consensus','ticket'])[1 + g % 10] as type) t,
       -- Mixed: a third each open, in progress (25 of 100) and complete. Finished: all complete
       -- but one task in 5,000, in progress (20 among 100,000: the old project of docs/benchmarks.md).
       lateral (select case when $7 = 'mixed' then (g % 3) * 50 when g % 5000 = 1 then 50 else 100 end as n) c`,
    [projectId, datasetIds[0], datasetIds[1], owners.map((o) => o.id), baseMs, count, shape],
  );
  await target.raw.query('insert into task_datasets (task_id, dataset_id, project_id) select id, dataset_id, project_id from tasks where project_id = $1', [projectId]);
  // Status writes move counter shards, never the row, and every minute a job folds the shards
  // into the row (docs/workflow.md): 16 statuses of each task written since the last fold are in
  // 16 shards, the rest in its base. Mixed: one task in 100 was written since; finished: the 20
  // still in progress were.
  await target.raw.query(
    `with w as (update tasks t set status_count = status_count - 16, done_count = done_count - 16
       where t.project_id = $1 and t.status_count >= 16
         and case when $2 = 'mixed' then ('x' || substr(md5(t.id::text), 1, 6))::bit(24)::int % 100 = 7 else t.status_count < t.item_count end
       returning t.id, t.project_id)
     insert into task_counter_shards (task_id, shard, project_id, statuses, done)
     select w.id, s, w.project_id, 1, 1 from w, generate_series(0, 15) s`,
    [projectId, shape],
  );
  const tasks = await target.raw.query<{ id: string }>('select id from tasks where project_id = $1 order by id', [projectId]);
  const taskIds = tasks.map((t) => t.id);
  // Assignees: 90% of tasks get one annotator, the caller is assigned to every 20th task.
  await target.raw.query(
    `insert into task_assignees (id, project_id, task_id, role, assignee_kind, assignee_id, item_count, status_count, done_count)
     select ${sqlId('n', Date.now())}, $1, x.id, 'annotator', 'user',
       case when x.n % 20 = 1 then $2::uuid else ($3::uuid[])[1 + x.n % 10] end, 100, 0, 0
     from (select id, row_number() over (order by id) as n from tasks where project_id = $1) x
     where x.n % 10 <> 0`,
    [projectId, caller!.id, annotators.map((a) => a.id)],
  );
  // And one person with three tasks (an owner, spread through the id order, none archived): the "my tasks" page
  // of someone new to a large project.
  await target.raw.query(
    `insert into task_assignees (id, project_id, task_id, role, assignee_kind, assignee_id, item_count, status_count, done_count)
     select gen_random_uuid(), $1, x.id, 'annotator', 'user', $2, 100, 0, 0
     from (select id, row_number() over (order by id) as n from tasks where project_id = $1) x where x.n in (1002, 50003, 99004)`,
    [projectId, owners[3]!.id],
  );
  const [agg] = await target.raw.query<{ tasks: number; assignments: number; issues: number }>(
    `select count(*) filter (where not archived)::int as tasks, sum(open_issues)::int as issues,
       (select count(*)::int from task_assignees where project_id = $1) as assignments
     from tasks where project_id = $1`,
    [projectId],
  );
  await target.raw.query(
    `insert into project_counters (project_id, shard, tasks, assignments, open_issues, pending_reviews) values ($1, 0, $2, $3, $4, 0)
     on conflict (project_id, shard) do update set tasks = project_counters.tasks + $2, assignments = project_counters.assignments + $3, open_issues = project_counters.open_issues + $4`,
    [projectId, agg!.tasks, agg!.assignments, agg!.issues],
  );
  for (const table of ['tasks', 'task_assignees', 'task_datasets', 'task_counter_shards']) await target.raw.query(`vacuum analyze ${table}`);
  return { projectId, caller: caller!, owners, annotators, datasetIds, taskIds };
}

interface Case {
  name: string;
  query: Record<string, string>;
  /** WHERE fragment after `project_id = $1` ($2… are `params`) and ORDER BY for the raw keyset query. */
  where: string;
  order: string;
  params: unknown[];
}

function cases(p: BigProject): Case[] {
  const me = p.caller.id;
  const assigned = (who: string) => `exists (select 1 from task_assignees a where a.task_id = t.id and a.role = 'annotator' and a.assignee_id = ${who})`;
  return [
    { name: 'no filter', query: {}, where: 'not archived', order: 'id', params: [] },
    { name: 'q=alpha', query: { q: 'alpha' }, where: `not archived and name ilike '%alpha%'`, order: 'id', params: [] },
    // A term in one task name of 100,000 ('Task 99999 …'; none at quick sizes): read on the name's trigrams.
    { name: 'q=99999 (rare)', query: { q: '99999' }, where: `not archived and name ilike '%99999%'`, order: 'id', params: [] },
    { name: 'q=99999 (rare), sort=name', query: { q: '99999', sort: 'name' }, where: `not archived and name ilike '%99999%'`, order: 'name, id', params: [] },
    { name: 'status=in_progress', query: { status: 'in_progress' }, where: `not archived and ${STATUSES} <> 0 and ${STATUSES} < item_count`, order: 'id', params: [] },
    // A third of the seeded tasks are complete (base + shards = item_count), 1.7 % complete with
    // issues: the rarer the status, the more rows a page looks at (the status is derived, not indexed).
    { name: 'status=completed', query: { status: 'completed' }, where: `not archived and ${STATUSES} <> 0 and ${STATUSES} >= item_count and open_issues + for_review <= 0`, order: 'id', params: [] },
    { name: 'status=completed_with_issues', query: { status: 'completed_with_issues' }, where: `not archived and ${STATUSES} <> 0 and ${STATUSES} >= item_count and open_issues + for_review > 0`, order: 'id', params: [] },
    { name: 'workflowState=pending_review', query: { workflowState: 'pending_review' }, where: `not archived and workflow_state = 'pending_review'`, order: 'id', params: [] },
    { name: 'type=review', query: { type: 'review' }, where: `not archived and type = 'review'`, order: 'id', params: [] },
    { name: 'priority=high', query: { priority: 'high' }, where: 'not archived and priority_rank = 0', order: 'id', params: [] },
    { name: 'ownerId', query: { ownerId: p.owners[1]!.id }, where: 'not archived and owner_id = $2', order: 'id', params: [p.owners[1]!.id] },
    { name: 'assignee=me', query: { assignee: 'me' }, where: `not archived and ${assigned('$2')}`, order: 'id', params: [me] },
    { name: 'assignee=unassigned', query: { assignee: 'unassigned' }, where: `not archived and not exists (select 1 from task_assignees a where a.task_id = t.id and a.role = 'annotator')`, order: 'id', params: [] },
    { name: 'assignee={userId}', query: { assignee: p.annotators[3]!.id }, where: `not archived and ${assigned('$2')}`, order: 'id', params: [p.annotators[3]!.id] },
    { name: 'assignee=me, sort=name', query: { assignee: 'me', sort: 'name' }, where: `not archived and ${assigned('$2')}`, order: 'name, id', params: [me] },
    // Raw: the person's assignments first, as a hand-written service would for a person with few.
    { name: 'assignee={userId with 3 tasks}', query: { assignee: p.owners[3]!.id }, where: `not archived and t.id = any(array(select a.task_id from task_assignees a where a.assignee_id = $2 and a.project_id = $1))`, order: 'id', params: [p.owners[3]!.id] },
    { name: 'assignee={userId with 3 tasks}, sort=-priority', query: { assignee: p.owners[3]!.id, sort: '-priority' }, where: `not archived and t.id = any(array(select a.task_id from task_assignees a where a.assignee_id = $2 and a.project_id = $1))`, order: 'priority_rank desc, id desc', params: [p.owners[3]!.id] },
    { name: 'openIssues=true', query: { openIssues: 'true' }, where: 'not archived and open_issues > 0', order: 'id', params: [] },
    { name: 'forReview=true', query: { forReview: 'true' }, where: 'not archived and for_review > 0', order: 'id', params: [] },
    { name: 'datasetId', query: { datasetId: p.datasetIds[1]! }, where: 'not archived and exists (select 1 from task_datasets td where td.task_id = t.id and td.dataset_id = $2)', order: 'id', params: [p.datasetIds[1]] },
    { name: 'archived=true', query: { archived: 'true' }, where: 'archived', order: 'id', params: [] },
    { name: 'sort=name', query: { sort: 'name' }, where: 'not archived', order: 'name, id', params: [] },
    { name: 'sort=-priority', query: { sort: '-priority' }, where: 'not archived', order: 'priority_rank desc, id desc', params: [] },
    { name: 'sort=dueDate', query: { sort: 'dueDate' }, where: 'not archived', order: `coalesce(due_date, 'infinity'::timestamptz), id`, params: [] },
    { name: 'sort=-updatedAt', query: { sort: '-updatedAt' }, where: 'not archived', order: 'updated_at desc, id desc', params: [] },
  ];
}

const qs = (q: Record<string, string>) => new URLSearchParams(q).toString();

/** Follows `nextCursor` with pages of 500 until `offset` rows are behind: the cursor of a deep page. */
async function cursorAt(target: Target, p: BigProject, query: Record<string, string>, offset: number) {
  let cursor: string | undefined;
  for (let seen = 0; seen < offset; seen += 500) {
    const res = await target.http.ok<{ nextCursor: string | null }>('GET', `/api/v1/projects/${p.projectId}/tasks?${qs({ ...query, limit: '500', ...(cursor ? { cursor } : {}) })}`, { token: p.caller.token });
    if (!res.nextCursor) break;
    cursor = res.nextCursor;
  }
  return cursor;
}

/**
 * The rare statuses of a finished project (`seedBigProject(…, 'finished')`): 20 tasks in progress
 * among 100,000 complete. Raw: the keyset query a hand-written service would run with the same
 * stored base status and its index (`base_status`, tasks_project_status*_idx), checking the exact
 * counters as the other rows do.
 */
function finishedCases(): Case[] {
  const exact = (status: string, cond: string) => `not archived and base_status = '${status}' and ${cond}`;
  return [
    { name: 'finished project, status=in_progress (20 tasks)', query: { status: 'in_progress' }, where: exact('in_progress', `${STATUSES} <> 0 and ${STATUSES} < item_count`), order: 'id', params: [] },
    { name: 'finished project, status=in_progress, sort=name', query: { status: 'in_progress', sort: 'name' }, where: exact('in_progress', `${STATUSES} <> 0 and ${STATUSES} < item_count`), order: 'name, id', params: [] },
    { name: 'finished project, status=open (none)', query: { status: 'open' }, where: exact('open', `${STATUSES} = 0`), order: 'id', params: [] },
  ];
}

/** Task list latency (one client, p50/p95/p99) for each filter and sort, and for deep pages. */
export async function listWorkload(target: Target, cfg: BenchConfig, routes: Set<string>, p: BigProject | null, finished: BigProject | null = null): Promise<ResultRow[]> {
  const missing = missingRoutes(routes, listRoutes);
  if (missing.length || !p) return [skippedRow(target.kind, 'task list', `routes not landed: ${missing.join(', ') || 'tasks'}`)];
  const rows: ResultRow[] = [];
  const size = `${p.taskIds.length.toLocaleString('en-US')} tasks`;
  // One pass over every case first: the first case measured would otherwise also pay for the
  // process's warm-up (JIT, statement caches) and the checkpoint the seed left behind.
  const all = [...cases(p).map((c) => ({ c, p })), ...(finished ? finishedCases().map((c) => ({ c, p: finished })) : [])];
  for (const { c, p } of all) {
    await target.http.request('GET', `/api/v1/projects/${p.projectId}/tasks?${qs({ ...c.query, limit: '50' })}`, { token: p.caller.token });
    await target.raw.query(`select ${COLUMNS} from ${FROM} where project_id = $1 and ${c.where} order by ${c.order} limit 51`, [p.projectId, ...c.params]);
  }
  for (const { c, p } of all) {
    const url = `/api/v1/projects/${p.projectId}/tasks?${qs({ ...c.query, limit: '50' })}`;
    let count = 0;
    const loupe = await timeSerial(cfg.samples, async () => {
      const res = await target.http.request<{ data: unknown[] }>('GET', url, { token: p.caller.token });
      if (res.status !== 200) throw new Error(`GET ${url} -> ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
      count = res.body.data.length;
    });
    const sqlText = `select ${COLUMNS} from ${FROM} where project_id = $1 and ${c.where} order by ${c.order} limit 51`;
    let rawCount = 0;
    const raw = await timeSerial(cfg.samples, async () => {
      rawCount = (await target.raw.query(sqlText, [p.projectId, ...c.params])).length;
    });
    rows.push(latencyRow(target.kind, `task list (${size}), ${c.name}`, loupe, raw, { note: `${count} rows (raw ${Math.min(rawCount, 50)})` }));
  }
  // Deep pages: the page at half the project's depth, by id and by name.
  const depth = Math.floor(p.taskIds.length / 2);
  for (const deep of [
    { name: 'deep page (default order)', query: {} as Record<string, string>, rawWhere: 'not archived and id > $2', order: 'id', key: 'id' },
    { name: 'deep page, sort=name', query: { sort: 'name' }, rawWhere: 'not archived and (name, id) > ($2, $3)', order: 'name, id', key: 'name' },
  ]) {
    const cursor = await cursorAt(target, p, deep.query, depth);
    if (!cursor) {
      rows.push(skippedRow(target.kind, `task list (${size}), ${deep.name}`, 'the list ended before the requested depth'));
      continue;
    }
    const url = `/api/v1/projects/${p.projectId}/tasks?${qs({ ...deep.query, limit: '50', cursor })}`;
    const loupe = await timeSerial(cfg.samples, async () => {
      const res = await target.http.request('GET', url, { token: p.caller.token });
      if (res.status !== 200) throw new Error(`GET ${url} -> ${res.status}`);
    });
    const [at] = await target.raw.query<{ id: string; name: string }>(`select id, name from tasks t where project_id = $1 and not archived order by ${deep.order} offset $2 limit 1`, [p.projectId, depth]);
    const params = deep.key === 'id' ? [p.projectId, at!.id] : [p.projectId, at!.name, at!.id];
    const sqlText = `select ${COLUMNS} from ${FROM} where project_id = $1 and ${deep.rawWhere} order by ${deep.order} limit 51`;
    const raw = await timeSerial(cfg.samples, async () => {
      await target.raw.query(sqlText, params);
    });
    rows.push(latencyRow(target.kind, `task list (${size}), ${deep.name} at row ${depth.toLocaleString('en-US')}`, loupe, raw));
  }
  for (const r of rows) if (r.loupeLatency) console.log(`  [${target.kind}] ${r.workload}: Loupe p95 ${r.loupeLatency.p95.toFixed(2)} ms, raw p95 ${r.rawLatency?.p95.toFixed(2)} ms`);
  return rows;
}

/** Project summary and task detail latency in the big project. */
export async function detailWorkload(target: Target, cfg: BenchConfig, routes: Set<string>, p: BigProject | null): Promise<ResultRow[]> {
  const rows: ResultRow[] = [];
  // The floor every HTTP figure stands on: an unauthenticated route, and an authenticated one
  // (token lookup) doing one small query, against one `select 1`.
  const select1 = await timeSerial(cfg.samples, async () => {
    await target.raw.query('select 1');
  });
  const health = await timeSerial(cfg.samples, async () => {
    await target.http.request('GET', '/healthz');
  });
  rows.push(latencyRow(target.kind, 'HTTP floor: GET /healthz (no database)', health, select1, { note: 'raw = select 1' }));
  const me = await timeSerial(cfg.samples, async () => {
    const res = await target.http.request('GET', '/api/v1/me', { token: target.admin.token });
    if (res.status !== 200) throw new Error(`me -> ${res.status}`);
  });
  rows.push(latencyRow(target.kind, 'HTTP floor: GET /api/v1/me (token + 1 query)', me, select1, { note: 'raw = select 1' }));
  if (!p) return [...rows, skippedRow(target.kind, 'summary and task detail', 'the big project could not be seeded')];
  const size = `${p.taskIds.length.toLocaleString('en-US')} tasks`;
  if (routes.has('GET /api/v1/projects/{projectId}/summary')) {
    const loupe = await timeSerial(cfg.samples, async () => {
      const res = await target.http.request('GET', `/api/v1/projects/${p.projectId}/summary`, { token: p.caller.token });
      if (res.status !== 200) throw new Error(`summary -> ${res.status}`);
    });
    const raw = await timeSerial(cfg.samples, async () => {
      await target.raw.query('select sum(tasks)::int, sum(assignments)::int, sum(open_issues)::int, sum(pending_reviews)::int from project_counters where project_id = $1', [p.projectId]);
    });
    rows.push(latencyRow(target.kind, `project summary (${size})`, loupe, raw));
  } else rows.push(skippedRow(target.kind, 'project summary', 'route not landed: GET /api/v1/projects/{projectId}/summary'));
  if (routes.has('GET /api/v1/tasks/{taskId}')) {
    const pick = (i: number) => p.taskIds[(i * 7919) % p.taskIds.length]!;
    const loupe = await timeSerial(cfg.samples, async (i) => {
      const res = await target.http.request('GET', `/api/v1/tasks/${pick(i)}`, { token: p.caller.token });
      if (res.status !== 200) throw new Error(`task detail -> ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
    });
    const raw = await timeSerial(cfg.samples, async (i) => {
      await target.raw.query(`select ${COLUMNS} from ${FROM} where id = $1`, [pick(i)]);
    });
    rows.push(latencyRow(target.kind, `task detail (${size})`, loupe, raw));
  } else rows.push(skippedRow(target.kind, 'task detail', 'route not landed: GET /api/v1/tasks/{taskId}'));
  for (const r of rows) if (r.loupeLatency) console.log(`  [${target.kind}] ${r.workload}: Loupe p95 ${r.loupeLatency.p95.toFixed(2)} ms, raw p95 ${r.rawLatency?.p95.toFixed(2)} ms`);
  return rows;
}
