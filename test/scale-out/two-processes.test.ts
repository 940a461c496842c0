import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counterMismatches, Scenario, ServerGroup, sleep, type Member } from './support.ts';

/**
 * Two real server processes on one PostgreSQL database, every request spread over both the way
 * a load balancer without sticky sessions spreads them (docs/deployment.md#several-processes):
 * nothing that must be correct may live in one process's memory.
 */
const onPostgres = Boolean(process.env.TEST_DATABASE_URL);

describe.skipIf(!onPostgres)('two server processes on one PostgreSQL database (skipped on PGlite: the embedded database lives inside one process)', () => {
  let group: ServerGroup;
  let s: Scenario;
  beforeAll(async () => {
    group = await ServerGroup.open(2);
    s = new Scenario(group);
  }, 180_000);
  afterAll(() => group?.close());

  it('pulls spread over both never hand one unit to two people, nor two copies of an item to one person, and counters agree with a recount', async () => {
    const projectId = await s.project('so-pull');
    const datasetId = await s.dataset(projectId, 150);
    const recipeId = await s.emptyAnswersRecipe(projectId);
    const annotators = await s.members(projectId, 'annotator', 12);
    const assigneeIds = annotators.map((a) => a.id);
    const allocation = { method: 'pulling', batchSize: 3, maxWorkload: 4, leaseSeconds: 3600 };
    const labeling = await s.task(projectId, { name: 'queue', datasetId, recipeId, assigneeIds, allocation });
    const consensus = await s.task(projectId, { name: 'consensus queue', type: 'consensus', datasetId, recipeId, assigneeIds, allocation, consensus: { annotatorsPerItem: 2 } });

    type Pulled = { items: Array<{ itemId: string; copy: number; workerId: string }> };
    const claims = new Map<string, string[]>(); // task:item:copy -> who got it
    const itemsOf = new Map<string, Set<string>>(); // task:worker -> items
    const failures: string[] = [];
    const pulledBy = [0, 0];
    const work = async (a: Member, w: number) => {
      for (const task of [labeling, consensus]) {
        for (let i = 0; ; i++) {
          const via = (w + i) % 2;
          const res = await group.http(via).request<Pulled>('POST', `/api/v1/tasks/${task}/pull`, { token: a.token, body: { count: 3 } });
          if (res.status !== 200) {
            failures.push(`pull -> ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
            break;
          }
          if (!res.body.items.length) break; // the queue has nothing left for this person
          pulledBy[via]! += res.body.items.length;
          for (const u of res.body.items) {
            const key = `${task}:${u.itemId}:${u.copy}`;
            claims.set(key, [...(claims.get(key) ?? []), a.id]);
            const mine = itemsOf.get(`${task}:${a.id}`) ?? new Set();
            if (mine.has(u.itemId)) failures.push(`${a.id} got two copies of ${u.itemId}`);
            itemsOf.set(`${task}:${a.id}`, mine.add(u.itemId));
          }
          // Finished on the other process, so the next pull has room under maxWorkload.
          await Promise.all(
            res.body.items.map(async (u) => {
              const done = await group.http(via + 1).request('PUT', `/api/v1/tasks/${task}/items/${u.itemId}/status`, { token: a.token, body: { status: 'completed' } });
              if (done.status !== 200) failures.push(`status -> ${done.status} ${JSON.stringify(done.body).slice(0, 200)}`);
            }),
          );
        }
      }
    };
    await Promise.all(annotators.map((a, w) => work(a, w)));

    expect(failures).toEqual([]);
    const twice = [...claims].filter(([, who]) => who.length > 1);
    expect(twice).toEqual([]);
    // Both processes handed out units, and the queues were drained: every unit exactly once.
    expect(pulledBy.every((n) => n > 50)).toBe(true);
    expect(claims.size).toBe(150 + 150 * 2);
    const [units] = await group.query<{ n: number; done: number }>('select count(*)::int as n, count(*) filter (where done)::int as done from task_items where task_id in ($1, $2)', [labeling, consensus]);
    expect(units).toEqual({ n: 450, done: 450 });
    expect([...(await counterMismatches(group, labeling)), ...(await counterMismatches(group, consensus))]).toEqual([]);
  }, 300_000);

  it('the same Idempotency-Key sent to both processes at once creates one object, and every answer names it', async () => {
    const projectId = await s.project('so-idem');
    const token = group.admin.token;
    const keys = Array.from({ length: 15 }, (_, i) => `so-key-${Date.now()}-${i}`);
    const answers = await Promise.all(
      keys.map(async (key, k) => {
        const body = { name: `idem ${k}` };
        // Three copies to each process, all in flight together.
        const replies = await Promise.all(Array.from({ length: 6 }, (_, i) => group.http(i).request<{ id: string }>('POST', `/api/v1/projects/${projectId}/datasets`, { token, body, headers: { 'idempotency-key': key } })));
        return { k, replies };
      }),
    );
    for (const { replies } of answers) {
      expect(replies.map((r) => r.status)).toEqual(replies.map(() => 201));
      expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
    }
    const rows = await group.query<{ name: string; n: number }>('select name, count(*)::int as n from datasets where project_id = $1 group by name order by name', [projectId]);
    expect(rows).toHaveLength(keys.length);
    expect(rows.every((r) => r.n === 1)).toBe(true);
  }, 120_000);

  it('an expired lease is swept back once, though both processes sweep the task at the same moment', async () => {
    const projectId = await s.project('so-lease');
    const datasetId = await s.dataset(projectId, 40);
    const [holder, ...others] = await s.members(projectId, 'annotator', 9);
    const assigneeIds = [holder!, ...others].map((a) => a.id);
    const taskId = await s.task(projectId, { name: 'leases', datasetId, assigneeIds, allocation: { method: 'pulling', batchSize: 10, maxWorkload: 20, leaseSeconds: 10 } });
    const held: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await group.http(i).ok<{ items: Array<{ itemId: string }> }>('POST', `/api/v1/tasks/${taskId}/pull`, { token: holder!.token, body: { count: 10 } });
      held.push(...res.items.map((u) => u.itemId));
    }
    expect(held).toHaveLength(20);
    await sleep(11_000);
    // Every other annotator pulls at once, half on each process: each process's first pull of
    // the task sweeps it (and the minute's `queue.return-expired-leases` job may run too).
    const pull = (a: Member, i: number) => group.http(i).ok<{ items: Array<{ itemId: string }> }>('POST', `/api/v1/tasks/${taskId}/pull`, { token: a.token, body: { count: 5 } });
    const first = await Promise.all(others.map((a, i) => pull(a, i)));
    let got = first.flatMap((p) => p.items).length;
    // A pull that ran beside a sweep not yet committed found fewer free units: pull the rest.
    for (let round = 0; got < 40 && round < 20; round++) {
      const more = await Promise.all(others.map((a, i) => pull(a, i + round)));
      got += more.flatMap((p) => p.items).length;
    }
    expect(got).toBe(40);

    const events = await group.query<{ item_ids: string[] }>(
      `select array(select jsonb_array_elements_text(after->'itemIds')) as item_ids from audit_events where action = 'task.leases_expired' and subject_id = $1`,
      [taskId],
    );
    const returned = events.flatMap((e) => e.item_ids);
    expect(returned.sort()).toEqual([...held].sort());
    expect(await counterMismatches(group, taskId)).toEqual([]);
  }, 120_000);

  it('kill -9 of one process loses no acknowledged write, and the other keeps serving', async () => {
    const projectId = await s.project('so-kill');
    const datasetId = await s.dataset(projectId, 1200);
    const recipeId = await s.emptyAnswersRecipe(projectId);
    const annotators = await s.members(projectId, 'annotator', 8);
    const taskId = await s.task(projectId, { name: 'burst', datasetId, recipeId, assigneeIds: annotators.map((a) => a.id), allocation: { method: 'distribution' } });
    const units = await group.query<{ item_id: string; assignee_id: string }>(
      'select u.item_id, a.assignee_id from task_items u join task_assignees a on a.id = u.assignment_id where u.task_id = $1 order by u.position',
      [taskId],
    );
    const victim = group.processes[0]!;
    let killedAt = Infinity;
    let dead = false;
    const acked = new Set<string>();
    let ackedBySurvivorAfterKill = 0;
    const survivorFailures: string[] = [];
    const writers = annotators.map(async (a, w) => {
      const mine = units.filter((u) => u.assignee_id === a.id).map((u) => u.item_id);
      for (const [i, itemId] of mine.entries()) {
        // The load balancer's part: once the victim is down, everything goes to the survivor.
        const via = dead ? 1 : (w + i) % 2;
        try {
          const res = await group.http(via).request('PUT', `/api/v1/tasks/${taskId}/items/${itemId}/status`, { token: a.token, body: { status: 'completed' } });
          if (res.status === 200) {
            acked.add(itemId);
            if (via === 1 && performance.now() > killedAt) ackedBySurvivorAfterKill++;
          } else if (via === 1) survivorFailures.push(`${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
        } catch (error) {
          if (via === 1) survivorFailures.push(String(error));
          // The victim died with this request: not acknowledged.
        }
      }
    });
    // Kill once a quarter of the writes are acknowledged, not after a fixed time: a fast run
    // would otherwise finish before the kill and test nothing.
    for (const started = performance.now(); acked.size < units.length / 4; await sleep(20)) {
      if (performance.now() - started > 60_000) throw new Error(`only ${acked.size} writes acknowledged in a minute`);
    }
    killedAt = performance.now();
    await victim.kill9();
    dead = true;
    await Promise.all(writers);

    expect(survivorFailures).toEqual([]);
    expect(ackedBySurvivorAfterKill).toBeGreaterThan(20);
    const withStatus = new Set((await group.query<{ item_id: string }>('select item_id from task_items where task_id = $1 and status is not null', [taskId])).map((r) => r.item_id));
    expect([...acked].filter((id) => !withStatus.has(id))).toEqual([]);
    await victim.start();
    expect(await counterMismatches(group, taskId)).toEqual([]);
  }, 180_000);

  it('a workload cycle due on the schedule starts once, and each minute of a cron schedule is sent once, with both processes running the schedules', async () => {
    const [{ since }] = (await group.query<{ since: Date }>('select now() as since')) as [{ since: Date }];
    const projectId = await s.project('so-schedule');
    const reviewees = await s.members(projectId, 'annotator', 2);
    const evaluators = await s.members(projectId, 'reviewer', 1);
    const datasetId = await s.dataset(projectId, 12, (i) => ({ kind: 'conversation', payload: { turns: [{ role: 'user', content: `hello ${i}` }] }, metadata: { agentId: reviewees[i % 2]!.id } }));
    const recipeId = (await s.ok<{ id: string }>('POST', `/api/v1/projects/${projectId}/recipes`, { body: { name: 'scorecard', labels: [], tools: ['rating'], ratingCategories: [{ name: 'tone', min: 1, max: 5, weight: 1 }] } })).id;
    const workload = await s.ok<{ id: string }>('POST', `/api/v1/projects/${projectId}/workloads`, {
      body: {
        name: 'so',
        revieweeIds: reviewees.map((r) => r.id),
        evaluatorIds: evaluators.map((e) => e.id),
        scorecardRecipeId: recipeId,
        // Not due at creation: the first cycle is the scheduler's (a pg-boss cron job every minute).
        schedule: { frequency: 'daily', startAt: new Date(Date.now() + 3000).toISOString() },
        target: { count: 4, per: 'total' },
        sampling: { datasetId, revieweeField: 'metadata.agentId', strategy: 'random' },
      },
    });
    const cycles = async () => (await group.http(0).ok<{ data: Array<{ id: string }> }>('GET', `/api/v1/workloads/${workload.id}/cycles`, { token: group.admin.token })).data;
    expect(await cycles()).toEqual([]);
    const deadline = Date.now() + 150_000;
    while (!(await cycles()).length && Date.now() < deadline) await sleep(2000);
    // One more minute of ticks in both processes after the first cycle started.
    await sleep(65_000);
    expect(await cycles()).toHaveLength(1);
    const [started] = await group.query<{ n: number }>(`select count(*)::int as n from audit_events where action = 'workload.cycle_start' and subject_id = $1`, [workload.id]);
    expect(started!.n).toBe(1);
    // Each minute's occurrence of a cron schedule becomes one job, though both processes run
    // pg-boss's cron pass: the occurrences forwarded (one `__pgboss__send-it` job per minute slot)
    // bound the `workloads.tick` jobs sent since this test began; each process sending its own
    // would make twice as many.
    const [jobs] = await group.query<{ ticks: number; slots: number }>(
      `select (select count(*)::int from pgboss.job where name = 'workloads.tick' and data = '{}'::jsonb and created_on >= $1) as ticks,
              (select count(distinct singleton_on)::int from pgboss.job where name = '__pgboss__send-it' and data->>'name' = 'workloads.tick'
                 and singleton_on >= ($1::timestamptz at time zone 'UTC') - interval '1 minute') as slots`,
      [since],
    );
    expect(jobs!.ticks).toBeGreaterThanOrEqual(2);
    expect(jobs!.ticks).toBeLessThanOrEqual(jobs!.slots);
  }, 300_000);
});
