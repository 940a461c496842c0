import { asc, eq } from 'drizzle-orm';
import { items } from '../../src/datasets/datasets.table.ts';
import type { TestApp, TestUser } from '../support/test-app.ts';

export interface World {
  projectId: string;
  owner: TestUser;
  manager: TestUser;
  datasetId: string;
  itemIds: string[];
}

/** A project with a manager and a dataset of `n` text items (ids in item order). */
export async function world(t: TestApp, n = 6): Promise<World> {
  const { id: projectId, owner } = await t.project();
  const manager = await t.member(projectId, 'manager');
  const dataset = await t.post(`/api/v1/projects/${projectId}/datasets`, { name: `d-${Math.random()}` }, { token: owner.token });
  const rows = Array.from({ length: n }, (_, i) => ({ kind: 'text', externalId: `e${i}`, payload: { text: `item number ${i}` } }));
  const imported = await t.post(`/api/v1/datasets/${dataset.body.id}/items`, rows, { token: owner.token });
  if (imported.status >= 300) throw new Error(`import failed: ${JSON.stringify(imported.body)}`);
  const ids = await t.ctx.db.select({ id: items.id }).from(items).where(eq(items.datasetId, dataset.body.id)).orderBy(asc(items.seq), asc(items.id));
  return { projectId, owner, manager, datasetId: dataset.body.id, itemIds: ids.map((r) => r.id) };
}

export async function createTask(t: TestApp, w: World, body: Record<string, unknown>, token = w.manager.token) {
  const res = await t.post(`/api/v1/projects/${w.projectId}/tasks`, { name: `task-${Math.random()}`, type: 'labeling', datasetId: w.datasetId, ...body }, { token });
  if (res.status !== 201) throw new Error(`create failed ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/**
 * Gives an item an answer (one classification shape) as `token`: in labeling, consensus,
 * qualification and honeypot tasks a done status on an item without shapes is refused
 * (422 `empty_annotation`, docs/workflow.md).
 */
export async function answer(t: TestApp, taskId: string, itemId: string, token: string, label = 'cat') {
  const res = await t.put(`/api/v1/tasks/${taskId}/items/${itemId}/annotations`, { shapes: [{ tool: 'classification', label }] }, { token });
  if (res.status !== 200 && res.status !== 201) throw new Error(`annotation failed ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/**
 * A recipe that allows empty answers (`allowEmpty`), for tests about statuses and counters
 * rather than answers: its tasks take done statuses on items without shapes.
 */
export async function emptyAnswersRecipe(t: TestApp, w: World, extra: Record<string, unknown> = {}) {
  const res = await t.post(`/api/v1/projects/${w.projectId}/recipes`, { name: `r-${Math.random()}`, labels: [{ name: 'cat' }], tools: ['classification'], allowEmpty: true, ...extra }, { token: w.owner.token });
  if (res.status !== 201) throw new Error(`recipe failed ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.id as string;
}
