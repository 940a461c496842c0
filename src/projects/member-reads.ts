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
 * The ids of the groups the user belongs to in the project, as a subquery for a statement built
 * elsewhere (`x in ${groupIdsOfSql(user, project)}`); the arguments may be columns or placeholders.
 */
export function groupIdsOfSql(userId: SQL | string, projectId: SQL | string): SQL {
  return sql`(select ${groupMembers.groupId} from ${groupMembers} where ${groupMembers.userId} = ${userId} and ${groupMembers.projectId} = ${projectId})`;
}
