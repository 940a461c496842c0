import { and, asc, eq } from 'drizzle-orm';
import type { Caller, Ctx } from '../context.ts';
import { notFound } from '../core/errors.ts';
import { isId } from '../core/ids.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { userDirectory as users } from '../auth/user-reads.ts';
import { findTask, taskActor } from '../task-units/task-access.ts';
import type { ScoreFunctionOverrides } from './score-functions.ts';
import { qualitySettingsOf } from './scoring.service.ts';
import { annotatorPauses, taskQualitySettings, type HoneypotPolicy } from './scores.table.ts';

/** A task's quality settings: score functions per tool (replacing the defaults) and the honeypot policy. */
export async function getQualitySettings(ctx: Ctx, caller: Caller, taskId: string) {
  const task = await findTask(ctx.db, taskId);
  await taskActor(ctx.db, caller, task, 'viewer');
  return { taskId, ...(await qualitySettingsOf(ctx.db, taskId)) };
}

/**
 * Replaces the given parts of a task's quality settings (manager or owner). Applies to items
 * whose status is set from now on; scores already stored stay until their item's status moves.
 * One transaction with the audit event.
 */
export async function putQualitySettings(ctx: Ctx, caller: Caller, taskId: string, input: { scoring?: ScoreFunctionOverrides; honeypot?: { minAccuracy: number; minAnswers?: number } | null }) {
  const task = await findTask(ctx.db, taskId);
  await taskActor(ctx.db, caller, task, 'manager');
  return ctx.db.transaction(async (tx) => {
    const before = await qualitySettingsOf(tx, taskId);
    const honeypot: HoneypotPolicy | null =
      input.honeypot === undefined ? before.honeypot : input.honeypot === null ? null : { minAccuracy: input.honeypot.minAccuracy, minAnswers: input.honeypot.minAnswers ?? 1 };
    const scoring = input.scoring ?? before.scoring;
    const now = ctx.clock.now();
    await tx
      .insert(taskQualitySettings)
      .values({ taskId, projectId: task.projectId, scoring, honeypot, updatedAt: now })
      .onConflictDoUpdate({ target: taskQualitySettings.taskId, set: { scoring, honeypot, updatedAt: now } });
    await recordAudit(tx, { projectId: task.projectId, actorId: caller.userId, action: 'task.quality_settings', subjectKind: 'task', subjectId: taskId, before, after: { scoring, honeypot } }, now);
    return { taskId, scoring, honeypot };
  });
}

/** Annotators paused from pulling in a task, with the accuracy that paused them. */
export async function listPauses(ctx: Ctx, caller: Caller, taskId: string) {
  const task = await findTask(ctx.db, taskId);
  await taskActor(ctx.db, caller, task, 'viewer');
  const rows = await ctx.db
    .select({ userId: annotatorPauses.userId, name: users.name, accuracy: annotatorPauses.accuracy, answers: annotatorPauses.answers, pausedAt: annotatorPauses.pausedAt })
    .from(annotatorPauses)
    .leftJoin(users, eq(users.id, annotatorPauses.userId))
    .where(eq(annotatorPauses.taskId, taskId))
    .orderBy(asc(annotatorPauses.pausedAt), asc(annotatorPauses.userId));
  return { data: rows };
}

/** Lets a paused annotator pull again (manager or owner); their next gold answer is judged afresh. */
export async function unpause(ctx: Ctx, caller: Caller, taskId: string, userId: string) {
  const task = await findTask(ctx.db, taskId);
  await taskActor(ctx.db, caller, task, 'manager');
  if (!isId(userId)) throw notFound('Pause');
  await ctx.db.transaction(async (tx) => {
    const removed = await tx.delete(annotatorPauses).where(and(eq(annotatorPauses.taskId, taskId), eq(annotatorPauses.userId, userId))).returning();
    if (!removed.length) throw notFound('Pause');
    await recordAudit(tx, { projectId: task.projectId, actorId: caller.userId, action: 'annotator.unpause', subjectKind: 'task', subjectId: taskId, before: { userId, accuracy: removed[0]!.accuracy } });
  });
}
