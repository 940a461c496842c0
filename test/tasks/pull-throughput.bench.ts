/**
 * Pull-queue throughput on PostgreSQL: claims per second through the HTTP API (app.inject, the
 * full route: auth, access check, validation, service, audit) at 8 and 32 concurrent annotators,
 * next to the raw SQL claim statement on the same database in the same run.
 *
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test BENCH_SECONDS=20 npx tsx test/tasks/pull-throughput.bench.ts
 */
import pg from 'pg';
import { buildApp } from '../../src/api/app.ts';
import { openDb } from '../../src/db/client.ts';
import { runMigrations } from '../../src/db/migrate.ts';
import { systemClock } from '../../src/core/clock.ts';
import { newId } from '../../src/core/ids.ts';
import { PgBossQueue } from '../../src/jobs/jobs.ts';
import { createToken, createUser } from '../../src/auth/auth.service.ts';
import { createProject, putMember } from '../../src/projects/projects.service.ts';
import { createTask } from '../../src/tasks/create-task.ts';
import { datasets } from '../../src/datasets/datasets.table.ts';

const base = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const seconds = Number(process.env.BENCH_SECONDS ?? 20);
const items = Number(process.env.BENCH_ITEMS ?? 200_000);
const name = `loupe_bench_${Date.now()}`;
const admin = new pg.Client({ connectionString: base });
await admin.connect();
await admin.query(`create database ${name}`);
const url = new URL(base);
url.pathname = `/${name}`;
const database = await openDb({ databaseUrl: url.toString(), poolSize: 40 });
try {
  await runMigrations(database);
  const jobs = new PgBossQueue(database, { schedule: false });
  const { app, ctx } = await buildApp({ database, jobs, clock: systemClock, logger: false });
  const root = await createUser(ctx, null, { email: 'root@bench', name: 'root', isAdmin: true, password: 'correct horse battery' });
  const rootCaller = { userId: root.id, isAdmin: true };
  const project = await createProject(ctx, rootCaller, { name: 'bench' });
  const datasetId = newId();
  await ctx.db.insert(datasets).values({ id: datasetId, projectId: project.id, name: 'd' });
  const pool = database.pool!;
  await pool.query(
    `insert into items (id, project_id, dataset_id, kind, payload, seq) select gen_random_uuid(), $1, $2, 'text', '{"text":"x"}', g from generate_series(1, $3) g`,
    [project.id, datasetId, items],
  );
  const people: Array<{ id: string; token: string }> = [];
  for (let i = 0; i < 32; i++) {
    const u = await createUser(ctx, rootCaller, { email: `a${i}@bench`, name: `a${i}`, password: 'correct horse battery' });
    await putMember(ctx, rootCaller, project.id, u.id, 'annotator');
    people.push({ id: u.id, token: (await createToken(ctx, rootCaller, u.id, 't')).token });
  }

  async function httpRun(clients: number, secs: number, label: string) {
    const task = await createTask(ctx, rootCaller, project.id, {
      name: label, type: 'labeling', datasetId, assigneeIds: people.slice(0, clients).map((p) => p.id), reviewerIds: [],
      allocation: { method: 'pulling', batchSize: 5, maxWorkload: 10, leaseSeconds: 3600 }, lockAfterDueDate: false, draftLinkedItems: false,
    });
    let claims = 0;
    const perInterval: number[] = [];
    let last = 0;
    const ticker = setInterval(() => { perInterval.push(claims - last); last = claims; }, 10_000);
    const end = Date.now() + secs * 1000;
    await Promise.all(people.slice(0, clients).map(async (p) => {
      const headers = { authorization: `Bearer ${p.token}`, 'content-type': 'application/json' };
      while (Date.now() < end) {
        const res = await app.inject({ method: 'POST', url: `/api/v1/tasks/${task.id}/pull`, headers, payload: '{}' });
        const got = JSON.parse(res.body).items as Array<{ itemId: string }>;
        claims += got.length;
        // Finish them (in one statement, outside the API) so maxWorkload never throttles the pull.
        if (got.length) await pool.query(`update task_items set status = 'completed', done = true where task_id = $1 and item_id = any($2::uuid[])`, [task.id, got.map((g) => g.itemId)]);
      }
    }));
    clearInterval(ticker);
    console.log(`${label}: HTTP ${clients} clients: ${(claims / secs).toFixed(0)} claims/s (${claims} in ${secs}s); per 10 s: ${perInterval.map((n) => (n / 10).toFixed(0)).join(', ')}`);
  }

  async function rawRun(clients: number, secs: number, label: string) {
    const task = await createTask(ctx, rootCaller, project.id, {
      name: label, type: 'labeling', datasetId, assigneeIds: [], reviewerIds: [],
      allocation: { method: 'pulling', batchSize: 5, maxWorkload: 10, leaseSeconds: 3600 }, lockAfterDueDate: false, draftLinkedItems: false,
    });
    let claims = 0;
    const end = Date.now() + secs * 1000;
    await Promise.all(Array.from({ length: clients }, async (_, i) => {
      const worker = people[i]!.id;
      while (Date.now() < end) {
        const r = await pool.query(
          `update task_items u set worker_id = $2, lease_expires_at = now() + interval '1 hour'
           from (select id from task_items where task_id = $1 and status is null and not is_gold and (worker_id is null or lease_expires_at < now())
                 order by position, copy limit 5 for update skip locked) c
           where u.id = c.id returning u.id`, [task.id, worker]);
        claims += r.rowCount ?? 0;
        if (r.rowCount) await pool.query(`update task_items set status = 'completed', done = true where id = any($1::uuid[])`, [r.rows.map((x) => x.id)]);
      }
    }));
    console.log(`${label}: raw SQL ${clients} clients: ${(claims / secs).toFixed(0)} claims/s (${claims} in ${secs}s)`);
  }

  for (const clients of [8, 32]) {
    await rawRun(clients, seconds, `raw-${clients}`);
    await httpRun(clients, seconds, `http-${clients}`);
  }
  if (process.env.BENCH_LONG) await httpRun(32, Number(process.env.BENCH_LONG), 'http-32-long');
  await app.close();
} finally {
  await database.close();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.end();
}
