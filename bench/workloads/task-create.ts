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
async function rawCreate(query: RawSql['query'], projectId: string, datasetId: string, recipeId: string, userIds: string[]) {
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
  if (target.database.pglite) {
    // PGlite is one session that the server's own jobs share: its transaction holds the session.
    await target.database.pglite.transaction((tx) => rawCreate(async (text, params) => (await tx.query(text, params)).rows as any[], projectId, datasetId, recipeId, userIds));
  } else {
    await target.raw.withClient(async (query) => {
      await query('begin');
      try {
        await rawCreate(query, projectId, datasetId, recipeId, userIds);
        await query('commit');
      } catch (err) {
        await query('rollback');
        throw err;
      }
    });
  }
  const raw = (performance.now() - t0) / 1000;
  const [check] = await target.raw.query<{ n: number }>('select item_count as n from tasks where id = $1', [loupe.id]);
  if (Number(check?.n) !== cfg.createItems) throw new Error(`task creation: Loupe's task counts ${check?.n} items, not ${cfg.createItems}`);
  console.log(`  [${target.kind}] task creation, ${cfg.createItems.toLocaleString('en-US')} items to ${ANNOTATORS} annotators: Loupe ${loupe.seconds.toFixed(1)} s, raw ${raw.toFixed(1)} s`);
  return [durationRow(target.kind, `task creation, ${cfg.createItems.toLocaleString('en-US')} items distributed to ${ANNOTATORS} annotators`, loupe.seconds, raw)];
}
