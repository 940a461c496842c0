import { parseItemFilter } from '../datasets/item-filter.ts';
import type { Caller, Ctx } from '../context.ts';
import type { Tx } from '../db/client.ts';
import { DomainError, notFound, ruleBroken } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { requireRole } from '../projects/permissions.ts';
import { bumpProjectCounters } from '../projects/projects.service.ts';
import { datasetIdsInProject, draftItems, itemDraftFlags } from '../datasets/item-reads.ts';
import { getRecipe } from '../recipes/recipes.service.ts';
import { resolveAssignees } from '../task-units/resolve-assignees.ts';
import { ensureAssignments } from '../task-units/assignment-rows.ts';
import type { Allocation } from '../task-units/tasks.table.ts';
import { insertTask, insertTaskLinks, readTaskRow, taskInProject, type TaskLink } from '../task-units/task-rows.ts';
import { initialState, statesOf, type WorkflowState } from '../core/shared/task-workflow.ts';
import { assertItemsInDataset, type ItemSelection } from '../task-units/item-selection.ts';
import { taskView } from './task-view.ts';
import { recordEvent } from '../outbox/outbox.service.ts';
import { fillTask } from '../task-units/fill-task.ts';
import { assertDatasetsInProject, assertItemsInDatasets, attachDatasets } from './task-datasets.service.ts';
import type { CreateTaskInput } from './tasks.schema.ts';
import type { TaskRow } from '../task-units/task-access.ts';

/** Each check reads through the owner of the row: datasets, recipes, task units. */
const inProject = {
  Dataset: async (tx: Tx, id: string, projectId: string) => (await datasetIdsInProject(tx, projectId, [id])).has(id),
  Recipe: async (tx: Tx, id: string, projectId: string) => (await getRecipe(tx, id))?.projectId === projectId,
  Task: (tx: Tx, id: string, projectId: string) => taskInProject(tx, id, projectId),
};

async function assertInProject(tx: Tx, what: keyof typeof inProject, id: string, projectId: string) {
  if (!(await inProject[what](tx, id, projectId))) throw ruleBroken(`${what} ${id} is not in this project`, { [`${what.toLowerCase()}Id`]: id });
}

/**
 * Creates a task (manager or owner): resolves assignees and reviewers (ids, emails or group
 * ids), adds its items (ids, filter, or the whole dataset), allocates them, links a ticket's
 * subjects (drafting linked items when asked), counts it in the project summary and writes the
 * audit event — all in one transaction.
 */
export async function createTask(ctx: Ctx, caller: Caller, projectId: string, given: Omit<CreateTaskInput, 'links'> & { links?: Array<{ kind: 'item' | 'finding' | 'evaluation_result'; id: string }> }) {
  await requireRole(ctx.db, caller, projectId, 'manager', 'Project');
  // Several datasets (docs/robotics.md): the first is the task's `datasetId`, all are in `task_datasets`.
  const datasetIds = [...new Set(given.datasetIds ?? (given.datasetId ? [given.datasetId] : []))];
  const input = { ...given, datasetId: datasetIds[0] };
  const isTicket = input.type === 'ticket';
  if (!isTicket && !input.datasetId) throw ruleBroken('A task needs a datasetId', { field: 'datasetId' });
  if (input.type === 'consensus' && !input.consensus) throw ruleBroken('A consensus task needs consensus.annotatorsPerItem');
  if (input.type === 'honeypot' && !input.honeypot) throw ruleBroken('A honeypot task needs honeypot.goldItemIds and ratio');
  // Gold settings on another type would silently keep those items out of the task.
  if (input.honeypot && input.type !== 'honeypot') throw ruleBroken('Only honeypot tasks take honeypot settings', { field: 'honeypot' });
  if (input.type === 'review' && !input.sourceTaskId) throw ruleBroken('A review task needs sourceTaskId');
  if (input.links?.length && !isTicket) throw ruleBroken('Only tickets have links');
  // A ticket may start in any state of the ticket workflow (docs/hardening.md); other types start `pending`.
  if (input.workflowState !== undefined && !isTicket) throw ruleBroken('Only tickets start in a chosen workflowState', { field: 'workflowState' });
  if (input.workflowState !== undefined && !statesOf('ticket').includes(input.workflowState as WorkflowState)) {
    throw ruleBroken(`A ticket's workflowState is one of ${statesOf('ticket').join(', ')}`, { field: 'workflowState' });
  }
  const annotators = await resolveAssignees(ctx.db, projectId, input.assigneeIds);
  const reviewers = await resolveAssignees(ctx.db, projectId, input.reviewerIds);
  const [owner] = input.ownerId ? await resolveAssignees(ctx.db, projectId, [input.ownerId]) : [];
  if (owner && owner.kind !== 'user') throw ruleBroken('The owner must be a person');
  if (input.type === 'consensus' && input.allocation.method === 'distribution' && annotators.length > 0 && annotators.length < input.consensus!.annotatorsPerItem) {
    throw ruleBroken(`Distribution needs at least ${input.consensus!.annotatorsPerItem} annotators for ${input.consensus!.annotatorsPerItem} annotations per item`);
  }
  const allocation: Allocation = { ...input.allocation };
  if (input.allocation.workload) {
    const known = new Set(annotators.flatMap((a) => [a.ref, a.id]));
    const unknown = Object.keys(input.allocation.workload).filter((k) => !known.has(k));
    if (unknown.length) throw ruleBroken('allocation.workload names people who are not assignees', { unknown });
  }
  const now = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    if (input.datasetId) await assertInProject(tx, 'Dataset', input.datasetId, projectId);
    if (datasetIds.length > 1) await assertDatasetsInProject(tx, projectId, datasetIds);
    if (input.recipeId) await assertInProject(tx, 'Recipe', input.recipeId, projectId);
    if (input.sourceTaskId) await assertInProject(tx, 'Task', input.sourceTaskId, projectId);
    if (input.itemIds) await assertItemsInDatasets(tx, datasetIds, input.itemIds);
    if (input.honeypot) await assertItemsInDataset(tx, input.datasetId!, input.honeypot.goldItemIds);
    const task = await insertTask(tx, {
        id: newId(),
        projectId,
        name: input.name,
        type: input.type,
        datasetId: input.datasetId ?? null,
        recipeId: input.recipeId ?? null,
        ownerId: owner?.id ?? caller.userId,
        priority: input.priority ?? null,
        dueDate: input.dueDate ?? null,
        lockAfterDueDate: input.lockAfterDueDate,
        workflowState: (input.workflowState as WorkflowState | undefined) ?? initialState(input.type),
        description: input.description ?? null,
        allocation,
        consensus: input.consensus ?? null,
        honeypot: input.honeypot ?? null,
        sourceTaskId: input.sourceTaskId ?? null,
        createdAt: now,
        updatedAt: now,
      });
    await ensureAssignments(tx, task, 'annotator', annotators, input.allocation.workload, now);
    await ensureAssignments(tx, task, 'reviewer', reviewers, undefined, now);
    const selection: ItemSelection = input.itemIds ? { itemIds: input.itemIds } : input.filter !== undefined ? { filter: parseItemFilter(input.filter) } : null;
    const added = isTicket ? 0 : (await fillTask(tx, task, selection, now)) + (await attachDatasets(tx, task, datasetIds, selection, now));
    const links = await linkSubjects(tx, task, input.links ?? [], input.draftLinkedItems, caller, now);
    await bumpProjectCounters(tx, projectId, { tasks: 1 });
    await recordAudit(tx, {
      projectId,
      actorId: caller.userId,
      action: 'task.create',
      subjectKind: 'task',
      subjectId: task.id,
      after: { name: input.name, type: input.type, workflowState: task.workflowState, datasetId: input.datasetId ?? null, datasetIds, items: added, assignees: annotators.map((a) => a.id), reviewers: reviewers.map((r) => r.id) },
    });
    await recordEvent(tx, {
      projectId,
      type: 'task.created',
      subjectKind: 'task',
      subjectId: task.id,
      actorId: caller.userId,
      recipientIds: [...new Set(annotators.filter((a) => a.kind === 'user').map((a) => a.id))].filter((id) => id !== caller.userId),
      data: { taskId: task.id, name: input.name, type: input.type, datasetId: input.datasetId ?? null, items: added, assigneeIds: annotators.map((a) => a.id), reviewerIds: reviewers.map((r) => r.id) },
    }, now);
    const fresh = await readTaskRow(tx, task.id);
    return taskView(fresh!, 0, now, isTicket ? links : undefined);
  });
}

/** Links a ticket to its subjects; with `draft`, sets the linked items to draft in the same transaction. */
async function linkSubjects(tx: Tx, task: TaskRow, links: TaskLink[], draft: boolean, caller: Caller, now: Date) {
  if (!links.length) return [];
  const itemIds = links.filter((l) => l.kind === 'item').map((l) => l.id);
  if (itemIds.length) {
    const found = await itemDraftFlags(tx, task.projectId, itemIds);
    if (found.length !== new Set(itemIds).size) throw notFound('Linked item');
    if (draft) {
      const toDraft = found.filter((f) => !f.draft).map((f) => f.id);
      if (toDraft.length) {
        await draftItems(tx, toDraft, now);
        for (const id of toDraft) {
          await recordAudit(tx, { projectId: task.projectId, actorId: caller.userId, action: 'item.draft', subjectKind: 'item', subjectId: id, before: { draft: false }, after: { draft: true } });
        }
      }
    }
  }
  const unique = [...new Map(links.map((l) => [`${l.kind}:${l.id}`, l])).values()];
  await insertTaskLinks(tx, task, unique);
  return unique;
}

/** Refuses an operation that needs a dataset on a ticket. */
export function assertHasItems(task: TaskRow) {
  if (!task.datasetId) throw new DomainError('conflict', 'This task has no dataset');
}
