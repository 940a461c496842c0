import { z } from 'zod';
import { sql } from 'drizzle-orm';
import type { App } from '../api/app.ts';
import type { Ctx } from '../context.ts';
import { callerOf } from '../api/access.ts';
import { page, pageQuery } from '../core/pagination.ts';
import type { ProjectOf } from './permissions.ts';
import * as service from './projects.service.ts';
import {
  createGroupBody,
  createProjectBody,
  groupOut,
  memberOut,
  patchGroupBody,
  patchProjectBody,
  projectOut,
  putMemberBody,
  summaryOut,
} from './projects.schema.ts';

const tags = ['projects'];
const projectParams = z.object({ projectId: z.string() });
const memberParams = projectParams.extend({ userId: z.string().describe('A user id or email') });
const groupParams = z.object({ groupId: z.string() });

/** How this module's path parameters lead to their project, for the API's access check (collected by `api/modules.ts`). */
export const projectsProjectOf: ProjectOf = {
  projectId: (id) => sql`select id from projects where id = ${id}::uuid`,
  groupId: (id) => sql`select project_id from groups where id = ${id}::uuid`,
};

export async function projectRoutes(app: App, ctx: Ctx) {

  app.post('/api/v1/projects', {
    config: { access: 'user' },
    schema: { tags, summary: 'Create a project; you become its owner', body: createProjectBody, response: { 201: projectOut } },
  }, async (request, reply) => reply.code(201).send(await service.createProject(ctx, callerOf(request), request.body)));

  app.get('/api/v1/projects', {
    config: { access: 'user' },
    schema: { tags, summary: 'Projects you are a member of (administrators: all)', querystring: pageQuery, response: { 200: page(projectOut) } },
  }, async (request) => service.listProjects(ctx, callerOf(request), request.query));

  app.get('/api/v1/projects/:projectId', {
    config: { access: { project: 'projectId', minRole: 'viewer' } },
    schema: { tags, summary: 'Get a project', params: projectParams, response: { 200: projectOut } },
  }, async (request) => service.getProject(ctx, callerOf(request), request.params.projectId));

  app.patch('/api/v1/projects/:projectId', {
    config: { access: { project: 'projectId', minRole: 'manager' } },
    schema: { tags, summary: 'Rename a project or change its settings', params: projectParams, body: patchProjectBody, response: { 200: projectOut } },
  }, async (request) => service.updateProject(ctx, callerOf(request), request.params.projectId, request.body));

  app.get('/api/v1/projects/:projectId/summary', {
    config: { access: { project: 'projectId', minRole: 'viewer' } },
    schema: { tags, summary: 'Summary counters: tasks, assignments, open issues, pending reviews', params: projectParams, response: { 200: summaryOut } },
  }, async (request) => service.projectSummary(ctx, callerOf(request), request.params.projectId));

  app.get('/api/v1/projects/:projectId/members', {
    config: { access: { project: 'projectId', minRole: 'viewer' } },
    schema: { tags, summary: 'Members and their roles', params: projectParams, response: { 200: z.object({ data: z.array(memberOut) }) } },
  }, async (request) => ({ data: await service.listMembers(ctx, callerOf(request), request.params.projectId) }));

  app.put('/api/v1/projects/:projectId/members/:userId', {
    config: { access: { project: 'projectId', minRole: 'manager' } },
    schema: { tags, summary: 'Add a member or change their role (user by id or email)', params: memberParams, body: putMemberBody, response: { 200: memberOut } },
  }, async (request) => service.putMember(ctx, callerOf(request), request.params.projectId, request.params.userId, request.body.role));

  app.delete('/api/v1/projects/:projectId/members/:userId', {
    config: { access: { project: 'projectId', minRole: 'manager' } },
    schema: { tags, summary: 'Remove a member (the last owner cannot be removed)', params: memberParams, response: { 204: z.null() } },
  }, async (request, reply) => {
    await service.removeMember(ctx, callerOf(request), request.params.projectId, request.params.userId);
    return reply.code(204).send(null);
  });

  app.post('/api/v1/projects/:projectId/groups', {
    config: { access: { project: 'projectId', minRole: 'manager' } },
    schema: { tags, summary: 'Create a group of members, assignable like a person', params: projectParams, body: createGroupBody, response: { 201: groupOut } },
  }, async (request, reply) => reply.code(201).send(await service.createGroup(ctx, callerOf(request), request.params.projectId, request.body)));

  app.get('/api/v1/projects/:projectId/groups', {
    config: { access: { project: 'projectId', minRole: 'viewer' } },
    schema: { tags, summary: 'List groups', params: projectParams, response: { 200: z.object({ data: z.array(groupOut) }) } },
  }, async (request) => ({ data: await service.listGroups(ctx, callerOf(request), request.params.projectId) }));

  app.patch('/api/v1/groups/:groupId', {
    config: { access: { project: 'groupId', minRole: 'manager' } },
    schema: { tags, summary: 'Rename a group or replace its members', params: groupParams, body: patchGroupBody, response: { 200: groupOut } },
  }, async (request) => service.updateGroup(ctx, callerOf(request), request.params.groupId, request.body));

  app.delete('/api/v1/groups/:groupId', {
    config: { access: { project: 'groupId', minRole: 'manager' } },
    schema: { tags, summary: 'Delete a group', params: groupParams, response: { 204: z.null() } },
  }, async (request, reply) => {
    await service.deleteGroup(ctx, callerOf(request), request.params.groupId);
    return reply.code(204).send(null);
  });
}
