/**
 * The app's calls, one function per route, through the generated client: paths, parameters,
 * bodies and answers are checked against `sdk/schema.d.ts`. Only the import (a raw NDJSON or CSV
 * body) goes through `request()`.
 */
import { api, clientId, qs, request, unwrap, type paths } from './client.ts';
import type { Shape } from './types.ts';

type Q<P extends keyof paths, M extends 'get' | 'post'> = paths[P][M] extends { parameters: { query?: infer T } } ? NonNullable<T> : never;
type Body<P extends keyof paths, M extends 'post' | 'put' | 'patch'> = paths[P][M] extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;

const idem = () => ({ 'idempotency-key': clientId() });
const path = <T extends Record<string, string>>(p: T) => ({ path: p });

export const datasets = {
  list: async (projectId: string) => unwrap(await api.GET('/api/v1/projects/{projectId}/datasets', { params: { ...path({ projectId }), query: { limit: 200 } } })),
  create: async (projectId: string, name: string) => unwrap(await api.POST('/api/v1/projects/{projectId}/datasets', { params: path({ projectId }), body: { name }, headers: idem() })),
  importItems: (datasetId: string, body: string, contentType: string, partial: boolean) =>
    request<paths['/api/v1/datasets/{datasetId}/items']['post']['responses'][200]['content']['application/json']>(
      'POST',
      `/api/v1/datasets/${encodeURIComponent(datasetId)}/items${qs({ mode: partial ? 'partial' : undefined })}`,
      body,
      { contentType, idempotencyKey: clientId() },
    ),
  items: async (datasetId: string, cursor?: string) => unwrap(await api.GET('/api/v1/datasets/{datasetId}/items', { params: { ...path({ datasetId }), query: { limit: 50, cursor } } })),
};

export const recipes = {
  list: async (projectId: string) => unwrap(await api.GET('/api/v1/projects/{projectId}/recipes', { params: { ...path({ projectId }), query: { limit: 200 } } })),
  get: async (recipeId: string) => unwrap(await api.GET('/api/v1/recipes/{recipeId}', { params: path({ recipeId }) })),
  create: async (projectId: string, body: Body<'/api/v1/projects/{projectId}/recipes', 'post'>) =>
    unwrap(await api.POST('/api/v1/projects/{projectId}/recipes', { params: path({ projectId }), body, headers: idem() })),
};

export type TaskQuery = Partial<Record<Exclude<keyof Q<'/api/v1/projects/{projectId}/tasks', 'get'>, 'limit'>, string>>;
export type CreateTaskBody = Body<'/api/v1/projects/{projectId}/tasks', 'post'>;
type ListQuery = Q<'/api/v1/projects/{projectId}/tasks', 'get'>;

export const tasks = {
  /** Filters come from the URL as strings; the server validates them (and answers 400 with the reason). */
  list: async (projectId: string, query: TaskQuery & { limit?: number }) =>
    unwrap(await api.GET('/api/v1/projects/{projectId}/tasks', { params: { ...path({ projectId }), query: query as ListQuery } })),
  get: async (taskId: string) => unwrap(await api.GET('/api/v1/tasks/{taskId}', { params: path({ taskId }) })),
  create: async (projectId: string, body: CreateTaskBody) => unwrap(await api.POST('/api/v1/projects/{projectId}/tasks', { params: path({ projectId }), body, headers: idem() })),
  patch: async (taskId: string, body: Body<'/api/v1/tasks/{taskId}', 'patch'>) => unwrap(await api.PATCH('/api/v1/tasks/{taskId}', { params: path({ taskId }), body })),
  /** `{archived: true}` when the task had history; undefined when it was removed. */
  remove: async (taskId: string) => {
    const r = await api.DELETE('/api/v1/tasks/{taskId}', { params: path({ taskId }) });
    return r.response.status === 204 ? undefined : unwrap(r);
  },
  lock: async (taskId: string, locked: boolean) =>
    unwrap(locked ? await api.POST('/api/v1/tasks/{taskId}/lock', { params: path({ taskId }) }) : await api.POST('/api/v1/tasks/{taskId}/unlock', { params: path({ taskId }) })),
  transition: async (taskId: string, to: string, comment?: string) => unwrap(await api.POST('/api/v1/tasks/{taskId}/transitions', { params: path({ taskId }), body: { to, comment } })),
  addItems: async (taskId: string, body: Body<'/api/v1/tasks/{taskId}/items', 'post'>) => unwrap(await api.POST('/api/v1/tasks/{taskId}/items', { params: path({ taskId }), body })),
  items: async (taskId: string, query: { status?: string; assigneeId?: string; cursor?: string }) =>
    unwrap(await api.GET('/api/v1/tasks/{taskId}/items', { params: { ...path({ taskId }), query: { ...query, limit: 50 } } })),
  assignments: async (taskId: string) => unwrap(await api.GET('/api/v1/tasks/{taskId}/assignments', { params: path({ taskId }) })),
  pull: async (taskId: string, count?: number) => unwrap(await api.POST('/api/v1/tasks/{taskId}/pull', { params: path({ taskId }), body: { count }, headers: idem() })),
  reassign: async (taskId: string, fromId: string, toId: string) => unwrap(await api.POST('/api/v1/tasks/{taskId}/reassign', { params: path({ taskId }), body: { fromId, toId } })),
  rebalance: async (taskId: string) => unwrap(await api.POST('/api/v1/tasks/{taskId}/rebalance', { params: path({ taskId }) })),
  qaTask: async (taskId: string, reviewerIds: string[], name?: string) =>
    unwrap(await api.POST('/api/v1/tasks/{taskId}/qa-tasks', { params: path({ taskId }), body: { reviewerIds, name } as Body<'/api/v1/tasks/{taskId}/qa-tasks', 'post'>, headers: idem() })),
  issues: async (taskId: string, status?: string) =>
    unwrap(await api.GET('/api/v1/tasks/{taskId}/issues', { params: { ...path({ taskId }), query: { status: status as Q<'/api/v1/tasks/{taskId}/issues', 'get'>['status'], limit: 200 } } })),
  batch: async (projectId: string, body: Omit<Body<'/api/v1/projects/{projectId}/tasks/batch', 'post'>, 'filter'> & { filter?: TaskQuery }) =>
    unwrap(await api.POST('/api/v1/projects/{projectId}/tasks/batch', { params: path({ projectId }), body: body as Body<'/api/v1/projects/{projectId}/tasks/batch', 'post'> })),
};

export const taskItems = {
  item: async (itemId: string) => unwrap(await api.GET('/api/v1/items/{itemId}', { params: path({ itemId }) })),
  annotations: async (taskId: string, itemId: string) => unwrap(await api.GET('/api/v1/tasks/{taskId}/items/{itemId}/annotations', { params: path({ taskId, itemId }) })),
  review: async (taskId: string, itemId: string) => unwrap(await api.GET('/api/v1/tasks/{taskId}/items/{itemId}/review', { params: path({ taskId, itemId }) })),
  /** `annotationId` is generated by the client once per item, so a retried save is the same write. */
  save: async (taskId: string, itemId: string, annotationId: string, shapes: Shape[]) =>
    unwrap(
      await api.PUT('/api/v1/tasks/{taskId}/items/{itemId}/annotations', {
        params: path({ taskId, itemId }),
        body: { id: annotationId, shapes } as Body<'/api/v1/tasks/{taskId}/items/{itemId}/annotations', 'put'>,
      }),
    ),
  setStatus: async (taskId: string, itemId: string, status: string) => unwrap(await api.PUT('/api/v1/tasks/{taskId}/items/{itemId}/status', { params: path({ taskId, itemId }), body: { status } })),
  clearStatus: async (taskId: string, itemId: string) => {
    const r = await api.DELETE('/api/v1/tasks/{taskId}/items/{itemId}/status', { params: path({ taskId, itemId }) });
    if (!r.response.ok) unwrap(r);
  },
  heartbeat: async (taskId: string, itemId: string) => unwrap(await api.POST('/api/v1/tasks/{taskId}/items/{itemId}/heartbeat', { params: path({ taskId, itemId }) })),
};

type Subject = Body<'/api/v1/comments', 'post'>['subjectKind'];
export const reviews = {
  openIssue: async (annotationId: string, comment: string) =>
    unwrap(await api.POST('/api/v1/annotations/{annotationId}/issues', { params: path({ annotationId }), body: { comment }, headers: idem() })),
  setIssue: async (issueId: string, status: 'open' | 'for_review' | 'resolved', comment?: string) => unwrap(await api.PATCH('/api/v1/issues/{issueId}', { params: path({ issueId }), body: { status, comment } })),
  comment: async (subjectKind: Subject, subjectId: string, body: string) => unwrap(await api.POST('/api/v1/comments', { body: { subjectKind, subjectId, body }, headers: idem() })),
  comments: async (subjectKind: Subject, subjectId: string) => unwrap(await api.GET('/api/v1/comments', { params: { query: { subjectKind, subjectId, limit: 200 } } })),
};

export const session = {
  me: async () => unwrap(await api.GET('/api/v1/me')),
  login: async (email: string, password: string) => unwrap(await api.POST('/api/v1/auth/login', { body: { email, password } })),
  logout: async () => {
    await api.POST('/api/v1/auth/logout');
  },
  demoStatus: async () => unwrap(await api.GET('/api/v1/demo/status')),
};

export const projects = {
  list: async () => unwrap(await api.GET('/api/v1/projects', { params: { query: { limit: 200 } } })),
  create: async (name: string) => unwrap(await api.POST('/api/v1/projects', { body: { name }, headers: idem() })),
  createDemo: async () => unwrap(await api.POST('/api/v1/demo', { body: {} })),
  summary: async (projectId: string) => unwrap(await api.GET('/api/v1/projects/{projectId}/summary', { params: path({ projectId }) })),
  /** The members' list only (names for ids). */
  members: async (projectId: string) => unwrap(await api.GET('/api/v1/projects/{projectId}/members', { params: path({ projectId }) })).data,
};

export const analytics = {
  task: async (taskId: string) => unwrap(await api.GET('/api/v1/tasks/{taskId}/analytics', { params: path({ taskId }) })),
  scores: async (taskId: string) => unwrap(await api.GET('/api/v1/tasks/{taskId}/scores', { params: path({ taskId }) })),
};

export const me = {
  assignments: async () => unwrap(await api.GET('/api/v1/me/assignments', { params: { query: { limit: 200 } } })),
  issues: async () => unwrap(await api.GET('/api/v1/me/issues', { params: { query: { limit: 200 } } })),
};

export { groups, members, projectAdmin, roles, users, type Role } from './admin.ts';
