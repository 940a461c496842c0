import { and, eq } from 'drizzle-orm';
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

export function registerProjectResolver(param: string, resolver: ProjectResolver) {
  resolvers.set(param, async (db, id) => (isId(id) ? resolver(db, id) : null));
}

export function projectResolver(param: string): ProjectResolver {
  const resolver = resolvers.get(param);
  if (!resolver) throw new Error(`No project resolver registered for path parameter "${param}"`);
  return resolver;
}
