import type { Caller, Ctx } from '../context.ts';
import { DomainError, ruleBroken } from '../core/errors.ts';
import { requireRole } from '../projects/permissions.ts';
import { deleteTask, patchTask } from './tasks.service.ts';
import { reassignItems } from '../task-units/reassign.service.ts';
import { taskIdsMatching } from './list-tasks.ts';
import { findTask } from '../task-units/task-access.ts';
import type { TaskListFilter } from './tasks.schema.ts';

interface BatchInput {
  action: 'delete' | 'update' | 'reassign';
  ids?: string[];
  filter?: TaskListFilter;
  patch?: { priority?: 'high' | 'medium' | 'low' | null; dueDate?: Date | null; ownerId?: string | null; fromId?: string; toId?: string };
}

/**
 * Applies one action to many tasks (ids, or every task matching a list filter: cross-page
 * selection, at most 1000). Each task goes through the same service function as the single
 * operation, in its own transaction, so one refusal (locked, unresolved issues…) never blocks
 * the others; the answer lists one outcome per task
 * (refusals carry the error `code`; the route maps it to the status the single call answers).
 */
export async function batchTasks(ctx: Ctx, caller: Caller, projectId: string, input: BatchInput) {
  await requireRole(ctx.db, caller, projectId, 'manager', 'Project');
  if (input.action === 'reassign' && (!input.patch?.fromId || !input.patch?.toId)) throw ruleBroken('reassign needs patch.fromId and patch.toId');
  if (input.action === 'update' && !input.patch) throw ruleBroken('update needs a patch');
  const ids = input.ids ?? (await taskIdsMatching(ctx.db, projectId, input.filter!, caller.userId));
  const results = [];
  for (const id of ids) {
    try {
      const task = await findTask(ctx.db, id);
      if (task.projectId !== projectId) throw new DomainError('not_found', 'Task not found');
      if (input.action === 'delete') {
        const outcome = await deleteTask(ctx, caller, id);
        results.push('archived' in outcome ? { id, ok: true, status: 200, archived: true } : { id, ok: true, status: 204 });
      } else if (input.action === 'update') {
        const { priority, dueDate, ownerId } = input.patch!;
        const patch = Object.fromEntries(Object.entries({ priority, dueDate, ownerId }).filter(([, v]) => v !== undefined));
        await patchTask(ctx, caller, id, patch);
        results.push({ id, ok: true, status: 200 });
      } else {
        await reassignItems(ctx, caller, id, { fromId: input.patch!.fromId!, toId: input.patch!.toId! });
        results.push({ id, ok: true, status: 200 });
      }
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      // The HTTP status of a refusal is the route's business (`tasks.routes.ts` adds it).
      results.push({ id, ok: false as const, code: error.code, detail: error.message });
    }
  }
  return { results };
}
