import { and, asc, eq, gt, inArray, sql, type SQL } from 'drizzle-orm';
import type { Caller, Ctx } from '../context.ts';
import type { Db, Tx } from '../db/client.ts';
import { prepared } from '../db/prepared.ts';
import { DomainError, notFound } from '../core/errors.ts';
import { isId, newId } from '../core/ids.ts';
import { decodeCursor, toPage, type PageQuery } from '../core/pagination.ts';
import { changedFields, recordAudit } from '../audit/audit.service.ts';
import { userDirectory as users } from '../auth/user-reads.ts';
import { resolveUserRefs } from '../auth/auth.service.ts';
import { requireRole, roleIn } from './permissions.ts';
import {
  groupMembers,
  groups,
  projectCounters,
  projectMembers,
  projects,
  type ProjectSettings,
  type Role,
} from './projects.table.ts';

export type { ProjectSettings };

type ProjectRow = typeof projects.$inferSelect;
const view = (p: ProjectRow, role: Role | null) => ({
  id: p.id,
  name: p.name,
  settings: p.settings,
  role,
  createdAt: p.createdAt,
  updatedAt: p.updatedAt,
});

/** Creates a project; the creator becomes its `owner`, in the same transaction. */
export async function createProject(ctx: Ctx, caller: Caller, input: { name: string; settings?: ProjectSettings }) {
  return ctx.db.transaction(async (tx) => {
    const now = ctx.clock.now();
    const [row] = await tx
      .insert(projects)
      .values({ id: newId(), name: input.name, settings: input.settings ?? {}, createdBy: caller.userId, createdAt: now, updatedAt: now })
      .returning();
    await tx.insert(projectMembers).values({ projectId: row!.id, userId: caller.userId, role: 'owner', createdAt: now });
    await recordAudit(tx, {
      projectId: row!.id,
      actorId: caller.userId,
      action: 'project.create',
      subjectKind: 'project',
      subjectId: row!.id,
      after: { name: row!.name, settings: row!.settings },
    });
    return view(row!, 'owner');
  });
}

/** Members see the projects they belong to; administrators see all. Keyset by id. */
export async function listProjects(ctx: Ctx, caller: Caller, page: PageQuery) {
  const after = page.cursor ? String(decodeCursor(page.cursor, 1)[0]) : null;
  const rows = await ctx.db
    .select({ project: projects, role: projectMembers.role })
    .from(projects)
    [caller.isAdmin ? 'leftJoin' : 'innerJoin'](
      projectMembers,
      and(eq(projectMembers.projectId, projects.id), eq(projectMembers.userId, caller.userId)),
    )
    .where(after ? gt(projects.id, after) : undefined)
    .orderBy(asc(projects.id))
    .limit(page.limit + 1);
  const result = toPage(rows, page.limit, (r) => [r.project.id]);
  return { data: result.data.map((r) => view(r.project, r.role ?? null)), nextCursor: result.nextCursor };
}

export async function getProject(ctx: Ctx, caller: Caller, projectId: string) {
  const role = await requireRole(ctx.db, caller, projectId, 'viewer', 'Project');
  const [row] = await ctx.db.select().from(projects).where(eq(projects.id, projectId));
  if (!row) throw notFound('Project');
  return view(row, caller.isAdmin ? await roleIn(ctx.db, { ...caller, isAdmin: false }, projectId) : role);
}

/** A scalar subquery for statements built elsewhere: the settings of project `projectId` (JSON, as `getProjectSettings` answers them). */
export const projectSettingsJson = (projectId: SQL) => sql`(select ${projects.settings} from ${projects} where ${projects.id} = ${projectId})`;

export async function getProjectSettings(db: Db, projectId: string): Promise<ProjectSettings> {
  const [row] = await db.select({ settings: projects.settings }).from(projects).where(eq(projects.id, projectId));
  return row?.settings ?? {};
}

/** Renames or changes settings (owner or manager). */
export async function updateProject(ctx: Ctx, caller: Caller, projectId: string, patch: { name?: string; settings?: ProjectSettings }) {
  const role = await requireRole(ctx.db, caller, projectId, 'manager', 'Project');
  return ctx.db.transaction(async (tx) => {
    const [before] = await tx.select().from(projects).where(eq(projects.id, projectId)).for('update');
    if (!before) throw notFound('Project');
    const next = { name: patch.name ?? before.name, settings: { ...before.settings, ...patch.settings } };
    const changes = changedFields(before as unknown as Record<string, unknown>, next);
    const [row] = await tx
      .update(projects)
      .set({ ...next, updatedAt: ctx.clock.now() })
      .where(eq(projects.id, projectId))
      .returning();
    if (changes) {
      await recordAudit(tx, { projectId, actorId: caller.userId, action: 'project.update', subjectKind: 'project', subjectId: projectId, ...changes });
    }
    return view(row!, role);
  });
}

export async function listMembers(ctx: Ctx, caller: Caller, projectId: string) {
  await requireRole(ctx.db, caller, projectId, 'viewer', 'Project');
  return ctx.db
    .select({ userId: users.id, email: users.email, name: users.name, role: projectMembers.role, createdAt: projectMembers.createdAt })
    .from(projectMembers)
    .innerJoin(users, eq(users.id, projectMembers.userId))
    .where(eq(projectMembers.projectId, projectId))
    .orderBy(asc(users.email));
}

async function resolveOneUser(db: Db, ref: string) {
  const found = await resolveUserRefs(db, [ref]);
  const id = found.get(ref);
  if (!id) throw notFound('User');
  return id;
}

/**
 * Membership changes of one project run one at a time: they lock the project row first, so two
 * owners removing each other at once cannot both see "another owner remains" (and the order of
 * locks is always the same, so they cannot deadlock).
 */
async function lockMembership(tx: Tx, projectId: string) {
  await tx.select({ id: projects.id }).from(projects).where(eq(projects.id, projectId)).for('update');
}

/** Refuses a change that would leave the project without an owner (409 `last_owner`). Call under `lockMembership`. */
async function assertOwnerRemains(tx: Tx, projectId: string, leavingUserId: string) {
  const owners = await tx
    .select({ userId: projectMembers.userId })
    .from(projectMembers)
    .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.role, 'owner')));
  if (owners.length === 1 && owners[0]!.userId === leavingUserId) {
    throw new DomainError('last_owner', 'A project keeps at least one owner: make someone else owner first');
  }
}

/**
 * Adds a member or changes a member's role (user named by id or email). Managers manage roles up
 * to manager; only owners make or unmake owners.
 */
export async function putMember(ctx: Ctx, caller: Caller, projectId: string, userRef: string, role: Role) {
  const callerRole = await requireRole(ctx.db, caller, projectId, 'manager', 'Project');
  const userId = await resolveOneUser(ctx.db, userRef);
  return ctx.db.transaction(async (tx) => {
    await lockMembership(tx, projectId);
    const [existing] = await tx
      .select()
      .from(projectMembers)
      .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId)));
    if ((role === 'owner' || existing?.role === 'owner') && callerRole !== 'owner') {
      throw new DomainError('forbidden', 'Only owners make or unmake owners');
    }
    if (existing?.role === 'owner' && role !== 'owner') await assertOwnerRemains(tx, projectId, userId);
    await tx
      .insert(projectMembers)
      .values({ projectId, userId, role, createdAt: ctx.clock.now() })
      .onConflictDoUpdate({ target: [projectMembers.projectId, projectMembers.userId], set: { role } });
    await recordAudit(tx, {
      projectId,
      actorId: caller.userId,
      action: existing ? 'member.update' : 'member.add',
      subjectKind: 'user',
      subjectId: userId,
      before: existing ? { role: existing.role } : null,
      after: { role },
    });
    const [member] = await tx
      .select({ userId: users.id, email: users.email, name: users.name, role: projectMembers.role, createdAt: projectMembers.createdAt })
      .from(projectMembers)
      .innerJoin(users, eq(users.id, projectMembers.userId))
      .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId)));
    return member!;
  });
}

/** Removes a member (and their group memberships in the project). The last owner stays. */
export async function removeMember(ctx: Ctx, caller: Caller, projectId: string, userRef: string) {
  const callerRole = await requireRole(ctx.db, caller, projectId, 'manager', 'Project');
  const userId = await resolveOneUser(ctx.db, userRef);
  await ctx.db.transaction(async (tx) => {
    await lockMembership(tx, projectId);
    const [existing] = await tx
      .select()
      .from(projectMembers)
      .where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId)));
    if (!existing) throw notFound('Member');
    if (existing.role === 'owner') {
      if (callerRole !== 'owner') throw new DomainError('forbidden', 'Only owners remove owners');
      await assertOwnerRemains(tx, projectId, userId);
    }
    await tx.delete(projectMembers).where(and(eq(projectMembers.projectId, projectId), eq(projectMembers.userId, userId)));
    await tx.delete(groupMembers).where(and(eq(groupMembers.projectId, projectId), eq(groupMembers.userId, userId)));
    await recordAudit(tx, {
      projectId,
      actorId: caller.userId,
      action: 'member.remove',
      subjectKind: 'user',
      subjectId: userId,
      before: { role: existing.role },
    });
  });
}

/** Resolves member refs (ids or emails) and refuses any that is not a member of the project. */
async function resolveMemberIds(db: Db, projectId: string, refs: string[]) {
  const found = await resolveUserRefs(db, refs);
  const missing = refs.filter((r) => !found.has(r));
  const ids = [...new Set(found.values())];
  if (ids.length) {
    const rows = await db
      .select({ userId: projectMembers.userId })
      .from(projectMembers)
      .where(and(eq(projectMembers.projectId, projectId), inArray(projectMembers.userId, ids)));
    const members = new Set(rows.map((r) => r.userId));
    for (const [ref, id] of found) if (!members.has(id)) missing.push(ref);
  }
  if (missing.length) {
    throw new DomainError('validation_failed', 'Group members must be members of the project', { notMembers: missing });
  }
  return ids;
}

async function groupView(db: Db, group: typeof groups.$inferSelect) {
  const members = await db.select({ userId: groupMembers.userId }).from(groupMembers).where(eq(groupMembers.groupId, group.id));
  return { ...group, memberIds: members.map((m) => m.userId).sort() };
}

export async function createGroup(ctx: Ctx, caller: Caller, projectId: string, input: { name: string; memberIds: string[] }) {
  await requireRole(ctx.db, caller, projectId, 'manager', 'Project');
  const memberIds = await resolveMemberIds(ctx.db, projectId, input.memberIds);
  return ctx.db.transaction(async (tx) => {
    const [group] = await tx
      .insert(groups)
      .values({ id: newId(), projectId, name: input.name, createdAt: ctx.clock.now() })
      .onConflictDoNothing()
      .returning();
    if (!group) throw new DomainError('conflict', `A group named "${input.name}" already exists in this project`);
    if (memberIds.length) await tx.insert(groupMembers).values(memberIds.map((userId) => ({ groupId: group.id, userId, projectId })));
    await recordAudit(tx, { projectId, actorId: caller.userId, action: 'group.create', subjectKind: 'group', subjectId: group.id, after: { name: group.name, memberIds } });
    return groupView(tx, group);
  });
}

export async function listGroups(ctx: Ctx, caller: Caller, projectId: string) {
  await requireRole(ctx.db, caller, projectId, 'viewer', 'Project');
  const rows = await ctx.db.select().from(groups).where(eq(groups.projectId, projectId)).orderBy(asc(groups.name));
  return Promise.all(rows.map((g) => groupView(ctx.db, g)));
}

export async function updateGroup(ctx: Ctx, caller: Caller, groupId: string, patch: { name?: string; memberIds?: string[] }) {
  const group = await findGroup(ctx.db, groupId);
  await requireRole(ctx.db, caller, group.projectId, 'manager', 'Group');
  const memberIds = patch.memberIds ? await resolveMemberIds(ctx.db, group.projectId, patch.memberIds) : undefined;
  return ctx.db.transaction(async (tx) => {
    const before = await groupView(tx, group);
    if (patch.name && patch.name !== group.name) await tx.update(groups).set({ name: patch.name }).where(eq(groups.id, groupId));
    if (memberIds) {
      await tx.delete(groupMembers).where(eq(groupMembers.groupId, groupId));
      if (memberIds.length) await tx.insert(groupMembers).values(memberIds.map((userId) => ({ groupId, userId, projectId: group.projectId })));
    }
    const [row] = await tx.select().from(groups).where(eq(groups.id, groupId));
    const after = await groupView(tx, row!);
    const changes = changedFields(before as unknown as Record<string, unknown>, { name: after.name, memberIds: after.memberIds });
    if (changes) await recordAudit(tx, { projectId: group.projectId, actorId: caller.userId, action: 'group.update', subjectKind: 'group', subjectId: groupId, ...changes });
    return after;
  });
}

export async function deleteGroup(ctx: Ctx, caller: Caller, groupId: string) {
  const group = await findGroup(ctx.db, groupId);
  await requireRole(ctx.db, caller, group.projectId, 'manager', 'Group');
  await ctx.db.transaction(async (tx) => {
    await tx.delete(groups).where(eq(groups.id, groupId));
    await recordAudit(tx, { projectId: group.projectId, actorId: caller.userId, action: 'group.delete', subjectKind: 'group', subjectId: groupId, before: { name: group.name } });
  });
}

async function findGroup(db: Db, groupId: string) {
  const [group] = isId(groupId) ? await db.select().from(groups).where(eq(groups.id, groupId)) : [];
  if (!group) throw notFound('Group');
  return group;
}

/** The user ids of a group's members (for modules that assign work to groups). */
export async function groupMemberIds(db: Db, groupId: string): Promise<string[]> {
  const rows = await db.select({ userId: groupMembers.userId }).from(groupMembers).where(eq(groupMembers.groupId, groupId));
  return rows.map((r) => r.userId);
}

export interface CounterDelta {
  tasks?: number;
  assignments?: number;
  openIssues?: number;
  pendingReviews?: number;
}

const COUNTER_SHARDS = 8;

/**
 * Moves the project summary counters by `delta`, in the caller's transaction. Each call lands
 * on one of a few shard rows, picked by the transaction's id: concurrent transactions have
 * distinct, consecutive ids, so parallel writers in one project rarely wait on each other (no
 * random draw, so no hidden source of randomness); readers sum the shards.
 */
export async function bumpProjectCounters(tx: Tx, projectId: string, delta: CounterDelta) {
  const values = { tasks: delta.tasks ?? 0, assignments: delta.assignments ?? 0, openIssues: delta.openIssues ?? 0, pendingReviews: delta.pendingReviews ?? 0 };
  if (!values.tasks && !values.assignments && !values.openIssues && !values.pendingReviews) return;
  await tx
    .insert(projectCounters)
    .values({ projectId, shard: sql`(txid_current() % ${COUNTER_SHARDS})::int`, ...values })
    .onConflictDoUpdate({
      target: [projectCounters.projectId, projectCounters.shard],
      set: {
        tasks: sql`${projectCounters.tasks} + ${values.tasks}`,
        assignments: sql`${projectCounters.assignments} + ${values.assignments}`,
        openIssues: sql`${projectCounters.openIssues} + ${values.openIssues}`,
        pendingReviews: sql`${projectCounters.pendingReviews} + ${values.pendingReviews}`,
      },
    });
}

/** `{tasks, assignments, openIssues, pendingReviews}`: a sum over at most eight counter rows. */
export async function projectSummary(ctx: Ctx, caller: Caller, projectId: string) {
  await requireRole(ctx.db, caller, projectId, 'viewer', 'Project');
  const [row] = await prepared(ctx.db, 'loupe_project_summary', () =>
    ctx.db
      .select({
        tasks: sql<number>`coalesce(sum(${projectCounters.tasks}), 0)::int`,
        assignments: sql<number>`coalesce(sum(${projectCounters.assignments}), 0)::int`,
        openIssues: sql<number>`coalesce(sum(${projectCounters.openIssues}), 0)::int`,
        pendingReviews: sql<number>`coalesce(sum(${projectCounters.pendingReviews}), 0)::int`,
      })
      .from(projectCounters)
      .where(eq(projectCounters.projectId, sql.placeholder('projectId')))
      .prepare('loupe_project_summary'),
  ).execute({ projectId });
  return row!;
}

/**
 * The caller's user record and memberships (`GET /me`) in one statement; null when the user is
 * gone. Projects are ordered by name. (`"user_directory"."id"` is spelt out: drizzle leaves columns
 * unqualified in a single-table select, and inside the subquery `id` would be the project's.)
 */
export async function userWithProjects(ctx: Ctx, caller: Caller) {
  const [row] = await prepared(ctx.db, 'loupe_me', () =>
    ctx.db
      .select({
        id: users.id,
        email: users.email,
        name: users.name,
        isAdmin: users.isAdmin,
        createdAt: users.createdAt,
        projects: sql<Array<{ id: string; name: string; role: Role }>>`coalesce((
          select json_agg(json_build_object('id', p.id, 'name', p.name, 'role', m.role) order by p.name)
          from project_members m join projects p on p.id = m.project_id
          where m.user_id = "user_directory"."id"), '[]'::json)`,
      })
      .from(users)
      .where(eq(users.id, sql.placeholder('userId')))
      .prepare('loupe_me'),
  ).execute({ userId: caller.userId });
  return row ?? null;
}
