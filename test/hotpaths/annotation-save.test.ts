import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sql } from 'drizzle-orm';
import { annotationSaveJson, fromSavePreload } from '../../src/annotations/save-preload.ts';
import { saveAnnotation } from '../../src/annotations/annotations.service.ts';
import { getRecipe } from '../../src/recipes/recipes.service.ts';
import { getProjectSettings } from '../../src/projects/projects.service.ts';
import { findTaskAsWithItem } from '../../src/task-units/task-access.ts';
import { rowsOf } from '../../src/task-units/item-selection.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { createTask, world } from '../tasks/helpers.ts';

/**
 * An annotation save reads everything it needs in the authenticating statement
 * (`preload: 'annotationSave'`) and writes in ONE statement that refuses itself when the unit or
 * the annotation changed since that read; it then saves in a transaction (docs/workflow.md
 * "How an annotation save runs"). What it rebuilds from the JSON must be what the reads return,
 * and no save may be lost or overwrite another.
 */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

const label = (name: string) => [{ tool: 'classification', label: name }];

async function setup(allocation: Record<string, unknown> = { method: 'pulling', batchSize: 1 }) {
  const w = await world(t, 3);
  await t.patch(`/api/v1/projects/${w.projectId}`, { settings: { requireStatusRemovalBeforeEdit: true } }, { token: w.owner.token });
  const a = await t.member(w.projectId, 'annotator');
  const labels = Array.from({ length: 40 }, (_, i) => ({ name: `l${i}` }));
  const recipe = await t.post(`/api/v1/projects/${w.projectId}/recipes`, { name: `r-${Math.random()}`, labels, tools: ['classification'] }, { token: w.owner.token });
  expect(recipe.status, JSON.stringify(recipe.body)).toBe(201);
  const task = await createTask(t, w, { assigneeIds: [a.id], recipeId: recipe.body.id, allocation });
  return { w, a, task, itemId: w.itemIds[0]!, url: `/api/v1/tasks/${task.id}/items/${w.itemIds[0]}/annotations` };
}

const preloadOf = async (taskId: string, userId: string, itemId: string) =>
  rowsOf<{ preload: unknown }>(await t.ctx.db.execute(sql`select ${annotationSaveJson(sql`${taskId}::uuid`, sql`${userId}::uuid`, sql`${itemId}::uuid`)} as preload`))[0]!.preload;

describe('an annotation save with its reads done by the authentication', () => {
  it('rebuilds exactly the task, standing, units, item, recipe, settings and annotation the reads return', async () => {
    const { w, a, task, itemId, url } = await setup();
    expect((await t.post(`/api/v1/tasks/${task.id}/pull`, {}, { token: a.token })).status).toBe(200);
    expect((await t.put(url, { shapes: label('l3') }, { token: a.token })).status).toBe(200);
    const caller = { userId: a.id, isAdmin: false };
    const pre = fromSavePreload(caller, task.id, itemId, await preloadOf(task.id, a.id, itemId))!;
    const read = await findTaskAsWithItem(t.ctx.db, caller, task.id, itemId, 'annotator', { lock: false });
    expect(pre.reads.task).toEqual(read.task);
    expect(pre.reads.actor).toEqual(read.actor);
    expect(pre.units).toEqual(read.units);
    expect(pre.versions).toEqual(read.versions);
    expect(pre.reads.recipe).toEqual(await getRecipe(t.ctx.db, read.task.recipeId!));
    expect(pre.reads.settings).toEqual(await getProjectSettings(t.ctx.db, w.projectId));
    expect(pre.reads.settings.requireStatusRemovalBeforeEdit).toBe(true);
    expect(pre.reads.item).toEqual({ kind: 'text', payload: { text: 'item number 0' } });
    const [annotation] = rowsOf<Record<string, unknown>>(await t.ctx.db.execute(sql`select id, shapes, version, created_at from annotations where task_id = ${task.id}::uuid`));
    expect(pre.annotations).toHaveLength(1);
    expect(pre.annotations[0]).toMatchObject({ id: annotation!.id, shapes: label('l3'), version: 1, createdAt: expect.any(Date), invalidAt: null });
    // Another item's or task's value is not used; an item outside the task reads nothing.
    expect(fromSavePreload(caller, task.id, w.itemIds[1]!, await preloadOf(task.id, a.id, itemId))).toBeNull();
    const outsideItem = (await world(t, 1)).itemIds[0]!;
    expect(((await preloadOf(task.id, a.id, outsideItem)) as { item: unknown }).item).toBeNull();
  });

  it('writes in one statement when nothing changed, and saves in a transaction when the unit or the annotation changed since the read', async () => {
    const { w, a, task, itemId, url } = await setup();
    expect((await t.post(`/api/v1/tasks/${task.id}/pull`, {}, { token: a.token })).status).toBe(200);
    const caller = { userId: a.id, isAdmin: false };
    const transaction = vi.spyOn(t.ctx.db, 'transaction');
    try {
      const first = await saveAnnotation(t.ctx, caller, task.id, itemId, { shapes: label('l1') }, undefined, await preloadOf(task.id, a.id, itemId));
      expect(first.version).toBe(1);
      expect(transaction).not.toHaveBeenCalled();
      // Read, then the annotation moves on (a save from elsewhere): the stale read must not overwrite it.
      const stale = await preloadOf(task.id, a.id, itemId);
      expect((await t.put(url, { shapes: label('l2') }, { token: a.token })).body.version).toBe(2);
      transaction.mockClear();
      const third = await saveAnnotation(t.ctx, caller, task.id, itemId, { shapes: label('l3') }, undefined, stale);
      expect(third.version).toBe(3);
      expect(transaction).toHaveBeenCalledTimes(1);
      // Read, then the unit changes (a heartbeat renews the lease): saved in a transaction, lease renewed again.
      const staleUnit = await preloadOf(task.id, a.id, itemId);
      expect((await t.post(`/api/v1/tasks/${task.id}/items/${itemId}/heartbeat`, {}, { token: a.token })).status).toBe(200);
      transaction.mockClear();
      expect((await saveAnnotation(t.ctx, caller, task.id, itemId, { shapes: label('l4') }, undefined, staleUnit)).version).toBe(4);
      expect(transaction).toHaveBeenCalledTimes(1);
      // Read, then a reviewer marks the answer invalid (the unit does not change): the new version
      // is saved in a transaction, which takes the answer off the task's invalid count.
      const staleValid = await preloadOf(task.id, a.id, itemId);
      const invalidated = await t.post(`/api/v1/annotations/${first.id}/invalidate`, { reason: 'blurred' }, { token: w.owner.token });
      expect(invalidated.status, JSON.stringify(invalidated.body)).toBe(200);
      expect((await t.get(`/api/v1/tasks/${task.id}`)).body.counts.invalid).toBe(1);
      transaction.mockClear();
      expect((await saveAnnotation(t.ctx, caller, task.id, itemId, { shapes: label('l5') }, undefined, staleValid)).version).toBe(5);
      expect(transaction).toHaveBeenCalledTimes(1);
      expect((await t.get(`/api/v1/tasks/${task.id}`)).body.counts.invalid).toBe(0);
    } finally {
      transaction.mockRestore();
    }
    const listed = (await t.get(url, { token: a.token })).body.data[0];
    expect(listed.shapes).toEqual(label('l5'));
    expect(listed.versions.map((v: { shapes: unknown }) => v.shapes)).toEqual(['l1', 'l2', 'l3', 'l4', 'l5'].map(label));
  });

  it('keeps every one of many saves of one item at once: versions without gaps or repeats, one audit event each', async () => {
    const { a, task, itemId, url } = await setup();
    expect((await t.post(`/api/v1/tasks/${task.id}/pull`, {}, { token: a.token })).status).toBe(200);
    const n = 24;
    const saves = await Promise.all(Array.from({ length: n }, (_, i) => t.put(url, { shapes: label(`l${i}`) }, { token: a.token })));
    for (const s of saves) expect(s.status, JSON.stringify(s.body)).toBe(200);
    const versions = saves.map((s) => s.body.version).sort((x, y) => x - y);
    expect(versions).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    // Each answer is the version that was stored under its number.
    const listed = (await t.get(url, { token: a.token })).body.data[0];
    const stored = new Map(listed.versions.map((v: { version: number; shapes: unknown }) => [v.version, v.shapes]));
    for (const s of saves) expect(stored.get(s.body.version)).toEqual(s.body.shapes);
    expect(listed.version).toBe(n);
    expect(listed.shapes).toEqual(stored.get(n));
    const [audit] = rowsOf<{ n: number }>(await t.ctx.db.execute(sql`select count(*)::int as n from audit_events where subject_id = ${listed.id}::uuid and action like 'annotation.%'`));
    expect(Number(audit!.n)).toBe(n);
  });

  it('answers as before: 404 for an item outside the task, 403 for a viewer, 409 status_set, 409 conflict for another id', async () => {
    const { w, a, task, itemId, url } = await setup({ method: 'distribution' });
    const viewer = await t.member(w.projectId, 'viewer');
    expect((await t.put(url, { shapes: label('l1') }, { token: viewer.token })).status).toBe(403);
    expect((await t.put(`/api/v1/tasks/${task.id}/items/00000000-0000-4000-8000-000000000000/annotations`, { shapes: label('l1') }, { token: a.token })).status).toBe(404);
    const bad = await t.put(url, { shapes: [{ tool: 'classification', label: 'not-a-label' }] }, { token: a.token });
    expect(bad.status).toBe(422);
    const saved = await t.put(url, { shapes: label('l1') }, { token: a.token });
    expect(saved.status).toBe(200);
    const other = await t.put(url, { id: '00000000-0000-4000-8000-000000000001', shapes: label('l2') }, { token: a.token });
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('conflict');
    // An id already used by another item's annotation.
    const taken = await t.put(`/api/v1/tasks/${task.id}/items/${w.itemIds[1]}/annotations`, { id: saved.body.id, shapes: label('l2') }, { token: a.token });
    expect(taken.status).toBe(409);
    expect((await t.put(`/api/v1/tasks/${task.id}/items/${itemId}/status`, { status: 'completed' }, { token: a.token })).status).toBe(200);
    const afterStatus = await t.put(url, { shapes: label('l3') }, { token: a.token });
    expect(afterStatus.status).toBe(409);
    expect(afterStatus.body.code).toBe('status_set');
    expect((await t.get(url, { token: a.token })).body.data[0].versions).toHaveLength(1);
  });
});
