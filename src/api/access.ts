import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Caller, Ctx } from '../context.ts';
import { DomainError } from '../core/errors.ts';
import { authenticate, type Authenticated, type AuthPreload } from '../auth/auth.service.ts';
import { authScope, checkProjectRole, requireProjectRole, type ProjectOf } from '../projects/permissions.ts';
import type { Role } from '../core/shared/roles.ts';

export const SESSION_COOKIE = 'loupe_session';

/**
 * Who may call a route. Every route declares one in `config.access`; the route-by-role test
 * harness reads them to check 401/403/404 on every route.
 * - `public`: anyone.
 * - `user`: any signed-in user; the service checks object-level rights itself.
 * - `admin`: administrators only.
 * - `{ project: 'taskId', minRole }`: the path parameter names an object whose project the
 *   caller must belong to with at least `minRole` (404 when not a member, 403 when below).
 *   With `preload`, the same authenticating statement also reads what the route's service needs
 *   of that object first (one of `AccessPreloads`, e.g. the task and the caller's assignments in
 *   it for a pull): it reaches the handler as `preloadOf(request)`, and costs no round trip.
 * - `ingest`: the route checks its own bearer token (OTLP ingest tokens, `POST /v1/traces`).
 */
export type Access = 'public' | 'user' | 'admin' | 'ingest' | { project: string; minRole: Role; preload?: PreloadName };

/**
 * `taskActor`: the task and the caller's standing in it (pulls); `taskItemActor`: and the units
 * of the path's `itemId` (status writes); `annotationSave`: and the item, the recipe, the
 * project's settings and the units' annotations (annotation saves).
 */
export type PreloadName = 'taskActor' | 'taskItemActor' | 'annotationSave';

/**
 * The statements' parts behind `preload` names, handed in by the app (they belong to the modules
 * owning the objects): `sql` as in `AuthPreload`, and `param`, the second path parameter its `arg` is bound to.
 */
export type AccessPreloads = Record<PreloadName, { sql: AuthPreload['sql']; param?: string }>;

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    caller: Caller | null;
    /** Set for project-scoped routes once the caller's role has been checked. */
    projectAccess: { projectId: string; role: Role } | null;
    /** The object's project and the caller's role there, as read with the authentication (not yet checked). */
    authProject: Authenticated['project'] | null;
    /** The route's `preload` value, read with the authentication (null: none). */
    authPreload: unknown;
  }
}

/** The caller of a route that requires sign-in (the hooks guarantee it is set). */
export function callerOf(request: FastifyRequest): Caller {
  if (!request.caller) throw new DomainError('unauthenticated', 'Sign in or send an API token');
  return request.caller;
}

/** `projectOf`: how each path parameter leads to its project, as `api/modules.ts` collects it. */
export function registerAccess(app: FastifyInstance, ctx: Ctx, projectOf: ProjectOf, preloads?: Partial<AccessPreloads>) {
  app.decorateRequest('caller', null);
  app.decorateRequest('projectAccess', null);
  app.decorateRequest('authProject', null);
  app.decorateRequest('authPreload', null);

  // Authentication runs before body parsing, so an anonymous caller never gets a body parsed. On
  // a project-scoped route the same statement reads the object's project and the caller's role
  // in it (by the subquery of the module owning the parameter): one round trip for both.
  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config?.access;
    if (!access || access === 'ingest') return; // 404 handler and static files; routes with their own tokens
    const preload = typeof access === 'object' && access.preload ? preloads?.[access.preload] : undefined;
    const scope =
      typeof access === 'object'
        ? {
            ...authScope(projectOf, access.project, paramOf(request, access.project)),
            ...(preload ? { preload: { name: access.preload!, sql: preload.sql, ...(preload.param ? { arg: paramOf(request, preload.param) } : {}) } } : {}),
          }
        : undefined;
    const header = request.headers.authorization;
    let auth: Authenticated | null = null;
    if (header?.toLowerCase().startsWith('bearer ')) {
      auth = await authenticate(ctx, { token: header.slice(7).trim() }, scope);
      if (!auth) throw new DomainError('unauthenticated', 'The API token is unknown or revoked');
    } else {
      const session = request.cookies?.[SESSION_COOKIE];
      if (session) auth = await authenticate(ctx, { session }, scope);
    }
    request.caller = auth?.caller ?? null;
    request.authProject = auth?.project ?? null;
    request.authPreload = auth?.preload ?? null;
    if (access === 'public') return;
    if (!request.caller) throw new DomainError('unauthenticated', 'Sign in or send an API token');
    if (access === 'admin' && !request.caller.isAdmin) throw new DomainError('forbidden', 'Only administrators may do this');
  });

  // The project check runs before the body is validated, so a caller without access learns
  // nothing from validation messages either. The role it establishes travels on the caller, so
  // the service's own check (kept for CLI and worker callers) costs no second query.
  app.addHook('preValidation', async (request) => {
    const access = request.routeOptions.config?.access;
    if (!access || typeof access === 'string') return;
    const caller = request.caller!;
    request.projectAccess = request.authProject
      ? checkProjectRole(caller, request.authProject, access.minRole)
      : await requireProjectRole(ctx.db, caller, projectOf, access.project, paramOf(request, access.project), access.minRole);
    if (!caller.isAdmin) caller.projectRole = request.projectAccess;
  });
}

/** The route's `preload` value (see `Access`): null when it declares none or the object does not exist. */
export const preloadOf = (request: FastifyRequest): unknown => request.authPreload;

const paramOf = (request: FastifyRequest, name: string) => (request.params as Record<string, string | undefined>)[name] ?? '';

/** Every route's declared access, for the route-by-role harness and the OpenAPI descriptions. */
export function collectAccess(app: FastifyInstance) {
  const registry = new Map<string, Access>();
  app.addHook('onRoute', (route) => {
    const access = route.config?.access;
    if (!access) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD') continue;
      const url = route.url.replace(/:(\w+)/g, '{$1}');
      registry.set(`${method} ${url}`, access);
      if (route.schema && typeof access !== 'string') {
        const note = `Requires the ${access.minRole} role or higher in the project of \`${access.project}\`.`;
        route.schema.description = route.schema.description ? `${route.schema.description}\n\n${note}` : note;
      } else if (route.schema && access === 'admin') {
        route.schema.description = route.schema.description ? `${route.schema.description}\n\nAdministrators only.` : 'Administrators only.';
      }
    }
  });
  return registry;
}
