/** Traces calls through the generated client (routes in sdk/schema.d.ts). */
import { api, unwrap, type paths } from './client.ts';

type Q<P extends keyof paths> = paths[P]['get'] extends { parameters: { query?: infer T } } ? NonNullable<T> : never;
export type TraceSummary = Awaited<ReturnType<typeof traces.list>>['data'][number];
export type TraceDetail = Awaited<ReturnType<typeof traces.read>>;
export type TraceSpan = TraceDetail['spans'][number];

export const traces = {
  list: async (projectId: string, query: Q<'/api/v1/projects/{projectId}/traces'>) =>
    unwrap(await api.GET('/api/v1/projects/{projectId}/traces', { params: { path: { projectId }, query } })),
  read: async (projectId: string, traceId: string) => unwrap(await api.GET('/api/v1/projects/{projectId}/traces/{traceId}', { params: { path: { projectId, traceId } } })),
};
