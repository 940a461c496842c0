import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { annotateAndSet, setupTask } from '../reviews/review-helpers.ts';
import { invalidAnnotationIds } from '../../src/annotations/invalidate.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

const recipe = { labels: [{ name: 'cat' }, { name: 'dog' }], tools: ['classification'] };
const gold = [{ tool: 'classification', label: 'cat' }];
const cat = [{ tool: 'classification', label: 'cat' }];
const dog = [{ tool: 'classification', label: 'dog' }];

async function scoredTask() {
  const lines = Array.from({ length: 2 }, (_, i) => ({ kind: 'text', payload: { text: `t${i}` }, gold }));
  const s = await setupTask(t, { lines, recipe });
  const a = s.annotators[0]!;
  await annotateAndSet(t, s.taskId, s.itemIds[0]!, cat, a);
  const wrong = await annotateAndSet(t, s.taskId, s.itemIds[1]!, dog, a);
  const reviewer = await t.member(s.projectId, 'reviewer');
  return { s, a, wrong, reviewer };
}

describe('POST /api/v1/annotations/:annotationId/invalidate', () => {
  it('marks an annotation invalid with a reason, counts it on the task and lists it', async () => {
    const { s, wrong, reviewer } = await scoredTask();
    const res = await t.post(`/api/v1/annotations/${wrong.id}/invalidate`, { reason: 'the robot was not in view' }, { token: reviewer.token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ id: wrong.id, invalid: true, reason: 'the robot was not in view', invalidatedBy: reviewer.id });
    expect((await t.get(`/api/v1/tasks/${s.taskId}`)).body.counts.invalid).toBe(1);
    // Marking again replaces the reason and does not count twice.
    await t.post(`/api/v1/annotations/${wrong.id}/invalidate`, { reason: 'blurred frames' }, { token: reviewer.token });
    expect((await t.get(`/api/v1/tasks/${s.taskId}`)).body.counts.invalid).toBe(1);
    const list = (await t.get(`/api/v1/tasks/${s.taskId}/invalid-annotations`)).body;
    expect(list.data).toEqual([expect.objectContaining({ id: wrong.id, itemId: s.itemIds[1], reason: 'blurred frames', invalidatedBy: reviewer.id, status: 'completed' })]);
    expect(list.nextCursor).toBeNull();
    expect(await invalidAnnotationIds(t.ctx.db, [s.taskId])).toEqual(new Set([wrong.id]));
  });

  it('is for reviewers, managers and owners: an annotator gets 403, another project 404', async () => {
    const { s, a, wrong } = await scoredTask();
    expect((await t.post(`/api/v1/annotations/${wrong.id}/invalidate`, { reason: 'x' }, { token: a.token })).status).toBe(403);
    const stranger = (await t.project()).owner;
    expect((await t.post(`/api/v1/annotations/${wrong.id}/invalidate`, { reason: 'x' }, { token: stranger.token })).status).toBe(404);
    expect((await t.post(`/api/v1/annotations/${wrong.id}/invalidate`, { reason: '' }, { token: s.owner.token })).status).toBe(400);
    expect((await t.get(`/api/v1/tasks/${s.taskId}`)).body.counts.invalid).toBe(0);
  });

  it('re-annotating creates a new valid version and the count goes back', async () => {
    const { s, a, wrong, reviewer } = await scoredTask();
    await t.post(`/api/v1/annotations/${wrong.id}/invalidate`, { reason: 'wrong' }, { token: reviewer.token });
    // Even the same shapes saved again make a new, valid version.
    const saved = await t.put(`/api/v1/tasks/${s.taskId}/items/${s.itemIds[1]}/annotations`, { shapes: dog }, { token: a.token });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    expect(saved.body.version).toBe(2);
    expect((await t.get(`/api/v1/tasks/${s.taskId}`)).body.counts.invalid).toBe(0);
    expect((await t.get(`/api/v1/tasks/${s.taskId}/invalid-annotations`)).body.data).toEqual([]);
  });

  it('leaves invalid answers out of accuracy until the mark is withdrawn', async () => {
    const { s, a, wrong, reviewer } = await scoredTask();
    const accuracy = async () => (await t.get(`/api/v1/tasks/${s.taskId}/analytics`)).body.task.accuracy;
    const perAnnotator = async () => (await t.get(`/api/v1/tasks/${s.taskId}/scores`)).body.perAnnotator.find((p: any) => p.annotatorId === a.id)?.accuracy;
    const projectReport = async () => (await t.get(`/api/v1/projects/${s.projectId}/reports/progress`, { query: { level: 'project' } })).body.project.totals.accuracy;
    expect(await accuracy()).toBeCloseTo(0.5, 6);
    expect(await perAnnotator()).toBeCloseTo(0.5, 6);
    await t.post(`/api/v1/annotations/${wrong.id}/invalidate`, { reason: 'not usable' }, { token: reviewer.token });
    expect(await accuracy()).toBeCloseTo(1, 6);
    expect(await perAnnotator()).toBeCloseTo(1, 6);
    expect(await projectReport()).toBeCloseTo(1, 6);
    const withdrawn = await t.delete(`/api/v1/annotations/${wrong.id}/invalidate`, { token: reviewer.token });
    expect(withdrawn.body).toMatchObject({ invalid: false, reason: null });
    expect(await accuracy()).toBeCloseTo(0.5, 6);
    expect((await t.get(`/api/v1/tasks/${s.taskId}`)).body.counts.invalid).toBe(0);
  });

  it('pages the invalid list with a keyset cursor', async () => {
    const lines = Array.from({ length: 3 }, (_, i) => ({ kind: 'text', payload: { text: `t${i}` } }));
    const s = await setupTask(t, { lines, recipe });
    const ids: string[] = [];
    for (const itemId of s.itemIds) ids.push((await t.put(`/api/v1/tasks/${s.taskId}/items/${itemId}/annotations`, { shapes: cat }, { token: s.annotators[0]!.token })).body.id);
    for (const id of ids) await t.post(`/api/v1/annotations/${id}/invalidate`, { reason: `r ${id}` }, { token: s.owner.token });
    const first = (await t.get(`/api/v1/tasks/${s.taskId}/invalid-annotations`, { query: { limit: 2 } })).body;
    expect(first.data).toHaveLength(2);
    const second = (await t.get(`/api/v1/tasks/${s.taskId}/invalid-annotations`, { query: { limit: 2, cursor: first.nextCursor } })).body;
    expect(second.nextCursor).toBeNull();
    expect([...first.data, ...second.data].map((r: any) => r.id).sort()).toEqual([...ids].sort());
  });
});
