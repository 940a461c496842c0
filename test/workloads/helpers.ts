import { expect } from 'vitest';
import type { TestApp, TestUser } from '../support/test-app.ts';

export interface Setup {
  projectId: string;
  owner: TestUser;
  evaluators: TestUser[];
  reviewees: TestUser[];
  datasetId: string;
  recipeId: string;
  itemsByReviewee: Map<string, string[]>;
  draftItemId: string;
}

/** A project with two evaluators, two reviewees, conversations of each (one a draft) and a scorecard recipe. */
export async function setup(t: TestApp, options: { perReviewee?: number } = {}): Promise<Setup> {
  const { id: projectId, owner } = await t.project();
  const evaluators = [await t.member(projectId, 'reviewer'), await t.member(projectId, 'reviewer')];
  const reviewees = [await t.member(projectId, 'annotator'), await t.member(projectId, 'annotator')];
  const token = owner.token;
  const datasetId = (await t.post(`/api/v1/projects/${projectId}/datasets`, { name: 'conversations' }, { token })).body.id;
  const n = options.perReviewee ?? 6;
  const lines: string[] = [];
  for (const r of reviewees) {
    for (let i = 0; i < n; i++) {
      lines.push(JSON.stringify({ kind: 'conversation', externalId: `${r.id}-${i}`, payload: { turns: [{ role: 'user', content: `hello ${i}` }] }, metadata: { agentId: r.id, channel: i % 2 ? 'chat' : 'email' } }));
    }
  }
  lines.push(JSON.stringify({ kind: 'conversation', externalId: 'draft', payload: { turns: [{ role: 'user', content: 'draft' }] }, metadata: { agentId: reviewees[0]!.id } }));
  const imported = await t.request('POST', `/api/v1/datasets/${datasetId}/items`, { payload: lines.join('\n') + '\n', contentType: 'application/x-ndjson', token });
  expect(imported.status).toBeLessThan(300);
  const all = (await t.get(`/api/v1/datasets/${datasetId}/items`, { query: { limit: 500 }, token })).body.data as Array<{ id: string; externalId: string; metadata: { agentId: string } }>;
  const draft = all.find((i) => i.externalId === 'draft')!;
  expect((await t.patch(`/api/v1/items/${draft.id}`, { draft: true }, { token })).status).toBe(200);
  const itemsByReviewee = new Map<string, string[]>();
  for (const i of all) if (i.id !== draft.id) itemsByReviewee.set(i.metadata.agentId, [...(itemsByReviewee.get(i.metadata.agentId) ?? []), i.id]);
  const recipe = await t.post(`/api/v1/projects/${projectId}/recipes`, {
    name: 'Support scorecard',
    labels: [],
    tools: ['rating'],
    ratingCategories: [
      { name: 'tone', min: 1, max: 5, weight: 2 },
      { name: 'accuracy', min: 0, max: 10, weight: 1 },
      { name: 'empathy', min: 1, max: 5, weight: 1 },
    ],
  }, { token });
  expect(recipe.status).toBe(201);
  return { projectId, owner, evaluators, reviewees, datasetId, recipeId: recipe.body.id, itemsByReviewee, draftItemId: draft.id };
}

export function workloadBody(s: Setup, overrides: Record<string, unknown> = {}) {
  return {
    name: 'Weekly support QA',
    revieweeIds: s.reviewees.map((r) => r.id),
    evaluatorIds: s.evaluators.map((e) => e.id),
    scorecardRecipeId: s.recipeId,
    schedule: { frequency: 'daily' },
    target: { count: 4, per: 'total' },
    sampling: { datasetId: s.datasetId, revieweeField: 'metadata.agentId', strategy: 'random' },
    subscriberIds: [s.owner.id],
    ...overrides,
  };
}

export async function createWorkload(t: TestApp, s: Setup, overrides: Record<string, unknown> = {}) {
  const res = await t.post(`/api/v1/projects/${s.projectId}/workloads`, workloadBody(s, overrides), { token: s.owner.token });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

export const cyclesOf = async (t: TestApp, s: Setup, workloadId: string) => {
  const res = await t.get(`/api/v1/workloads/${workloadId}/cycles`, { token: s.owner.token });
  expect(res.status).toBe(200);
  return res.body.data as Array<{ id: string; periodStart: string; periodEnd: string; status: string; target: number; done: number; skipped: number; taskId: string }>;
};

export const taskItems = async (t: TestApp, taskId: string, query: Record<string, string> = {}) =>
  (await t.get(`/api/v1/tasks/${taskId}/items`, { query: { limit: 500, ...query } })).body.data as Array<{ itemId: string; status: string | null; assignmentId: string | null }>;

/** An evaluator rates an item and sets it completed. */
export async function evaluate(t: TestApp, taskId: string, itemId: string, user: TestUser, values: Record<string, number>) {
  const shapes = Object.entries(values).map(([category, value]) => ({ tool: 'rating', category, value }));
  const a = await t.put(`/api/v1/tasks/${taskId}/items/${itemId}/annotations`, { shapes }, { token: user.token });
  expect(a.status, JSON.stringify(a.body)).toBe(200);
  const st = await t.put(`/api/v1/tasks/${taskId}/items/${itemId}/status`, { status: 'completed' }, { token: user.token });
  expect(st.status, JSON.stringify(st.body)).toBe(200);
}
