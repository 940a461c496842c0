import { z } from 'zod';
import { itemFilterField } from '../datasets/item-filter.ts';
import { cycleStatuses, workloadStatuses } from './workloads.table.ts';

const ref = z.string().min(1).max(320);
const scheduleIn = z
  .object({
    frequency: z.enum(['daily', 'weekly', 'monthly']),
    timeZone: z.string().min(1).max(100).optional().describe('IANA time zone of the period calendar (default UTC)'),
    startAt: z.coerce.date().optional().describe('No cycle starts before this instant'),
  })
  .strict();
const targetIn = z.object({ count: z.number().int().min(1).max(10_000), per: z.enum(['total', 'reviewee']) }).strict();
const samplingIn = z
  .object({
    datasetId: z.string().min(1),
    filter: itemFilterField.optional(),
    revieweeField: z.string().min(1).max(300).describe('The item field that names the reviewee, e.g. metadata.agentId'),
    strategy: z.enum(['random', 'stratified']),
  })
  .strict();
const autoQa = z.enum(['off', 'copilot', 'autonomous']);

export const createWorkloadBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    revieweeIds: z.array(ref).min(1).max(1000).describe('Users or groups (groups expand to their members)'),
    evaluatorIds: z.array(ref).max(1000).default([]).describe('Users or groups; may be empty for autonomous AutoQA'),
    scorecardRecipeId: z.string().min(1),
    schedule: scheduleIn,
    target: targetIn,
    sampling: samplingIn,
    autoQa: autoQa.default('off'),
    aiEvaluatorId: z.string().min(1).max(200).nullable().optional(),
    subscriberIds: z.array(z.string().min(1)).max(1000).default([]),
  })
  .strict();
export type CreateWorkloadInput = z.infer<typeof createWorkloadBody>;

export const patchWorkloadBody = z
  .object({
    name: createWorkloadBody.shape.name.optional(),
    revieweeIds: createWorkloadBody.shape.revieweeIds.optional(),
    evaluatorIds: z.array(ref).max(1000).optional(),
    scorecardRecipeId: z.string().min(1).optional(),
    schedule: scheduleIn.optional(),
    target: targetIn.optional(),
    sampling: samplingIn.optional(),
    autoQa: autoQa.optional(),
    aiEvaluatorId: z.string().min(1).max(200).nullable().optional(),
    subscriberIds: z.array(z.string().min(1)).max(1000).optional(),
  })
  .strict();
export type PatchWorkloadInput = z.infer<typeof patchWorkloadBody>;

export const cycleOut = z.object({
  id: z.string(),
  workloadId: z.string(),
  periodStart: z.date(),
  periodEnd: z.date(),
  status: z.enum(cycleStatuses),
  target: z.number(),
  done: z.number(),
  skipped: z.number(),
  taskId: z.string().nullable(),
  createdAt: z.date(),
  closedAt: z.date().nullable(),
});

export const workloadOut = z.object({
  id: z.string(),
  projectId: z.string(),
  name: z.string(),
  status: z.enum(workloadStatuses),
  revieweeIds: z.array(z.string()),
  evaluatorIds: z.array(z.string()),
  scorecardRecipeId: z.string(),
  schedule: z.object({ frequency: z.enum(['daily', 'weekly', 'monthly']), timeZone: z.string(), startAt: z.string().nullable() }),
  target: targetIn,
  sampling: z.object({ datasetId: z.string(), filter: z.unknown(), revieweeField: z.string(), strategy: z.enum(['random', 'stratified']) }),
  autoQa,
  aiEvaluatorId: z.string().nullable(),
  subscriberIds: z.array(z.string()),
  createdBy: z.string(),
  createdAt: z.date(),
  updatedAt: z.date(),
  currentCycle: cycleOut.nullable(),
});

export const listWorkloadsQuery = z.object({
  status: z.enum(workloadStatuses).optional().describe('Default: active and inactive (archived ones are hidden)'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(2000).optional(),
});

export const skipBody = z.object({ reason: z.string().trim().min(1).max(2000) }).strict();
export const skipOut = z.object({ itemId: z.string(), cycleId: z.string(), skipped: z.literal(true), reason: z.string(), cycleSkipped: z.number() });
export const replaceOut = z.object({ skippedItemId: z.string(), itemId: z.string(), cycleId: z.string() });
export const reassignBody = z.object({ fromId: z.string().min(1), toId: z.string().min(1), itemIds: z.array(z.string()).max(10_000).optional() }).strict();

export const assignmentOut = z.object({
  evaluatorId: z.string(),
  assignmentId: z.string(),
  total: z.number(),
  done: z.number(),
  skipped: z.number(),
  percent: z.number(),
  etaSeconds: z.number().nullable(),
});
export const assignmentsOut = z.object({ cycleId: z.string().nullable(), taskId: z.string().nullable(), data: z.array(assignmentOut) });

export const scorecardOut = z.object({
  score: z.number().nullable().describe('Weighted mean of the rated categories, normalised to 0..1; null when none is rated'),
  categories: z.array(z.object({ name: z.string(), value: z.number().nullable(), weight: z.number(), min: z.number(), max: z.number() })),
  source: z.enum(['none', 'ai', 'human']).describe('Who gave the current answer: nobody yet, the AI (AutoQA), or a person'),
  ai: z
    .object({ values: z.record(z.string(), z.number()), explanation: z.string().nullable(), agreement: z.number().nullable() })
    .nullable()
    .describe('The AutoQA answer, and the share of categories where the person kept it'),
});

const scoreCell = z.object({ score: z.number().nullable(), evaluations: z.number() });
export const reportOut = z.object({
  workloadId: z.string(),
  cycles: z.array(
    z.object({
      cycleId: z.string(),
      periodStart: z.date(),
      status: z.enum(cycleStatuses),
      target: z.number(),
      done: z.number(),
      skipped: z.number(),
      score: z.number().nullable(),
      evaluations: z.number(),
      reviewees: z.array(scoreCell.extend({ revieweeId: z.string() })),
      evaluators: z.array(scoreCell.extend({ evaluatorId: z.string() })),
      aiAgreement: z.array(z.object({ category: z.string(), agreement: z.number().nullable(), compared: z.number() })),
    }),
  ),
  reviewees: z.array(z.object({ revieweeId: z.string(), scores: z.array(z.object({ cycleId: z.string(), periodStart: z.date(), score: z.number().nullable() })) })),
});
