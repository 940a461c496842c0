import { useEffect } from 'react';
import { AnnotatePage } from '../features/annotate/annotate-page.tsx';
import { SignInPage } from '../features/auth/sign-in-page.tsx';
import { DatasetsPage } from '../features/datasets/datasets-page.tsx';
import { MyWorkPage } from '../features/me/my-work-page.tsx';
import { ProjectsPage } from '../features/projects/projects-page.tsx';
import { RecipesPage } from '../features/recipes/recipes-page.tsx';
import { ReviewPage } from '../features/review/review-page.tsx';
import { TaskDetailPage } from '../features/tasks/task-detail-page.tsx';
import { TasksPage } from '../features/tasks/tasks-page.tsx';
import { WorkloadsPage } from '../features/workloads/workloads-page.tsx';
import { WorkloadDetailPage } from '../features/workloads/workload-detail-page.tsx';
import { ErrorBox, Loading } from '../components/states.tsx';
import { Layout } from './layout.tsx';
import { match, navigate, useLocation } from './router.tsx';
import { lastProject, SessionProvider, useSession } from './session.tsx';

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}

function Home() {
  const { me } = useSession();
  const last = lastProject();
  const project = me.projects.find((p) => p.id === last) ?? (me.projects.length === 1 ? me.projects[0] : undefined);
  return <Redirect to={project ? `/p/${project.id}/tasks` : '/projects'} />;
}

function SignedInRoutes({ path }: { path: string }) {
  let p: Record<string, string> | null;
  if (path === '/') return <Home />;
  if (path === '/projects') return <ProjectsPage />;
  if (path === '/me') return <MyWorkPage />;
  if ((p = match('/p/:projectId/tasks', path))) return <TasksPage key={p.projectId} projectId={p.projectId!} />;
  if ((p = match('/p/:projectId/datasets', path))) return <DatasetsPage key={p.projectId} projectId={p.projectId!} />;
  if ((p = match('/p/:projectId/recipes', path))) return <RecipesPage key={p.projectId} projectId={p.projectId!} />;
  if ((p = match('/p/:projectId/workloads', path))) return <WorkloadsPage key={p.projectId} projectId={p.projectId!} />;
  if ((p = match('/workloads/:workloadId', path))) return <WorkloadDetailPage key={p.workloadId} workloadId={p.workloadId!} />;
  if ((p = match('/tasks/:taskId', path))) return <TaskDetailPage key={p.taskId} taskId={p.taskId!} />;
  if ((p = match('/tasks/:taskId/annotate', path))) return <AnnotatePage key={p.taskId} taskId={p.taskId!} />;
  if ((p = match('/tasks/:taskId/review', path))) return <ReviewPage key={p.taskId} taskId={p.taskId!} />;
  return (
    <Layout>
      <ErrorBox error={new Error(`There is no page at ${path}.`)} />
    </Layout>
  );
}

export function App() {
  const { path } = useLocation();
  if (path === '/sign-in') return <SignInPage onSignedIn={() => undefined} />;
  return (
    <SessionProvider
      fallback={({ error, loading, reload }) =>
        loading ? <Loading label="Starting…" /> : error !== undefined ? <ErrorBox error={error} onRetry={reload} /> : <Loading />
      }
    >
      <SignedInRoutes path={path} />
    </SessionProvider>
  );
}
