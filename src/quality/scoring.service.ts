import { and, eq, isNull, sql } from 'drizzle-orm';
import { scoreOnValidAnswers } from '../annotations/invalidate.ts';
import type { Ctx } from '../context.ts';
import type { Db, Tx } from '../db/client.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { itemGold } from '../datasets/item-reads.ts';
import { answerFacts as annotations, unitAnswerField } from '../annotations/answer-reads.ts';
import { unitFacts as taskItems } from '../task-units/unit-reads.ts';
import type { ItemStatusChange, ItemStatusListener, StatusPrefetch } from '../tasks/status-listeners.ts';
import { resolveScoreFunction, type ScoreFunctionOverrides } from './score-functions.ts';
import { scoredTools, type ScoredShape, type ScoredTool } from './scored-shapes.ts';
import { annotatorPauses, scores, taskQualitySettings, type HoneypotPolicy } from './scores.table.ts';

type NewScore = typeof scores.$inferInsert;

/** The labels (or rating categories) a shape speaks about; tools without labels have none. */
function labelsOf(shape: ScoredShape): string[] {
  switch (shape.tool) {
    case 'bbox':
    case 'polygon':
    case 'classification':
    case 'text_span':
      return [shape.label];
    case 'multi_classification':
      return [...shape.labels];
    case 'rating':
      return [shape.category];
    default:
      return [];
  }
}

/** The part of the shapes that concerns one label (a multi-classification keeps only that label). */
function restrictTo(shapes: readonly ScoredShape[], label: string): ScoredShape[] {
  const out: ScoredShape[] = [];
  for (const s of shapes) {
    if (s.tool === 'multi_classification') {
      if (s.labels.includes(label)) out.push({ ...s, labels: [label] });
    } else if (labelsOf(s).includes(label)) out.push(s);
  }
  return out;
}

/**
 * Scores one answer against a reference, per tool (label '') and per label of the tool, with
 * the task's score function for each tool (or the default). Only tools used on either side are
 * scored: a tool neither side used says nothing about agreement (it would count as a perfect 1).
 */
export function scoreAnswer(
  answer: readonly ScoredShape[],
  reference: readonly ScoredShape[],
  overrides: ScoreFunctionOverrides,
): Array<{ tool: ScoredTool; label: string; fn: string; value: number }> {
  const present = new Set<ScoredTool>();
  for (const s of [...answer, ...reference]) if ((scoredTools as readonly string[]).includes(s.tool)) present.add(s.tool);
  const out: Array<{ tool: ScoredTool; label: string; fn: string; value: number }> = [];
  for (const tool of scoredTools) {
    if (!present.has(tool)) continue;
    const fn = resolveScoreFunction(tool, overrides[tool]);
    if (!fn) continue;
    const a = answer.filter((s) => s.tool === tool);
    const b = reference.filter((s) => s.tool === tool);
    out.push({ tool, label: '', fn: fn.name, value: fn.score(a, b) });
    const labels = [...new Set([...a, ...b].flatMap(labelsOf))].sort();
    for (const label of labels) out.push({ tool, label, fn: fn.name, value: fn.score(restrictTo(a, label), restrictTo(b, label)) });
  }
  return out;
}

/** A task's score-function replacements and honeypot policy (defaults when none were set). */
export async function qualitySettingsOf(db: Db, taskId: string): Promise<{ scoring: ScoreFunctionOverrides; honeypot: HoneypotPolicy | null }> {
  const [row] = await db.select({ scoring: taskQualitySettings.scoring, honeypot: taskQualitySettings.honeypot }).from(taskQualitySettings).where(eq(taskQualitySettings.taskId, taskId));
  return { scoring: row?.scoring ?? {}, honeypot: row?.honeypot ?? null };
}

/** The done units of one item in one task, with their current answers (consensus copies). */
async function doneAnswers(tx: Tx, taskId: string, itemId: string) {
  return tx
    .select({ unitId: taskItems.id, workerId: taskItems.workerId, authorId: annotations.authorId, shapes: annotations.shapes })
    .from(taskItems)
    .innerJoin(annotations, eq(annotations.taskItemId, taskItems.id))
    .where(and(eq(taskItems.taskId, taskId), eq(taskItems.itemId, itemId), eq(taskItems.done, true), eq(taskItems.isGold, false)));
}

async function insertScores(tx: Tx, rows: NewScore[]) {
  for (let i = 0; i < rows.length; i += 1000) await tx.insert(scores).values(rows.slice(i, i + 1000));
}

/**
 * Status listener: scores reset whenever a unit's status is set, changed or removed, and are
 * recomputed from the answers that are done now, in the status-changing transaction.
 * - Consensus tasks: every done copy of the item is scored against every other done copy
 *   (`referenceId` = the other annotator), per tool and per label.
 * - Other labeling-type tasks (qualification, honeypot, labeling): a done unit whose item has
 *   a gold answer is scored against it (`referenceId` null); for honeypot tasks with a policy,
 *   the annotator is paused from pulling (or let go again) by their mean gold score.
 */
export const scoreOnStatusChange: ItemStatusListener = {
  prefetch: (change) => (change.taskType === 'review' || change.taskType === 'ticket' || change.taskType === 'consensus' ? null : resetUnitScores(change)),
  run: (tx, change, prefetched, ctx) => rescore(tx, change, prefetched as UnitScoringFacts | null, ctx),
  // `rescore` writes when a done unit's item has gold, and for honeypot tasks with a policy;
  // consensus scoring always reads the other copies' answers in code.
  hasWork: (change, facts) => {
    if (change.taskType === 'review' || change.taskType === 'ticket') return false;
    if (change.taskType === 'consensus') return true;
    const when = [
      ...(change.afterDone ? [sql`(${facts}->>'gold') is not null`] : []),
      ...(change.taskType === 'honeypot' ? [sql`(${facts}->>'honeypot') is not null`] : []),
    ];
    return when.length ? sql`(${sql.join(when, sql` or `)})` : false;
  },
};

async function rescore(tx: Tx, change: ItemStatusChange, facts: UnitScoringFacts | null, ctx: Ctx) {
  if (change.taskType === 'review' || change.taskType === 'ticket') return;
  const now = ctx.clock.now();
  if (change.taskType === 'consensus') {
    const settings = await qualitySettingsOf(tx, change.taskId);
    // Copies of one item finishing in parallel transactions would each miss the other's answer:
    // serialize scoring per item, so the later one re-reads after the earlier one committed.
    // (The lock must come before the delete and the read, in a statement of its own: one
    // statement reads from a snapshot taken before it waits for the lock.)
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`scores:${change.taskId}:${change.itemId}`}, 0))`);
    await tx.delete(scores).where(and(eq(scores.taskId, change.taskId), eq(scores.itemId, change.itemId)));
    const answers = (await doneAnswers(tx, change.taskId, change.itemId))
      .map((a) => ({ ...a, annotatorId: a.authorId ?? a.workerId }))
      .filter((a): a is typeof a & { annotatorId: string } => a.annotatorId !== null);
    const rows: NewScore[] = [];
    for (const a of answers) {
      for (const b of answers) {
        if (a.unitId === b.unitId || a.annotatorId === b.annotatorId) continue;
        for (const s of scoreAnswer(a.shapes as ScoredShape[], b.shapes as ScoredShape[], settings.scoring)) {
          rows.push({ projectId: change.projectId, taskId: change.taskId, itemId: change.itemId, taskItemId: a.unitId, annotatorId: a.annotatorId, referenceId: b.annotatorId, ...s, createdAt: now });
        }
      }
    }
    await insertScores(tx, rows);
    return;
  }
  if (!facts) throw new Error('scoreOnStatusChange: the unit-write statement did not prefetch the scoring facts');
  const settings = { scoring: facts.scoring ?? {}, honeypot: facts.honeypot ?? null };
  if (change.afterDone && facts.gold) {
    const annotatorId = facts.authorId ?? change.workerId ?? change.actorId;
    const rows = scoreAnswer((facts.shapes ?? []) as ScoredShape[], facts.gold as ScoredShape[], settings.scoring).map((s) => ({
      projectId: change.projectId, taskId: change.taskId, itemId: change.itemId, taskItemId: change.taskItemId, annotatorId, referenceId: null, ...s, createdAt: now,
    }));
    await insertScores(tx, rows);
  }
  const annotatorId = change.workerId ?? change.actorId;
  if (change.taskType === 'honeypot' && settings.honeypot) await applyHoneypotPolicy(tx, change, annotatorId, settings.honeypot, now);
}

interface UnitScoringFacts {
  gold: unknown[] | null;
  authorId: string | null;
  shapes: unknown[] | null;
  scoring: ScoreFunctionOverrides | null;
  honeypot: HoneypotPolicy | null;
}

/**
 * For a labeling-type unit, run inside the statement that writes the unit (one round trip, not
 * four): deletes its scores and reads what rescoring needs — the item's gold answer and the
 * unit's answer (only when the unit is done now) and the task's quality settings, as one JSON
 * object. Most tasks have no gold: then the listener writes nothing else.
 */
function resetUnitScores(change: ItemStatusChange): StatusPrefetch {
  const done = change.afterDone;
  // The answer is read only for an item with gold (`rescore` scores nothing else): a status write
  // on an item without gold, the common case, never reads the annotation's shapes.
  return {
    with: sql`delete from ${scores} where task_item_id = ${change.taskItemId}::uuid`,
    select: sql`select json_build_object(
      'gold', g.gold,
      'authorId', case when g.gold is not null then ${done ? unitAnswerField('author_id', sql`${change.taskItemId}::uuid`) : sql`null`} end,
      'shapes', case when g.gold is not null then ${done ? unitAnswerField('shapes', sql`${change.taskItemId}::uuid`) : sql`null`} end,
      'scoring', q.scoring, 'honeypot', q.honeypot)
    from (select ${done ? itemGold(sql`${change.itemId}::uuid`) : sql`null::jsonb`} as gold) g left join ${taskQualitySettings} q on q.task_id = ${change.taskId}::uuid`,
  };
}

/** An annotator's gold record in a task: mean whole-tool score and number of scored units. */
export async function goldRecord(db: Db, taskId: string, annotatorId: string) {
  const [row] = await db
    .select({ accuracy: sql<number | null>`avg(${scores.value})`, answers: sql<number>`count(distinct ${scores.taskItemId})::int` })
    .from(scores)
    .where(and(eq(scores.taskId, taskId), eq(scores.annotatorId, annotatorId), isNull(scores.referenceId), eq(scores.label, ''), scoreOnValidAnswers('scores')));
  return { accuracy: row?.accuracy === null || row?.accuracy === undefined ? null : Number(row.accuracy), answers: Number(row?.answers ?? 0) };
}

/** Pauses the annotator from pulling in this task while their gold accuracy is under the threshold, or lets them go again. */
async function applyHoneypotPolicy(tx: Tx, change: ItemStatusChange, annotatorId: string, policy: HoneypotPolicy, now: Date) {
  const record = await goldRecord(tx, change.taskId, annotatorId);
  const below = record.accuracy !== null && record.answers >= policy.minAnswers && record.accuracy < policy.minAccuracy;
  if (below) {
    const inserted = await tx
      .insert(annotatorPauses)
      .values({ taskId: change.taskId, userId: annotatorId, projectId: change.projectId, accuracy: record.accuracy!, answers: record.answers, pausedAt: now })
      .onConflictDoUpdate({ target: [annotatorPauses.taskId, annotatorPauses.userId], set: { accuracy: record.accuracy!, answers: record.answers } })
      .returning({ pausedAt: annotatorPauses.pausedAt });
    if (inserted[0]?.pausedAt.getTime() === now.getTime()) {
      await recordAudit(tx, { projectId: change.projectId, actorId: null, action: 'annotator.pause', subjectKind: 'task', subjectId: change.taskId, after: { userId: annotatorId, accuracy: record.accuracy, answers: record.answers, minAccuracy: policy.minAccuracy } }, now);
    }
  } else {
    const removed = await tx.delete(annotatorPauses).where(and(eq(annotatorPauses.taskId, change.taskId), eq(annotatorPauses.userId, annotatorId))).returning({ userId: annotatorPauses.userId });
    if (removed.length) {
      await recordAudit(tx, { projectId: change.projectId, actorId: null, action: 'annotator.unpause', subjectKind: 'task', subjectId: change.taskId, after: { userId: annotatorId, accuracy: record.accuracy, answers: record.answers } }, now);
    }
  }
}

/**
 * Whether an annotator is paused from pulling in a task (honeypot accuracy under the task's
 * threshold). The pull service asks this before claiming, and hands a paused annotator nothing.
 */
export async function isPausedFromPulling(db: Db, taskId: string, userId: string): Promise<boolean> {
  const [row] = await db.select({ one: sql<number>`1` }).from(annotatorPauses).where(and(eq(annotatorPauses.taskId, taskId), eq(annotatorPauses.userId, userId))).limit(1);
  return Boolean(row);
}
