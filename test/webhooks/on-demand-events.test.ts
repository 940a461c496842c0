import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/task-units/item-selection.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { createTask, emptyAnswersRecipe, world } from '../tasks/helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

const count = async (query: ReturnType<typeof sql>) => rowsOf<{ n: number }>(await t.ctx.db.execute(query))[0]!.n;
const url = 'https://hooks.example.com/loupe';

/**
 * `item.status_set` is recorded only while a webhook of the task's project listens for it
 * (docs/events.md#recorded-on-demand): it notifies nobody in the app, so without a listener the
 * row would only be written, never read, once per status write. The audit event is written
 * either way.
 */
describe('on-demand events', () => {
  it('records item.status_set only while a webhook of the project listens for it', async () => {
    const w = await world(t, 8);
    const a = await t.member(w.projectId, 'annotator');
    const task = await createTask(t, w, { assigneeIds: [a.id], recipeId: await emptyAnswersRecipe(t, w) });
    const events = () => count(sql`select count(*)::int as n from outbox_events where type = 'item.status_set' and data->>'taskId' = ${task.id}`);
    const audits = () => count(sql`select count(*)::int as n from audit_events where subject_kind = 'task_item' and after->>'taskId' = ${task.id}`);
    let next = 0;
    const write = async () => {
      const res = await t.put(`/api/v1/tasks/${task.id}/items/${w.itemIds[next++]}/status`, { status: 'completed' }, { token: a.token });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    };
    const hook = (projectId: string, events: string[]) => t.post(`/api/v1/projects/${projectId}/webhooks`, { url, events }, { token: w.owner.token });

    await write();
    expect(await events()).toBe(0);

    // Listeners of other events, or of another project, do not count.
    expect((await hook(w.projectId, ['task.created'])).status).toBe(201);
    const other = await t.project();
    expect((await t.post(`/api/v1/projects/${other.id}/webhooks`, { url, events: ['item.status_set'] }, { token: other.owner.token })).status).toBe(201);
    await write();
    expect(await events()).toBe(0);

    const all = (await hook(w.projectId, ['*'])).body;
    await write();
    expect(await events()).toBe(1);

    expect((await t.patch(`/api/v1/webhooks/${all.id}`, { events: ['task.updated'] }, { token: w.owner.token })).status).toBe(200);
    await write();
    expect(await events()).toBe(1);

    const exact = (await hook(w.projectId, ['item.status_set'])).body;
    await write();
    expect(await events()).toBe(2);

    // Disabled, it still listens: re-enabled, it hears of what happened after it was made.
    expect((await t.patch(`/api/v1/webhooks/${exact.id}`, { enabled: false }, { token: w.owner.token })).status).toBe(200);
    await write();
    expect(await events()).toBe(3);

    expect((await t.delete(`/api/v1/webhooks/${exact.id}`, { token: w.owner.token })).status).toBe(204);
    await write();
    expect(await events()).toBe(3);
    expect(await audits()).toBe(7);
  });

  it('keeps what a project listens for exact when its webhooks are created, changed and deleted at once', async () => {
    const { id: projectId, owner } = await t.project();
    const interest = async () =>
      rowsOf<{ types: string[] }>(await t.ctx.db.execute(sql`select types from outbox_interests where project_id = ${projectId}::uuid and consumer = 'webhooks'`))[0]?.types ?? [];
    const hooksUnion = async () =>
      rowsOf<{ type: string }>(await t.ctx.db.execute(sql`select distinct unnest(events) as type from webhooks where project_id = ${projectId}::uuid order by 1`)).map((r) => r.type);
    for (let round = 0; round < 3; round++) {
      const old = await Promise.all(
        ['item.status_set', 'task.created', 'issue.opened'].map(async (e) => (await t.post(`/api/v1/projects/${projectId}/webhooks`, { url, events: [e] }, { token: owner.token })).body.id as string),
      );
      // Every change at once: deletions of the old webhooks, a change of one, new ones of each kind.
      const results = await Promise.all([
        ...old.slice(0, 2).map((id) => t.delete(`/api/v1/webhooks/${id}`, { token: owner.token })),
        t.patch(`/api/v1/webhooks/${old[2]}`, { events: ['cycle.closed'] }, { token: owner.token }),
        ...['item.status_set', 'task.updated', 'export.completed', 'task.created', 'issue.resolved', 'cycle.started'].map((e) =>
          t.post(`/api/v1/projects/${projectId}/webhooks`, { url, events: [e] }, { token: owner.token }),
        ),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 201, 201, 201, 201, 201, 201, 204, 204]);
      const union = await hooksUnion();
      expect(union).toContain('item.status_set');
      expect(union).not.toContain('issue.opened');
      expect(await interest()).toEqual(union);
    }
    // With every webhook gone, the project listens for nothing and its row goes.
    const ids = rowsOf<{ id: string }>(await t.ctx.db.execute(sql`select id from webhooks where project_id = ${projectId}::uuid`)).map((r) => r.id);
    await Promise.all(ids.map((id) => t.delete(`/api/v1/webhooks/${id}`, { token: owner.token })));
    expect(await count(sql`select count(*)::int as n from outbox_interests where project_id = ${projectId}::uuid`)).toBe(0);
  });
});
