import { and, asc, eq, inArray, ne } from 'drizzle-orm';
import type { Caller, Ctx } from '../context.ts';
import { notFound } from '../core/errors.ts';
import { requireRole } from '../projects/permissions.ts';
import { getRecipe } from '../recipes/recipes.service.ts';
import { currentAnnotationsOfTasks } from '../annotations/annotations-for-workloads.ts';
import { listAnnotations } from '../annotations/annotations.service.ts';
import { findTaskAs } from '../task-units/task-access.ts';
import { agreement, mean, ratingValues, scoreCard, type RatingCategory } from './scorecard.ts';
import { workloadCycleItems, workloadCycles } from './workloads.table.ts';
import { workloadOf } from './work.service.ts';

/**
 * The scorecard of one item in a task (anyone who may read the task): the current answer's
 * rating values against the recipe's categories and weights, the weighted mean normalised to
 * 0..1, who answered (nobody, the AI, a person) and, for AutoQA cycles, the AI's answer with the
 * share of categories the person kept.
 */
export async function itemScorecard(ctx: Ctx, caller: Caller, taskId: string, itemId: string) {
  const { task } = await findTaskAs(ctx.db, caller, taskId);
  const recipe = task.recipeId ? await getRecipe(ctx.db, task.recipeId) : null;
  const categories: RatingCategory[] = recipe?.ratingCategories ?? [];
  const { data } = await listAnnotations(ctx, caller, taskId, itemId);
  const current = data[0];
  const values = current ? ratingValues(current.shapes) : {};
  const card = scoreCard(categories, values);
  const [cycleItem] = await ctx.db
    .select({ aiValues: workloadCycleItems.aiValues, aiExplanation: workloadCycleItems.aiExplanation })
    .from(workloadCycleItems)
    .innerJoin(workloadCycles, eq(workloadCycles.id, workloadCycleItems.cycleId))
    .where(and(eq(workloadCycles.taskId, task.id), eq(workloadCycleItems.itemId, itemId)));
  const source = !current ? 'none' : current.authorId === null ? 'ai' : 'human';
  const ai = cycleItem?.aiValues
    ? { values: cycleItem.aiValues, explanation: cycleItem.aiExplanation, agreement: source === 'human' ? agreement(cycleItem.aiValues, values) : null }
    : null;
  return { score: card.score, categories: card.categories.map((c) => ({ name: c.name, value: c.value, weight: c.weight, min: c.min, max: c.max })), source: source as 'none' | 'ai' | 'human', ai };
}

/**
 * The workload report (owners): per cycle (cancelled ones left out) the mean scorecard score,
 * the mean per reviewee and per evaluator (the person who gave the current answer; `ai` for
 * AutoQA answers nobody changed), AI–human agreement per category over the items a person
 * answered after AutoQA, and each reviewee's scores over the cycles (the chart). Skipped items
 * are left out. Archived workloads are hidden from reports: 404.
 */
export async function workloadReport(ctx: Ctx, caller: Caller, workloadId: string) {
  const w = await workloadOf(ctx.db, workloadId);
  await requireRole(ctx.db, caller, w.projectId, 'owner', 'Workload');
  if (w.status === 'archived') throw notFound('Workload');
  const cycles = await ctx.db.select().from(workloadCycles).where(and(eq(workloadCycles.workloadId, w.id), ne(workloadCycles.status, 'cancelled'))).orderBy(asc(workloadCycles.periodStart));
  const cycleIds = cycles.map((c) => c.id);
  const cycleItems = cycleIds.length ? await ctx.db.select().from(workloadCycleItems).where(inArray(workloadCycleItems.cycleId, cycleIds)) : [];
  const answers = await currentAnnotationsOfTasks(ctx.db, cycles.flatMap((c) => (c.taskId ? [c.taskId] : [])));
  const answerOf = new Map(answers.map((a) => [`${a.taskId}:${a.itemId}`, a]));
  const recipes = new Map<string, RatingCategory[]>();
  for (const c of cycles) {
    const id = c.config.scorecardRecipeId;
    if (!recipes.has(id)) recipes.set(id, (await getRecipe(ctx.db, id))?.ratingCategories ?? []);
  }
  const revieweeSeries = new Map<string, Array<{ cycleId: string; periodStart: Date; score: number | null }>>();
  const out = cycles.map((c) => {
    const categories = recipes.get(c.config.scorecardRecipeId) ?? [];
    const byReviewee = new Map<string, number[]>();
    const byEvaluator = new Map<string, number[]>();
    const all: number[] = [];
    const agree = new Map<string, { same: number; compared: number }>(categories.map((k) => [k.name, { same: 0, compared: 0 }]));
    for (const item of cycleItems.filter((i) => i.cycleId === c.id && !i.skippedAt)) {
      const answer = answerOf.get(`${c.taskId}:${item.itemId}`);
      if (!answer) continue;
      const values = ratingValues(answer.shapes);
      const { score } = scoreCard(categories, values);
      if (score === null) continue;
      all.push(score);
      const reviewee = item.revieweeId ?? 'unknown';
      byReviewee.set(reviewee, [...(byReviewee.get(reviewee) ?? []), score]);
      const evaluator = answer.authorId ?? 'ai';
      byEvaluator.set(evaluator, [...(byEvaluator.get(evaluator) ?? []), score]);
      if (item.aiValues && answer.authorId !== null) {
        for (const [name, a] of agree) {
          if (!Object.hasOwn(item.aiValues, name) || !Object.hasOwn(values, name)) continue;
          a.compared++;
          if (item.aiValues[name] === values[name]) a.same++;
        }
      }
    }
    for (const [revieweeId, scores] of byReviewee) {
      revieweeSeries.set(revieweeId, [...(revieweeSeries.get(revieweeId) ?? []), { cycleId: c.id, periodStart: c.periodStart, score: mean(scores) }]);
    }
    return {
      cycleId: c.id,
      periodStart: c.periodStart,
      status: c.status,
      target: c.target,
      done: c.done,
      skipped: c.skipped,
      score: mean(all),
      evaluations: all.length,
      reviewees: [...byReviewee].map(([revieweeId, s]) => ({ revieweeId, score: mean(s), evaluations: s.length })),
      evaluators: [...byEvaluator].map(([evaluatorId, s]) => ({ evaluatorId, score: mean(s), evaluations: s.length })),
      aiAgreement: [...agree].filter(([, a]) => a.compared > 0).map(([category, a]) => ({ category, agreement: a.same / a.compared, compared: a.compared })),
    };
  });
  return { workloadId: w.id, cycles: out, reviewees: [...revieweeSeries].map(([revieweeId, scores]) => ({ revieweeId, scores })) };
}
