import { and, eq, sql, type SQL } from 'drizzle-orm';
import type { Caller } from '../context.ts';
import type { Db } from '../db/client.ts';
import { DomainError, notFound } from '../core/errors.ts';
import { isId } from '../core/ids.ts';
import { projectMembers, type Role } from '../projects/projects.table.ts';

/** Roles are ordered: each may do everything the ones below it may. */
export const roleRank: Record<Role, number> = { viewer: 0, annotator: 1, reviewer: 2, manager: 3, owner: 4 };

export const atLeast = (role: Role, min: Role) => roleRank[role] >= roleRank[min];

/** The caller's role in a project, or null when not a member. Administrators act as owners everywhere. */
export async function roleIn(db: Db, caller: Caller, projectId: string): Promise<Role | null> {
  if (caller.isAdmin) return 'owner';
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
 * How a route's path parameter leads to its project. Each module registers one per parameter
 * it owns (`taskId` → the task's project); the API's access hook uses them to check the caller's
 * role before the body is even parsed.
 */
export type ProjectResolver = (db: Db, id: string) => Promise<string | null>;

const resolvers = new Map<string, ProjectResolver>();
const projectSubqueries = new Map<string, (id: string) => SQL>();

/**
 * `projectIdSql`, optional: the same lookup as a scalar subquery (`select project_id from … where
 * id = <id>`). With it, the access check reads the project and the caller's role in ONE query.
 */
export function registerProjectResolver(param: string, resolver: ProjectResolver, projectIdSql?: (id: string) => SQL) {
  resolvers.set(param, async (db, id) => (isId(id) ? resolver(db, id) : null));
  if (projectIdSql) projectSubqueries.set(param, projectIdSql);
}

/**
 * The access hook's check for `{ project: param, minRole }`: resolves the object's project and
 * requires the role, with the same answers as `requireRole` (404 not a member or no such object,
 * 403 below `min`). One query when the parameter registered its subquery, else two.
 */
export async function requireProjectRole(db: Db, caller: Caller, param: string, id: string, min: Role): Promise<{ projectId: string; role: Role }> {
  const subquery = projectSubqueries.get(param);
  if (!subquery || caller.isAdmin) {
    const projectId = await projectResolver(param)(db, id);
    return { projectId: projectId!, role: await requireRole(db, caller, projectId, min) };
  }
  projectResolver(param); // an unregistered parameter is a programming error, as above
  if (!isId(id)) throw notFound('Object');
  const result = await db.execute(sql`
    select p.project_id, m.role
    from (select (${subquery(id)}) as project_id) as p
    left join project_members m on m.project_id = p.project_id and m.user_id = ${caller.userId}::uuid`);
  const [row] = ((result as { rows?: unknown[] }).rows ?? (result as unknown as unknown[])) as Array<{ project_id: string | null; role: Role | null }>;
  if (!row?.project_id || !row.role) throw notFound('Object');
  if (!atLeast(row.role, min)) throw new DomainError('forbidden', `This needs the ${min} role or higher in the project; you are ${row.role}`);
  return { projectId: row.project_id, role: row.role };
}

export function projectResolver(param: string): ProjectResolver {
  const resolver = resolvers.get(param);
  if (!resolver) throw new Error(`No project resolver registered for path parameter "${param}"`);
  return resolver;
}
