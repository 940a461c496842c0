import { z } from 'zod';
import { pageQuery } from '../core/pagination.ts';
import { assigneeRef } from '../tasks/tasks.schema.ts';
import { DECISIONS } from './evaluators.table.ts';

const name = z.string().trim().min(1).max(200);
const checkNames = ['exact_match', 'contains', 'regex', 'json_valid', 'json_schema', 'length', 'latency'] as const;
const labelsMap = z
  .record(z.string().trim().min(1).max(100), z.number().min(0).max(1))
  .refine((v) => Object.keys(v).length >= 2 && Object.keys(v).length <= 20, 'Give between 2 and 20 labels');

export const createEvaluatorBody = z.discriminatedUnion('kind', [
  z.object({ name, kind: z.literal('code'), check: z.enum(checkNames), params: z.record(z.string(), z.unknown()).default({}) }).strict(),
  z.object({
    name,
    kind: z.literal('llm'),
    model: z.string().trim().min(1).max(200),
    template: z.string().min(1).max(20_000),
    labels: labelsMap,
    baseUrl: z.url().max(500).optional(),
  }).strict(),
]);
export type CreateEvaluatorInput = z.infer<typeof createEvaluatorBody>;

export const patchEvaluatorBody = z
  .object({
    name: name.optional(),
    params: z.record(z.string(), z.unknown()).optional(),
    model: z.string().trim().min(1).max(200).optional(),
    template: z.string().min(1).max(20_000).optional(),
    labels: labelsMap.optional(),
    baseUrl: z.url().max(500).nullable().optional(),
  })
  .strict();
export type PatchEvaluatorInput = z.infer<typeof patchEvaluatorBody>;

export const evaluatorOut = z.object({
  id: z.string(),
  projectId: z.string(),
  name: z.string(),
  kind: z.enum(['code', 'llm']),
  check: z.enum(checkNames).nullable(),
  params: z.record(z.string(), z.unknown()),
  model: z.string().nullable(),
  template: z.string().nullable(),
  labels: z.record(z.string(), z.number()).nullable(),
  baseUrl: z.string().nullable(),
  createdAt: z.date(),
  updatedAt: z.date(),
});

const scalar = z.union([z.string().max(1000), z.number(), z.boolean()]);
export const evalFilter = z
  .object({
    spanKind: z.string().max(100).optional(),
    model: z.string().max(200).optional(),
    attributes: z.record(z.string().max(200), scalar).optional(),
  })
  .strict();

export const createEvalTaskBody = z
  .object({
    name,
    evaluatorIds: z.array(z.uuid()).min(1).max(20),
    target: z.discriminatedUnion('kind', [z.object({ kind: z.literal('spans') }).strict(), z.object({ kind: z.literal('dataset'), datasetId: z.uuid() }).strict()]),
    filter: evalFilter.optional(),
    samplingRate: z.number().min(0).max(1),
    mapping: z.record(z.string().regex(/^\w+$/).max(100), z.string().min(1).max(300)).optional(),
    continuous: z.boolean().default(false),
    quietSeconds: z.number().int().min(0).max(86_400).default(30),
    blockAfterErrors: z.number().int().min(1).max(10_000).default(20),
  })
  .strict();
export type CreateEvalTaskInput = z.infer<typeof createEvalTaskBody>;

export const countsOut = z.object({
  scored: z.number(),
  error: z.number(),
  filtered_out: z.number(),
  sampled_out: z.number(),
  draft: z.number(),
  duplicate: z.number(),
  rate_limited: z.number(),
});

export const runOut = z.object({
  id: z.string(),
  projectId: z.string(),
  evalTaskId: z.string(),
  kind: z.enum(['backfill', 'continuous', 'dataset']),
  status: z.enum(['queued', 'running', 'completed', 'stopped', 'failed']),
  params: z.object({ from: z.string().optional(), to: z.string().optional(), max: z.number().optional() }).passthrough(),
  createdAt: z.date(),
  startedAt: z.date().nullable(),
  endedAt: z.date().nullable(),
  counts: countsOut,
});

export const evalTaskOut = z.object({
  id: z.string(),
  projectId: z.string(),
  name: z.string(),
  evaluatorIds: z.array(z.string()),
  target: z.object({ kind: z.enum(['spans', 'dataset']), datasetId: z.string().optional() }),
  filter: evalFilter,
  samplingRate: z.number(),
  mapping: z.record(z.string(), z.string()),
  continuous: z.boolean(),
  quietSeconds: z.number(),
  blockAfterErrors: z.number(),
  status: z.enum(['active', 'paused', 'blocked']),
  blockedReason: z.string().nullable(),
  consecutiveErrors: z.number(),
  createdAt: z.date(),
  updatedAt: z.date(),
  lastRuns: z.array(runOut),
});

export const backfillBody = z
  .object({ from: z.iso.datetime({ offset: true }).optional(), to: z.iso.datetime({ offset: true }).optional(), max: z.number().int().min(1).max(10_000_000).optional() })
  .strict()
  .default({});

export const decisionOut = z.object({
  id: z.string(),
  runId: z.string(),
  subjectKind: z.enum(['span', 'item']),
  traceId: z.string().nullable(),
  spanId: z.string().nullable(),
  itemId: z.string().nullable(),
  evaluatorId: z.string().nullable(),
  decision: z.enum(DECISIONS),
  message: z.string().nullable(),
  resultId: z.string().nullable(),
  at: z.date(),
});
export const decisionsQuery = pageQuery.extend({ decision: z.enum(DECISIONS).optional() });

export const logOut = z.object({ id: z.string(), level: z.enum(['info', 'warn', 'error']), message: z.string(), at: z.date() });

export const checkOut = z.object({
  resultId: z.string(),
  evaluatorId: z.string(),
  evaluatorName: z.string(),
  label: z.string(),
  score: z.number(),
  passed: z.boolean(),
  explanation: z.string(),
});
export const testCaseResultOut = z.object({
  /** The first failing check's result (the one a ticket links to), or the first check. */
  id: z.string(),
  itemId: z.string(),
  passed: z.boolean(),
  checks: z.array(checkOut),
  reason: z.string().nullable(),
});

export const successRateOut = z.object({
  runId: z.string(),
  testCases: z.number().int().describe('Test cases the run scored, drafts excluded'),
  passed: z.number().int().describe('Test cases whose every check passed'),
  failed: z.number().int(),
  successRate: z.number().nullable().describe('passed / testCases; null when no test case counts'),
  excludedDrafts: z.number().int().describe('Scored test cases left out because they are drafted now'),
});

export const ticketBody = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    assigneeIds: z.array(assigneeRef).max(100).optional(),
    priority: z.enum(['high', 'medium', 'low']).optional(),
    draftItem: z.boolean().default(false),
  })
  .strict()
  .default({ draftItem: false });
export type TicketInput = z.infer<typeof ticketBody>;

export const listQuery = pageQuery;
