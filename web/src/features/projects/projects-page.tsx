import { useState, type FormEvent } from 'react';
import type { paths } from '../../api/client.ts';
import { projects as projectsApi } from '../../api/resources.ts';
import { Layout, PageHead } from '../../app/layout.tsx';
import { Link, navigate } from '../../app/router.tsx';
import { rememberProject, useSession } from '../../app/session.tsx';
import { useApi } from '../../app/use-api.ts';
import { formatDate, humanize } from '../../components/format.ts';
import { Async, Empty, InlineError } from '../../components/states.tsx';

type DemoResult = paths['/api/v1/demo']['post']['responses'][201]['content']['application/json'];

/** The project picker; administrators of an empty instance can load the demo from here. */
export function ProjectsPage() {
  const { me, reload: reloadMe } = useSession();
  const projects = useApi(() => projectsApi.list(), []);
  const [name, setName] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [demo, setDemo] = useState<DemoResult | null>(null);

  const open = (id: string) => {
    rememberProject(id);
    navigate(`/p/${id}/tasks`);
  };
  const create = async (event: FormEvent) => {
    event.preventDefault();
    setBusy('create');
    setError(null);
    try {
      const project = await projectsApi.create(name);
      reloadMe();
      open(project.id);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  };
  const loadDemo = async () => {
    setBusy('demo');
    setError(null);
    try {
      const result = await projectsApi.createDemo();
      setDemo(result);
      reloadMe();
      projects.reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  };

  return (
    <Layout>
      <PageHead title="Projects" sub="Choose the project to work in." />
      <div className="grid-2">
        <Async state={projects}>
          {(page) =>
            page.data.length === 0 ? (
              <Empty title="No projects yet">
                {me.isAdmin ? 'Create one, or load the demo to see Loupe at work.' : 'Ask a project owner to add you to a project.'}
              </Empty>
            ) : (
              <ul className="card-list">
                {page.data.map((p) => (
                  <li key={p.id}>
                    <Link to={`/p/${p.id}/tasks`} className="card card-link" onClick={() => rememberProject(p.id)}>
                      <strong className="truncate">{p.name}</strong>
                      <span className="muted">
                        {p.role ? humanize(p.role) : 'administrator'} · created {formatDate(p.createdAt)}
                      </span>
                    </Link>
                  </li>
                ))}
              </ul>
            )
          }
        </Async>
        <div className="stack">
          <form className="card stack" onSubmit={(e) => void create(e)}>
            <h2>New project</h2>
            <input aria-label="Project name" placeholder="Project name" required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
            <button type="submit" className="btn btn-primary" disabled={busy !== null}>
              Create project
            </button>
          </form>
          {me.isAdmin && projects.data?.data.length === 0 && (
            <div className="card stack">
              <h2>Demo</h2>
              <p className="muted">Seeds a project with text, image and conversation items, a recipe, tasks in several states and one user of each role.</p>
              <button type="button" className="btn" disabled={busy !== null} onClick={() => void loadDemo()}>
                {busy === 'demo' ? 'Loading demo data…' : 'Load demo data'}
              </button>
            </div>
          )}
          <InlineError error={error} />
          {demo && (
            <div className="card stack" role="status">
              <h2>Demo loaded</h2>
              <p>Sign in as any of these users to see their view:</p>
              <ul className="demo-users">
                {demo.users.map((u) => (
                  <li key={u.email}>
                    <span className="truncate" title={u.email}>
                      {u.email}
                    </span>
                    <span className="demo-cred">
                      <code>{u.password}</code> <span className="muted small">{u.role}</span>
                    </span>
                  </li>
                ))}
              </ul>
              <button type="button" className="btn btn-primary" onClick={() => open(demo.projectId)}>
                Open the demo project
              </button>
            </div>
          )}
        </div>
      </div>
    </Layout>
  );
}
