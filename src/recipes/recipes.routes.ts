import { z } from 'zod';
import { sql } from 'drizzle-orm';
import type { App } from '../api/app.ts';
import type { Ctx } from '../context.ts';
import { callerOf } from '../api/access.ts';
import { page, pageQuery } from '../core/pagination.ts';
import type { ProjectOf } from '../projects/permissions.ts';
import * as service from './recipes.service.ts';
import { createRecipeBody, patchRecipeBody, recipeOut } from './recipes.schema.ts';

const tags = ['recipes'];
const projectParams = z.object({ projectId: z.string() });
const recipeParams = z.object({ recipeId: z.string() });

/** How this module's path parameters lead to their project, for the API's access check (collected by `api/modules.ts`). */
export const recipesProjectOf: ProjectOf = {
  recipeId: (id) => sql`select project_id from recipes where id = ${id}::uuid`,
};

export async function recipeRoutes(app: App, ctx: Ctx) {

  app.post('/api/v1/projects/:projectId/recipes', {
    config: { access: { project: 'projectId', minRole: 'manager' } },
    schema: { tags, summary: 'Create a recipe: ontology, tools, statuses, rating categories, validation rules', params: projectParams, body: createRecipeBody, response: { 201: recipeOut } },
  }, async (request, reply) => reply.code(201).send(await service.createRecipe(ctx, callerOf(request), request.params.projectId, request.body)));

  app.get('/api/v1/projects/:projectId/recipes', {
    config: { access: { project: 'projectId', minRole: 'viewer' } },
    schema: { tags, summary: 'A project’s recipes', params: projectParams, querystring: pageQuery, response: { 200: page(recipeOut) } },
  }, async (request) => service.listRecipes(ctx, callerOf(request), request.params.projectId, request.query));

  app.get('/api/v1/recipes/:recipeId', {
    config: { access: { project: 'recipeId', minRole: 'viewer' } },
    schema: { tags, summary: 'Get a recipe', params: recipeParams, response: { 200: recipeOut } },
  }, async (request) => service.readRecipe(ctx, callerOf(request), request.params.recipeId));

  app.patch('/api/v1/recipes/:recipeId', {
    config: { access: { project: 'recipeId', minRole: 'manager' } },
    schema: { tags, summary: 'Change a recipe: given fields replace the old ones', params: recipeParams, body: patchRecipeBody, response: { 200: recipeOut } },
  }, async (request) => service.updateRecipe(ctx, callerOf(request), request.params.recipeId, request.body));
}
