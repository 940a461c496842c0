import { api, unwrap } from './client.ts';

export interface Notification {
  id: string;
  type: string;
  projectId: string | null;
  subjectKind: string;
  subjectId: string;
  data: Record<string, unknown>;
  read: boolean;
  createdAt: string;
}

export const unreadCount = async () => unwrap(await api.GET('/api/v1/me/notifications/count')).unread;

export const listNotifications = async (unread = false) =>
  unwrap(await api.GET('/api/v1/me/notifications', { params: { query: { limit: 20, ...(unread ? { unread: 'true' as const } : {}) } } })).data as unknown as Notification[];

export const markRead = async (body: { ids: string[] } | { all: true }) => unwrap(await api.POST('/api/v1/me/notifications/read', { body })).updated;
