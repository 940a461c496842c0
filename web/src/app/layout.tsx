import type { ReactNode } from 'react';
import { FeedbackHost, usePageTitle } from '../components/feedback.tsx';
import { Link, navigate, useLocation } from './router.tsx';
import { lastProject, rememberProject, useSession } from './session.tsx';
import { NotificationBell } from '../features/notifications/Bell.tsx';

/** The frame of every signed-in page: brand, project switcher, navigation, account. */
export function Layout({ projectId, children }: { projectId?: string | null; children: ReactNode }) {
  const { me, signOut } = useSession();
  const { path } = useLocation();
  const current = projectId ?? lastProject();
  const project = me.projects.find((p) => p.id === current) ?? (me.isAdmin ? undefined : me.projects[0]);
  const pid = project?.id ?? current;
  const nav = pid
    ? [
        { to: `/p/${pid}/tasks`, label: 'Tasks' },
        { to: `/p/${pid}/datasets`, label: 'Datasets' },
        { to: `/p/${pid}/recipes`, label: 'Recipes' },
        { to: `/p/${pid}/reports`, label: 'Dashboard' },
        { to: `/p/${pid}/workloads`, label: 'Workloads' },
        { to: `/p/${pid}/traces`, label: 'Traces' },
        { to: `/p/${pid}/evaluators`, label: 'Evaluators' },
        { to: `/p/${pid}/exports`, label: 'Exports' },
        { to: '/me', label: 'My work' },
        { to: `/p/${pid}/settings`, label: 'Settings' },
        ...(me.isAdmin ? [{ to: '/admin/users', label: 'Admin' }] : []),
      ]
    : [{ to: '/me', label: 'My work' }, ...(me.isAdmin ? [{ to: '/admin/users', label: 'Admin' }] : [])];
  if (me.isAdmin) nav.push({ to: '/admin/queue', label: 'Queue' });
  return (
    <div className="app">
      <header className="topbar">
        <Link to="/projects" className="brand" aria-label="Loupe: all projects">
          <svg viewBox="0 0 32 32" className="brand-mark" aria-hidden="true">
            <circle cx="13" cy="13" r="9" fill="none" strokeWidth="4" />
            <path d="M20 20l8 8" strokeWidth="4" strokeLinecap="round" />
          </svg>
          <span>Loupe</span>
        </Link>
        {me.projects.length > 0 && (
          <select
            className="project-switch"
            aria-label="Project"
            value={pid ?? ''}
            onChange={(e) => {
              rememberProject(e.target.value);
              navigate(`/p/${e.target.value}/tasks`);
            }}
          >
            {!project && <option value="">Choose a project…</option>}
            {me.projects.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        )}
        <nav className="nav" aria-label="Main">
          {nav.map((n) => (
            <Link key={n.to} to={n.to} className={`nav-link${path.startsWith(n.to) ? ' nav-active' : ''}`}>
              {n.label}
            </Link>
          ))}
        </nav>
        <NotificationBell />
        <div className="account">
          <span className="account-name" title={me.email}>
            {me.name}
          </span>
          <button type="button" className="btn btn-ghost" title={`Signed in as ${me.name} (${me.email})`} onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main className="main">{children}</main>
      <FeedbackHost />
    </div>
  );
}

export function PageHead({ title, children, sub, tabTitle }: { title: ReactNode; children?: ReactNode; sub?: ReactNode; tabTitle?: string }) {
  usePageTitle(tabTitle ?? (typeof title === 'string' ? title : null));
  return (
    <div className="page-head">
      <div className="page-title">
        <h1>{title}</h1>
        {sub && <div className="page-sub">{sub}</div>}
      </div>
      {children && <div className="page-actions">{children}</div>}
    </div>
  );
}
