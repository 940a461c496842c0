import { z } from 'zod';
import { taskOut } from '../tasks/tasks.schema.ts';
import { commentSubjects, issueStatuses } from './reviews.table.ts';

const ref = z.string().min(1).max(320);

export const createQaTaskBody = z
  .object({
    name: z.string().trim().min(1).max(300).optional(),
    reviewerIds: z.array(ref).min(1).max(1000).describe('Reviewers (ids, emails or group ids): the QA task’s assignees'),
    sampleRate: z.number().gt(0).lte(1).optional().describe('Share of the completed items to review, chosen deterministically per item (default 1: all)'),
    recipeId: z.uuid().optional().describe('A recipe whose custom statuses the reviewers may use beside approved and discarded'),
    allocation: z
      .object({
        method: z.enum(['distribution', 'pulling']).optional(),
        batchSize: z.number().int().min(1).max(100).optional(),
        maxWorkload: z.number().int().min(1).max(1000).optional(),
        leaseSeconds: z.number().int().min(10).max(7 * 24 * 3600).optional(),
      })
      .strict()
      .optional(),
    priority: z.enum(['high', 'medium', 'low']).nullable().optional(),
    dueDate: z.coerce.date().nullable().optional(),
  })
  .strict();

export const qaTaskOut = taskOut.extend({ sampleRate: z.number() });

export const issueOut = z.object({
  id: z.string(),
  projectId: z.string(),
  taskId: z.string().describe('The task the annotation belongs to'),
  taskItemId: z.string(),
  itemId: z.string(),
  annotationId: z.string(),
  reviewTaskId: z.string().nullable().describe('The QA task the issue was raised from, if any'),
  assigneeId: z.string().nullable().describe('The annotation’s author, who is to fix it'),
  openedBy: z.string(),
  status: z.enum(issueStatuses),
  comment: z.string(),
  createdAt: z.date(),
  updatedAt: z.date(),
  resolvedAt: z.date().nullable(),
});

export const openIssueBody = z.object({ comment: z.string().trim().min(1).max(20_000) }).strict();
export const patchIssueBody = z.object({ status: z.enum(issueStatuses), comment: z.string().max(20_000).optional() }).strict();

const statusFilter = z.enum([...issueStatuses, 'unresolved']).optional();
export const listIssuesQuery = z.object({
  status: statusFilter,
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(2000).optional(),
});
export const myIssuesQuery = listIssuesQuery.extend({ projectId: z.uuid().optional() });

export const createCommentBody = z
  .object({ subjectKind: z.enum(commentSubjects), subjectId: z.string().min(1).max(100), body: z.string().trim().min(1).max(20_000) })
  .strict();
export const listCommentsQuery = z.object({
  subjectKind: z.enum(commentSubjects),
  subjectId: z.string().min(1).max(100),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(2000).optional(),
});
export const commentOut = z.object({
  id: z.string(),
  projectId: z.string(),
  subjectKind: z.enum(commentSubjects),
  subjectId: z.string(),
  kind: z.enum(['comment', 'review_failure', 'issue_status']),
  authorId: z.string().nullable(),
  author: z.object({ id: z.string(), name: z.string(), email: z.string() }).nullable(),
  body: z.string(),
  createdAt: z.date(),
});

export const reviewItemOut = z.object({
  taskId: z.string(),
  sourceTaskId: z.string(),
  itemId: z.string(),
  annotations: z.array(
    z.object({
      id: z.string(),
      taskItemId: z.string(),
      authorId: z.string().nullable(),
      status: z.string().nullable(),
      shapes: z.array(z.unknown()),
      version: z.number().int(),
      updatedAt: z.date(),
    }),
  ),
  issues: z.array(issueOut),
});
