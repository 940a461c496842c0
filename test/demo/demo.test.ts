import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { buildApp } from '../../src/api/app.ts';
import { openDb } from '../../src/db/client.ts';
import { runMigrations } from '../../src/db/migrate.ts';
import { createUser } from '../../src/auth/auth.service.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t?.close();
});

describe('POST /api/v1/demo', () => {
  it('seeds a project with users of each role, three kinds of items, recipes and tasks in several states', async () => {
    const res = await t.post('/api/v1/demo', {});
    expect(res.status).toBe(201);
    expect(res.body.stoppedAt).toBeNull();
    expect(res.body.users.map((u: { role: string }) => u.role).sort()).toEqual(['annotator', 'annotator', 'manager', 'reviewer', 'viewer']);
    const projectId = res.body.projectId;
    const tasks = (await t.get(`/api/v1/projects/${projectId}/tasks`)).body.data as Array<{ name: string; workflowState: string; status: string }>;
    expect(tasks).toHaveLength(4);
    expect(new Set(tasks.map((x) => x.workflowState)).size).toBeGreaterThanOrEqual(3);
    expect(tasks.find((x) => x.name === 'Support answers QA')?.workflowState).toBe('pending_review');
    const summary = (await t.get(`/api/v1/projects/${projectId}/summary`)).body;
    expect(summary.openIssues).toBe(1);
    const datasets = (await t.get(`/api/v1/projects/${projectId}/datasets`)).body.data as Array<{ name: string; itemCount: number }>;
    expect(datasets.map((d) => d.itemCount).sort()).toEqual([3, 4, 6]);
  });

  it('lets a demo user sign in with the printed password', async () => {
    const res = await t.post('/api/v1/demo', {});
    const annotator = res.body.users.find((u: { role: string }) => u.role === 'annotator');
    const login = await t.post('/api/v1/auth/login', { email: annotator.email, password: annotator.password }, { token: null });
    expect(login.status).toBe(200);
  });

  it('is refused to non-administrators', async () => {
    const user = await t.user();
    expect((await t.post('/api/v1/demo', {}, { token: user.token })).status).toBe(403);
  });
});

describe('GET /api/v1/demo/status', () => {
  it('answers without sign-in: a first start while only the bootstrap administrator exists, not after a second user', async () => {
    // A database of its own: the shared one already holds other files' users.
    const database = await openDb({ dataDir: 'memory://' });
    try {
      await runMigrations(database);
      const { app, ctx } = await buildApp({ database, jobs: { enqueue: async () => null }, logger: false });
      const status = async () => {
        const res = await app.inject({ method: 'GET', url: '/api/v1/demo/status' });
        expect(res.statusCode).toBe(200);
        return (res.json() as { firstStart: boolean }).firstStart;
      };
      expect(await status()).toBe(true);
      await createUser(ctx, null, { email: 'admin@localhost', name: 'Administrator', isAdmin: true });
      expect(await status()).toBe(true);
      await createUser(ctx, null, { email: 'second@example.com', name: 'Second' });
      expect(await status()).toBe(false);
      await app.close();
    } finally {
      await database.close();
    }
  }, 300_000); // migrating a fresh embedded database took 64-170 s with six helpers sharing two cores

  it('is no first start on an instance with users besides the administrator', async () => {
    await t.user();
    const res = await t.get('/api/v1/demo/status', { token: null });
    expect(res.status).toBe(200);
    expect(res.body.firstStart).toBe(false);
  });
});
