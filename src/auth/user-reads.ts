import { sql } from 'drizzle-orm';
import { QueryBuilder } from 'drizzle-orm/pg-core';
import type { Db } from '../db/client.ts';
import { users } from './auth.table.ts';

/**
 * What other modules may read of a user, as a subquery they join (`innerJoin(userDirectory, …)`):
 * id, email, name, admin flag, creation time. Never the password hash or the deactivation
 * state, which only this module reads. The planner flattens the subquery, so the join costs
 * what a join on `users` costs.
 */
export const userDirectory = new QueryBuilder()
  .select({ id: users.id, email: users.email, name: users.name, isAdmin: users.isAdmin, createdAt: users.createdAt })
  .from(users)
  .as('user_directory');

/** How many user accounts exist (deactivated ones included). */
export async function countUsers(db: Db): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(users);
  return Number(row?.n ?? 0);
}
