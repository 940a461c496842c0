import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
