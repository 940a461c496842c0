import { taskItems, tasks as tasksApi } from '../../api/resources.ts';
import type { Answer, Item, Recipe, Shape, Task, TaskItemDetail } from '../../api/types.ts';

const asItem = (record: Awaited<ReturnType<typeof taskItems.item>>): Item => record as Item;
const asAnswer = (a: { id: string; authorId: string | null; shapes: unknown[]; version: number; status?: string | null }): Answer => ({
  id: a.id,
  authorId: a.authorId,
  status: a.status,
  shapes: a.shapes as Shape[],
  version: a.version,
});

/**
 * Everything a workspace shows about one item of one task: the item, the answers on it and
 * their issues. A QA task reads the source task's answers through its `/review` route.
 */
export async function loadItemDetail(taskId: string, itemId: string, reviewOfSource = false, workerId?: string): Promise<TaskItemDetail> {
  if (reviewOfSource) {
    const [item, review] = await Promise.all([taskItems.item(itemId), taskItems.review(taskId, itemId)]);
    return { item: asItem(item), annotations: review.annotations.map(asAnswer), issues: review.issues };
  }
  const [item, annotations, issues, held] = await Promise.all([
    taskItems.item(itemId),
    taskItems.annotations(taskId, itemId),
    tasksApi.issues(taskId),
    workerId ? tasksApi.items(taskId, { assigneeId: workerId }).catch(() => undefined) : undefined,
  ]);
  const mine = held?.data.find((u) => u.itemId === itemId && u.workerId === workerId);
  return { item: asItem(item), annotations: annotations.data.map(asAnswer), issues: issues.data.filter((i) => i.itemId === itemId), status: mine?.status ?? null };
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
