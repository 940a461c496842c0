/** The exports and job-queue clients (docs/exports.md, docs/jobs.md). */
import { qs, request } from './client.ts';

export const exportFormats = ['jsonl', 'json', 'csv', 'coco', 'hdf5', 'parquet', 'lerobot'] as const;
export type ExportFormat = (typeof exportFormats)[number];

export interface ExportManifest {
  format: string;
  rows: number;
  bytes: number;
  sha256: string;
  files: Array<{ path: string; bytes: number; sha256: string }>;
}

export interface ExportRow {
  id: string;
  projectId: string;
  definitionId: string | null;
  version: number | null;
  taskIds: string[];
  format: ExportFormat;
  scope: { kind: 'all' | 'since_last' | 'range'; from?: string; to?: string };
  status: 'queued' | 'running' | 'completed' | 'failed';
  progress: { done: number; total: number };
  rows: number;
  bytes: number;
  fileName: string;
  error: string | null;
  fileDeleted: boolean;
  createdAt: string;
  finishedAt: string | null;
  manifest?: ExportManifest | null;
}

export interface ExportDefinition {
  id: string;
  name: string;
  projectId: string;
  taskIds: string[];
  format: ExportFormat;
  nextVersion: number;
  createdAt: string;
  versions: ExportRow[];
}

export interface Comparison {
  from: number;
  to: number;
  added: Array<{ itemId: string; taskItemId: string }>;
  removed: Array<{ itemId: string; taskItemId: string }>;
  changed: Array<{ itemId: string; taskItemId: string }>;
  truncated: boolean;
}

export interface CreateExport {
  taskIds: string[];
  format: ExportFormat;
  scope?: { kind: 'all' | 'since_last' | 'range'; from?: string; to?: string };
}

export const exportsApi = {
  list: (projectId: string) => request<{ data: ExportRow[]; nextCursor: string | null }>('GET', `/api/v1/projects/${projectId}/exports${qs({ limit: 100 })}`),
  get: (exportId: string) => request<ExportRow>('GET', `/api/v1/exports/${exportId}`),
  create: (projectId: string, body: CreateExport) => request<{ id: string }>('POST', `/api/v1/projects/${projectId}/exports`, body),
  createDefinition: (projectId: string, body: CreateExport & { name: string }) => request<{ id: string }>('POST', `/api/v1/projects/${projectId}/export-definitions`, body),
  definition: (definitionId: string) => request<ExportDefinition>('GET', `/api/v1/export-definitions/${definitionId}`),
  newVersion: (definitionId: string) => request<{ id: string; version: number }>('POST', `/api/v1/export-definitions/${definitionId}/versions`),
  compare: (definitionId: string, from: number, to: number) => request<Comparison>('GET', `/api/v1/export-definitions/${definitionId}/compare${qs({ from, to })}`),
  downloadUrl: (exportId: string) => `/api/v1/exports/${exportId}/download`,
};

export const jobStates = ['waiting', 'delayed', 'active', 'completed', 'failed'] as const;
export type QueueCounts = { name: string } & Record<(typeof jobStates)[number], number>;
export interface JobSummary {
  id: string;
  queue: string;
  state: string;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
  retryCount: number;
}
export interface JobDetail extends JobSummary {
  data: unknown;
  output: unknown;
  error: string | null;
  logs: Array<{ level: string; message: string; data: Record<string, unknown> | null; createdAt: string }>;
}

export const jobsApi = {
  stats: () => request<{ paused: boolean; queues: QueueCounts[] }>('GET', '/api/v1/jobs/stats'),
  list: (query: { state?: string; queue?: string }) => request<{ data: JobSummary[]; nextCursor: string | null }>('GET', `/api/v1/jobs${qs({ ...query, limit: 50 })}`),
  get: (jobId: string) => request<JobDetail>('GET', `/api/v1/jobs/${jobId}`),
  pause: () => request<{ paused: boolean }>('POST', '/api/v1/jobs/pause'),
  resume: () => request<{ paused: boolean }>('POST', '/api/v1/jobs/resume'),
  clear: (queue?: string) => request<{ deleted: number }>('POST', '/api/v1/jobs/clear', queue ? { queue } : {}),
  clean: () => request<{ deleted: number }>('POST', '/api/v1/jobs/clean'),
  retryFailed: (queue?: string) => request<{ retried: number }>('POST', '/api/v1/jobs/retry-failed', queue ? { queue, limit: 1000 } : { limit: 1000 }),
};
