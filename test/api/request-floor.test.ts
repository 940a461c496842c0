import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { roleIn } from '../../src/projects/permissions.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { answer, createTask, world } from '../tasks/helpers.ts';
import { observeNamedStatements } from '../../src/db/pglite-named.ts';

/**
 * The floor of an authenticated request: the token (or session), the user and, on a
 * project-scoped route, the caller's role in the object's project are read in ONE statement,
 * and the service's own role check answers from it instead of asking again.
 */
let t: TestApp;
const clock = new ManualClock(new Date('2032-05-03T10:00:00Z'));
beforeAll(async () => {
  t = await createTestApp({ clock });
});
afterAll(() => t?.close());

/** Counts the statements the application sends while `fn` runs (both drivers' query entry point). */
async function statementsDuring(fn: () => Promise<unknown>): Promise<string[]> {
  // On PostgreSQL, both pools: a list page runs on the generic-plan pool (docs/workflow.md).
  const targets = (t.database.pool ? [t.database.pool, t.database.genericPlanPool!] : [t.database.pglite]) as unknown as Array<{ query: (...args: unknown[]) => unknown }>;
  const seen: string[] = [];
  const originals = targets.map((target) => target.query);
  targets.forEach((target, i) => {
    target.query = function (this: unknown, ...args: unknown[]) {
      const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string })?.text;
      seen.push(String(text));
      return originals[i]!.apply(this, args);
    };
  });
  // On PGlite, the statements it runs named go round `query` (src/db/pglite-named.ts).
  const stopObserving = t.database.pglite ? observeNamedStatements(t.database.pglite, (text, params) => seen.push(text)) : undefined;
  try {
    await fn();
  } finally {
    targets.forEach((target, i) => (target.query = originals[i]!));
    stopObserving?.();
  }
  return seen;
}

const cookieOf = (res: { headers: Record<string, unknown> }) => String(res.headers['set-cookie']).split(';')[0]!;

describe('an authenticated request', () => {
  it('reads token, user and project role in one statement, then only its own work', async () => {
    const w = await world(t, 3);
    const viewer = await t.member(w.projectId, 'viewer');
    const task = await createTask(t, w, {});
    const ticket = await createTask(t, w, { type: 'ticket', datasetId: undefined, links: [{ kind: 'item', id: w.itemIds[0] }] });
    // The first request of a token touches its last-used time (at most once a minute): not counted.
    expect((await t.get('/api/v1/me', { token: viewer.token })).status).toBe(200);
    const reads = [
      `/api/v1/me`,
      `/api/v1/projects/${w.projectId}/summary`,
      `/api/v1/projects/${w.projectId}/tasks`,
      `/api/v1/tasks/${task.id}`,
      `/api/v1/tasks/${ticket.id}`,
    ];
    for (const url of reads) {
      let status = 0;
      const statements = await statementsDuring(async () => {
        status = (await t.get(url, { token: viewer.token })).status;
      });
      expect(status, url).toBe(200);
      expect(statements, url).toHaveLength(2);
    }
  });

  it('reads a dataset, an item and a recipe in two statements: the role comes with the token', async () => {
    const w = await world(t, 2);
    const viewer = await t.member(w.projectId, 'viewer');
    const recipe = await t.post(`/api/v1/projects/${w.projectId}/recipes`, { name: 'r', labels: [{ name: 'cat' }], tools: ['classification'] }, { token: w.owner.token });
    expect(recipe.status, JSON.stringify(recipe.body)).toBe(201);
    expect((await t.get('/api/v1/me', { token: viewer.token })).status).toBe(200);
    for (const url of [`/api/v1/datasets/${w.datasetId}`, `/api/v1/items/${w.itemIds[0]}`, `/api/v1/recipes/${recipe.body.id}`]) {
      let status = 0;
      const statements = await statementsDuring(async () => {
        status = (await t.get(url, { token: viewer.token })).status;
      });
      expect(status, url).toBe(200);
      expect(statements, url).toHaveLength(2);
    }
  });

  it('pulls in two statements: authentication with the task and the caller’s assignments, the claim with the claimed items’ contents', async () => {
    const w = await world(t, 6);
    const a = await t.member(w.projectId, 'annotator');
    const task = await createTask(t, w, { assigneeIds: [a.id], allocation: { method: 'pulling', batchSize: 2 } });
    // The first pull of a task in a process also sweeps expired leases (a transaction of its own).
    expect((await t.post(`/api/v1/tasks/${task.id}/pull`, {}, { token: a.token })).body.items).toHaveLength(2);
    let items: unknown[] = [];
    const statements = await statementsDuring(async () => {
      items = (await t.post(`/api/v1/tasks/${task.id}/pull`, {}, { token: a.token })).body.items;
    });
    expect(items).toHaveLength(2);
    // The claim call also reads the claimed items' external id, kind and payload (docs/hardening.md,
    // item 13): no read of its own, never one per item.
    expect(statements).toHaveLength(2);
    expect(statements[0]).toContain('task_assignees');
    expect(statements[1]).toContain('loupe_pull_claim');
    expect(statements[1]).toContain('items');
    expect(items[0]).toMatchObject({ kind: expect.any(String) });
    expect(items[0]).toHaveProperty('payload');
  });

  it('writes an item status in two statements: authentication with the lookup, then one autocommit write that also refuses an empty answer', async () => {
    const w = await world(t, 2);
    const a = await t.member(w.projectId, 'annotator');
    const task = await createTask(t, w, { assigneeIds: [a.id] });
    await answer(t, task.id, w.itemIds[0]!, a.token);
    let status = 0;
    const statements = await statementsDuring(async () => {
      status = (await t.put(`/api/v1/tasks/${task.id}/items/${w.itemIds[0]}/status`, { status: 'completed' }, { token: a.token })).status;
    });
    expect(status).toBe(200);
    // Authentication with the task, the caller's standing and the item's units (`taskItemActor`),
    // then the write (unit, audit, event, listeners' parts, counters, the empty-answer check): no
    // BEGIN, no COMMIT.
    expect(statements).toHaveLength(2);
    expect(statements[0]).toContain('task_items');
    expect(statements[1]).toContain('loupe_refuse');
    expect(statements.some((s) => /^\s*(begin|commit)/i.test(s))).toBe(false);
    const empty = await statementsDuring(async () => {
      const res = await t.put(`/api/v1/tasks/${task.id}/items/${w.itemIds[1]}/status`, { status: 'completed' }, { token: a.token });
      expect(res.body.code).toBe('empty_annotation');
    });
    expect(empty).toHaveLength(2);
  });

  it('still refuses a revoked token with 401 on a project route, even for an object that does not exist', async () => {
    const w = await world(t, 1);
    const member = await t.member(w.projectId, 'manager');
    const tokens = (await t.get(`/api/v1/users/${member.id}/tokens`, { token: member.token })).body.data;
    expect((await t.delete(`/api/v1/users/${member.id}/tokens/${tokens[0].id}`, { token: member.token })).status).toBe(200);
    for (const url of [`/api/v1/projects/${w.projectId}/summary`, '/api/v1/tasks/00000000-0000-4000-8000-000000000000', '/api/v1/tasks/not-an-id']) {
      const res = await t.get(url, { token: member.token });
      expect(res.status, url).toBe(401);
      expect(res.body.code).toBe('unauthenticated');
    }
  });

  it('checks a session’s project role in the same way, and refuses it once expired', async () => {
    const w = await world(t, 1);
    const viewer = await t.member(w.projectId, 'viewer');
    const outsider = await t.user();
    const login = async (email: string) => cookieOf(await t.post('/api/v1/auth/login', { email, password: 'correct horse battery' }, { token: null }));
    const [mine, theirs] = [await login(viewer.email), await login(outsider.email)];
    const summary = `/api/v1/projects/${w.projectId}/summary`;
    expect((await t.get(summary, { token: null, headers: { cookie: mine } })).status).toBe(200);
    expect((await t.get(summary, { token: null, headers: { cookie: theirs } })).status).toBe(404);
    expect((await t.patch(`/api/v1/projects/${w.projectId}`, { name: 'renamed' }, { token: null, headers: { cookie: mine } })).status).toBe(403);
    clock.advance(15 * 24 * 3_600_000);
    try {
      const expired = await t.get(summary, { token: null, headers: { cookie: mine } });
      expect(expired.status).toBe(401);
    } finally {
      clock.advance(-15 * 24 * 3_600_000);
    }
  });

  it('answers 404 for a task of another project, and lets an administrator read any task', async () => {
    const home = await world(t, 1);
    const away = await world(t, 1);
    const foreign = await createTask(t, away, {});
    const member = await t.member(home.projectId, 'owner');
    expect((await t.get(`/api/v1/tasks/${foreign.id}`, { token: member.token })).status).toBe(404);
    expect((await t.get(`/api/v1/projects/${away.projectId}/tasks`, { token: member.token })).status).toBe(404);
    expect((await t.get(`/api/v1/tasks/${foreign.id}`)).status).toBe(200);
    expect((await t.get('/api/v1/tasks/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });
});

describe('roleIn', () => {
  it('answers from the role the access check established only for that project', async () => {
    const a = await t.project();
    const b = await t.project();
    const user = await t.member(a.id, 'viewer');
    const caller = { userId: user.id, isAdmin: false, projectRole: { projectId: a.id, role: 'manager' as const } };
    // Established for project a (here deliberately not the stored role, to show it is used as is)…
    expect(await roleIn(t.ctx.db, caller, a.id)).toBe('manager');
    // …and never carried over to another project: b is read, and the user is not a member there.
    expect(await roleIn(t.ctx.db, caller, b.id)).toBeNull();
  });
});

describe('GET /api/v1/me', () => {
  it('lists exactly the caller’s projects, ordered by name, with their roles', async () => {
    const user = await t.user();
    const later = await t.project(`zz-${Date.now()}`);
    const earlier = await t.project(`aa-${Date.now()}`);
    await t.project(); // not a member
    await t.put(`/api/v1/projects/${later.id}/members/${user.id}`, { role: 'reviewer' }, { token: later.owner.token });
    await t.put(`/api/v1/projects/${earlier.id}/members/${user.id}`, { role: 'viewer' }, { token: earlier.owner.token });
    const me = await t.get('/api/v1/me', { token: user.token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: user.id, email: user.email, isAdmin: false });
    expect(me.body.projects).toEqual([
      { id: earlier.id, name: earlier.project.name, role: 'viewer' },
      { id: later.id, name: later.project.name, role: 'reviewer' },
    ]);
  });
});

describe('task progress in the list and the detail', () => {
  it('shows the ETA from the last day’s completions, the same in both', async () => {
    const w = await world(t, 4);
    const task = await createTask(t, w, {});
    for (const itemId of w.itemIds.slice(0, 2)) {
      await answer(t, task.id, itemId, w.manager.token);
      const res = await t.put(`/api/v1/tasks/${task.id}/items/${itemId}/status`, { status: 'completed' }, { token: w.manager.token });
      expect(res.status).toBe(200);
    }
    clock.advance(3_600_000);
    try {
      // 2 done in the first hour, 2 to go: one more hour.
      const detail = (await t.get(`/api/v1/tasks/${task.id}`)).body;
      expect(detail.progress).toEqual({ total: 4, done: 2, percent: 50, etaSeconds: 3600 });
      const listed = (await t.get(`/api/v1/projects/${w.projectId}/tasks`)).body.data.find((x: { id: string }) => x.id === task.id);
      expect(listed.progress).toEqual(detail.progress);
      // A day later those completions have left the window: no rate, no ETA.
      clock.advance(24 * 3_600_000);
      expect((await t.get(`/api/v1/tasks/${task.id}`)).body.progress.etaSeconds).toBeNull();
    } finally {
      clock.advance(-25 * 3_600_000);
    }
  });
});
