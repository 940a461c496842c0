import { z } from 'zod';
import { importStatuses } from './imports.table.ts';

const failedLine = z.object({ line: z.number().int(), error: z.string() });

export const importJobOut = z.object({
  importId: z.string().describe('Follow it at `GET /api/v1/imports/{importId}`'),
  jobId: z.string().nullable().describe('The background job that runs it'),
  status: z.enum(importStatuses),
});

export const importView = z.object({
  id: z.string(),
  datasetId: z.string(),
  status: z.enum(importStatuses),
  progress: z.object({ lines: z.number().int(), bytes: z.number().int(), totalBytes: z.number().int() }),
  created: z.number().int(),
  updated: z.number().int(),
  failed: z.array(failedLine),
  failedCount: z.number().int(),
  error: z.object({ code: z.string(), detail: z.string() }).nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});
