import { and, eq } from 'drizzle-orm';
import { QueryBuilder } from 'drizzle-orm/pg-core';
import { groupMembers, projectMembers } from './projects.table.ts';

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
