/** The workloads client: typed calls over the generated SDK (routes under /workloads). */
import { api, unwrap, type paths } from './client.ts';

type Json<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { responses: { 200: { content: { 'application/json': infer T } } } } ? T : never;
export type Workload = Json<'/api/v1/workloads/{workloadId}', 'get'>;
export type Cycle = Json<'/api/v1/workloads/{workloadId}/cycles', 'get'>['data'][number];
export type WorkloadAssignments = Json<'/api/v1/workloads/{workloadId}/assignments', 'get'>;
export type WorkloadReport = Json<'/api/v1/workloads/{workloadId}/report', 'get'>;
export type Scorecard = Json<'/api/v1/tasks/{taskId}/items/{itemId}/scorecard', 'get'>;

export type CreateWorkloadBody = NonNullable<paths['/api/v1/projects/{projectId}/workloads']['post']['requestBody']>['content']['application/json'];

export const workloadsApi = {
  create: async (projectId: string, body: CreateWorkloadBody) => unwrap(await api.POST('/api/v1/projects/{projectId}/workloads', { params: { path: { projectId } }, body })),
  list: async (projectId: string, status?: 'active' | 'inactive' | 'archived') =>
    unwrap(await api.GET('/api/v1/projects/{projectId}/workloads', { params: { path: { projectId }, query: { status, limit: 500 } } })),
  get: async (workloadId: string) => unwrap(await api.GET('/api/v1/workloads/{workloadId}', { params: { path: { workloadId } } })),
  cycles: async (workloadId: string) => unwrap(await api.GET('/api/v1/workloads/{workloadId}/cycles', { params: { path: { workloadId }, query: { limit: 100 } } })),
  assignments: async (workloadId: string) => unwrap(await api.GET('/api/v1/workloads/{workloadId}/assignments', { params: { path: { workloadId }, query: {} } })),
  report: async (workloadId: string) => unwrap(await api.GET('/api/v1/workloads/{workloadId}/report', { params: { path: { workloadId } } })),
  scorecard: async (taskId: string, itemId: string) => unwrap(await api.GET('/api/v1/tasks/{taskId}/items/{itemId}/scorecard', { params: { path: { taskId, itemId } } })),
  /** Member names by user id, to show people instead of ids. */
  memberNames: async (projectId: string) => {
    const members = unwrap(await api.GET('/api/v1/projects/{projectId}/members', { params: { path: { projectId } } }));
    return new Map(members.data.map((m) => [m.userId, m.name]));
  },
  action: async (workloadId: string, action: 'deactivate' | 'activate' | 'archive' | 'restore') => {
    const path = `/api/v1/workloads/{workloadId}/${action}` as '/api/v1/workloads/{workloadId}/deactivate';
    return unwrap(await api.POST(path, { params: { path: { workloadId } } }));
  },
};
