import { and, eq, sql, type Placeholder, type SQL } from 'drizzle-orm';
import type { AuthScope } from '../auth/auth.service.ts';
import type { Caller } from '../context.ts';
import type { Db } from '../db/client.ts';
import { DomainError, notFound } from '../core/errors.ts';
import { isId } from '../core/ids.ts';
import { projectMembers } from './projects.table.ts';
import { atLeast, roleRank, type Role } from '../core/shared/roles.ts';

/** The role order lives in `core/shared/roles.ts`; re-exported for the modules that import it from here. */
export { atLeast, roleRank };

/** The caller's role in a project, or null when not a member. Administrators act as owners everywhere. */
export async function roleIn(db: Db, caller: Caller, projectId: string): Promise<Role | null> {
  if (caller.isAdmin) return 'owner';
  // Read by the access check of this request, in the statement that authenticated it.
  if (caller.projectRole?.projectId === projectId) return caller.projectRole.role;
  const [row] = await db
    .select({ role: projectMembers.role })
    .from(projectMembers)
    .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, caller.userId)));
  return row?.role ?? null;
}

/**
 * The one permission check: may this caller act with at least `min` in this project?
 * Returns the caller's role. A caller who is not a member gets 404 for the object (never a
 * hint that it exists); a member below `min` gets 403.
 */
export async function requireRole(db: Db, caller: Caller, projectId: string | null, min: Role, what = 'Object'): Promise<Role> {
  const role = projectId ? await roleIn(db, caller, projectId) : null;
  if (!role) throw notFound(what);
  if (!atLeast(role, min)) {
    throw new DomainError('forbidden', `This needs the ${min} role or higher in the project; you are ${role}`);
  }
  return role;
}

/**
 * How a route's path parameter leads to its project: per parameter, a scalar subquery
 * (`select project_id from … where id = <id>::uuid`; `id` may be a placeholder of a prepared
 * statement). Each module exports the map of the parameters it owns (`taskId` → the task's
 * project) and `api/modules.ts` collects them into one (`collectProjectOf`); the API's access
 * check reads the project and the caller's role in the statement that authenticates the request.
 */
export type ProjectOf = Record<string, (id: string | Placeholder) => SQL>;

/** The modules' maps as one; a parameter two modules claim is a programming error. */
export function collectProjectOf(...maps: ProjectOf[]): ProjectOf {
  const all: ProjectOf = {};
  for (const map of maps) {
    for (const [param, projectIdSql] of Object.entries(map)) {
      if (param in all) throw new Error(`Path parameter "${param}" leads to its project in two modules`);
      all[param] = projectIdSql;
    }
  }
  return all;
}

/** The project lookup of a route's path parameter, for the access check to read inside the statement that authenticates the request (`authenticate`). */
export function authScope(projectOf: ProjectOf, param: string, id: string): AuthScope {
  return { param, id, projectIdSql: projectSubquery(projectOf, param) };
}

function projectSubquery(projectOf: ProjectOf, param: string) {
  const projectIdSql = Object.hasOwn(projectOf, param) ? projectOf[param] : undefined;
  if (!projectIdSql) throw new Error(`No module says how path parameter "${param}" leads to its project`);
  return projectIdSql;
}

/**
 * The answer of the access check, from the object's project (null: no such object) and the
 * caller's membership role there (null: not a member): 404 for no object or a non-member, 403
 * below `min` (the same answers and messages as `requireRole`). Administrators act as owners.
 */
export function checkProjectRole(caller: Caller, found: { projectId: string | null; role: Role | null }, min: Role): { projectId: string; role: Role } {
  const role = caller.isAdmin ? 'owner' : found.role;
  if (!found.projectId || !role) throw notFound('Object');
  if (!atLeast(role, min)) throw new DomainError('forbidden', `This needs the ${min} role or higher in the project; you are ${role}`);
  return { projectId: found.projectId, role };
}

/**
 * The access check for `{ project: param, minRole }` on its own, for when the authenticating
 * statement did not read it: resolves the object's project and requires the role, with the same
 * answers as `checkProjectRole`, in one query.
 */
export async function requireProjectRole(db: Db, caller: Caller, projectOf: ProjectOf, param: string, id: string, min: Role): Promise<{ projectId: string; role: Role }> {
  const scope = authScope(projectOf, param, id);
  if (!isId(id)) throw notFound('Object');
  const result = await db.execute(sql`
    select p.project_id, m.role
    from (select (${scope.projectIdSql(id)}) as project_id) as p
    left join project_members m on m.project_id = p.project_id and m.user_id = ${caller.userId}::uuid`);
  const [row] = rowsOf<{ project_id: string | null; role: Role | null }>(result);
  return checkProjectRole(caller, { projectId: row?.project_id ?? null, role: row?.role ?? null }, min);
}

/** Rows of `db.execute` on either driver (node-postgres answers `{ rows }`, PGlite too or an array). */
const rowsOf = <T>(result: unknown): T[] => ((result as { rows?: unknown[] }).rows ?? (result as unknown[])) as T[];
