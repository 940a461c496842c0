import { performance } from 'node:perf_hooks';
import type { BenchConfig } from '../support/config.ts';
import { durationRow, skippedRow, type ResultRow } from '../support/report.ts';
import { createDataset, createProject, createTask, emptyAnswersRecipe, members, missingRoutes, seedItems, settle } from '../support/scenario.ts';
import type { RawSql, Target } from '../support/target.ts';

export const createRoutes = ['POST /api/v1/projects/{projectId}/tasks'];

const ANNOTATORS = 32;

/**
 * What a hand-written service writes to create the same task: the task row, one assignment per
 * annotator, and every unit inserted in its share (round-robin in dataset order) with the
 * assignments' and the task's item counters, in one transaction. No checks, no audit.
 */
async function rawCreate(query: RawSql['query'], projectId: string, datasetId: string, recipeId: string, userIds: string[]): Promise<{ taskId: string; shareIds: string[] }> {
  const [task] = await query<{ id: string }>(
    `insert into tasks (id, project_id, name, type, recipe_id, dataset_id, workflow_state, allocation, created_at, updated_at)
     values (gen_random_uuid(), $1, 'create raw', 'labeling', $2, $3, 'pending', '{"method":"distribution"}'::jsonb, now(), now()) returning id`,
    [projectId, recipeId, datasetId],
  );
  const shares = await query<{ id: string }>(
    `insert into task_assignees (id, project_id, task_id, role, assignee_kind, assignee_id, created_at)
     select gen_random_uuid(), $1, $2, 'annotator', 'user', u, now() from unnest($3::uuid[]) with ordinality as x(u, n) order by n returning id`,
    [projectId, task!.id, userIds],
  );
  const ids = shares.map((s) => s.id);
  await query(
    `with ins as (
       insert into task_items (id, project_id, task_id, item_id, copy, position, assignment_id, created_at)
       select gen_random_uuid(), $1, $2, u.id, 0, u.seq, ($4::uuid[])[1 + ((u.k - 1) % $5::int)], now()
       from (select id, seq, row_number() over (order by seq) as k from items where dataset_id = $3) u
       returning assignment_id),
     per as (select assignment_id, count(*)::int as n from ins group by assignment_id),
     a as (update task_assignees t set item_count = per.n from per where t.id = per.assignment_id returning 1)
     update tasks set item_count = (select coalesce(sum(n), 0) from per) + 0 * (select count(*) from a) where id = $2`,
    [projectId, task!.id, datasetId, ids, ids.length],
  );
  return { taskId: task!.id, shareIds: ids };
}

/**
 * What a hand-written service writes when one more annotator joins the raw task: their
 * assignment, then every unit without a status spread round-robin over the shares in queue order
 * (the task has no finished work, so that is the equal split), the moved units' share counters
 * with it, in one transaction.
 */
async function rawJoin(query: RawSql['query'], projectId: string, taskId: string, shareIds: string[], userId: string) {
  const [share] = await query<{ id: string }>(
    `insert into task_assignees (id, project_id, task_id, role, assignee_kind, assignee_id, created_at)
     values (gen_random_uuid(), $1, $2, 'annotator', 'user', $3, now()) returning id`,
    [projectId, taskId, userId],
  );
  const ids = [...shareIds, share!.id];
  // Unit k (queue order) paired with slot k of the round-robin, the shape of Loupe's statement.
  // A first version computed each unit's share in the subquery and joined it back on the unit's
  // id: 113–125 s at 1M units, with hash joins or without, against 41 s for this one. Why was
  // not found; a hand-written service could have shipped either.
  await query(
    `with movable as (
       select id, assignment_id, row_number() over (order by position, copy) as k from task_items where task_id = $1 and status is null),
     slots as (select s.id as share, row_number() over (order by l.level, s.j) as k
       from unnest($2::uuid[]) with ordinality as s(id, j) cross join generate_series(0, (select count(*) from movable) / $3::int) as l(level)),
     moved as (
       update task_items t set assignment_id = s.share from movable m join slots s on s.k = m.k
       where t.id = m.id and m.assignment_id is distinct from s.share
       returning m.assignment_id as from_id, s.share as to_id),
     d as (select id, sum(n)::int as n from (select from_id as id, -1 as n from moved union all select to_id, 1 from moved) x group by id)
     update task_assignees a set item_count = a.item_count + d.n from d where a.id = d.id`,
    [taskId, ids, ids.length],
  );
}

/** Runs `fn` in one transaction of the raw side (PGlite's own on PGlite: its one session is shared with the server's jobs). */
async function inRawTransaction<T>(target: Target, fn: (query: RawSql['query']) => Promise<T>): Promise<T> {
  if (target.database.pglite) return target.database.pglite.transaction((tx) => fn(async (text, params) => (await tx.query(text, params)).rows as any[]));
  return target.raw.withClient(async (query) => {
    await query('begin');
    try {
      const out = await fn(query);
      await query('commit');
      return out;
    } catch (err) {
      await query('rollback');
      throw err;
    }
  });
}

/**
 * Task creation over a large dataset: `POST /projects/{id}/tasks` with distribution to 32
 * annotators over `BENCH_CREATE_ITEMS` items (one unit each), against the raw SQL above on the
 * same items. The figure a manager waits on before anyone can start.
 */
export async function createWorkload(target: Target, cfg: BenchConfig, routes: Set<string>): Promise<ResultRow[]> {
  const missing = missingRoutes(routes, createRoutes);
  if (missing.length) return [skippedRow(target.kind, 'task creation', `routes not landed: ${missing.join(', ')}`)];
  const projectId = await createProject(target, 'bench-create');
  const datasetId = await createDataset(target, projectId);
  await seedItems(target, projectId, datasetId, cfg.createItems);
  const annotators = await members(target, projectId, 'annotator', ANNOTATORS, 'create-annotator');
  const recipeId = await emptyAnswersRecipe(target, projectId);
  await settle(target);
  const loupe = await createTask(target, projectId, { name: 'create loupe', recipeId, datasetId, assigneeIds: annotators.map((a) => a.id), allocation: { method: 'distribution' } });
  await settle(target);
  const t0 = performance.now();
  const userIds = annotators.map((a) => a.id);
  const rawTask = await inRawTransaction(target, (query) => rawCreate(query, projectId, datasetId, recipeId, userIds));
  const raw = (performance.now() - t0) / 1000;
  const [check] = await target.raw.query<{ n: number }>('select item_count as n from tasks where id = $1', [loupe.id]);
  if (Number(check?.n) !== cfg.createItems) throw new Error(`task creation: Loupe's task counts ${check?.n} items, not ${cfg.createItems}`);
  console.log(`  [${target.kind}] task creation, ${cfg.createItems.toLocaleString('en-US')} items to ${ANNOTATORS} annotators: Loupe ${loupe.seconds.toFixed(1)} s, raw ${raw.toFixed(1)} s`);
  const rows = [durationRow(target.kind, `task creation, ${cfg.createItems.toLocaleString('en-US')} items distributed to ${ANNOTATORS} annotators`, loupe.seconds, raw)];

  // One more annotator joins each task: every unit is spread again over 33 shares.
  const [joiner] = await members(target, projectId, 'annotator', 1, 'create-joiner');
  await settle(target);
  const t1 = performance.now();
  await target.http.ok('PATCH', `/api/v1/tasks/${loupe.id}`, { token: target.admin.token, body: { assigneeIds: [...userIds, joiner!.id] } });
  const loupeJoin = (performance.now() - t1) / 1000;
  // Loupe's update left a million dead rows: vacuumed before the raw side, as before Loupe's.
  await settle(target);
  const t2 = performance.now();
  await inRawTransaction(target, (query) => rawJoin(query, projectId, rawTask.taskId, rawTask.shareIds, joiner!.id));
  const rawJoinSeconds = (performance.now() - t2) / 1000;
  const counts = await target.raw.query<{ n: number }>(`select item_count as n from task_assignees where task_id = $1 and role = 'annotator' order by item_count`, [loupe.id]);
  const expected = Math.floor(cfg.createItems / (ANNOTATORS + 1));
  if (counts.length !== ANNOTATORS + 1 || Number(counts[0]!.n) !== expected || Number(counts[counts.length - 1]!.n) > expected + 1) {
    throw new Error(`annotator joining: Loupe's shares hold ${counts.map((c) => c.n).join(', ')}, not ${expected}–${expected + 1} each`);
  }
  console.log(`  [${target.kind}] one more annotator on that task (${ANNOTATORS + 1} shares): Loupe ${loupeJoin.toFixed(1)} s, raw ${rawJoinSeconds.toFixed(1)} s`);
  rows.push(durationRow(target.kind, `annotator joins a task of ${cfg.createItems.toLocaleString('en-US')} units (all spread again over ${ANNOTATORS + 1} shares)`, loupeJoin, rawJoinSeconds));
  return rows;
}
