import { and, asc, eq, gt, sql } from 'drizzle-orm';
import { scoreOnValidAnswers } from '../annotations/invalidate.ts';
import type { Caller, Ctx } from '../context.ts';
import type { Db } from '../db/client.ts';
import { isId } from '../core/ids.ts';
import { decodeCursor, toPage } from '../core/pagination.ts';
import { userDirectory as users } from '../auth/user-reads.ts';
import { itemDrafted, itemNotDrafted } from '../datasets/item-reads.ts';
import { findTask, taskActor } from '../task-units/task-access.ts';
import { assertMayReadGoldScores } from './gold-access.ts';
import { rowsOf } from '../task-units/item-selection.ts';
import { cohensKappa, fleissKappa, krippendorffAlpha, percentAgreement, type Rating } from './agreement.ts';
import { contributorsAgreementMatrix, goldConfusionMatrix, labelsConfusionMatrix } from './agreement-matrices.ts';
import { scores } from './scores.table.ts';

const regionTools = sql`('bbox', 'polygon')`;

/**
 * One row per done, non-gold, non-draft unit of the task: the annotator, the classification
 * label(s) (sorted, joined by `|`) and the mean rating, extracted from the shapes in SQL so the
 * shapes themselves never travel to the server.
 */
async function answerValues(db: Db, taskId: string, category?: string) {
  const ratingFilter = category ? sql` and e->>'category' = ${category}` : sql``;
  const result = await db.execute(sql`
    select ti.item_id as "itemId", coalesce(a.author_id, ti.worker_id)::text as "annotatorId",
      (select string_agg(l, '|' order by l) from (
         select e->>'label' as l from jsonb_array_elements(a.shapes) e where e->>'tool' = 'classification'
         union select jsonb_array_elements_text(e->'labels') from jsonb_array_elements(a.shapes) e where e->>'tool' = 'multi_classification') labels) as "label",
      (select avg((e->>'value')::float8) from jsonb_array_elements(a.shapes) e where e->>'tool' = 'rating'${ratingFilter}) as "rating"
    from task_items ti
    join annotations a on a.task_item_id = ti.id and a.invalid_at is null
    join items i on i.id = ti.item_id
    where ti.task_id = ${taskId}::uuid and ti.done and not ti.is_gold and not i.draft`);
  return rowsOf<{ itemId: string; annotatorId: string | null; label: string | null; rating: number | null }>(result);
}

/** Each annotator's one answer per item (a second copy by the same annotator is ignored). */
function ratingsOf<V>(rows: Array<{ itemId: string; annotatorId: string | null }>, value: (r: any) => V | null): Rating<V>[] {
  const seen = new Set<string>();
  const out: Rating<V>[] = [];
  for (const r of rows) {
    if (!r.annotatorId) continue;
    const key = `${r.itemId}:${r.annotatorId}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const v = value(r);
    if (v !== null && v !== undefined) out.push({ itemId: r.itemId, annotatorId: r.annotatorId, value: v });
  }
  return out;
}

/** Fleiss' kappa needs the same number of ratings per item: it is computed over the items with the most common count. */
function fleissOverCompleteItems(ratings: Rating<string>[]) {
  const perItem = new Map<string, number>();
  for (const r of ratings) perItem.set(r.itemId, (perItem.get(r.itemId) ?? 0) + 1);
  const freq = new Map<number, number>();
  for (const n of perItem.values()) if (n >= 2) freq.set(n, (freq.get(n) ?? 0) + 1);
  const [n] = [...freq.entries()].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0] ?? [];
  if (!n) return { value: null, items: 0, ratersPerItem: null };
  const kept = ratings.filter((r) => perItem.get(r.itemId) === n);
  return { value: fleissKappa(kept), items: kept.length / n, ratersPerItem: n };
}

/**
 * A task's scores (`GET /tasks/{taskId}/scores`): per annotator (scored units, mean agreement
 * with the others, accuracy and mean IoU against gold, mean per tool); for consensus tasks the
 * agreement statistics over the classification labels (pairwise agreement, Cohen's kappa for
 * two raters, Fleiss' kappa, Krippendorff's alpha nominal, and interval over ratings), the
 * contributors-agreement matrix (label agreement and Cohen's kappa per pair, mean score per
 * pair) and the labels confusion matrix whose cells list their items; for gold-scored tasks the
 * confusion matrix against gold. Drafted items are left out. Annotators of qualification and
 * honeypot tasks get 403 (`assertMayReadGoldScores`).
 */
export async function taskScores(ctx: Ctx, caller: Caller, taskId: string, query: { category?: string }) {
  const task = await findTask(ctx.db, taskId);
  assertMayReadGoldScores(task, await taskActor(ctx.db, caller, task, 'viewer'));
  // Drafted items and invalid answers (docs/robotics.md) are left out of every score.
  const notDraft = sql`not ${itemDrafted(sql`${scores.itemId}`)} and ${scoreOnValidAnswers('scores')}`;
  const perAnnotatorRows = await ctx.db
    .select({
      annotatorId: scores.annotatorId,
      name: users.name,
      units: sql<number>`count(distinct ${scores.taskItemId})::int`,
      agreement: sql<number | null>`avg(${scores.value}) filter (where ${scores.referenceId} is not null)`,
      accuracy: sql<number | null>`avg(${scores.value}) filter (where ${scores.referenceId} is null)`,
      meanIoU: sql<number | null>`avg(${scores.value}) filter (where ${scores.referenceId} is null and ${scores.tool} in ${regionTools})`,
    })
    .from(scores)
    .leftJoin(users, eq(users.id, scores.annotatorId))
    .where(and(eq(scores.taskId, taskId), eq(scores.label, ''), notDraft))
    .groupBy(scores.annotatorId, users.name)
    .orderBy(asc(scores.annotatorId));
  const byToolRows = await ctx.db
    .select({ annotatorId: scores.annotatorId, tool: scores.tool, fn: scores.fn, mean: sql<number>`avg(${scores.value})` })
    .from(scores)
    .where(and(eq(scores.taskId, taskId), eq(scores.label, ''), notDraft))
    .groupBy(scores.annotatorId, scores.tool, scores.fn);
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  const perAnnotator = perAnnotatorRows.map((r) => ({
    annotatorId: r.annotatorId,
    name: r.name,
    units: Number(r.units),
    agreement: num(r.agreement),
    accuracy: num(r.accuracy),
    meanIoU: num(r.meanIoU),
    byTool: Object.fromEntries(byToolRows.filter((t) => t.annotatorId === r.annotatorId).map((t) => [t.tool, { fn: t.fn, mean: Number(t.mean) }])),
  }));

  let agreement = null;
  let contributors = null;
  let confusionMatrix = null;
  let goldConfusion = null;
  if (task.type === 'consensus') {
    const rows = await answerValues(ctx.db, taskId, query.category);
    const nominal = ratingsOf<string>(rows, (r) => r.label);
    const interval = ratingsOf<number>(rows, (r) => num(r.rating));
    const raters = [...new Set(nominal.map((r) => r.annotatorId))];
    const fleiss = fleissOverCompleteItems(nominal);
    const pairScores = await ctx.db
      .select({ a: scores.annotatorId, b: scores.referenceId, mean: sql<number>`avg(${scores.value})`, items: sql<number>`count(distinct ${scores.itemId})::int` })
      .from(scores)
      .where(and(eq(scores.taskId, taskId), eq(scores.label, ''), sql`${scores.referenceId} is not null`, notDraft))
      .groupBy(scores.annotatorId, scores.referenceId);
    const meanScore = await ctx.db
      .select({ mean: sql<number | null>`avg(${scores.value})` })
      .from(scores)
      .where(and(eq(scores.taskId, taskId), eq(scores.label, ''), sql`${scores.referenceId} is not null`, notDraft));
    agreement = {
      items: new Set(nominal.map((r) => r.itemId)).size,
      raters: raters.length,
      percentAgreement: percentAgreement(nominal),
      cohensKappa: raters.length === 2 ? cohensKappa(nominal, [raters[0]!, raters[1]!]) : null,
      fleissKappa: fleiss.value,
      fleissItems: fleiss.items,
      krippendorffAlpha: { nominal: krippendorffAlpha(nominal, 'nominal'), interval: interval.length ? krippendorffAlpha(interval, 'interval') : null },
      meanPairwiseScore: num(meanScore[0]?.mean),
    };
    const matrix = contributorsAgreementMatrix(nominal);
    contributors = {
      annotators: matrix.annotators,
      pairs: matrix.pairs.map((p) => ({ ...p, cohensKappa: cohensKappa(nominal, [p.annotatorA, p.annotatorB]) })),
      meanScores: pairScores.map((p) => ({ annotatorId: p.a, referenceId: p.b!, mean: Number(p.mean), items: Number(p.items) })),
    };
    confusionMatrix = labelsConfusionMatrix(nominal);
  } else if (task.type !== 'review' && task.type !== 'ticket') {
    const rows = await answerValues(ctx.db, taskId);
    const goldRows = rowsOf<{ itemId: string; label: string | null }>(
      await ctx.db.execute(sql`
        select g.id as "itemId", (select string_agg(e->>'label', '|' order by e->>'label') from jsonb_array_elements(g.gold) e where e->>'tool' = 'classification') as "label"
        from items g where g.gold is not null and g.id in (select ti.item_id from task_items ti where ti.task_id = ${taskId}::uuid and ti.done)`),
    );
    const gold = new Map(goldRows.filter((g) => g.label !== null).map((g) => [g.itemId, g.label!]));
    if (gold.size) goldConfusion = goldConfusionMatrix(ratingsOf<string>(rows, (r) => r.label), gold);
  }
  return { taskId, type: task.type, perAnnotator, agreement, contributors, confusionMatrix, goldConfusionMatrix: goldConfusion };
}

/**
 * Per-item agreement of a task (`GET /tasks/{taskId}/scores/items`): for each scored item, the
 * annotators scored and the mean pairwise (or gold) score, per whole tool; keyset by item id.
 */
export async function itemScores(ctx: Ctx, caller: Caller, taskId: string, query: { limit: number; cursor?: string }) {
  const task = await findTask(ctx.db, taskId);
  assertMayReadGoldScores(task, await taskActor(ctx.db, caller, task, 'viewer'));
  const after = query.cursor ? String(decodeCursor(query.cursor, 1)[0]) : null;
  const rows = await ctx.db
    .select({
      itemId: scores.itemId,
      annotators: sql<number>`count(distinct ${scores.annotatorId})::int`,
      mean: sql<number>`avg(${scores.value})`,
      min: sql<number>`min(${scores.value})`,
    })
    .from(scores)
    .where(and(eq(scores.taskId, taskId), eq(scores.label, ''), itemNotDrafted(sql`${scores.itemId}`), after && isId(after) ? gt(scores.itemId, after) : undefined))
    .groupBy(scores.itemId)
    .orderBy(asc(scores.itemId))
    .limit(query.limit + 1);
  const data = rows.map((r) => ({ itemId: r.itemId, annotators: Number(r.annotators), meanScore: Number(r.mean), minScore: Number(r.min) }));
  return toPage(data, query.limit, (r) => [r.itemId]);
}
