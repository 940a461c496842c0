/** Evaluators, evaluation tasks and runs, through the generated client. */
import { api, unwrap, type paths } from './client.ts';

type Ok<P extends keyof paths, M extends 'get' | 'post'> = paths[P][M] extends { responses: infer R } ? (R extends { 200: { content: { 'application/json': infer B } } } ? B : R extends { 201: { content: { 'application/json': infer B } } } ? B : R extends { 202: { content: { 'application/json': infer B } } } ? B : never) : never;

export type Evaluator = Ok<'/api/v1/evaluators/{evaluatorId}', 'get'>;
export type EvalTask = Ok<'/api/v1/eval-tasks/{evalTaskId}', 'get'>;
export type EvalRun = Ok<'/api/v1/eval-runs/{runId}', 'get'>;
export type Decision = Ok<'/api/v1/eval-runs/{runId}/decisions', 'get'>['data'][number];
export type TestCaseResult = Ok<'/api/v1/eval-runs/{runId}/results', 'get'>['data'][number];
export type DecisionName = NonNullable<NonNullable<paths['/api/v1/eval-runs/{runId}/decisions']['get']['parameters']['query']>['decision']>;

export const evaluatorsApi = {
  list: async (projectId: string) => unwrap(await api.GET('/api/v1/projects/{projectId}/evaluators', { params: { path: { projectId }, query: { limit: 200 } } })),
  tasks: async (projectId: string) => unwrap(await api.GET('/api/v1/projects/{projectId}/eval-tasks', { params: { path: { projectId }, query: { limit: 100 } } })),
  resume: async (evalTaskId: string) => unwrap(await api.POST('/api/v1/eval-tasks/{evalTaskId}/resume', { params: { path: { evalTaskId } } })),
  pause: async (evalTaskId: string) => unwrap(await api.POST('/api/v1/eval-tasks/{evalTaskId}/pause', { params: { path: { evalTaskId } } })),
  backfill: async (evalTaskId: string) => unwrap(await api.POST('/api/v1/eval-tasks/{evalTaskId}/backfill', { params: { path: { evalTaskId } }, body: {} })),
  run: async (runId: string) => unwrap(await api.GET('/api/v1/eval-runs/{runId}', { params: { path: { runId } } })),
  logs: async (runId: string) => unwrap(await api.GET('/api/v1/eval-runs/{runId}/logs', { params: { path: { runId }, query: { limit: 200 } } })),
  decisions: async (runId: string, decision?: DecisionName, cursor?: string) =>
    unwrap(await api.GET('/api/v1/eval-runs/{runId}/decisions', { params: { path: { runId }, query: { limit: 100, ...(decision ? { decision } : {}), ...(cursor ? { cursor } : {}) } } })),
  results: async (runId: string) => unwrap(await api.GET('/api/v1/eval-runs/{runId}/results', { params: { path: { runId }, query: { limit: 200 } } })),
  ticket: async (resultId: string, draftItem: boolean) => unwrap(await api.POST('/api/v1/eval-results/{resultId}/ticket', { params: { path: { resultId } }, body: { draftItem } })),
};
