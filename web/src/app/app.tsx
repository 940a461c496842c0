import { useEffect } from 'react';
import { UsersPage } from '../features/admin/users-page.tsx';
import { ProjectSettingsPage } from '../features/admin/project-settings-page.tsx';
import { AnnotatePage } from '../features/annotate/annotate-page.tsx';
import { SignInPage } from '../features/auth/sign-in-page.tsx';
import { DatasetsPage } from '../features/datasets/datasets-page.tsx';
import { TracesPage } from '../features/traces/traces-page.tsx';
import { TracePage } from '../features/traces/trace-page.tsx';
import { ReportsPage } from '../features/robotics/reports-page.tsx';
import { MyWorkPage } from '../features/me/my-work-page.tsx';
import { ProjectsPage } from '../features/projects/projects-page.tsx';
import { RecipesPage } from '../features/recipes/recipes-page.tsx';
import { ReviewPage } from '../features/review/review-page.tsx';
import { TaskDetailPage } from '../features/tasks/task-detail-page.tsx';
import { TasksPage } from '../features/tasks/tasks-page.tsx';
import { WorkloadsPage } from '../features/workloads/workloads-page.tsx';
import { WorkloadDetailPage } from '../features/workloads/workload-detail-page.tsx';
import { ExportsPage } from '../features/exports/exports-page.tsx';
import { QueuePage } from '../features/jobs/queue-page.tsx';
import { EvaluatorsPage } from '../features/evaluators/evaluators-page.tsx';
import { EvalRunPage } from '../features/evaluators/eval-run-page.tsx';
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
  if (path === '/admin/users') return <UsersPage />;
  if ((p = match('/p/:projectId/settings', path))) return <ProjectSettingsPage key={p.projectId} projectId={p.projectId!} />;
  if ((p = match('/p/:projectId/tasks', path))) return <TasksPage key={p.projectId} projectId={p.projectId!} />;
  if ((p = match('/p/:projectId/datasets', path))) return <DatasetsPage key={p.projectId} projectId={p.projectId!} />;
  if ((p = match('/p/:projectId/reports', path))) return <ReportsPage key={p.projectId} projectId={p.projectId!} />;
  if ((p = match('/p/:projectId/recipes', path))) return <RecipesPage key={p.projectId} projectId={p.projectId!} />;
  if ((p = match('/p/:projectId/workloads', path))) return <WorkloadsPage key={p.projectId} projectId={p.projectId!} />;
  if ((p = match('/p/:projectId/exports', path))) return <ExportsPage key={p.projectId} projectId={p.projectId!} />;
  if (path === '/admin/queue') return <QueuePage />;
  if ((p = match('/workloads/:workloadId', path))) return <WorkloadDetailPage key={p.workloadId} workloadId={p.workloadId!} />;
  if ((p = match('/p/:projectId/traces', path))) return <TracesPage key={p.projectId} projectId={p.projectId!} />;
  if ((p = match('/p/:projectId/traces/:traceId', path))) return <TracePage key={p.traceId} projectId={p.projectId!} traceId={p.traceId!} />;
  if ((p = match('/p/:projectId/evaluators', path))) return <EvaluatorsPage key={p.projectId} projectId={p.projectId!} />;
  if ((p = match('/eval-runs/:runId', path))) return <EvalRunPage key={p.runId} runId={p.runId!} />;
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
