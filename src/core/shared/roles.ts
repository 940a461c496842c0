/**
 * Project roles and their order: pure domain shared by the server and the web app (see
 * docs/tasks-and-workflow.md, "Roles"). Each role may do everything the ones below it may.
 */
export const roles = ['viewer', 'annotator', 'reviewer', 'manager', 'owner'] as const;
export type Role = (typeof roles)[number];

/** Roles are ordered: each may do everything the ones below it may. */
export const roleRank: Record<Role, number> = { viewer: 0, annotator: 1, reviewer: 2, manager: 3, owner: 4 };

export const atLeast = (role: Role, min: Role) => roleRank[role] >= roleRank[min];
