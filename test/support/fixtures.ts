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
};
