/**
 * Administration calls: users and their tokens (instance administrators, or a user for their own
 * tokens), project members, groups, settings and the audit log (managers and owners).
 */
import { api, clientId, unwrap, type paths } from './client.ts';

type Body<P extends keyof paths, M extends 'post' | 'put' | 'patch'> = paths[P][M] extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;
export type Role = Body<'/api/v1/projects/{projectId}/members/{userId}', 'put'>['role'];
export const roles: Role[] = ['owner', 'manager', 'annotator', 'reviewer', 'viewer'] as Role[];

const path = <T extends Record<string, string>>(p: T) => ({ path: p });

export const users = {
  list: async (q?: string, cursor?: string) => unwrap(await api.GET('/api/v1/users', { params: { query: { q: q || undefined, cursor, limit: 50 } } })),
  create: async (body: Body<'/api/v1/users', 'post'>) => unwrap(await api.POST('/api/v1/users', { body })),
  tokens: async (userId: string) => unwrap(await api.GET('/api/v1/users/{userId}/tokens', { params: path({ userId }) })),
  createToken: async (userId: string, name: string) => unwrap(await api.POST('/api/v1/users/{userId}/tokens', { params: path({ userId }), body: { name } })),
  /** Ends the user's sessions and revokes their tokens; they cannot sign in until reactivated. */
  deactivate: async (userId: string) => unwrap(await api.POST('/api/v1/users/{userId}/deactivate', { params: path({ userId }) })),
  reactivate: async (userId: string) => unwrap(await api.POST('/api/v1/users/{userId}/reactivate', { params: path({ userId }) })),
  /** Sets another user's password: their sessions end, their API tokens stay. */
  resetPassword: async (userId: string, password: string) => unwrap(await api.POST('/api/v1/users/{userId}/password', { params: path({ userId }), body: { password } })),
  revokeToken: async (userId: string, tokenId: string) => unwrap(await api.DELETE('/api/v1/users/{userId}/tokens/{tokenId}', { params: path({ userId, tokenId }) })),
};

export const members = {
  list: async (projectId: string) => unwrap(await api.GET('/api/v1/projects/{projectId}/members', { params: path({ projectId }) })),
  /** `userIdOrEmail`: the route accepts either. Adds the member or changes their role. */
  put: async (projectId: string, userIdOrEmail: string, role: Role) =>
    unwrap(await api.PUT('/api/v1/projects/{projectId}/members/{userId}', { params: path({ projectId, userId: userIdOrEmail }), body: { role } })),
  remove: async (projectId: string, userId: string) => {
    const r = await api.DELETE('/api/v1/projects/{projectId}/members/{userId}', { params: path({ projectId, userId }) });
    if (!r.response.ok) unwrap(r);
  },
};

export const groups = {
  list: async (projectId: string) => unwrap(await api.GET('/api/v1/projects/{projectId}/groups', { params: path({ projectId }) })),
  create: async (projectId: string, name: string, memberIds: string[]) =>
    unwrap(await api.POST('/api/v1/projects/{projectId}/groups', { params: path({ projectId }), body: { name, memberIds } })),
  update: async (groupId: string, body: Body<'/api/v1/groups/{groupId}', 'patch'>) => unwrap(await api.PATCH('/api/v1/groups/{groupId}', { params: path({ groupId }), body })),
  remove: async (groupId: string) => {
    const r = await api.DELETE('/api/v1/groups/{groupId}', { params: path({ groupId }) });
    if (!r.response.ok) unwrap(r);
  },
};

export const projectAdmin = {
  get: async (projectId: string) => unwrap(await api.GET('/api/v1/projects/{projectId}', { params: path({ projectId }) })),
  patch: async (projectId: string, body: Body<'/api/v1/projects/{projectId}', 'patch'>) =>
    unwrap(await api.PATCH('/api/v1/projects/{projectId}', { params: path({ projectId }), body, headers: { 'idempotency-key': clientId() } })),
  audit: async (projectId: string, filter: { subjectId?: string; cursor?: string }) =>
    unwrap(await api.GET('/api/v1/audit', { params: { query: { projectId, subjectId: filter.subjectId || undefined, cursor: filter.cursor, limit: 50 } } })),
};
