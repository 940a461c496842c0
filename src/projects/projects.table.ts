import { index, integer, jsonb, pgTable, primaryKey, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { users } from '../auth/auth.table.ts';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export interface ProjectSettings {
  /** Annotations of an item that has a status cannot change until the status is removed. */
  requireStatusRemovalBeforeEdit?: boolean;
}

export const projects = pgTable('projects', {
  id: uuid('id').primaryKey(),
  name: text('name').notNull(),
  settings: jsonb('settings').$type<ProjectSettings>().notNull().default({}),
  createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
  createdAt: ts('created_at').notNull().defaultNow(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

import type { Role } from '../core/shared/roles.ts';
/** Roles live in `core/shared/roles.ts` (the web app reads them too); re-exported for old imports. */
export { roles, type Role } from '../core/shared/roles.ts';

export const projectMembers = pgTable(
  'project_members',
  {
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role').$type<Role>().notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.userId] }), index('project_members_user_idx').on(t.userId)],
);

export const groups = pgTable(
  'groups',
  {
    id: uuid('id').primaryKey(),
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [unique('groups_project_name_uq').on(t.projectId, t.name)],
);

export const groupMembers = pgTable(
  'group_members',
  {
    groupId: uuid('group_id')
      .notNull()
      .references(() => groups.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    projectId: uuid('project_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.userId] }), index('group_members_user_idx').on(t.userId)],
);

/**
 * The project summary's counters, spread over a few shard rows per project so that concurrent
 * writes in one project do not all queue on a single hot row. Read as a sum over the shards.
 */
export const projectCounters = pgTable(
  'project_counters',
  {
    projectId: uuid('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    shard: integer('shard').notNull(),
    tasks: integer('tasks').notNull().default(0),
    assignments: integer('assignments').notNull().default(0),
    openIssues: integer('open_issues').notNull().default(0),
    pendingReviews: integer('pending_reviews').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.shard] })],
);
