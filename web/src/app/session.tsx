import { roleRank, type Role } from '@shared/roles.ts';
import { createContext, useContext, useEffect, type ReactNode } from 'react';
import { onUnauthenticated } from '../api/client.ts';
import { session as sessionApi } from '../api/resources.ts';
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
  // The server's role order (src/core/shared/roles.ts); no role in the project ranks below all.
  const level = me.isAdmin ? roleRank.owner : role && role in roleRank ? roleRank[role as Role] : -1;
  return { role: me.isAdmin && !role ? 'admin' : role, atLeast: (r: Role) => level >= roleRank[r] };
}

const LAST_PROJECT = 'loupe.project';
export const rememberProject = (id: string) => localStorage.setItem(LAST_PROJECT, id);
export const lastProject = () => localStorage.getItem(LAST_PROJECT);

export async function signOut() {
  await sessionApi.logout();
  navigate('/sign-in', { replace: true });
}

/** Loads `/api/v1/me`; an unauthenticated visitor goes to the sign-in page (and comes back after). */
export function SessionProvider({ children, fallback }: { children: ReactNode; fallback: (state: { error: unknown; loading: boolean; reload: () => void }) => ReactNode }) {
  const me = useApi(() => sessionApi.me(), []);
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
