import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { QueryBuilder } from 'drizzle-orm/pg-core';
import type { Db } from '../db/client.ts';
import { groupMembers, groups, projectMembers } from './projects.table.ts';

/** What other modules may read of memberships, as a subquery they join: project, user, role. */
export const membershipFacts = new QueryBuilder()
  .select({ projectId: projectMembers.projectId, userId: projectMembers.userId, role: projectMembers.role })
  .from(projectMembers)
  .as('membership_facts');

/** A subquery of the ids of the groups the user belongs to in the project (for `inArray`). */
export function groupIdsOf(userId: string, projectId: string) {
  return new QueryBuilder()
    .select({ id: groupMembers.groupId })
    .from(groupMembers)
    .where(and(eq(groupMembers.userId, userId), eq(groupMembers.projectId, projectId)));
}

/** The ids among `ids` that are groups of the project. */
export async function groupIdsInProject(db: Db, projectId: string, ids: string[]): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const rows = await db.select({ id: groups.id }).from(groups).where(and(eq(groups.projectId, projectId), inArray(groups.id, ids)));
  return new Set(rows.map((g) => g.id));
}

/** The ids among `userIds` that are members of the project. */
export async function memberIdsInProject(db: Db, projectId: string, userIds: string[]): Promise<Set<string>> {
  if (!userIds.length) return new Set();
  const rows = await db.select({ id: projectMembers.userId }).from(projectMembers).where(and(eq(projectMembers.projectId, projectId), inArray(projectMembers.userId, userIds)));
  return new Set(rows.map((m) => m.id));
}

/** The ids of every group the user belongs to, in any project. */
export async function groupIdsOfUser(db: Db, userId: string): Promise<string[]> {
  return (await db.select({ id: groupMembers.groupId }).from(groupMembers).where(eq(groupMembers.userId, userId))).map((g) => g.id);
}

/**
 * The user and the groups they belong to in the project, as ONE `uuid[]` for a statement built
 * elsewhere: `assignee_id = any(${selfAndGroupIdsSql(user, project)})`. An index on `assignee_id`
 * serves that with one probe per id; the equivalent `assignee_id = user or assignee_id in (groups)`
 * is a filter, which reads every assignment row of the task. The arguments may be columns or
 * placeholders; without `projectId`, the user's groups of every project (a group id names one
 * project's group, so a condition that also names the task or project gives the same answer).
 */
export function selfAndGroupIdsSql(userId: SQL | string, projectId?: SQL | string): SQL {
  const inProject = projectId === undefined ? sql`` : sql` and ${groupMembers.projectId} = ${projectId}`;
  return sql`array(select (${userId})::uuid union all select ${groupMembers.groupId} from ${groupMembers} where ${groupMembers.userId} = ${userId}${inProject})`;
}
