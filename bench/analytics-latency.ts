/**
 * Latency of `GET /api/v1/tasks/{taskId}/analytics` on a task with 100,000 scored items.
 *
 *   npx tsx bench/analytics-latency.ts                      # PGlite (in memory)
 *   BENCH_TARGET=postgres npx tsx bench/analytics-latency.ts  # PostgreSQL (BENCH_DATABASE_URL or the local server)
 *
 * Seeding is set-based SQL (one statement per table): 100,000 items (1% drafted), a labeling task
 * whose units are all done over 30 days by 10 annotators, two score rows per unit (whole tool and
 * one label) against gold, a QA task that reviewed 10% of the items, and 1,000 issues. The
 * endpoint is then timed with `app.inject` (no socket), after a warm-up.
 */
import { openTarget, type TargetKind } from './support/target.ts';
import { createProject, createDataset, members } from './support/scenario.ts';
import { timeSerial } from './support/measure.ts';

const kind = (process.env.BENCH_TARGET ?? 'pglite') as TargetKind;
const ITEMS = Number(process.env.BENCH_ANALYTICS_ITEMS ?? 100_000);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 30);

const target = await openTarget(kind, { baseUrl: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', pglitePath: 'memory' });
try {
  const q = target.raw.query;
  const projectId = await createProject(target, 'bench-analytics');
  const datasetId = await createDataset(target, projectId, 'analytics');
  const annotators = await members(target, projectId, 'annotator', 10, 'analytics-annotator');
  const annotatorIds = `{${annotators.map((a) => a.id).join(',')}}`;
  const t0 = performance.now();
  await q(
    `insert into items (id, project_id, dataset_id, kind, payload, draft, gold, seq)
     select gen_random_uuid(), $1, $2, 'text', jsonb_build_object('text', 'item ' || g), g % 100 = 0, '[{"tool":"classification","label":"cat"}]'::jsonb, g
     from generate_series(1, ${ITEMS}) g`,
    [projectId, datasetId],
  );
  const [task] = await q<{ id: string }>(
    `insert into tasks (id, project_id, name, type, dataset_id, workflow_state, allocation, item_count, done_count, status_count, has_history)
     values (gen_random_uuid(), $1, 'analytics bench', 'labeling', $2, 'in_progress', '{"method":"distribution","batchSize":5,"maxWorkload":10,"leaseSeconds":3600}', ${ITEMS}, ${ITEMS}, ${ITEMS}, true)
     returning id`,
    [projectId, datasetId],
  );
  const taskId = task!.id;
  await q(
    `insert into task_items (id, project_id, task_id, item_id, copy, position, worker_id, status, done, status_by, started_at, finished_at)
     select gen_random_uuid(), $1, $2, i.id, 0, i.seq, ($3::uuid[])[1 + i.seq % 10], 'completed', true, ($3::uuid[])[1 + i.seq % 10],
       now() - (i.seq % 720) * interval '1 hour' - (30 + i.seq % 600) * interval '1 second', now() - (i.seq % 720) * interval '1 hour'
     from items i where i.dataset_id = $4`,
    [projectId, taskId, annotatorIds, datasetId],
  );
  await q(
    `insert into scores (project_id, task_id, item_id, task_item_id, annotator_id, reference_id, tool, label, fn, value)
     select ti.project_id, ti.task_id, ti.item_id, ti.id, ti.worker_id, null, 'classification', l.label, 'exact_match', (ti.position % 5 <> 0)::int
     from task_items ti cross join (values (''), ('cat')) l(label) where ti.task_id = $1`,
    [taskId],
  );
  const [qa] = await q<{ id: string }>(
    `insert into tasks (id, project_id, name, type, dataset_id, workflow_state, allocation, source_task_id)
     values (gen_random_uuid(), $1, 'qa bench', 'review', $2, 'in_progress', '{"method":"distribution","batchSize":5,"maxWorkload":10,"leaseSeconds":3600}', $3) returning id`,
    [projectId, datasetId, taskId],
  );
  await q(
    `insert into task_items (id, project_id, task_id, item_id, copy, position, status, done)
     select gen_random_uuid(), $1, $2, ti.item_id, 0, ti.position, case when ti.position % 3 = 0 then 'discarded' else 'approved' end, true
     from task_items ti where ti.task_id = $3 and ti.position % 10 = 0`,
    [projectId, qa!.id, taskId],
  );
  await q(
    `insert into issues (id, project_id, task_id, task_item_id, item_id, annotation_id, assignee_id, opened_by, status, comment)
     select gen_random_uuid(), ti.project_id, ti.task_id, ti.id, ti.item_id, gen_random_uuid(), ti.worker_id, ti.worker_id, 'open', 'bench'
     from task_items ti where ti.task_id = $1 and ti.position % 100 = 7`,
    [taskId],
  );
  await q('analyze');
  const seedSeconds = (performance.now() - t0) / 1000;
  const [counts] = await q<{ units: number; scores: number }>(
    `select (select count(*)::int from task_items where task_id = $1) as units, (select count(*)::int from scores where task_id = $1) as scores`,
    [taskId],
  );

  const app = target.built.app;
  const headers = { authorization: `Bearer ${target.admin.token}` };
  let last: any;
  const latency = await timeSerial(SAMPLES, async () => {
    const res = await app.inject({ method: 'GET', url: `/api/v1/tasks/${taskId}/analytics`, headers });
    if (res.statusCode !== 200) throw new Error(`analytics answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
    last = res.json();
  }, 3);
  console.log(
    JSON.stringify(
      {
        target: kind,
        units: counts?.units,
        scoreRows: counts?.scores,
        seedSeconds: Math.round(seedSeconds * 10) / 10,
        samples: latency.count,
        p50ms: Math.round(latency.p50),
        p95ms: Math.round(latency.p95),
        meanMs: Math.round(latency.mean),
        check: { units: last.task.units, done: last.task.done, accuracy: last.task.accuracy, annotators: last.annotators.length, progressBuckets: last.progress.length },
      },
      null,
      2,
    ),
  );
} finally {
  await target.close();
}
