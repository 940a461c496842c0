import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CrashHarness, sleep } from './support/crash-harness.ts';

/**
 * Crash safety of the real server process on PostgreSQL: SIGKILL in the middle of work, and
 * every connection terminated under load. After a restart every acknowledged write is there,
 * nothing is half-written, and counters agree with a recount from the rows.
 */
let h: CrashHarness;
beforeAll(async () => {
  h = await CrashHarness.open();
  await h.start();
});
afterAll(() => h?.close());
// A test that crashes the server (a bug it found) must not take the next test down with it.
beforeEach(async () => {
  if (h.server && h.server.child.exitCode !== null) await h.start();
});

const ndjson = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `{"kind":"text","payload":{"text":"${tag} ${i}"},"metadata":{"i":${i}}}`).join('\n');

async function newProject(name: string) {
  const project = await h.http!.ok<{ id: string }>('POST', '/api/v1/projects', { token: h.admin.token, body: { name: `${name}-${Date.now()}` } });
  return project.id;
}
async function newDataset(projectId: string, name: string) {
  return (await h.http!.ok<{ id: string }>('POST', `/api/v1/projects/${projectId}/datasets`, { token: h.admin.token, body: { name } })).id;
}

/** Every dataset of the project: its counter against a recount of its rows. */
async function datasetCounts(projectId: string) {
  return h.query<{ id: string; item_count: number; rows: number }>(
    `select d.id, d.item_count, (select count(*)::int from items i where i.dataset_id = d.id) as rows from datasets d where d.project_id = $1`,
    [projectId],
  );
}

describe('kill -9 of the server during imports', () => {
  it('keeps every acknowledged import whole and leaves no import half-written', async () => {
    const projectId = await newProject('crash-import');
    const BIG = 150_000;
    const SMALL = 500;
    const expected = new Map<string, number>(); // acknowledged dataset -> items
    const attempted = new Map<string, number>(); // every dataset an import was sent to -> its size
    for (let round = 0; round < 3; round++) {
      const bigId = await newDataset(projectId, `big-${round}`);
      attempted.set(bigId, BIG);
      const smallIds = await Promise.all(Array.from({ length: 8 }, (_, i) => newDataset(projectId, `small-${round}-${i}`)));
      const http = h.http!;
      const sendImport = async (id: string, n: number) => {
        attempted.set(id, n);
        try {
          const res = await http.request('POST', `/api/v1/datasets/${id}/items`, { token: h.admin.token, raw: ndjson(n, id), contentType: 'application/x-ndjson' });
          if (res.status >= 200 && res.status < 300) expected.set(id, n);
        } catch {
          // the connection died with the server: not acknowledged
        }
      };
      const big = sendImport(bigId, BIG);
      // Small imports keep being acknowledged until the kill lands at a different point each round.
      const smalls = (async () => {
        for (const id of smallIds) await sendImport(id, SMALL);
      })();
      await sleep(400 + round * 700);
      await h.kill9();
      await Promise.allSettled([big, smalls]);
      await h.start();
    }
    const rows = await datasetCounts(projectId);
    const failures: string[] = [];
    for (const row of rows) {
      if (row.item_count !== row.rows) failures.push(`dataset ${row.id}: item_count ${row.item_count} but ${row.rows} rows`);
      const size = attempted.get(row.id);
      if (size !== undefined && row.rows !== 0 && row.rows !== size) failures.push(`dataset ${row.id}: half-written, ${row.rows} of ${size}`);
      const acked = expected.get(row.id);
      if (acked !== undefined && row.rows !== acked) failures.push(`dataset ${row.id}: acknowledged ${acked} items, found ${row.rows}`);
    }
    expect(failures).toEqual([]);
    expect(expected.size).toBeGreaterThan(0);
    // At least one import was cut: otherwise the kill landed nowhere and proved nothing.
    expect(rows.some((r) => attempted.has(r.id) && !expected.has(r.id))).toBe(true);
  });
});

describe('pg_terminate_backend of every server connection under load', () => {
  it('serves again afterwards, and every acknowledged create and import is present', async () => {
    const projectId = await newProject('terminate');
    const acked: Array<{ id: string; items: number }> = [];
    let stop = false;
    let errors = 0;
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        try {
          const res = await h.http!.request<{ id: string }>('POST', `/api/v1/projects/${projectId}/datasets`, { token: h.admin.token, body: { name: `t-${w}-${i}` } });
          if (res.status !== 201) {
            errors++;
            continue;
          }
          const imp = await h.http!.request('POST', `/api/v1/datasets/${res.body.id}/items`, { token: h.admin.token, raw: ndjson(200, `t${w}`), contentType: 'application/x-ndjson' });
          acked.push({ id: res.body.id, items: imp.status >= 200 && imp.status < 300 ? 200 : -1 });
          if (imp.status >= 300) errors++;
        } catch {
          errors++;
        }
      }
    };
    const writers = Array.from({ length: 8 }, (_, w) => writer(w));
    let terminated = 0;
    for (let i = 0; i < 5; i++) {
      await sleep(500);
      terminated += await h.terminateBackends();
    }
    await sleep(500);
    stop = true;
    await Promise.all(writers);
    expect(terminated).toBeGreaterThan(0);
    // The pool replaces dead connections: the server answers again without a restart.
    let ready = 0;
    for (let i = 0; i < 50 && ready !== 200; i++) {
      ready = (await h.http!.request('GET', '/readyz').catch(() => ({ status: 0 }))).status;
      if (ready !== 200) await sleep(100);
    }
    expect(ready, `server output:\n${h.server!.output().slice(-3000)}\nexit: ${h.server!.child.exitCode}`).toBe(200);
    const rows = new Map((await datasetCounts(projectId)).map((r) => [r.id, r]));
    const failures: string[] = [];
    for (const a of acked) {
      const row = rows.get(a.id);
      if (!row) failures.push(`acknowledged dataset ${a.id} is missing`);
      else if (a.items > 0 && row.rows !== a.items) failures.push(`dataset ${a.id}: acknowledged ${a.items} items, found ${row.rows}`);
    }
    for (const row of rows.values()) {
      if (row.item_count !== row.rows) failures.push(`dataset ${row.id}: item_count ${row.item_count} but ${row.rows} rows`);
      if (row.rows !== 0 && row.rows !== 200) failures.push(`dataset ${row.id}: half-written import (${row.rows})`);
    }
    expect(failures).toEqual([]);
    expect(acked.filter((a) => a.items > 0).length).toBeGreaterThan(10);
  });
});

describe('kill -9 during bursts of annotation saves and status changes', () => {
  it('keeps every acknowledged annotation and status, counters agree with a recount, and pulled items return after their lease', async () => {
    const http = () => h.http!;
    const projectId = await newProject('crash-work');
    const datasetId = await newDataset(projectId, 'work');
    await http().ok('POST', `/api/v1/datasets/${datasetId}/items`, { token: h.admin.token, raw: ndjson(3000, 'w'), contentType: 'application/x-ndjson' });
    const annotators = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const user = await http().ok<{ id: string }>('POST', '/api/v1/users', { token: h.admin.token, body: { email: `crash-${Date.now()}-${i}@example.com`, name: `a${i}` } });
        const { token } = await http().ok<{ token: string }>('POST', `/api/v1/users/${user.id}/tokens`, { token: h.admin.token, body: { name: 't' } });
        await http().ok('PUT', `/api/v1/projects/${projectId}/members/${user.id}`, { token: h.admin.token, body: { role: 'annotator' } });
        return { id: user.id, token };
      }),
    );
    const assigneeIds = annotators.map((a) => a.id);
    // Statuses are set on items with no answer: the recipe allows empty answers (docs/workflow.md).
    const recipe = await http().ok<{ id: string }>('POST', `/api/v1/projects/${projectId}/recipes`, { token: h.admin.token, body: { name: 'empty answers', labels: [{ name: 'x' }], tools: ['classification'], allowEmpty: true } });
    const work = await http().ok<{ id: string }>('POST', `/api/v1/projects/${projectId}/tasks`, { token: h.admin.token, body: { name: 'burst', type: 'labeling', datasetId, recipeId: recipe.id, assigneeIds, allocation: { method: 'distribution' } } });
    const queue = await http().ok<{ id: string }>('POST', `/api/v1/projects/${projectId}/tasks`, {
      token: h.admin.token,
      body: { name: 'leases', type: 'labeling', datasetId, assigneeIds, allocation: { method: 'pulling', batchSize: 5, leaseSeconds: 10 } },
    });
    const units = await h.query<{ item_id: string; assignee_id: string }>(
      'select u.item_id, a.assignee_id from task_items u join task_assignees a on a.id = u.assignment_id where u.task_id = $1 order by u.position',
      [work.id],
    );
    const byAnnotator = annotators.map((a) => units.filter((u) => u.assignee_id === a.id).map((u) => u.item_id));
    // Pulled before the crash: these must come back to the queue once their lease has run out.
    const pulled = (await http().ok<{ items: Array<{ itemId: string }> }>('POST', `/api/v1/tasks/${queue.id}/pull`, { token: annotators[0]!.token, body: { count: 5 } })).items.map((i) => i.itemId);
    expect(pulled).toHaveLength(5);

    const ackedStatus = new Set<string>();
    const ackedAnnotations = new Map<string, string>(); // annotation id -> item id
    let stop = false;
    const burst = annotators.map(async (a, w) => {
      for (const [i, itemId] of byAnnotator[w]!.entries()) {
        if (stop) return;
        try {
          if (i % 2 === 0) {
            const id = crypto.randomUUID();
            const res = await http().request('PUT', `/api/v1/tasks/${work.id}/items/${itemId}/annotations`, { token: a.token, body: { id, shapes: [] } });
            if (res.status === 200 || res.status === 201) ackedAnnotations.set(res.body?.id ?? id, itemId);
          } else {
            const res = await http().request('PUT', `/api/v1/tasks/${work.id}/items/${itemId}/status`, { token: a.token, body: { status: 'completed' } });
            if (res.status === 200) ackedStatus.add(itemId);
          }
        } catch {
          return; // the server is gone
        }
      }
    });
    await sleep(2500);
    await h.kill9();
    stop = true;
    await Promise.allSettled(burst);
    await h.start();
    expect(ackedStatus.size + ackedAnnotations.size).toBeGreaterThan(20);

    const withStatus = new Set((await h.query<{ item_id: string }>('select item_id from task_items where task_id = $1 and status is not null', [work.id])).map((r) => r.item_id));
    const missingStatus = [...ackedStatus].filter((id) => !withStatus.has(id));
    expect(missingStatus).toEqual([]);
    const saved = new Set((await h.query<{ id: string }>('select id from annotations where task_id = $1', [work.id])).map((r) => r.id));
    const missingAnnotations = [...ackedAnnotations.keys()].filter((id) => !saved.has(id));
    expect(missingAnnotations).toEqual([]);

    const counters = await h.query(
      `select t.id, t.item_count,
           t.status_count + (select coalesce(sum(s.statuses), 0)::int from task_counter_shards s where s.task_id = t.id) as status_count,
           t.done_count + (select coalesce(sum(s.done), 0)::int from task_counter_shards s where s.task_id = t.id) as done_count,
         (select count(*)::int from task_items u where u.task_id = t.id) as units,
         (select count(*)::int from task_items u where u.task_id = t.id and u.status is not null) as statuses,
         (select count(*)::int from task_items u where u.task_id = t.id and u.done) as done
       from tasks t where t.project_id = $1`,
      [projectId],
    );
    for (const c of counters) expect({ items: c.item_count, statuses: c.status_count, done: c.done_count }).toEqual({ items: c.units, statuses: c.statuses, done: c.done });
    const assignments = await h.query(
      `select a.id, a.item_count, a.status_count,
         (select count(*)::int from task_items u where u.assignment_id = a.id) as units,
         (select count(*)::int from task_items u where u.assignment_id = a.id and u.status is not null) as statuses
       from task_assignees a where a.task_id = $1`,
      [work.id],
    );
    for (const a of assignments) expect({ items: a.item_count, statuses: a.status_count }).toEqual({ items: a.units, statuses: a.statuses });
    const summary = await http().ok<{ tasks: number }>('GET', `/api/v1/projects/${projectId}/summary`, { token: h.admin.token });
    expect(summary.tasks).toBe(counters.length);

    // The lease (10 s) of the items pulled before the crash runs out; another annotator gets them.
    await sleep(11_000);
    const again = (await http().ok<{ items: Array<{ itemId: string }> }>('POST', `/api/v1/tasks/${queue.id}/pull`, { token: annotators[1]!.token, body: { count: 5 } })).items.map((i) => i.itemId);
    expect(new Set(again)).toEqual(new Set(pulled));
  });
});
