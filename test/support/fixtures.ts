import { sql } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import type { TestApp, TestUser } from './test-app.ts';

/**
 * How the route-by-role harness finds a real object for each path parameter: given a project
 * and its owner, make (or find) an object of that kind inside the project and return its id.
 * Every module that adds a path parameter registers a fixture here; the harness fails, naming
 * the parameter, when one is missing.
 */
export type ParamFixture = (t: TestApp, project: { id: string; owner: TestUser }) => Promise<string>;

export const paramFixtures: Record<string, ParamFixture> = {
  projectId: async (_t, project) => project.id,
  // Background imports start only above a 64 MB body: the row such an upload leaves is seeded here.
  importId: async (t, project) => {
    const dataset = (await t.post(`/api/v1/projects/${project.id}/datasets`, { name: `imp-${Math.random()}` }, { token: project.owner.token })).body.id as string;
    const id = randomUUID();
    await t.ctx.db.execute(sql`insert into item_imports (id, project_id, dataset_id, user_id, status, format, mode, staging_path, bytes)
      values (${id}::uuid, ${project.id}::uuid, ${dataset}::uuid, ${project.owner.id}::uuid, 'completed', 'ndjson', 'atomic', '/nonexistent', 0)`);
    return id;
  },
  // Job routes are for administrators only, outside any project: any id exercises their access.
  jobId: async () => randomUUID(),
  groupId: async (t, project) => {
    const res = await t.post(`/api/v1/projects/${project.id}/groups`, { name: `g-${Math.random()}`, memberIds: [] }, { token: project.owner.token });
    return res.body.id;
  },
  userId: async (_t, project) => project.owner.id,
  tokenId: async (_t, project) => project.owner.id,
  datasetId: async (t, project) => (await t.post(`/api/v1/projects/${project.id}/datasets`, { name: `d-${Math.random()}` }, { token: project.owner.token })).body.id,
  itemId: async (t, project) => {
    const dataset = (await t.post(`/api/v1/projects/${project.id}/datasets`, { name: `d-${Math.random()}` }, { token: project.owner.token })).body.id;
    await t.request('POST', `/api/v1/datasets/${dataset}/items`, { payload: '{"kind":"text","payload":{"text":"hi"}}\n', contentType: 'application/x-ndjson', token: project.owner.token });
    return (await t.get(`/api/v1/datasets/${dataset}/items`, { token: project.owner.token })).body.data[0].id;
  },
  recipeId: async (t, project) =>
    (await t.post(`/api/v1/projects/${project.id}/recipes`, { name: `r-${Math.random()}`, labels: [{ name: 'cat' }], tools: ['classification'] }, { token: project.owner.token })).body.id,
  taskId: async (t, project) => {
    const dataset = (await t.post(`/api/v1/projects/${project.id}/datasets`, { name: `d-${Math.random()}` }, { token: project.owner.token })).body.id;
    await t.request('POST', `/api/v1/datasets/${dataset}/items`, { payload: '{"kind":"text","payload":{"text":"hi"}}\n', contentType: 'application/x-ndjson', token: project.owner.token });
    return (await t.post(`/api/v1/projects/${project.id}/tasks`, { name: `t-${Math.random()}`, type: 'labeling', datasetId: dataset }, { token: project.owner.token })).body.id;
  },
  annotationId: async (t, project) => {
    const token = project.owner.token;
    const dataset = (await t.post(`/api/v1/projects/${project.id}/datasets`, { name: `d-${Math.random()}` }, { token })).body.id;
    await t.request('POST', `/api/v1/datasets/${dataset}/items`, { payload: '{"kind":"text","payload":{"text":"hi"}}\n', contentType: 'application/x-ndjson', token });
    const itemId = (await t.get(`/api/v1/datasets/${dataset}/items`, { token })).body.data[0].id;
    const taskId = (await t.post(`/api/v1/projects/${project.id}/tasks`, { name: `t-${Math.random()}`, type: 'labeling', datasetId: dataset, assigneeIds: [project.owner.id] }, { token })).body.id;
    return (await t.put(`/api/v1/tasks/${taskId}/items/${itemId}/annotations`, { shapes: [{ tool: 'classification', label: 'cat' }] }, { token })).body.id;
  },
  issueId: async (t, project) => {
    const annotationId = await paramFixtures.annotationId!(t, project);
    return (await t.post(`/api/v1/annotations/${annotationId}/issues`, { comment: 'fix me' }, { token: project.owner.token })).body.id;
  },
  exportId: async (t, project) => {
    const taskId = await paramFixtures.taskId!(t, project);
    return (await t.post(`/api/v1/projects/${project.id}/exports`, { taskIds: [taskId], format: 'jsonl' }, { token: project.owner.token })).body.id;
  },
  definitionId: async (t, project) => {
    const taskId = await paramFixtures.taskId!(t, project);
    return (await t.post(`/api/v1/projects/${project.id}/export-definitions`, { name: 'defn', taskIds: [taskId], format: 'jsonl' }, { token: project.owner.token })).body.id;
  },
  workloadId: async (t, project) => {
    const token = project.owner.token;
    const dataset = (await t.post(`/api/v1/projects/${project.id}/datasets`, { name: `d-${Math.random()}` }, { token })).body.id;
    const recipe = (await t.post(`/api/v1/projects/${project.id}/recipes`, { name: `s-${Math.random()}`, labels: [], tools: ['rating'], ratingCategories: [{ name: 'tone', min: 1, max: 5 }] }, { token })).body.id;
    const body = {
      name: `w-${Math.random()}`,
      revieweeIds: [project.owner.id],
      evaluatorIds: [project.owner.id],
      scorecardRecipeId: recipe,
      schedule: { frequency: 'weekly' },
      target: { count: 1, per: 'total' },
      sampling: { datasetId: dataset, revieweeField: 'metadata.agentId', strategy: 'random' },
    };
    return (await t.post(`/api/v1/projects/${project.id}/workloads`, body, { token })).body.id;
  },
  ingestTokenId: async (t, project) =>
    (await t.post(`/api/v1/projects/${project.id}/ingest-tokens`, { name: `i-${Math.random()}` }, { token: project.owner.token })).body.id,
  traceId: async () => '0af7651916cd43dd8448eb211c80319c',
  evaluatorId: async (t, project) =>
    (await t.post(`/api/v1/projects/${project.id}/evaluators`, { name: `e-${Math.random()}`, kind: 'code', check: 'json_valid', params: {} }, { token: project.owner.token })).body.id,
  evalTaskId: async (t, project) => evalFixture(t, project).then((f) => f.taskId),
  runId: async (t, project) => evalFixture(t, project).then((f) => f.runId),
  resultId: async (t, project) => evalFixture(t, project).then((f) => f.resultId),
  webhookId: async (t, project) =>
    (await t.post(`/api/v1/projects/${project.id}/webhooks`, { url: 'https://example.com/hook', events: ['task.created'] }, { token: project.owner.token })).body.id,
};

/** An evaluation task over one failing test case, with one finished run and its result. */
async function evalFixture(t: TestApp, project: { id: string; owner: TestUser }) {
  const token = project.owner.token;
  const dataset = (await t.post(`/api/v1/projects/${project.id}/datasets`, { name: `d-${Math.random()}` }, { token })).body.id;
  const line = { kind: 'test_case', payload: { turns: [{ role: 'assistant', content: 'Lyon' }], expectedOutput: 'Paris' } };
  await t.request('POST', `/api/v1/datasets/${dataset}/items`, { payload: `${JSON.stringify(line)}\n`, contentType: 'application/x-ndjson', token });
  const evaluatorId = (await t.post(`/api/v1/projects/${project.id}/evaluators`, { name: `e-${Math.random()}`, kind: 'code', check: 'exact_match', params: {} }, { token })).body.id;
  const taskId = (await t.post(`/api/v1/projects/${project.id}/eval-tasks`, { name: 'fixture', evaluatorIds: [evaluatorId], target: { kind: 'dataset', datasetId: dataset }, samplingRate: 1 }, { token })).body.id;
  const runId = (await t.post(`/api/v1/eval-tasks/${taskId}/backfill`, {}, { token })).body.id;
  const { executeRun } = await import('../../src/evaluators/eval-runner.ts');
  await executeRun(t.ctx, runId);
  const resultId = (await t.get(`/api/v1/eval-runs/${runId}/results`, { token })).body.data[0].id as string;
  return { taskId, runId, resultId };
}

