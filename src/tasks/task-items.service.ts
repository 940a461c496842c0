import { sql, type SQL } from 'drizzle-orm';
import type { Caller, Ctx } from '../context.ts';
import { DomainError, ruleBroken } from '../core/errors.ts';
import { answerIsTheWork } from '../core/shared/answers.ts';
import { cursorValue, decodeCursor, toPage } from '../core/pagination.ts';
import { auditInsert, type AuditEntry } from '../audit/audit.service.ts';
import { eventInsert, type DomainEvent } from '../outbox/outbox.service.ts';
import { getRecipe, type StatusRecipeFacts } from '../recipes/recipes.service.ts';
import { validateShapes } from '../recipes/shape-validation.ts';
import { runValidationRules } from '../recipes/validation-rules.ts';
import { itemContents } from '../datasets/item-contents.ts';
import { annotationShapesOf } from '../annotations/annotation-reads.ts';
import { unitAnswerIsEmpty } from '../annotations/answer-reads.ts';
import { unitsInQueueOrder } from '../task-units/unit-queue.ts';
import { assertMayWorkUnit, assertWritable, findTaskAs, findTaskAsWithItem, findTaskAsWithItemPreloaded, type TaskActor, type TaskRow } from '../task-units/task-access.ts';
import { statusesFrom, pickUnit, type StatusRule, type UnitRow } from '../task-units/task-units.ts';
import { pickCounterShard, statusCounterCtes } from '../task-units/task-counters.ts';
import { prepareItemStatusChange, type ItemStatusChange } from './status-listeners.ts';
import { rowsOf } from '../task-units/item-selection.ts';
import type { Tx } from '../db/client.ts';
import { isRetryable, refusalOf, transactionWithRetry } from '../db/retry.ts';
import { executeNamed } from '../db/named-statement.ts';

/**
 * Before a done status other than `discarded` (the caller checks that): refuses an empty answer
 * where the answer is the work, unless the recipe sets `allowEmpty` (422 `empty_annotation`,
 * docs/workflow.md "No empty done answers"); then runs the recipe's validation rules over the
 * unit's current annotation (422 naming the rule).
 */
async function validateForStatus(tx: Tx, task: TaskRow, unit: UnitRow, facts: StatusRecipeFacts | null) {
  const needsAnswer = answerIsTheWork.has(task.type) && !facts?.allowEmpty;
  if (!needsAnswer && !facts?.validates) return;
  const shapes = (await annotationShapesOf(tx, unit.id)) ?? [];
  if (needsAnswer && shapes.length === 0) {
    throw emptyAnswer(unit.itemId);
  }
  // The whole recipe (labels, rules) only when it has rules to run.
  const recipe = facts?.validates && task.recipeId ? await getRecipe(tx, task.recipeId) : null;
  if (!recipe || !(recipe.validation ?? []).length) return;
  const item = (await itemContents(tx, [unit.itemId])).get(unit.itemId) as Parameters<typeof validateShapes>[1] | undefined;
  runValidationRules(recipe, validateShapes(recipe, item!, shapes));
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** What a status change writes, decided in code from the unit as read. */
interface StatusPlan {
  task: TaskRow;
  unit: UnitRow;
  row: UnitRow;
  change: ItemStatusChange;
  counters: SQL[];
  audit: AuditEntry;
  event: DomainEvent;
  /** A done status other than `discarded`: the recipe's rules (and the non-empty answer) apply. */
  validates: boolean;
}

/**
 * The checks every status change makes (unknown status 422, locked task 409, the unit the caller
 * means and may work: 404/403), and what it writes; `{ same }` when the unit already has the
 * status (a no-op). Pure: both ways of writing (`writeInOneStatement`, `writeInTransaction`) share it.
 */
function planStatusChange(ctx: Ctx, caller: Caller, found: { task: TaskRow; actor: TaskActor; units: UnitRow[] }, statuses: Map<string, StatusRule>, next: string | null, workerId?: string): StatusPlan | { same: UnitRow } {
  const { task, actor, units } = found;
  if (next !== null && !statuses.has(next)) {
    throw ruleBroken(`"${next}" is not a status of this task`, { allowed: [...statuses.keys()] });
  }
  const now = ctx.clock.now();
  assertWritable(task, now);
  const unit = pickUnit(units, actor, workerId);
  assertMayWorkUnit(actor, task, unit);
  if (unit.status === next) return { same: unit };
  const afterDone = next !== null && (statuses.get(next)?.countsAsDone ?? true);
  const row: UnitRow = {
    ...unit,
    status: next,
    done: afterDone,
    statusBy: next === null ? null : caller.userId,
    workerId: unit.workerId ?? (unit.assignmentId && actor.annotatorAssignmentIds.includes(unit.assignmentId) ? caller.userId : null),
    startedAt: unit.startedAt ?? now,
    finishedAt: next === null ? null : now,
    // A removed status puts the item back in its worker's hands for a fresh lease.
    leaseExpiresAt: next === null ? new Date(now.getTime() + task.allocation.leaseSeconds * 1000) : unit.leaseExpiresAt,
  };
  const change: ItemStatusChange = {
    projectId: task.projectId,
    taskId: task.id,
    taskType: task.type,
    taskItemId: unit.id,
    itemId: unit.itemId,
    assignmentId: unit.assignmentId,
    workerId: row.workerId,
    actorId: caller.userId,
    before: unit.status,
    after: next,
    beforeDone: unit.done,
    afterDone,
    at: now,
  };
  const statusDelta = (next !== null ? 1 : 0) - (unit.status !== null ? 1 : 0);
  const doneDelta = (afterDone ? 1 : 0) - (unit.done ? 1 : 0);
  return {
    task,
    unit,
    row,
    change,
    // A counter shard of the task, not the task row: the shard spreads concurrent writes of one task over 16 rows.
    counters: statusCounterCtes(task, unit.assignmentId, now, { statuses: statusDelta, done: doneDelta }, pickCounterShard(ctx.random), !task.hasHistory),
    audit: {
      projectId: task.projectId,
      actorId: caller.userId,
      action: next === null ? 'task_item.status_remove' : 'task_item.status_set',
      subjectKind: 'task_item',
      subjectId: unit.id,
      before: { status: unit.status },
      after: { status: next, taskId: task.id, itemId: unit.itemId },
    },
    event: {
      projectId: task.projectId,
      type: 'item.status_set',
      subjectKind: 'task_item',
      subjectId: unit.id,
      actorId: caller.userId,
      data: { taskId: task.id, itemId: unit.itemId, copy: unit.copy, status: next, previousStatus: unit.status, done: afterDone },
    },
    validates: next !== null && statuses.get(next)!.countsAsDone && next !== 'discarded',
  };
}

/**
 * The statement that writes a status change: the unit's new fields (`where`: which row version
 * it may overwrite, when given), its audit event, its domain event, the listeners' prefetch parts
 * and the counters, in ONE statement; `finalSelect` wraps the listeners' columns (`s.p0`, …).
 */
function unitStatusStatement(plan: StatusPlan, listening: ReturnType<typeof prepareItemStatusChange>, version: string | null, finalSelect: (columns: SQL) => SQL) {
  const { row, change } = plan;
  const columns = sql.join([sql`1 as one`, ...listening.columns], sql`, `);
  return sql`
    with u as (
      update task_items set status = ${row.status}, done = ${row.done}, status_by = ${row.statusBy}::uuid, worker_id = ${row.workerId}::uuid,
        started_at = ${iso(row.startedAt)}::timestamptz, finished_at = ${iso(row.finishedAt)}::timestamptz, lease_expires_at = ${iso(row.leaseExpiresAt)}::timestamptz
      where id = ${row.id}::uuid${version === null ? sql`` : sql` and xmin = ${version}::xid`}
      returning 1
    ), a as (${auditInsert(plan.audit, change.at)}), e as (${eventInsert(plan.event, change.at)})${sql.join([...listening.ctes, ...plan.counters].map((c) => sql`, ${c}`))}
    ${finalSelect(columns)}`;
}

/**
 * The one-round-trip status write (docs/workflow.md "How a status write runs"): after an
 * unlocked read, ONE autocommit statement writes everything `writeInTransaction` writes, and
 * refuses itself (`loupe_refuse`, so nothing of it is kept) when the unit is no longer the row
 * version that was read, when the answer is empty and must not be (422 `empty_annotation`, thrown
 * from here), or when a status listener has work to do in code. Returns false when it refused for
 * any reason but the empty answer (or lost a deadlock): the caller then writes in a transaction.
 */
async function writeInOneStatement(ctx: Ctx, plan: StatusPlan, version: string, answerRequired: boolean): Promise<boolean> {
  const listening = prepareItemStatusChange(ctx.statusListeners, plan.change);
  if (listening.work === true) return false;
  const refusal = sql`case when not exists (select 1 from u) then 'changed'
      when ${answerRequired ? unitAnswerIsEmpty(sql`${plan.unit.id}::uuid`) : sql`false`} then 'empty_annotation'
      when ${listening.work === false ? sql`false` : listening.work} then 'listener' end`;
  try {
    // Prepared by name (one text per set of listeners): planning this statement costs more than running it.
    await executeNamed(ctx.db, unitStatusStatement(plan, listening, version, (columns) => sql`select loupe_refuse(${refusal}) from (select ${columns}) s`));
    return true;
  } catch (error) {
    const reason = refusalOf(error);
    if (reason === 'empty_annotation') throw emptyAnswer(plan.unit.itemId);
    if (reason !== undefined || isRetryable(error)) return false;
    throw error;
  }
}

const emptyAnswer = (itemId: string) =>
  new DomainError('empty_annotation', 'The item has no answer: add a label or shape before marking it done (or discard it)', { itemId });

/**
 * The status write in a transaction: the task, the caller's standing and the item's units read
 * and locked in one statement, the recipe's validation rules run over the answer, the write
 * statement, then the status listeners' `run` with what they prefetched.
 */
function writeInTransaction(ctx: Ctx, caller: Caller, taskId: string, itemId: string, next: string | null, workerId?: string) {
  return transactionWithRetry(ctx.db, async (tx) => {
    // The checks answer in the same order as when the reads were separate.
    const found = await findTaskAsWithItem(tx, caller, taskId, itemId, 'annotator', { lock: true });
    const plan = planStatusChange(ctx, caller, found, statusesFrom(found.task.type, found.recipe?.statuses ?? []), next, workerId);
    if ('same' in plan) return unitView(plan.same);
    if (plan.validates) await validateForStatus(tx, plan.task, plan.unit, found.recipe);
    const listening = prepareItemStatusChange(ctx.statusListeners, plan.change);
    const result = await executeNamed(tx, unitStatusStatement(plan, listening, null, (columns) => sql`select ${columns}`));
    await listening.emit(tx, ctx, rowsOf<Record<string, unknown>>(result)[0]);
    return unitView(plan.row);
  });
}

/**
 * A status change: in one statement when it can be (no validation rules to run, no listener with
 * work), else, or when that statement refused itself because the unit changed meanwhile, in a
 * transaction. Both check and write the same things.
 */
async function changeStatus(ctx: Ctx, caller: Caller, taskId: string, itemId: string, next: string | null, workerId?: string, preloaded?: unknown) {
  const found = await findTaskAsWithItemPreloaded(ctx.db, caller, taskId, itemId, 'annotator', preloaded ?? null);
  const plan = planStatusChange(ctx, caller, found, statusesFrom(found.task.type, found.recipe?.statuses ?? []), next, workerId);
  if ('same' in plan) return unitView(plan.same);
  const inCode = plan.validates && found.recipe?.validates === true;
  const answerRequired = plan.validates && answerIsTheWork.has(plan.task.type) && !found.recipe?.allowEmpty;
  if (!inCode && (await writeInOneStatement(ctx, plan, found.versions.get(plan.unit.id)!, answerRequired))) return unitView(plan.row);
  return writeInTransaction(ctx, caller, taskId, itemId, next, workerId);
}

/**
 * Sets an item's status in a task (its assignee, a member of its group, or a manager). Unknown
 * statuses answer 422; the recipe's validation rules run (422 naming the rule); the task, its
 * assignment and the completion-rate buckets move in the same transaction, the status listeners
 * run inside it, and the audit event is written with it. Setting the same status again is a no-op.
 * Locks the unit rows of the item, then writes the unit, audit, event, listeners' parts and a
 * counter shard of the task in one statement: status writes of one task do not queue on the task row.
 */
export const setItemStatus = (ctx: Ctx, caller: Caller, taskId: string, itemId: string, status: string, workerId?: string, preloaded?: unknown) =>
  changeStatus(ctx, caller, taskId, itemId, status, workerId, preloaded);

/** Removes an item's status (back to pending), with the same rights and guarantees as setting it. */
export const removeItemStatus = (ctx: Ctx, caller: Caller, taskId: string, itemId: string, workerId?: string, preloaded?: unknown) =>
  changeStatus(ctx, caller, taskId, itemId, null, workerId, preloaded);

export function unitView(u: UnitRow) {
  return {
    taskId: u.taskId,
    itemId: u.itemId,
    copy: u.copy,
    status: u.status,
    done: u.done,
    assignmentId: u.assignmentId,
    workerId: u.workerId,
    // A unit nobody works keeps its last lease's end for the claim (pull.service.ts); it is no lease.
    leaseExpiresAt: u.workerId ? u.leaseExpiresAt : null,
    startedAt: u.startedAt,
    finishedAt: u.finishedAt,
    openIssues: u.openIssues,
    forReview: u.forReview,
  };
}

/**
 * A task's items in queue order, keyset-paginated: `status=pending|done|<status>` and
 * `assigneeId` (an assignment's person or group, or the worker). Annotators see only their own
 * share of a task (honeypot gold stays unannounced: it is listed like any other item).
 */
export async function listTaskItems(ctx: Ctx, caller: Caller, taskId: string, query: { status?: string; assigneeId?: string; limit: number; cursor?: string }) {
  const { actor } = await findTaskAs(ctx.db, caller, taskId);
  let after: { position: number; id: string } | undefined;
  if (query.cursor) {
    const [raw, id] = decodeCursor(query.cursor, 2);
    after = { position: Number(cursorValue(raw, 'number')), id: String(id) };
  }
  const rows = await unitsInQueueOrder(ctx.db, taskId, {
    ...(query.status ? { status: query.status } : {}),
    ...(query.assigneeId ? { assigneeId: query.assigneeId } : {}),
    ...(seesEverything(actor) ? {} : { visibleTo: { userId: caller.userId, assignmentIds: actor.annotatorAssignmentIds } }),
    ...(after ? { after } : {}),
    limit: query.limit + 1,
  });
  const page = toPage(rows, query.limit, (r) => [r.position, r.id]);
  return { data: page.data.map(unitView), nextCursor: page.nextCursor };
}

/** Managers, reviewers and viewers see every unit; annotators their own share. */
const seesEverything = (actor: TaskActor) => actor.role !== 'annotator';
