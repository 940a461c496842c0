import type { Caller, Ctx } from '../context.ts';
import { DomainError } from '../core/errors.ts';
import { findTaskAs } from '../task-units/task-access.ts';
import { saveAnnotation } from './annotations.service.ts';

/** Most items one bulk request may annotate: bounds the request's time (each item is its own transaction). */
export const BULK_ANNOTATE_MAX = 500;

export interface BulkOutcome {
  itemId: string;
  ok: boolean;
  code?: string;
  detail?: string;
  annotationId?: string;
  version?: number;
}

/**
 * Applies the same shapes to many items of a task (`POST /tasks/{taskId}/annotations/bulk`),
 * reporting one outcome per item in the order given (duplicates answered once).
 *
 * Each item goes through `saveAnnotation`, the single PUT's use case, so it is validated against
 * the recipe and the item and obeys the same access, lock, status and lease rules. Each item is
 * its OWN transaction: one item refused (not the caller's, invalid for its payload, status set
 * under `requireStatusRemovalBeforeEdit`) must not undo the labels applied to the others, and
 * short transactions keep one request from holding hundreds of unit locks (on PGlite, the one
 * session) for its whole duration. A retry is safe: an item whose answer already has these
 * shapes is answered ok without a new version. Errors other than domain refusals (the database
 * going away) stop the request; items before it stay saved.
 */
export async function bulkAnnotate(ctx: Ctx, caller: Caller, taskId: string, input: { itemIds: string[]; shapes: unknown[] }): Promise<{ results: BulkOutcome[] }> {
  // The caller's role is checked once up front so a viewer gets one 403, not 500 of them.
  await findTaskAs(ctx.db, caller, taskId, 'annotator');
  const results: BulkOutcome[] = [];
  for (const itemId of [...new Set(input.itemIds)]) {
    try {
      const saved = await saveAnnotation(ctx, caller, taskId, itemId, { shapes: input.shapes });
      results.push({ itemId, ok: true, annotationId: saved.id, version: saved.version });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      results.push({ itemId, ok: false, code: error.code, detail: error.message });
    }
  }
  return { results };
}
