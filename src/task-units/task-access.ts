import { and, asc, eq, sql, type SQL } from 'drizzle-orm';
import type { Caller } from '../context.ts';
import { prepared } from '../db/prepared.ts';
import { fromJsonRow, jsonRowColumns } from '../db/json-row.ts';
import type { Db, Tx } from '../db/client.ts';
import { DomainError, notFound } from '../core/errors.ts';
import { isId } from '../core/ids.ts';
import { atLeast } from '../projects/permissions.ts';
import { selfAndGroupIdsSql, membershipFacts as projectMembers } from '../projects/member-reads.ts';
import type { Role } from '../core/shared/roles.ts';
import { taskAssignees } from './assignments.table.ts';
import { tasks } from './tasks.table.ts';
import { taskItems } from './task-items.table.ts';
import { statusRecipeJson, type StatusRecipeFacts } from '../recipes/recipes.service.ts';
import { frozenForAnnotators, type WorkflowActor } from '../core/shared/task-workflow.ts';

export type TaskRow = typeof tasks.$inferSelect;
export type AssignmentRow = typeof taskAssignees.$inferSelect;

export async function findTask(db: Db, taskId: string): Promise<TaskRow> {
  const [task] = isId(taskId) ? await db.select().from(tasks).where(eq(tasks.id, taskId)) : [];
  if (!task) throw notFound('Task');
  return task;
}

/** Past its due date with `lockAfterDueDate`, unless `POST /unlock` lifted the lock for this very due date. */
export const isAutoLocked = (task: Pick<TaskRow, 'lockAfterDueDate' | 'dueDate' | 'autoLockLiftedFor'>, now: Date) =>
  task.lockAfterDueDate &&
  task.dueDate !== null &&
  task.dueDate.getTime() <= now.getTime() &&
  task.autoLockLiftedFor?.getTime() !== task.dueDate.getTime();

/** Locked by hand, or automatically (enforced even before any sweep runs; docs/hardening.md). */
export const isLocked = (task: Pick<TaskRow, 'locked' | 'lockAfterDueDate' | 'dueDate' | 'autoLockLiftedFor'>, now: Date) => task.locked || isAutoLocked(task, now);

/** Refuses any write to a locked (409 `task_locked`) or archived task. */
export function assertWritable(task: TaskRow, now: Date) {
  if (isLocked(task, now)) throw new DomainError('task_locked', 'The task is locked: nothing in it can change', { taskId: task.id });
  if (task.archived) throw new DomainError('task_locked', 'The task is archived: nothing in it can change', { taskId: task.id });
}

/** What the caller is to one task: project role, and the assignments (own or via a group) they may work. */
export interface TaskActor extends WorkflowActor {
  userId: string;
  role: Role;
  /** Annotator-role assignments the caller may work (their own and their groups'). */
  annotatorAssignmentIds: string[];
  reviewerAssignmentIds: string[];
  /** The caller's own (not a group's) annotator assignment, if any. */
  ownAnnotatorAssignmentId: string | null;
}

interface ActorRow {
  memberRole: Role | null;
  id: string | null;
  role: string | null;
  assigneeId: string | null;
}

/** The caller's assignments in a task, own and via their groups (a join condition on `task_assignees`). */
const callerAssignments = (userId: SQL | string, taskId: SQL | string, projectId: SQL | string) => sql`${taskAssignees.taskId} = ${taskId}
  and ${taskAssignees.assigneeId} = any(${selfAndGroupIdsSql(userId, projectId)})`;

/** Checks the role (the same answers and messages as `requireRole`) and builds the actor. */
function actorOf(caller: Caller, rows: ActorRow[], minRole: Role): TaskActor {
  // Administrators act as owners everywhere (as in `roleIn`).
  const role: Role | null = caller.isAdmin ? 'owner' : (rows[0]?.memberRole ?? null);
  if (!role) throw notFound('Task');
  if (!atLeast(role, minRole)) throw new DomainError('forbidden', `This needs the ${minRole} role or higher in the project; you are ${role}`);
  const mine = rows.filter((r) => r.id !== null);
  const annotator = mine.filter((a) => a.role === 'annotator');
  const annotatorAssignmentIds = annotator.map((a) => a.id!);
  const reviewerAssignmentIds = mine.filter((a) => a.role === 'reviewer').map((a) => a.id!);
  return {
    userId: caller.userId,
    role,
    isManager: atLeast(role, 'manager'),
    isAssignedAnnotator: annotatorAssignmentIds.length > 0,
    isAssignedReviewer: reviewerAssignmentIds.length > 0,
    annotatorAssignmentIds,
    reviewerAssignmentIds,
    ownAnnotatorAssignmentId: annotator.find((a) => a.assigneeId === caller.userId)?.id ?? null,
  };
}

/**
 * The caller's standing in a task; 404 for non-members of its project, 403 below `minRole`
 * (the same answers and messages as `requireRole`). One query: the project role and the
 * caller's assignments in the task (own and via groups) are read together.
 */
export async function taskActor(db: Db, caller: Caller, task: TaskRow, minRole: Role = 'viewer'): Promise<TaskActor> {
  const rows = await db
    .select({ memberRole: projectMembers.role, id: taskAssignees.id, role: taskAssignees.role, assigneeId: taskAssignees.assigneeId })
    .from(sql`(select 1) as one`)
    .leftJoin(projectMembers, and(eq(projectMembers.projectId, task.projectId), eq(projectMembers.userId, caller.userId)))
    .leftJoin(taskAssignees, callerAssignments(caller.userId, task.id, task.projectId))
    .orderBy(asc(taskAssignees.createdAt), asc(taskAssignees.id));
  return actorOf(caller, rows, minRole);
}

/**
 * The statement behind `findTaskAs`, prepared by name (see `prepared`): it runs before every
 * pull, status write and annotation save, and planning its joins cost more than running them.
 */
const findTaskAsStatement = (db: Db) =>
  prepared(db, 'loupe_find_task_as', () =>
    db
      .select({ task: tasks, memberRole: projectMembers.role, id: taskAssignees.id, role: taskAssignees.role, assigneeId: taskAssignees.assigneeId })
      .from(tasks)
      .leftJoin(projectMembers, and(eq(projectMembers.projectId, tasks.projectId), eq(projectMembers.userId, sql.placeholder('userId'))))
      .leftJoin(taskAssignees, callerAssignments(sql`${sql.placeholder('userId')}::uuid`, sql`${tasks.id}`, sql`${tasks.projectId}`))
      .where(eq(tasks.id, sql.placeholder('taskId')))
      .orderBy(asc(taskAssignees.createdAt), asc(taskAssignees.id))
      .prepare('loupe_find_task_as'),
  );

/**
 * `findTask` and `taskActor` in ONE query, for the hot paths (pull, status, annotation save):
 * the task row, the caller's project role and their assignments in it. Same answers: 404 for
 * an unknown task or a non-member, 403 below `minRole`.
 */
export async function findTaskAs(db: Db, caller: Caller, taskId: string, minRole: Role = 'viewer'): Promise<{ task: TaskRow; actor: TaskActor }> {
  const rows = isId(taskId) ? await findTaskAsStatement(db).execute({ taskId, userId: caller.userId }) : [];
  if (!rows.length) throw notFound('Task');
  return { task: rows[0]!.task, actor: actorOf(caller, rows, minRole) };
}

/**
 * `findTaskAs`'s read as ONE JSON value inside another statement: the authenticating statement of
 * a route that declares `preload: 'taskActor'` (src/api/access.ts) reads it with the credential,
 * so a pull costs no lookup of its own. `taskId` and `userId` are SQL of that statement.
 */
export const taskActorJson = (taskId: SQL, userId: SQL) => sql`(select json_build_object(${actorJsonFields(userId)})
  from ${tasks} t where t.id = ${taskId})`;

/** The task `t` and the caller's standing in it, as `json_build_object` arguments. */
const actorJsonFields = (userId: SQL) => sql`
    'task', row_to_json(t),
    'memberRole', (select ${projectMembers.role} from ${projectMembers} where ${projectMembers.projectId} = t.project_id and ${projectMembers.userId} = ${userId}),
    'assignments', coalesce((select json_agg(json_build_object('id', ${taskAssignees.id}, 'role', ${taskAssignees.role}, 'assigneeId', ${taskAssignees.assigneeId})
                                      order by ${taskAssignees.createdAt}, ${taskAssignees.id})
                             from ${taskAssignees} where ${callerAssignments(userId, sql`t.id`, sql`t.project_id`)}), '[]'::json)`;

/**
 * `findTaskAsWithItem`'s unlocked read as ONE JSON value inside another statement (the
 * authenticating statement of a route with `preload: 'taskItemActor'`): the task, the caller's
 * standing, the units of item `itemId` with their row versions, and the recipe's status facts.
 */
export const taskItemActorJson = (taskId: SQL, userId: SQL, itemId: SQL) => sql`(select json_build_object(${actorJsonFields(userId)},
    'itemId', ${itemId},
    'units', coalesce((select json_agg(json_build_object('row', row_to_json(u), 'version', u.xmin::text) order by u.copy)
                       from ${taskItems} u where u.task_id = t.id and u.item_id = ${itemId}), '[]'::json),
    'recipe', ${statusRecipeJson(sql`t.recipe_id`)})
  from ${tasks} t where t.id = ${taskId})`;

const taskColumns = jsonRowColumns(tasks);

/**
 * `findTaskAs` from a `taskActorJson` value read earlier in the request (null when it is absent
 * or names another task: then it reads, as `findTaskAs`). Same answers.
 */
export async function findTaskAsPreloaded(db: Db, caller: Caller, taskId: string, minRole: Role, preload: unknown): Promise<{ task: TaskRow; actor: TaskActor }> {
  const p = preload as ActorPreload | null;
  if (!p?.task || p.task.id !== taskId) return findTaskAs(db, caller, taskId, minRole);
  return fromActorPreload(caller, p, minRole);
}

interface ActorPreload {
  task: Record<string, unknown> | null;
  memberRole: Role | null;
  assignments: Array<{ id: string; role: string; assigneeId: string }>;
}

function fromActorPreload(caller: Caller, p: ActorPreload, minRole: Role) {
  const task = fromJsonRow<TaskRow>(taskColumns, p.task!);
  const rows: ActorRow[] = p.assignments.length ? p.assignments.map((a) => ({ memberRole: p.memberRole, ...a })) : [{ memberRole: p.memberRole, id: null, role: null, assigneeId: null }];
  return { task, actor: actorOf(caller, rows, minRole) };
}

const unitColumns = jsonRowColumns(taskItems);

/**
 * `findTaskAsWithItem(…, { lock: false })` from a `taskItemActorJson` value read earlier in the
 * request (when it is absent or names another task or item: then it reads). Same answers.
 */
export async function findTaskAsWithItemPreloaded(db: Db, caller: Caller, taskId: string, itemId: string, minRole: Role, preload: unknown): Promise<TaskWithItem> {
  return taskItemActorFromPreload(caller, taskId, itemId, minRole, preload) ?? findTaskAsWithItem(db, caller, taskId, itemId, minRole, { lock: false });
}

/**
 * `findTaskAsWithItemPreloaded` without its fallback: null when the value is absent, names
 * another task or item, or holds no unit (the item is not in the task: the caller reads, so the
 * answers come in their usual order). Same answers (404/403) otherwise.
 */
export function taskItemActorFromPreload(caller: Caller, taskId: string, itemId: string, minRole: Role, preload: unknown): TaskWithItem | null {
  const p = preload as (ActorPreload & { itemId: string; units: Array<{ row: Record<string, unknown>; version: string }>; recipe: StatusRecipeFacts | null }) | null;
  if (!p?.task || p.task.id !== taskId || p.itemId !== itemId || !p.units.length) return null;
  const units = p.units.map((u) => fromJsonRow<UnitRow>(unitColumns, u.row));
  return { ...fromActorPreload(caller, p, minRole), units, versions: new Map(units.map((u, i) => [u.id, p.units[i]!.version])), recipe: p.recipe };
}

type UnitRow = typeof taskItems.$inferSelect;

/**
 * `findTaskAs` and the units of one item in the task (in copy order), in ONE statement: the
 * status write's lookup (it then picks its unit with `pickUnit`). With `lock`, inside the
 * caller's transaction, the units are locked FOR UPDATE. Without it, each unit comes with its
 * row version (`versions`, its `xmin`) for a write that checks nothing changed since
 * (`update … where xmin = …`). Both read what the write needs of the task's recipe. Same answers as `findTaskAs`; `units` is empty
 * when the item is not in the task (the task and the caller's standing are then read by
 * `findTaskAs`, so a missing task still answers 404 `Task`, a viewer 403, before any "no such
 * item"). Prepared by name: PostgreSQL plans each form once per connection.
 */
export async function findTaskAsWithItem(db: Db | Tx, caller: Caller, taskId: string, itemId: string, minRole: Role, options: { lock: boolean }): Promise<TaskWithItem> {
  if (!isId(taskId)) throw notFound('Task');
  const name = options.lock ? 'loupe_find_task_as_locking_item' : 'loupe_find_task_as_with_item';
  const query = () => db
    .select({
      task: tasks,
      unit: taskItems,
      version: sql<string>`task_items.xmin::text`,
      recipe: sql<StatusRecipeFacts | null>`${statusRecipeJson(sql`${tasks.recipeId}`)}`,
      memberRole: projectMembers.role,
      id: taskAssignees.id,
      role: taskAssignees.role,
      assigneeId: taskAssignees.assigneeId,
    })
    .from(tasks)
    .innerJoin(taskItems, and(eq(taskItems.taskId, tasks.id), eq(taskItems.itemId, sql.placeholder('itemId'))))
    .leftJoin(projectMembers, and(eq(projectMembers.projectId, tasks.projectId), eq(projectMembers.userId, sql.placeholder('userId'))))
    .leftJoin(taskAssignees, callerAssignments(sql`${sql.placeholder('userId')}::uuid`, sql`${tasks.id}`, sql`${tasks.projectId}`))
    .where(eq(tasks.id, sql.placeholder('taskId')))
    .orderBy(asc(taskAssignees.createdAt), asc(taskAssignees.id), asc(taskItems.copy));
  const statement = options.lock ? query().for('update', { of: taskItems }).prepare(name) : prepared(db as Db, name, () => query().prepare(name));
  const rows = isId(itemId) ? await statement.execute({ taskId, itemId, userId: caller.userId }) : [];
  if (!rows.length) return { ...(await findTaskAs(db, caller, taskId, minRole)), units: [], versions: new Map(), recipe: null };
  // One row per (assignment, unit): the assignments in their order, the units in copy order.
  const units = new Map<string, UnitRow>();
  const versions = new Map<string, string>();
  const assignments = new Map<string | null, ActorRow>();
  for (const r of rows) {
    units.set(r.unit.id, r.unit);
    versions.set(r.unit.id, r.version);
    if (!assignments.has(r.id)) assignments.set(r.id, r);
  }
  return {
    task: rows[0]!.task,
    actor: actorOf(caller, [...assignments.values()], minRole),
    units: [...units.values()].sort((a, b) => a.copy - b.copy),
    versions,
    recipe: rows[0]!.recipe,
  };
}

export interface TaskWithItem {
  task: TaskRow;
  actor: TaskActor;
  units: UnitRow[];
  /** Each unit's row version (`xmin`), by unit id. */
  versions: Map<string, string>;
  /** What a status write needs of the task's recipe (null without one). */
  recipe: StatusRecipeFacts | null;
}

/**
 * May this actor write to this unit of work (annotation, status, heartbeat)? Managers always;
 * otherwise its worker, or a member of the assignment it belongs to while nobody works it. After
 * `review_passed`, annotators may change nothing.
 */
export function assertMayWorkUnit(actor: TaskActor, task: TaskRow, unit: { workerId: string | null; assignmentId: string | null }) {
  if (actor.isManager) return;
  if (!atLeast(actor.role, 'annotator')) throw new DomainError('forbidden', 'Viewers change nothing');
  if (frozenForAnnotators(task.type, task.workflowState)) {
    throw new DomainError('forbidden', `The task is ${task.workflowState}: annotators can no longer change its items`);
  }
  const mine =
    unit.workerId === actor.userId ||
    (unit.workerId === null && unit.assignmentId !== null && (actor.annotatorAssignmentIds.includes(unit.assignmentId) || actor.reviewerAssignmentIds.includes(unit.assignmentId)));
  if (!mine) throw new DomainError('forbidden', 'Only the item’s assignee or a manager can change it');
}
