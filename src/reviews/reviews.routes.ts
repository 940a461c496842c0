import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { App } from '../api/app.ts';
import type { Ctx } from '../context.ts';
import { callerOf } from '../api/access.ts';
import { page } from '../core/pagination.ts';
import type { ProjectOf } from '../projects/permissions.ts';
import * as issuesService from './issues.service.ts';
import * as commentsService from './comments.service.ts';
import * as qaService from './qa-tasks.service.ts';
import { projectOfAnnotationSql } from '../annotations/annotation-reads.ts';
import {
  commentOut,
  createCommentBody,
  createQaTaskBody,
  issueOut,
  listCommentsQuery,
  listIssuesQuery,
  myIssuesQuery,
  openIssueBody,
  patchIssueBody,
  qaTaskOut,
  reviewItemOut,
} from './reviews.schema.ts';

const tags = ['reviews'];
const taskParams = z.object({ taskId: z.string() });
const taskItemParams = taskParams.extend({ itemId: z.string() });
const annotationParams = z.object({ annotationId: z.string() });
const issueParams = z.object({ issueId: z.string() });

/** How this module's path parameters lead to their project, for the API's access check (collected by `api/modules.ts`). */
export const reviewsProjectOf: ProjectOf = {
  annotationId: projectOfAnnotationSql,
  issueId: (id) => sql`select project_id from issues where id = ${id}::uuid`,
};

export async function reviewRoutes(app: App, ctx: Ctx) {
  app.post('/api/v1/tasks/:taskId/qa-tasks', {
    config: { access: { project: 'taskId', minRole: 'manager' } },
    schema: { tags, summary: 'Create a QA (review) task over this task: its done items now, later ones as they are done', params: taskParams, body: createQaTaskBody, response: { 201: qaTaskOut } },
  }, async (request, reply) => reply.code(201).send(await qaService.createQaTask(ctx, callerOf(request), request.params.taskId, request.body)));

  app.get('/api/v1/tasks/:taskId/items/:itemId/review', {
    config: { access: { project: 'taskId', minRole: 'viewer' } },
    schema: { tags, summary: 'A QA task’s item with the source task’s answers and their issues', params: taskItemParams, response: { 200: reviewItemOut } },
  }, async (request) => qaService.reviewItem(ctx, callerOf(request), request.params.taskId, request.params.itemId));

  app.post('/api/v1/annotations/:annotationId/issues', {
    config: { access: { project: 'annotationId', minRole: 'annotator' } },
    schema: { tags, summary: 'Open an issue on an annotation (reviewers, or reviewers assigned to its task)', params: annotationParams, body: openIssueBody, response: { 201: issueOut } },
  }, async (request, reply) => reply.code(201).send(await issuesService.openIssue(ctx, callerOf(request), request.params.annotationId, request.body)));

  app.get('/api/v1/issues/:issueId', {
    config: { access: { project: 'issueId', minRole: 'viewer' } },
    schema: { tags, summary: 'Get an issue', params: issueParams, response: { 200: issueOut } },
  }, async (request) => issuesService.getIssue(ctx, callerOf(request), request.params.issueId));

  app.patch('/api/v1/issues/:issueId', {
    config: { access: { project: 'issueId', minRole: 'annotator' } },
    schema: {
      tags,
      summary: 'Move an issue: for_review (author or manager), resolved or back to open (reviewer or manager)',
      params: issueParams,
      body: patchIssueBody,
      response: { 200: issueOut },
    },
  }, async (request) => issuesService.updateIssue(ctx, callerOf(request), request.params.issueId, request.body));

  app.get('/api/v1/tasks/:taskId/issues', {
    config: { access: { project: 'taskId', minRole: 'viewer' } },
    schema: { tags, summary: 'Issues on a task’s annotations (or raised from it, for a QA task)', params: taskParams, querystring: listIssuesQuery, response: { 200: page(issueOut) } },
  }, async (request) => issuesService.listTaskIssues(ctx, callerOf(request), request.params.taskId, request.query));

  app.get('/api/v1/me/issues', {
    config: { access: 'user' },
    schema: { tags, summary: 'Issues on your annotations', querystring: myIssuesQuery, response: { 200: page(issueOut) } },
  }, async (request) => issuesService.listMyIssues(ctx, callerOf(request), request.query));

  app.post('/api/v1/comments', {
    config: { access: 'user' },
    schema: { tags, summary: 'Comment on a task, an item, an annotation or an issue (annotators and above)', body: createCommentBody, response: { 201: commentOut } },
  }, async (request, reply) => reply.code(201).send(await commentsService.createComment(ctx, callerOf(request), request.body)));

  app.get('/api/v1/comments', {
    config: { access: 'user' },
    schema: { tags, summary: 'A subject’s comments, oldest first (a task’s include its review failures)', querystring: listCommentsQuery, response: { 200: page(commentOut) } },
  }, async (request) => commentsService.listComments(ctx, callerOf(request), request.query));
}
