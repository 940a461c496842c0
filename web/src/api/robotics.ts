/**
 * Calls of the robotics-task routes (docs/robotics.md): datasets per task, bulk annotation,
 * invalid annotations and progress reports, typed from the generated `sdk/schema.d.ts`.
 */
import { api, clientId, unwrap, type paths } from './client.ts';
import type { Shape } from './types.ts';

type Ok<P extends keyof paths, M extends 'get' | 'post' | 'delete'> = paths[P][M] extends { responses: { 200: { content: { 'application/json': infer R } } } } ? R : never;

export type TaskDataset = Ok<'/api/v1/tasks/{taskId}/datasets', 'get'>['data'][number];
export type BulkResult = Ok<'/api/v1/tasks/{taskId}/annotations/bulk', 'post'>['results'][number];
export type InvalidAnnotation = Ok<'/api/v1/tasks/{taskId}/invalid-annotations', 'get'>['data'][number];
export type ProgressReport = Ok<'/api/v1/projects/{projectId}/reports/progress', 'get'>;
export type ReportLevel = 'personal' | 'team' | 'project';

export const taskDatasets = {
  list: async (taskId: string) => unwrap(await api.GET('/api/v1/tasks/{taskId}/datasets', { params: { path: { taskId } } })),
  add: async (taskId: string, datasetId: string) => unwrap(await api.POST('/api/v1/tasks/{taskId}/datasets', { params: { path: { taskId } }, body: { datasetId } })),
  remove: async (taskId: string, datasetId: string) => unwrap(await api.DELETE('/api/v1/tasks/{taskId}/datasets/{datasetId}', { params: { path: { taskId, datasetId } } })),
};

export const bulkAnnotations = {
  /** The bound on one request; larger selections are sent in chunks. */
  max: 500,
  apply: async (taskId: string, itemIds: string[], shapes: Shape[]) =>
    unwrap(await api.POST('/api/v1/tasks/{taskId}/annotations/bulk', { params: { path: { taskId } }, body: { itemIds, shapes: shapes as unknown[] }, headers: { 'idempotency-key': clientId() } })),
};

export const invalidAnnotations = {
  list: async (taskId: string, cursor?: string) => unwrap(await api.GET('/api/v1/tasks/{taskId}/invalid-annotations', { params: { path: { taskId }, query: { limit: 100, cursor } } })),
  invalidate: async (annotationId: string, reason: string) => unwrap(await api.POST('/api/v1/annotations/{annotationId}/invalidate', { params: { path: { annotationId } }, body: { reason } })),
  withdraw: async (annotationId: string) => unwrap(await api.DELETE('/api/v1/annotations/{annotationId}/invalidate', { params: { path: { annotationId } } })),
};

export const reports = {
  progress: async (projectId: string, level: ReportLevel, windowDays = 7) =>
    unwrap(await api.GET('/api/v1/projects/{projectId}/reports/progress', { params: { path: { projectId }, query: { level, windowDays } } })),
};
