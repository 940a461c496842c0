import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../support/test-app.ts';
import { importItems } from '../reviews/review-helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const label = (name: string) => [{ tool: 'classification', label: name }];

describe('qualification tasks end to end (docs/allocation.md, docs/review-quality.md Gold)', () => {
  it('gives every annotator every gold item blind, and scores each one against the gold answers', async () => {
    const project = await t.project();
    const manager = await t.member(project.id, 'manager');
    const token = manager.token;
    const goldLabels = ['cat', 'dog', 'cat', 'dog'];
    const { datasetId, itemIds } = await importItems(t, project.id, token, goldLabels.map((_, i) => ({ kind: 'text', payload: { text: `animal ${i}` } })));
    const recipe = await t.post(`/api/v1/projects/${project.id}/recipes`, { name: 'animals', labels: [{ name: 'cat' }, { name: 'dog' }], tools: ['classification'] }, { token });
    expect(recipe.status, JSON.stringify(recipe.body)).toBe(201);

    // Gold answers are set per item by a manager (checked against the recipe).
    const refused = await t.put(`/api/v1/items/${itemIds[0]}/gold`, { shapes: label('horse'), recipeId: recipe.body.id }, { token });
    expect(refused.status).toBe(422);
    expect((await t.get(`/api/v1/items/${itemIds[0]}`, { token })).body.gold).toBeNull();
    for (const [i, id] of itemIds.entries()) {
      const res = await t.put(`/api/v1/items/${id}/gold`, { shapes: label(goldLabels[i]!), recipeId: recipe.body.id }, { token });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    }

    const good = await t.member(project.id, 'annotator');
    const half = await t.member(project.id, 'annotator');
    const poor = await t.member(project.id, 'annotator');
    const created = await t.post(`/api/v1/projects/${project.id}/tasks`, {
      name: 'qualification', type: 'qualification', datasetId, recipeId: recipe.body.id, assigneeIds: [good.id, half.id, poor.id],
    }, { token });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const taskId = created.body.id as string;
    expect(created.body.counts.items).toBe(12);

    // Every annotator holds every item, once.
    for (const who of [good, half, poor]) {
      const mine = (await t.get(`/api/v1/tasks/${taskId}/items`, { token: who.token, query: { limit: 100 } })).body.data;
      expect(mine.map((u: { itemId: string }) => u.itemId)).toEqual(itemIds);
    }
    const assignments = (await t.get(`/api/v1/tasks/${taskId}/assignments`, { token })).body.data;
    expect(assignments.map((a: any) => [a.assigneeId, a.counts.items]).sort()).toEqual([good, half, poor].map((u) => [u.id, 4]).sort());

    const answers: Record<string, string[]> = {
      [good.id]: ['cat', 'dog', 'cat', 'dog'],
      [half.id]: ['cat', 'cat', 'cat', 'cat'],
      [poor.id]: ['dog', 'cat', 'dog', 'cat'],
    };
    const annotationsUrl = (i: number) => `/api/v1/tasks/${taskId}/items/${itemIds[i]}/annotations`;
    const workersSeen = async (who: TestUser, i: number) => (await t.get(annotationsUrl(i), { token: who.token })).body.data.map((a: { workerId: string }) => a.workerId).sort();
    for (const who of [good, half, poor]) {
      for (const [i, id] of itemIds.entries()) {
        const saved = await t.put(annotationsUrl(i), { shapes: label(answers[who.id]![i]!) }, { token: who.token });
        expect(saved.status, JSON.stringify(saved.body)).toBe(200);
        // Blind mode: until every annotator has set a status on the item, each sees only their own answer.
        expect(await workersSeen(who, i)).toEqual([who.id]);
        const status = await t.put(`/api/v1/tasks/${taskId}/items/${id}/status`, { status: 'completed' }, { token: who.token });
        expect(status.status, JSON.stringify(status.body)).toBe(200);
      }
    }
    // Once the item is done by everyone, everyone sees every answer.
    expect(await workersSeen(half, 0)).toEqual([good.id, half.id, poor.id].sort());

    const scores = (await t.get(`/api/v1/tasks/${taskId}/scores`, { token })).body;
    const by = Object.fromEntries(scores.perAnnotator.map((p: any) => [p.annotatorId, p]));
    expect(Object.keys(by).sort()).toEqual([good.id, half.id, poor.id].sort());
    expect(by[good.id]).toMatchObject({ units: 4, accuracy: 1, agreement: null, byTool: { classification: { fn: 'exact_match', mean: 1 } } });
    expect(by[half.id]).toMatchObject({ units: 4, accuracy: 0.5 });
    expect(by[poor.id]).toMatchObject({ units: 4, accuracy: 0 });
    // Gold confusion: rows are gold labels, columns the answers; `half` and `poor` said cat for dog items 1 and 3.
    const cell = scores.goldConfusionMatrix.cells.find((c: any) => c.row === 'dog' && c.column === 'cat');
    expect(cell.count).toBe(4);
    expect([...new Set(cell.itemIds)].sort()).toEqual([itemIds[1], itemIds[3]].sort());

    const analytics = (await t.get(`/api/v1/tasks/${taskId}/analytics`, { token })).body;
    const metrics = Object.fromEntries(analytics.annotators.map((a: any) => [a.annotatorId, a]));
    expect(metrics[good.id]).toMatchObject({ units: 4, done: 4, completeness: 1, accuracy: 1, scoredUnits: 4 });
    expect(metrics[half.id]).toMatchObject({ units: 4, done: 4, completeness: 1, accuracy: 0.5, scoredUnits: 4 });
    expect(metrics[poor.id]).toMatchObject({ units: 4, done: 4, completeness: 1, accuracy: 0, scoredUnits: 4 });
    expect(analytics.task).toMatchObject({ units: 12, done: 12, scoredUnits: 12, accuracy: 0.5 });
    expect(analytics.histograms).toEqual([{ tool: 'classification', against: 'gold', buckets: [6, 0, 0, 0, 0, 0, 0, 0, 0, 6] }]);

    const task = (await t.get(`/api/v1/tasks/${taskId}`, { token })).body;
    expect(task).toMatchObject({ status: 'completed', counts: { items: 12, done: 12, pending: 0 } });
  });

  it('scores a corrected answer afresh when the annotator removes and sets the status again', async () => {
    const project = await t.project();
    const token = project.owner.token;
    const { datasetId, itemIds } = await importItems(t, project.id, token, [{ kind: 'text', payload: { text: 'a' }, gold: label('cat') }, { kind: 'text', payload: { text: 'b' }, gold: label('dog') }]);
    const a = await t.member(project.id, 'annotator');
    const b = await t.member(project.id, 'annotator');
    const taskId = (await t.post(`/api/v1/projects/${project.id}/tasks`, { name: 'q', type: 'qualification', datasetId, assigneeIds: [a.id, b.id] }, { token })).body.id;
    const accuracyOf = async (who: TestUser) => (await t.get(`/api/v1/tasks/${taskId}/scores`, { token })).body.perAnnotator.find((p: any) => p.annotatorId === who.id)?.accuracy ?? null;
    const answer = async (who: TestUser, i: number, name: string) => {
      expect((await t.put(`/api/v1/tasks/${taskId}/items/${itemIds[i]}/annotations`, { shapes: label(name) }, { token: who.token })).status).toBe(200);
      expect((await t.put(`/api/v1/tasks/${taskId}/items/${itemIds[i]}/status`, { status: 'completed' }, { token: who.token })).status).toBe(200);
    };
    await answer(a, 0, 'dog');
    await answer(a, 1, 'dog');
    await answer(b, 0, 'cat');
    expect(await accuracyOf(a)).toBe(0.5);
    expect(await accuracyOf(b)).toBe(1);
    // `a` takes item 0 back: its score is gone until a status is set again, on the corrected answer.
    expect((await t.delete(`/api/v1/tasks/${taskId}/items/${itemIds[0]}/status`, { token: a.token })).status).toBe(200);
    expect(await accuracyOf(a)).toBe(1);
    await answer(a, 0, 'cat');
    expect(await accuracyOf(a)).toBe(1);
    // Discarding a gold item is no way around it: it counts as a wrong answer, on b's record only.
    expect((await t.put(`/api/v1/tasks/${taskId}/items/${itemIds[1]}/status`, { status: 'discarded' }, { token: b.token })).status).toBe(200);
    expect(await accuracyOf(b)).toBe(0.5);
    expect(await accuracyOf(a)).toBe(1);
  });
  it('gives an annotator who joins every item, and drops a leaver’s unfinished copies so the task can complete', async () => {
    const project = await t.project();
    const token = project.owner.token;
    const { datasetId, itemIds } = await importItems(t, project.id, token, ['cat', 'dog', 'cat'].map((g, i) => ({ kind: 'text', payload: { text: `t${i}` }, gold: label(g) })));
    const [a, b, c] = [await t.member(project.id, 'annotator'), await t.member(project.id, 'annotator'), await t.member(project.id, 'annotator')];
    const taskId = (await t.post(`/api/v1/projects/${project.id}/tasks`, { name: 'q', type: 'qualification', datasetId, assigneeIds: [a.id, b.id] }, { token })).body.id;
    const itemsOf = async (who: TestUser) => (await t.get(`/api/v1/tasks/${taskId}/items`, { token: who.token, query: { limit: 100 } })).body.data.map((u: { itemId: string }) => u.itemId);
    const answerAll = async (who: TestUser, ids: string[]) => {
      for (const id of ids) {
        expect((await t.put(`/api/v1/tasks/${taskId}/items/${id}/annotations`, { shapes: label('cat') }, { token: who.token })).status).toBe(200);
        expect((await t.put(`/api/v1/tasks/${taskId}/items/${id}/status`, { status: 'completed' }, { token: who.token })).status).toBe(200);
      }
    };
    // b finishes one item, then leaves as c joins.
    await answerAll(b, [itemIds[0]!]);
    const patched = await t.patch(`/api/v1/tasks/${taskId}`, { assigneeIds: [a.id, c.id] }, { token });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(await itemsOf(c)).toEqual(itemIds);
    expect(await itemsOf(a)).toEqual(itemIds);
    const counts = async () => {
      const task = (await t.get(`/api/v1/tasks/${taskId}`, { token })).body;
      const assignments = (await t.get(`/api/v1/tasks/${taskId}/assignments`, { token })).body.data;
      return { task, byAssignee: Object.fromEntries(assignments.map((x: any) => [x.assigneeId, x.counts.items])) };
    };
    // a and c hold 3 copies each; b keeps only the copy they finished (their answer counts).
    let now = await counts();
    expect(now.byAssignee).toEqual({ [a.id]: 3, [c.id]: 3, [b.id]: 1 });
    expect(now.task.counts.items).toBe(7);
    await answerAll(a, itemIds);
    await answerAll(c, itemIds);
    now = await counts();
    expect(now.task.status).toBe('completed');
    expect(now.task.counts).toMatchObject({ items: 7, done: 7, pending: 0 });
    const scores = (await t.get(`/api/v1/tasks/${taskId}/scores`, { token })).body.perAnnotator;
    expect(Object.fromEntries(scores.map((p: any) => [p.annotatorId, [p.units, p.accuracy]]))).toEqual({ [a.id]: [3, 2 / 3], [c.id]: [3, 2 / 3], [b.id]: [1, 1] });
  });
});

