import { z } from 'zod';
import { itemFilterField } from '../datasets/item-filter.ts';
import { taskTypes } from '../core/shared/task-workflow.ts';
import { priorities } from '../task-units/priorities.ts';

/** A user id, an email or a group id naming an assignee (resolveAssignees). */
export const assigneeRef = z.string().min(1).max(320);
const ref = assigneeRef;
const refs = z.array(ref).max(1000);

export const allocationIn = z
  .object({
    method: z.enum(['distribution', 'pulling']).default('distribution'),
    batchSize: z.number().int().min(1).max(100).default(5),
    maxWorkload: z.number().int().min(1).max(1000).default(10),
    leaseSeconds: z.number().int().min(10).max(7 * 24 * 3600).default(3600),
    workload: z.record(z.string(), z.number().min(0).max(100)).optional().describe('Percent per assignee (id, email or group id)'),
  })
  .strict();

export const linkIn = z.object({ kind: z.enum(['item', 'finding']), id: z.uuid() }).strict();

export const createTaskBody = z
  .object({
    name: z.string().trim().min(1).max(300),
    type: z.enum(taskTypes),
    datasetId: z.uuid().optional(),
    datasetIds: z.array(z.uuid()).min(1).max(100).optional().describe('Several datasets instead of datasetId; the first becomes datasetId'),
    recipeId: z.uuid().optional(),
    itemIds: z.array(z.uuid()).max(100_000).optional(),
    filter: itemFilterField.optional(),
    assigneeIds: refs.default([]),
    reviewerIds: refs.default([]),
    ownerId: ref.optional(),
    allocation: allocationIn.default({ method: 'distribution', batchSize: 5, maxWorkload: 10, leaseSeconds: 3600 }),
    priority: z.enum(priorities).nullable().optional(),
    dueDate: z.coerce.date().nullable().optional(),
    lockAfterDueDate: z.boolean().default(false),
    description: z.string().max(20_000).nullable().optional(),
    sourceTaskId: z.uuid().optional(),
    consensus: z.object({ annotatorsPerItem: z.number().int().min(1).max(50) }).strict().optional(),
    honeypot: z.object({ goldItemIds: z.array(z.uuid()).min(1).max(10_000), ratio: z.number().gt(0).lt(1) }).strict().optional(),
    links: z.array(linkIn).max(100).optional(),
    draftLinkedItems: z.boolean().default(false),
    /** Tickets only: the workflow state the ticket starts in (default `open`; docs/hardening.md). */
    workflowState: z.string().min(1).max(50).optional(),
  })
  .strict()
  .refine((b) => !(b.itemIds && b.filter), { message: 'Give itemIds or filter, not both', path: ['filter'] })
  .refine((b) => !(b.datasetId && b.datasetIds), { message: 'Give datasetId or datasetIds, not both', path: ['datasetIds'] });
export type CreateTaskInput = z.infer<typeof createTaskBody>;

export const patchTaskBody = z
  .object({
    name: z.string().trim().min(1).max(300).optional(),
    ownerId: ref.nullable().optional(),
    priority: z.enum(priorities).nullable().optional(),
    dueDate: z.coerce.date().nullable().optional(),
    lockAfterDueDate: z.boolean().optional(),
    recipeId: z.uuid().nullable().optional(),
    description: z.string().max(20_000).nullable().optional(),
    assigneeIds: refs.optional().describe('Replaces the annotators; items with no status are redistributed'),
    reviewerIds: refs.optional(),
    allocation: z
      .object({
        batchSize: z.number().int().min(1).max(100),
        maxWorkload: z.number().int().min(1).max(1000),
        leaseSeconds: z.number().int().min(10).max(7 * 24 * 3600),
        workload: z.record(z.string(), z.number().min(0).max(100)).nullable().describe('Percent per annotator (id, email or group id); null for a balanced split'),
      })
      .partial()
      .strict()
      .optional()
      .describe('Edits the allocation (not its method); new percentages redistribute items with no status'),
  })
  .strict();
export type PatchTaskInput = z.infer<typeof patchTaskBody>;

export const progressOut = z.object({ total: z.number().int(), done: z.number().int(), percent: z.number(), etaSeconds: z.number().nullable() });
export const countsOut = z.object({
  items: z.number().int(),
  done: z.number().int(),
  withStatus: z.number().int(),
  pending: z.number().int(),
  openIssues: z.number().int(),
  forReview: z.number().int(),
});

export const taskOut = z.object({
  id: z.string(),
  projectId: z.string(),
  name: z.string(),
  type: z.enum(taskTypes),
  datasetId: z.string().nullable(),
  datasetCount: z.number().int().describe('How many datasets the task draws items from'),
  recipeId: z.string().nullable(),
  ownerId: z.string().nullable(),
  priority: z.enum(priorities).nullable(),
  dueDate: z.date().nullable(),
  lockAfterDueDate: z.boolean(),
  locked: z.boolean(),
  archived: z.boolean(),
  status: z.enum(['open', 'in_progress', 'completed', 'completed_with_issues']),
  workflowState: z.string(),
  description: z.string().nullable(),
  allocation: z.object({ method: z.enum(['distribution', 'pulling']), batchSize: z.number(), maxWorkload: z.number(), leaseSeconds: z.number(), workload: z.record(z.string(), z.number()).optional() }),
  consensus: z.object({ annotatorsPerItem: z.number() }).nullable(),
  honeypot: z
    .object({ goldItemIds: z.array(z.string()).optional().describe('Managers and owners only: annotators are not told which items are gold'), ratio: z.number() })
    .nullable(),
  sourceTaskId: z.string().nullable(),
  reviewNote: z.object({ body: z.string(), authorId: z.string(), at: z.string() }).nullable().describe('The last review failure comment'),
  links: z.array(z.object({ kind: z.enum(['item', 'finding', 'evaluation_result']), id: z.string() })).optional(),
  progress: progressOut,
  counts: countsOut.extend({ invalid: z.number().int().describe('Current annotations marked invalid') }),
  createdAt: z.date(),
  updatedAt: z.date(),
});

const bool = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);
export const listTasksQuery = z.object({
  q: z.string().max(200).optional(),
  status: z.enum(['open', 'in_progress', 'completed', 'completed_with_issues']).optional(),
  workflowState: z.string().max(40).optional(),
  type: z.enum(taskTypes).optional(),
  priority: z.enum([...priorities, 'none']).optional(),
  ownerId: z.string().max(320).optional(),
  assignee: z.string().max(320).optional().describe('me, unassigned, or a user id'),
  openIssues: bool.optional(),
  forReview: bool.optional(),
  datasetId: z.uuid().optional(),
  archived: bool.optional(),
  sort: z.string().max(40).optional().describe('createdAt, name, priority, dueDate, updatedAt; prefix - for descending'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(2000).optional(),
});
export type ListTasksQuery = z.infer<typeof listTasksQuery>;
export type TaskListFilter = Omit<ListTasksQuery, 'sort' | 'limit' | 'cursor'>;

export const transitionBody = z.object({ to: z.string().min(1).max(40), comment: z.string().max(20_000).optional() }).strict();

export const batchBody = z
  .object({
    action: z.enum(['delete', 'update', 'reassign']),
    ids: z.array(z.uuid()).min(1).max(1000).optional(),
    filter: listTasksQuery.omit({ sort: true, limit: true, cursor: true }).optional(),
    patch: z
      .object({
        priority: z.enum(priorities).nullable().optional(),
        dueDate: z.coerce.date().nullable().optional(),
        ownerId: ref.nullable().optional(),
        fromId: ref.optional(),
        toId: ref.optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((b) => Boolean(b.ids) !== Boolean(b.filter), { message: 'Give ids or filter', path: ['ids'] });

export const batchOut = z.object({
  results: z.array(z.object({ id: z.string(), ok: z.boolean(), status: z.number().int(), code: z.string().optional(), detail: z.string().optional(), archived: z.boolean().optional() })),
});

/** One task item (a unit of work) as the API shows it. */
export const taskItemOut = z.object({
  taskId: z.string(),
  itemId: z.string(),
  copy: z.number().int(),
  status: z.string().nullable(),
  done: z.boolean(),
  assignmentId: z.string().nullable(),
  workerId: z.string().nullable(),
  leaseExpiresAt: z.date().nullable(),
  startedAt: z.date().nullable(),
  finishedAt: z.date().nullable(),
  openIssues: z.number().int(),
  forReview: z.number().int(),
});
