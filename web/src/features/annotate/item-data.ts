import { LoupeError } from '../../api/client.ts';
import { request } from '../../api/client.ts';
import { taskItems } from '../../api/resources.ts';
import type { Annotation, Issue, Item, Page, Recipe, Shape, Task, TaskItemDetail } from '../../api/types.ts';

const enc = encodeURIComponent;

/**
 * Everything a workspace shows about one item of one task. Uses
 * `GET /api/v1/tasks/{taskId}/items/{itemId}` when the server has it, otherwise assembles the
 * same from the item, its annotations in the task, and the task's issues on them.
 */
export async function loadItemDetail(taskId: string, itemId: string, annotationsTaskId = taskId): Promise<TaskItemDetail> {
  if (annotationsTaskId !== taskId) {
    // A QA task: the server hands the source task's answers and their issues in one call.
    const [item, review] = await Promise.all([
      request<Item>('GET', `/api/v1/items/${enc(itemId)}`),
      request<{ annotations: Annotation[]; issues: Issue[] }>('GET', `/api/v1/tasks/${enc(taskId)}/items/${enc(itemId)}/review`),
    ]);
    return { item, annotations: review.annotations, issues: review.issues };
  }
  {
    try {
      const detail = await taskItems.detail(taskId, itemId);
      if (detail && 'item' in detail && Array.isArray(detail.annotations)) return detail;
    } catch (e) {
      if (!(e instanceof LoupeError && e.status === 404 && /No route/.test(e.message))) throw e;
    }
  }
  const [item, annotations, issues] = await Promise.all([
    request<Item & { annotations?: Shape[] | null }>('GET', `/api/v1/items/${enc(itemId)}`),
    request<{ data: Annotation[] }>('GET', `/api/v1/tasks/${enc(annotationsTaskId)}/items/${enc(itemId)}/annotations`).catch(() => ({ data: [] as Annotation[] })),
    request<Page<Issue>>('GET', `/api/v1/tasks/${enc(annotationsTaskId)}/issues?limit=200`).catch(() => ({ data: [] as Issue[], nextCursor: null })),
  ]);
  const ids = new Set(annotations.data.map((a) => a.id));
  return { item, annotations: annotations.data, issues: issues.data.filter((i) => ids.has(i.annotationId) || i.itemId === itemId) };
}

/** The statuses offered for an item: the task type's defaults, then the recipe's own. */
export function statusesFor(task: Task, recipe: Recipe | undefined): string[] {
  const defaults = task.type === 'review' ? ['approved', 'discarded'] : ['completed', 'discarded'];
  const custom = (recipe?.statuses ?? []).map((s) => s.name);
  return [...new Set([...defaults, ...custom])];
}

export const labelPalette = ['#3b5bdb', '#e8590c', '#2b8a3e', '#c2255c', '#7048e8', '#1098ad', '#f08c00', '#5c940d', '#862e9c'];

export function labelColors(recipe: Recipe | undefined) {
  const colors = new Map<string, string>();
  const index = new Map<string, number>();
  (recipe?.labels ?? []).forEach((l, i) => {
    colors.set(l.name, l.color ?? labelPalette[i % labelPalette.length]!);
    index.set(l.name, i);
  });
  return { colors, index };
}
