import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { annotateAndSet, importItems, setupTask } from '../reviews/review-helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const image = (i: number, gold?: unknown[]) => ({ kind: 'image', payload: { url: `https://example.com/${i}.png`, width: 100, height: 100 }, ...(gold ? { gold } : {}) });
const box = (x: number, y: number, w: number, h: number, label = 'car') => ({ tool: 'bbox', label, x, y, w, h });
const scoresOf = async (taskId: string) => (await t.get(`/api/v1/tasks/${taskId}/scores`)).body;

async function consensusTask(count: number, recipe: unknown) {
  return setupTask(t, { type: 'consensus', count, lines: Array.from({ length: count }, (_, i) => image(i)), annotatorCount: 2, recipe, task: { consensus: { annotatorsPerItem: 2 } } });
}

describe('score functions run when an item’s status is set', () => {
  it('scores consensus answers against each other with IoU, and resets when a status is removed', async () => {
    const s = await consensusTask(1, { labels: [{ name: 'car' }], tools: ['bbox'] });
    const [a, b] = s.annotators as [any, any];
    const item = s.itemIds[0]!;
    await annotateAndSet(t, s.taskId, item, [box(0, 0, 10, 10)], a);
    expect((await scoresOf(s.taskId)).perAnnotator).toEqual([]);
    await annotateAndSet(t, s.taskId, item, [box(5, 0, 10, 10)], b);
    let scores = await scoresOf(s.taskId);
    expect(scores.perAnnotator).toHaveLength(2);
    for (const p of scores.perAnnotator) {
      expect(p.agreement).toBeCloseTo(50 / 150, 6);
      expect(p.byTool.bbox).toEqual({ fn: 'iou', mean: expect.closeTo(50 / 150, 6) });
    }
    expect(scores.contributors.meanScores).toHaveLength(2);

    expect((await t.delete(`/api/v1/tasks/${s.taskId}/items/${item}/status`, { token: b.token })).status).toBe(200);
    expect((await scoresOf(s.taskId)).perAnnotator).toEqual([]);
    await t.put(`/api/v1/tasks/${s.taskId}/items/${item}/status`, { status: 'completed' }, { token: b.token });
    scores = await scoresOf(s.taskId);
    expect(scores.perAnnotator.map((p: any) => p.agreement)).toEqual([expect.closeTo(1 / 3, 6), expect.closeTo(1 / 3, 6)]);
  });

  it('scores every pair and feeds the QA task when both copies of items are finished in parallel', async () => {
    const s = await consensusTask(6, { labels: [{ name: 'car' }], tools: ['bbox'] });
    const [a, b] = s.annotators as [any, any];
    const reviewer = await t.member(s.projectId, 'reviewer');
    const qa = (await t.post(`/api/v1/tasks/${s.taskId}/qa-tasks`, { reviewerIds: [reviewer.id] }, { token: s.owner.token })).body.id;
    for (const item of s.itemIds) {
      for (const u of [a, b]) expect((await t.put(`/api/v1/tasks/${s.taskId}/items/${item}/annotations`, { shapes: [box(0, 0, 10, 10)] }, { token: u.token })).status).toBe(200);
    }
    const results = await Promise.all(s.itemIds.flatMap((item) => [a, b].map((u) => t.put(`/api/v1/tasks/${s.taskId}/items/${item}/status`, { status: 'completed' }, { token: u.token }))));
    expect(results.map((r) => r.status)).toEqual(results.map(() => 200));
    const perItem = (await t.get(`/api/v1/tasks/${s.taskId}/scores/items`, { query: { limit: 100 } })).body.data;
    expect(perItem.map((i: any) => [i.itemId, i.annotators, i.meanScore]).sort()).toEqual(s.itemIds.map((id) => [id, 2, 1]).sort());
    expect((await t.get(`/api/v1/tasks/${qa}`)).body.counts.items).toBe(6);
  });

  it('uses the task’s replacement score function with its parameters', async () => {
    const s = await consensusTask(1, { labels: [{ name: 'car' }], tools: ['bbox'] });
    const [a, b] = s.annotators as [any, any];
    const bad = await t.put(`/api/v1/tasks/${s.taskId}/quality`, { scoring: { bbox: { fn: 'iou', params: { threshold: 3 } } } }, { token: s.owner.token });
    expect(bad.status).toBe(400);
    const wrongTool = await t.put(`/api/v1/tasks/${s.taskId}/quality`, { scoring: { bbox: { fn: 'span_f1' } } }, { token: s.owner.token });
    expect(wrongTool.status).toBe(400);
    const ok = await t.put(`/api/v1/tasks/${s.taskId}/quality`, { scoring: { bbox: { fn: 'iou', params: { threshold: 0.3 } } } }, { token: s.owner.token });
    expect(ok.status).toBe(200);
    expect(ok.body.scoring).toEqual({ bbox: { name: 'iou', params: { threshold: 0.3 } } });
    expect((await t.put(`/api/v1/tasks/${s.taskId}/quality`, {}, { token: a.token })).status).toBe(403);
    await annotateAndSet(t, s.taskId, s.itemIds[0]!, [box(0, 0, 10, 10)], a);
    await annotateAndSet(t, s.taskId, s.itemIds[0]!, [box(5, 0, 10, 10)], b);
    // IoU 1/3 clears the 0.3 threshold: the pair counts as matched.
    expect((await scoresOf(s.taskId)).perAnnotator.map((p: any) => p.agreement)).toEqual([1, 1]);
  });

  it('scores classification, multi-classification, text spans and ratings with their defaults', async () => {
    const s = await setupTask(t, {
      type: 'consensus',
      lines: [{ kind: 'text', payload: { text: 'The quick brown fox jumps' } }],
      annotatorCount: 2,
      recipe: { labels: [{ name: 'animal' }, { name: 'colour' }, { name: 'pos' }, { name: 'neg' }], tools: ['classification', 'multi_classification', 'text_span', 'rating'], ratingCategories: [{ name: 'fluency', min: 1, max: 5, weight: 1 }] },
      task: { consensus: { annotatorsPerItem: 2 } },
    });
    const [a, b] = s.annotators as [any, any];
    const item = s.itemIds[0]!;
    await annotateAndSet(t, s.taskId, item, [
      { tool: 'classification', label: 'pos' },
      { tool: 'multi_classification', labels: ['animal', 'colour'] },
      { tool: 'text_span', label: 'animal', start: 16, end: 19 },
      { tool: 'rating', category: 'fluency', value: 5 },
    ], a);
    await annotateAndSet(t, s.taskId, item, [
      { tool: 'classification', label: 'neg' },
      { tool: 'multi_classification', labels: ['animal'] },
      { tool: 'text_span', label: 'animal', start: 16, end: 25 },
      { tool: 'rating', category: 'fluency', value: 4 },
    ], b);
    const [p] = (await scoresOf(s.taskId)).perAnnotator;
    expect(p.byTool).toEqual({
      classification: { fn: 'exact_match', mean: 0 },
      multi_classification: { fn: 'jaccard', mean: 0.5 },
      text_span: { fn: 'span_f1', mean: expect.closeTo((2 * 3) / (3 + 9), 6) },
      rating: { fn: 'rating_abs_diff', mean: expect.closeTo(0.75, 6) },
    });
  });
});

describe('gold: qualification and honeypot tasks', () => {
  it('scores each annotator of a qualification task against gold: accuracy, mean IoU on polygons, confusion matrix', async () => {
    const triangle = { tool: 'polygon', label: 'car', points: [{ x: 0, y: 0 }, { x: 10, y: 0 }, { x: 0, y: 10 }] };
    const lines = [
      { kind: 'text', payload: { text: 'a' }, gold: [{ tool: 'classification', label: 'cat' }] },
      { kind: 'text', payload: { text: 'b' }, gold: [{ tool: 'classification', label: 'dog' }] },
      image(3, [triangle]),
    ];
    const s = await setupTask(t, { type: 'qualification', lines, annotatorCount: 2 });
    const [good, poor] = s.annotators as [any, any];
    const square = { tool: 'polygon', label: 'car', points: [{ x: 0, y: 0 }, { x: 10, y: 0 }, { x: 10, y: 10 }, { x: 0, y: 10 }] };
    await annotateAndSet(t, s.taskId, s.itemIds[0]!, [{ tool: 'classification', label: 'cat' }], good);
    await annotateAndSet(t, s.taskId, s.itemIds[1]!, [{ tool: 'classification', label: 'dog' }], good);
    await annotateAndSet(t, s.taskId, s.itemIds[2]!, [triangle], good);
    await annotateAndSet(t, s.taskId, s.itemIds[0]!, [{ tool: 'classification', label: 'dog' }], poor);
    await annotateAndSet(t, s.taskId, s.itemIds[1]!, [{ tool: 'classification', label: 'dog' }], poor);
    await annotateAndSet(t, s.taskId, s.itemIds[2]!, [square], poor);
    const scores = await scoresOf(s.taskId);
    const by = Object.fromEntries(scores.perAnnotator.map((p: any) => [p.annotatorId, p]));
    expect(by[good.id]).toMatchObject({ units: 3, accuracy: expect.closeTo(1, 9), meanIoU: expect.closeTo(1, 9) });
    // The polygon IoU is computed on the polygons (triangle in square: 0.5), not their boxes (1).
    expect(by[poor.id].meanIoU).toBeCloseTo(0.5, 6);
    expect(by[poor.id].byTool.classification.mean).toBeCloseTo(0.5, 6);
    expect(by[poor.id].accuracy).toBeCloseTo((0 + 1 + 0.5) / 3, 6);
    const cell = scores.goldConfusionMatrix.cells.find((c: any) => c.row === 'cat' && c.column === 'dog');
    expect(cell).toEqual({ row: 'cat', column: 'dog', count: 1, itemIds: [s.itemIds[0]] });
  });

  it('pauses an annotator from pulling once their honeypot accuracy falls below the task threshold', async () => {
    const gold = [{ tool: 'classification', label: 'cat' }];
    const lines = Array.from({ length: 12 }, (_, i) => ({ kind: 'text', payload: { text: `t${i}` }, ...(i < 4 ? { gold } : {}) }));
    const project = await t.project();
    const token = project.owner.token;
    const { datasetId, itemIds } = await importItems(t, project.id, token, lines);
    const annotator = await t.member(project.id, 'annotator');
    const task = await t.post(`/api/v1/projects/${project.id}/tasks`, {
      name: 'honeypot', type: 'honeypot', datasetId, assigneeIds: [annotator.id],
      allocation: { method: 'pulling', batchSize: 4, maxWorkload: 20 },
      honeypot: { goldItemIds: itemIds.slice(0, 4), ratio: 0.5 },
    }, { token });
    expect(task.status, JSON.stringify(task.body)).toBe(201);
    const taskId = task.body.id;
    expect((await t.put(`/api/v1/tasks/${taskId}/quality`, { honeypot: { minAccuracy: 0.8 } }, { token })).status).toBe(200);
    const pulled = await t.post(`/api/v1/tasks/${taskId}/pull`, { count: 4 }, { token: annotator.token });
    expect(pulled.status, JSON.stringify(pulled.body)).toBe(200);
    const goldUnits = pulled.body.items.filter((u: any) => itemIds.slice(0, 4).includes(u.itemId));
    expect(goldUnits.length).toBeGreaterThan(0);
    for (const u of pulled.body.items) await annotateAndSet(t, taskId, u.itemId, [{ tool: 'classification', label: 'dog' }], annotator);
    const pauses = await t.get(`/api/v1/tasks/${taskId}/pauses`, { token });
    expect(pauses.body.data).toEqual([expect.objectContaining({ userId: annotator.id, accuracy: 0, answers: goldUnits.length })]);
    const refused = await t.post(`/api/v1/tasks/${taskId}/pull`, { count: 4 }, { token: annotator.token });
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toMatch(/paused/);
    expect((await t.delete(`/api/v1/tasks/${taskId}/pauses/${annotator.id}`, { token: annotator.token })).status).toBe(403);
    expect((await t.delete(`/api/v1/tasks/${taskId}/pauses/${annotator.id}`, { token })).status).toBe(204);
    expect((await t.post(`/api/v1/tasks/${taskId}/pull`, { count: 2 }, { token: annotator.token })).status).toBe(200);
  });

  it('leaves an annotator who answers gold correctly free to pull', async () => {
    const gold = [{ tool: 'classification', label: 'cat' }];
    const lines = Array.from({ length: 8 }, (_, i) => ({ kind: 'text', payload: { text: `t${i}` }, ...(i < 4 ? { gold } : {}) }));
    const project = await t.project();
    const token = project.owner.token;
    const { datasetId, itemIds } = await importItems(t, project.id, token, lines);
    const annotator = await t.member(project.id, 'annotator');
    const taskId = (await t.post(`/api/v1/projects/${project.id}/tasks`, {
      name: 'honeypot', type: 'honeypot', datasetId, assigneeIds: [annotator.id],
      allocation: { method: 'pulling', batchSize: 4, maxWorkload: 20 },
      honeypot: { goldItemIds: itemIds.slice(0, 4), ratio: 0.5 },
    }, { token })).body.id;
    await t.put(`/api/v1/tasks/${taskId}/quality`, { honeypot: { minAccuracy: 0.8 } }, { token });
    const pulled = (await t.post(`/api/v1/tasks/${taskId}/pull`, { count: 4 }, { token: annotator.token })).body.items;
    for (const u of pulled) await annotateAndSet(t, taskId, u.itemId, gold, annotator);
    expect((await t.get(`/api/v1/tasks/${taskId}/pauses`, { token })).body.data).toEqual([]);
    expect((await t.post(`/api/v1/tasks/${taskId}/pull`, { count: 2 }, { token: annotator.token })).status).toBe(200);
    const scores = (await t.get(`/api/v1/tasks/${taskId}/scores`)).body;
    expect(scores.perAnnotator).toEqual([expect.objectContaining({ annotatorId: annotator.id, accuracy: 1 })]);
  });
});
