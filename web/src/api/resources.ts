/**
 * Calls for the resources of SPEC 9.1 beyond auth and projects. Each goes through `request()`
 * with types from `types.ts`; when a route appears in `sdk/schema.d.ts` its call moves to `api`.
 */
import { clientId, qs, request } from './client.ts';
import type {
  Annotation,
  Assignment,
  BatchOutcome,
  Comment,
  Dataset,
  Issue,
  Item,
  Page,
  Recipe,
  Scores,
  Shape,
  Task,
  TaskItem,
  TaskItemDetail,
} from './types.ts';

const enc = encodeURIComponent;

export const datasets = {
  list: (projectId: string) => request<Page<Dataset>>('GET', `/api/v1/projects/${enc(projectId)}/datasets${qs({ limit: 200 })}`),
  create: (projectId: string, name: string) => request<Dataset>('POST', `/api/v1/projects/${enc(projectId)}/datasets`, { name }, { idempotencyKey: clientId() }),
  importItems: (datasetId: string, body: string, contentType: string, partial: boolean) =>
    request<{ created: number; updated?: number; failed: Array<{ line: number; error: string }> }>(
      'POST',
      `/api/v1/datasets/${enc(datasetId)}/items${qs({ mode: partial ? 'partial' : undefined })}`,
      body,
      { contentType, idempotencyKey: clientId() },
    ),
  items: (datasetId: string, cursor?: string) => request<Page<Item>>('GET', `/api/v1/datasets/${enc(datasetId)}/items${qs({ limit: 50, cursor })}`),
};

export const recipes = {
  list: (projectId: string) => request<Page<Recipe>>('GET', `/api/v1/projects/${enc(projectId)}/recipes${qs({ limit: 200 })}`),
  get: (recipeId: string) => request<Recipe>('GET', `/api/v1/recipes/${enc(recipeId)}`),
  create: (projectId: string, body: Omit<Recipe, 'id' | 'projectId' | 'createdAt'>) =>
    request<Recipe>('POST', `/api/v1/projects/${enc(projectId)}/recipes`, body, { idempotencyKey: clientId() }),
};

export interface TaskQuery {
  q?: string;
  status?: string;
  workflowState?: string;
  type?: string;
  priority?: string;
  ownerId?: string;
  assignee?: string;
  openIssues?: string;
  forReview?: string;
  datasetId?: string;
  archived?: string;
  sort?: string;
  cursor?: string;
  limit?: number;
}

export interface CreateTaskBody {
  name: string;
  type: string;
  datasetId?: string;
  recipeId?: string;
  assigneeIds?: string[];
  reviewerIds?: string[];
  allocation: { method: 'distribution' | 'pulling'; batchSize?: number; maxWorkload?: number };
  priority?: string;
  dueDate?: string;
  description?: string;
  consensus?: { annotatorsPerItem: number };
}

export const tasks = {
  list: (projectId: string, query: TaskQuery) => request<Page<Task>>('GET', `/api/v1/projects/${enc(projectId)}/tasks${qs({ ...query })}`),
  get: (taskId: string) => request<Task>('GET', `/api/v1/tasks/${enc(taskId)}`),
  create: (projectId: string, body: CreateTaskBody) => request<Task>('POST', `/api/v1/projects/${enc(projectId)}/tasks`, body, { idempotencyKey: clientId() }),
  patch: (taskId: string, body: Partial<Pick<Task, 'name' | 'priority' | 'dueDate' | 'description' | 'ownerId'>>) => request<Task>('PATCH', `/api/v1/tasks/${enc(taskId)}`, body),
  remove: (taskId: string) => request<{ archived: true } | undefined>('DELETE', `/api/v1/tasks/${enc(taskId)}`),
  lock: (taskId: string, locked: boolean) => request<Task>('POST', `/api/v1/tasks/${enc(taskId)}/${locked ? 'lock' : 'unlock'}`, {}),
  transition: (taskId: string, to: string, comment?: string) => request<Task>('POST', `/api/v1/tasks/${enc(taskId)}/transitions`, { to, comment }),
  addItems: (taskId: string, body: { allRemaining: true } | { itemIds: string[] }) => request<{ added: number }>('POST', `/api/v1/tasks/${enc(taskId)}/items`, body),
  items: (taskId: string, query: { status?: string; assigneeId?: string; cursor?: string }) =>
    request<Page<TaskItem>>('GET', `/api/v1/tasks/${enc(taskId)}/items${qs({ ...query, limit: 50 })}`),
  assignments: (taskId: string) => request<{ data: Assignment[] }>('GET', `/api/v1/tasks/${enc(taskId)}/assignments`),
  pull: (taskId: string, count?: number) => request<{ items: TaskItem[] }>('POST', `/api/v1/tasks/${enc(taskId)}/pull`, { count }, { idempotencyKey: clientId() }),
  reassign: (taskId: string, fromId: string, toId: string) => request<unknown>('POST', `/api/v1/tasks/${enc(taskId)}/reassign`, { fromId, toId }),
  rebalance: (taskId: string) => request<unknown>('POST', `/api/v1/tasks/${enc(taskId)}/rebalance`, {}),
  qaTask: (taskId: string, reviewerIds: string[], name?: string) =>
    request<Task>('POST', `/api/v1/tasks/${enc(taskId)}/qa-tasks`, { reviewerIds, name }, { idempotencyKey: clientId() }),
  scores: (taskId: string) => request<Scores>('GET', `/api/v1/tasks/${enc(taskId)}/scores`),
  analytics: (taskId: string) => request<Scores>('GET', `/api/v1/tasks/${enc(taskId)}/analytics`),
  issues: (taskId: string, status?: string) => request<Page<Issue>>('GET', `/api/v1/tasks/${enc(taskId)}/issues${qs({ status, limit: 200 })}`),
  batch: (projectId: string, body: { action: 'delete' | 'update' | 'reassign'; ids?: string[]; filter?: TaskQuery; patch?: Record<string, unknown> }) =>
    request<{ results: BatchOutcome[] } | { data: BatchOutcome[] }>('POST', `/api/v1/projects/${enc(projectId)}/tasks/batch`, body),
};

export const taskItems = {
  detail: (taskId: string, itemId: string) => request<TaskItemDetail>('GET', `/api/v1/tasks/${enc(taskId)}/items/${enc(itemId)}`),
  item: (itemId: string) => request<Item>('GET', `/api/v1/items/${enc(itemId)}`),
  /** `annotationId` is generated by the client once per item, so a retried save is the same write. */
  save: (taskId: string, itemId: string, annotationId: string, shapes: Shape[]) =>
    request<Annotation>('PUT', `/api/v1/tasks/${enc(taskId)}/items/${enc(itemId)}/annotations`, { id: annotationId, shapes }),
  setStatus: (taskId: string, itemId: string, status: string) => request<TaskItem>('PUT', `/api/v1/tasks/${enc(taskId)}/items/${enc(itemId)}/status`, { status }),
  clearStatus: (taskId: string, itemId: string) => request<unknown>('DELETE', `/api/v1/tasks/${enc(taskId)}/items/${enc(itemId)}/status`),
  heartbeat: (taskId: string, itemId: string) => request<unknown>('POST', `/api/v1/tasks/${enc(taskId)}/items/${enc(itemId)}/heartbeat`, {}),
};

export const reviews = {
  openIssue: (annotationId: string, comment: string) => request<Issue>('POST', `/api/v1/annotations/${enc(annotationId)}/issues`, { comment }, { idempotencyKey: clientId() }),
  setIssue: (issueId: string, status: Issue['status'], comment?: string) => request<Issue>('PATCH', `/api/v1/issues/${enc(issueId)}`, { status, comment }),
  comment: (subjectKind: Comment['subjectKind'], subjectId: string, body: string) =>
    request<Comment>('POST', '/api/v1/comments', { subjectKind, subjectId, body }, { idempotencyKey: clientId() }),
  comments: (subjectKind: Comment['subjectKind'], subjectId: string) => request<Page<Comment>>('GET', `/api/v1/comments${qs({ subjectKind, subjectId, limit: 200 })}`),
};

export const me = {
  assignments: () => request<Page<Assignment>>('GET', `/api/v1/me/assignments${qs({ limit: 200 })}`),
  issues: () => request<Page<Issue & { taskName?: string }>>('GET', `/api/v1/me/issues${qs({ limit: 200 })}`),
};

/** Batch answers are `{results}` or `{data}` depending on the server version; read either. */
export const outcomesOf = (r: { results: BatchOutcome[] } | { data: BatchOutcome[] }) => ('results' in r ? r.results : r.data);
