import { expect } from 'vitest';
import type { TestApp, TestUser } from '../support/test-app.ts';
import { unique } from '../support/test-app.ts';

export interface TaskSetup {
  projectId: string;
  owner: TestUser;
  datasetId: string;
  taskId: string;
  itemIds: string[];
  annotators: TestUser[];
}

/** Imports items (NDJSON) into a new dataset of the project; returns their ids in import order. */
export async function importItems(t: TestApp, projectId: string, token: string, lines: unknown[]) {
  const datasetId = (await t.post(`/api/v1/projects/${projectId}/datasets`, { name: unique('ds') }, { token })).body.id as string;
  const res = await t.request('POST', `/api/v1/datasets/${datasetId}/items`, { payload: lines.map((l) => JSON.stringify(l)).join('\n') + '\n', contentType: 'application/x-ndjson', token });
  expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page: any = await t.get(`/api/v1/datasets/${datasetId}/items`, { token, query: { limit: 500, cursor: cursor ?? undefined } });
    ids.push(...page.body.data.map((i: { id: string }) => i.id));
    cursor = page.body.nextCursor;
  } while (cursor);
  return { datasetId, itemIds: ids };
}

/**
 * A project with a dataset of `count` text items (or the given lines) and a task over them,
 * distributed among `annotatorCount` new annotators.
 */
export async function setupTask(
  t: TestApp,
  options: { type?: string; count?: number; lines?: unknown[]; annotatorCount?: number; recipe?: unknown; task?: Record<string, unknown>; project?: { id: string; owner: TestUser } } = {},
): Promise<TaskSetup> {
  const project = options.project ?? (await t.project());
  const token = project.owner.token;
  const lines = options.lines ?? Array.from({ length: options.count ?? 3 }, (_, i) => ({ kind: 'text', payload: { text: `item number ${i}` } }));
  const { datasetId, itemIds } = await importItems(t, project.id, token, lines);
  const annotators: TestUser[] = [];
  for (let i = 0; i < (options.annotatorCount ?? 1); i++) annotators.push(await t.member(project.id, 'annotator'));
  const recipeId = options.recipe ? (await t.post(`/api/v1/projects/${project.id}/recipes`, { name: unique('recipe'), ...(options.recipe as object) }, { token })).body.id : undefined;
  const res = await t.post(
    `/api/v1/projects/${project.id}/tasks`,
    { name: unique('task'), type: options.type ?? 'labeling', datasetId, recipeId, assigneeIds: annotators.map((a) => a.id), ...options.task },
    { token },
  );
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { projectId: project.id, owner: project.owner, datasetId, taskId: res.body.id, itemIds, annotators };
}

/** Saves an annotation and sets a status, as `user`; returns the annotation. */
export async function annotateAndSet(t: TestApp, taskId: string, itemId: string, shapes: unknown[], user: TestUser, status = 'completed') {
  const a = await t.put(`/api/v1/tasks/${taskId}/items/${itemId}/annotations`, { shapes }, { token: user.token });
  expect(a.status, JSON.stringify(a.body)).toBe(200);
  const s = await t.put(`/api/v1/tasks/${taskId}/items/${itemId}/status`, { status }, { token: user.token });
  expect(s.status, JSON.stringify(s.body)).toBe(200);
  return a.body as { id: string; taskItemId: string; authorId: string };
}

/** The user to whom the task's distribution gave this item. */
export async function ownerOfItem(t: TestApp, setup: TaskSetup, itemId: string): Promise<TestUser> {
  for (const a of setup.annotators) {
    const res = await t.get(`/api/v1/tasks/${setup.taskId}/items`, { token: a.token, query: { limit: 500 } });
    if (res.body.data.some((u: { itemId: string }) => u.itemId === itemId)) return a;
  }
  throw new Error(`nobody holds item ${itemId}`);
}

export const taskOf = async (t: TestApp, taskId: string) => (await t.get(`/api/v1/tasks/${taskId}`)).body;
export const summaryOf = async (t: TestApp, projectId: string) => (await t.get(`/api/v1/projects/${projectId}/summary`)).body;
