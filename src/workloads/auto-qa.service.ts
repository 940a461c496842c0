import { and, eq, isNotNull, isNull } from 'drizzle-orm';
import type { Ctx } from '../context.ts';
import { DomainError } from '../core/errors.ts';
import { getItem } from '../datasets/items.service.ts';
import { getRecipe } from '../recipes/recipes.service.ts';
import { prefillAnnotation } from '../annotations/annotations-for-workloads.ts';
import { setItemStatus } from '../tasks/task-items.service.ts';
import { autoQaPortOf } from './auto-qa.port.ts';
import { ratingShapes } from './scorecard.ts';
import { workloadCycleItems, workloadCycles, workloads } from './workloads.table.ts';

/**
 * Runs AutoQA over a cycle's items that have no AI answer yet (from the scheduler's tick, so a
 * failure is retried a minute later; a retry redoes only what is missing; two processes may both
 * ask the port about one item, but only the first answer is stored). For each item: the port is called outside any
 * transaction, then one transaction stores the AI's values on the cycle item and pre-fills the
 * scorecard as an annotation authored by nobody (the AI's mark), unless a person answered
 * first. In `autonomous` mode the item's status is then set to `completed`, so the cycle
 * completes with no human evaluator; in `copilot` mode a person confirms or changes it, and the
 * report compares the two per category.
 */
export async function runAutoQa(ctx: Ctx, cycleId: string): Promise<number> {
  const port = autoQaPortOf(ctx);
  if (!port) throw new DomainError('auto_qa_unavailable', 'No AI evaluator is configured on this server');
  const [row] = await ctx.db
    .select({ cycle: workloadCycles, createdBy: workloads.createdBy })
    .from(workloadCycles)
    .innerJoin(workloads, eq(workloads.id, workloadCycles.workloadId))
    .where(eq(workloadCycles.id, cycleId));
  if (!row || !row.cycle.taskId || row.cycle.status === 'cancelled') return 0;
  const { cycle } = row;
  const recipe = await getRecipe(ctx.db, cycle.config.scorecardRecipeId);
  if (!recipe) return 0;
  const pending = await ctx.db
    .select({ itemId: workloadCycleItems.itemId })
    .from(workloadCycleItems)
    .where(and(eq(workloadCycleItems.cycleId, cycleId), isNull(workloadCycleItems.aiValues), isNull(workloadCycleItems.skippedAt)));
  let answered = 0;
  for (const { itemId } of pending) {
    const item = await getItem(ctx.db, itemId);
    if (!item) continue;
    const answer = await port.evaluate({
      caller: { userId: row.createdBy, isAdmin: true },
      projectId: cycle.projectId,
      item: { id: item.id, kind: item.kind, payload: item.payload as Record<string, unknown>, metadata: item.metadata },
      categories: recipe.ratingCategories,
      aiEvaluatorId: cycle.config.aiEvaluatorId,
    });
    const known = new Set(recipe.ratingCategories.map((c) => c.name));
    const values = Object.fromEntries(Object.entries(answer.values).filter(([k, v]) => known.has(k) && Number.isFinite(v)));
    await ctx.db.transaction(async (tx) => {
      const now = ctx.clock.now();
      const updated = await tx
        .update(workloadCycleItems)
        .set({ aiValues: values, aiExplanation: answer.explanation.slice(0, 10_000) })
        .where(and(eq(workloadCycleItems.cycleId, cycleId), eq(workloadCycleItems.itemId, itemId), isNull(workloadCycleItems.aiValues)))
        .returning({ itemId: workloadCycleItems.itemId });
      if (!updated.length) return;
      await prefillAnnotation(tx, { projectId: cycle.projectId, taskId: cycle.taskId!, itemId, shapes: ratingShapes(values), at: now });
    });
    answered++;
  }
  if (cycle.config.autoQa === 'autonomous') {
    // Every answered item, not only this run's: a retry after a crash finishes what was left.
    const answeredItems = await ctx.db
      .select({ itemId: workloadCycleItems.itemId })
      .from(workloadCycleItems)
      .where(and(eq(workloadCycleItems.cycleId, cycleId), isNotNull(workloadCycleItems.aiValues), isNull(workloadCycleItems.skippedAt)));
    for (const { itemId } of answeredItems) await setItemStatus(ctx, { userId: row.createdBy, isAdmin: true }, cycle.taskId!, itemId, 'completed');
  }
  return answered;
}
