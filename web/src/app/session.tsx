import { createContext, useContext, useEffect, type ReactNode } from 'react';
import { api, onUnauthenticated, unwrap } from '../api/client.ts';
import type { Me } from '../api/types.ts';
import { useApi } from './use-api.ts';
import { navigate } from './router.tsx';

interface Session {
  me: Me;
  reload: () => void;
  signOut: () => Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in page');
  return session;
}

/** The role of the signed-in user in a project (administrators act as owners). */
export function useRole(projectId: string | null | undefined) {
  const { me } = useSession();
  const role = me.projects.find((p) => p.id === projectId)?.role ?? null;
  const rank: Record<string, number> = { viewer: 1, annotator: 2, reviewer: 3, manager: 4, owner: 5 };
  const level = me.isAdmin ? 5 : rank[role ?? ''] ?? 0;
  return { role: me.isAdmin && !role ? 'admin' : role, atLeast: (r: keyof typeof rank) => level >= rank[r]! };
}

const LAST_PROJECT = 'loupe.project';
export const rememberProject = (id: string) => localStorage.setItem(LAST_PROJECT, id);
export const lastProject = () => localStorage.getItem(LAST_PROJECT);

export async function signOut() {
  await api.POST('/api/v1/auth/logout');
  navigate('/sign-in', { replace: true });
}

/** Loads `/api/v1/me`; an unauthenticated visitor goes to the sign-in page (and comes back after). */
export function SessionProvider({ children, fallback }: { children: ReactNode; fallback: (state: { error: unknown; loading: boolean; reload: () => void }) => ReactNode }) {
  const me = useApi(async () => unwrap(await api.GET('/api/v1/me')), []);
  useEffect(
    () =>
      onUnauthenticated(() => {
        if (window.location.pathname !== '/sign-in') {
          const back = window.location.pathname + window.location.search;
          navigate(`/sign-in?next=${encodeURIComponent(back)}`, { replace: true });
        }
      }),
    [],
  );
  if (!me.data) return <>{fallback({ error: me.error, loading: me.loading, reload: me.reload })}</>;
  return <SessionContext.Provider value={{ me: me.data, reload: me.reload, signOut }}>{children}</SessionContext.Provider>;
}
