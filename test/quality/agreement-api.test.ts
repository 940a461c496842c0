import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { annotateAndSet, setupTask } from '../reviews/review-helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const recipe = { labels: ['yes', 'no', '1', '2', '3', '4', '5'].map((name) => ({ name })), tools: ['classification', 'rating'], ratingCategories: [{ name: 'value', min: 1, max: 5, weight: 1 }] };

describe('GET /api/v1/tasks/:taskId/scores for consensus tasks', () => {
  it('matches Cohen’s worked example (κ = 0.4) and lists the items behind each confusion cell', async () => {
    // Two raters, 50 items: yes/yes 20, yes/no 5, no/yes 10, no/no 15 (Cohen's kappa, Wikipedia's worked example).
    const s = await setupTask(t, { type: 'consensus', count: 50, annotatorCount: 2, recipe, task: { consensus: { annotatorsPerItem: 2 } } });
    const [a, b] = s.annotators as [any, any];
    const answers = (i: number): [string, string] => (i < 20 ? ['yes', 'yes'] : i < 25 ? ['yes', 'no'] : i < 35 ? ['no', 'yes'] : ['no', 'no']);
    for (const [i, item] of s.itemIds.entries()) {
      const [la, lb] = answers(i);
      await annotateAndSet(t, s.taskId, item, [{ tool: 'classification', label: la }], a);
      await annotateAndSet(t, s.taskId, item, [{ tool: 'classification', label: lb }], b);
    }
    const res = await t.get(`/api/v1/tasks/${s.taskId}/scores`);
    expect(res.status).toBe(200);
    const { agreement, contributors, confusionMatrix } = res.body;
    expect(agreement.items).toBe(50);
    expect(agreement.raters).toBe(2);
    expect(agreement.percentAgreement).toBeCloseTo(0.7, 3);
    expect(agreement.cohensKappa).toBeCloseTo(0.4, 3);
    // With two raters Fleiss' kappa is Scott's pi: (0.7 − 0.505) / (1 − 0.505).
    expect(agreement.fleissKappa).toBeCloseTo(0.394, 3);
    expect(agreement.krippendorffAlpha.nominal).toBeCloseTo(0.4, 3);
    expect(agreement.meanPairwiseScore).toBeCloseTo(0.7, 3);
    expect(contributors.pairs).toEqual([expect.objectContaining({ commonItems: 50, agreedItems: 35, agreement: 0.7, cohensKappa: expect.closeTo(0.4, 3) })]);
    const disagree = confusionMatrix.cells.find((c: any) => c.row === 'no' && c.column === 'yes');
    expect(disagree.count).toBe(15);
    expect([...disagree.itemIds].sort()).toEqual(s.itemIds.slice(20, 35).sort());
    expect(confusionMatrix.cells.find((c: any) => c.row === 'yes' && c.column === 'yes').count).toBe(20);

    const perItem = await t.get(`/api/v1/tasks/${s.taskId}/scores/items`, { query: { limit: 500 } });
    expect(perItem.body.data).toHaveLength(50);
    expect(perItem.body.data.filter((i: any) => i.meanScore === 1)).toHaveLength(35);

    // Drafted items leave the statistics.
    for (const id of s.itemIds.slice(20, 35)) expect((await t.patch(`/api/v1/items/${id}`, { draft: true })).status).toBe(200);
    const drafted = (await t.get(`/api/v1/tasks/${s.taskId}/scores`)).body;
    expect(drafted.agreement.items).toBe(35);
    expect(drafted.agreement.percentAgreement).toBe(1);
    expect(drafted.confusionMatrix.cells.some((c: any) => c.row !== c.column)).toBe(false);
  });

  it('matches Krippendorff’s worked example with missing ratings (α nominal 0.743, interval 0.849)', async () => {
    // Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", 4 coders × 12 units, null = not rated.
    const data: (number | null)[][] = [
      [1, 2, 3, 3, 2, 1, 4, 1, 2, null, null, null],
      [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, null, 3],
      [null, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, null],
      [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, null],
    ];
    // "Not rated" is a completed empty answer: the recipe allows empty answers (allowEmpty).
    const s = await setupTask(t, { type: 'consensus', count: 12, annotatorCount: 4, recipe: { ...recipe, allowEmpty: true }, task: { consensus: { annotatorsPerItem: 4 } } });
    for (const [u, item] of s.itemIds.entries()) {
      for (const [c, coder] of s.annotators.entries()) {
        const v = data[c]![u];
        await annotateAndSet(t, s.taskId, item, v === null ? [] : [{ tool: 'classification', label: String(v) }, { tool: 'rating', category: 'value', value: v }], coder);
      }
    }
    const { agreement } = (await t.get(`/api/v1/tasks/${s.taskId}/scores`)).body;
    expect(agreement.raters).toBe(4);
    expect(agreement.cohensKappa).toBeNull();
    expect(agreement.krippendorffAlpha.nominal).toBeCloseTo(0.743, 3);
    expect(agreement.krippendorffAlpha.interval).toBeCloseTo(0.849, 3);
  });
});
