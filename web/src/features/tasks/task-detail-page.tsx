import { useMemo, useState } from 'react';
import { availableTransitions } from '@shared/task-workflow.ts';
import { projects as projectsApi, tasks as tasksApi } from '../../api/resources.ts';
import type { Task } from '../../api/types.ts';
import { Layout, PageHead } from '../../app/layout.tsx';
import { confirmInApp } from '../../components/feedback.tsx';
import { Link, navigate, useSearch } from '../../app/router.tsx';
import { useRole, useSession } from '../../app/session.tsx';
import { useApi } from '../../app/use-api.ts';
import { formatDate, formatDuration, humanize, sentence } from '../../components/format.ts';
import { ErrorBox, InlineError, Loading } from '../../components/states.tsx';
import { Badge, CopyId, Dialog, Field, ProgressBar, Tabs } from '../../components/widgets.tsx';
import { TaskAnalytics } from '../analytics/task-analytics.tsx';
import { memberNames } from './task-columns.tsx';
import { EditDialog, FailDialog, QaDialog } from './task-dialogs.tsx';
import { AssignmentsTab, IssuesTab, ItemsTab } from './task-tabs.tsx';
import { BatchTab, InvalidAnnotationsTab, TaskDatasetsTab } from '../robotics/task-robotics-tabs.tsx';

type Tab = 'assignments' | 'items' | 'analytics' | 'issues' | 'datasets' | 'batch' | 'invalid';

/** One task: its state, the actions the viewer's role allows, and four tabs. */
export function TaskDetailPage({ taskId }: { taskId: string }) {
  const task = useApi(() => tasksApi.get(taskId), [taskId]);
  if (!task.data) {
    return <Layout>{task.error !== undefined ? <ErrorBox error={task.error} onRetry={task.reload} /> : <Loading />}</Layout>;
  }
  return <TaskDetail task={task.data} reload={task.reload} />;
}

function TaskDetail({ task, reload }: { task: Task; reload: () => void }) {
  const { me } = useSession();
  const { atLeast } = useRole(task.projectId);
  const { search, set } = useSearch();
  const tab = (search.get('tab') as Tab | null) ?? 'assignments';
  const members = useApi(() => projectsApi.members(task.projectId), [task.projectId]);
  const assignments = useApi(() => tasksApi.assignments(task.id), [task.id, task.updatedAt]);
  const names = useMemo(() => memberNames(members.data), [members.data]);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [failing, setFailing] = useState<string | null>(null);
  const [qa, setQa] = useState(false);
  const [editing, setEditing] = useState(false);
  const isManager = atLeast('manager');
  const mine = assignments.data?.data.filter((a) => a.assigneeId === me.id) ?? [];
  const actor = {
    isManager,
    isAssignedAnnotator: mine.some((a) => a.role !== 'reviewer'),
    isAssignedReviewer: mine.some((a) => a.role === 'reviewer') || (task.type === 'review' && mine.length > 0),
  };
  // The server refuses a pass over open or for-review issues (409 open_issues, docs/workflow.md).
  const passBlocked = (task.counts?.openIssues ?? 0) + (task.counts?.forReview ?? 0) > 0;
  const transitions = availableTransitions(task.type as never, task.workflowState, actor, { everyItemHasStatus: true });

  const act = async (what: () => Promise<unknown>, done?: string) => {
    setError(null);
    setNotice(null);
    try {
      await what();
      if (done) setNotice(done);
      reload();
    } catch (e) {
      setError(e);
    }
  };
  const remove = () =>
    act(async () => {
      const ok = await confirmInApp({ title: `Delete “${task.name}”?`, body: 'A task with history (annotations, statuses, issues) is archived instead of deleted.', confirmLabel: 'Delete task' });
      if (!ok) return;
      const r = await tasksApi.remove(task.id);
      if (r && 'archived' in r) setNotice('The task has history, so it was archived instead of deleted.');
      else navigate(`/p/${task.projectId}/tasks`);
    });

  const canWork = actor.isAssignedAnnotator || isManager;
  return (
    <Layout projectId={task.projectId}>
      <PageHead
        title={<span className="truncate">{task.name}</span>}
        sub={
          <span className="head-meta">
            <CopyId id={task.id} />
            <Badge value={task.type} />
            <Badge value={task.status} />
            <Badge value={task.workflowState} />
            {task.priority && <Badge value={task.priority} kind={`prio-${task.priority}`} />}
            {task.locked && <span className="sign sign-locked">locked</span>}
            {task.archived && <span className="sign">archived</span>}
          </span>
        }
      >
        {canWork && task.type !== 'review' && (
          <Link to={`/tasks/${task.id}/annotate`} className="btn btn-primary">
            Annotate
          </Link>
        )}
        {(actor.isAssignedReviewer || isManager) && (task.type === 'review' || task.workflowState === 'pending_review') && (
          <Link to={`/tasks/${task.id}/review`} className="btn">
            Review
          </Link>
        )}
      </PageHead>

      <div className="task-summary card">
        <div className="task-facts">
          <span>
            <span className="muted">Progress</span> <ProgressBar progress={task.progress} /> {task.progress.done}/{task.progress.total}
          </span>
          <span>
            <span className="muted">ETA</span> {formatDuration(task.progress.etaSeconds)}
          </span>
          <span>
            <span className="muted">Due</span> {formatDate(task.dueDate)}
          </span>
          <span>
            <span className="muted">Owner</span> {task.ownerId ? names.get(task.ownerId) ?? '…' : '—'}
          </span>
          <span>
            <span className="muted">Allocation</span> {humanize(task.allocation?.method)}
          </span>
          <span>
            <span className="muted">Issues</span> {task.counts?.openIssues ?? 0} open · {task.counts?.forReview ?? 0} for review
          </span>
        </div>
        {task.description && <p className="task-description">{task.description}</p>}
        {task.reviewNote && (
          <p className="notice notice-warn">
            Review failed: “{task.reviewNote.body}”
          </p>
        )}
        {passBlocked && transitions.some((t) => t.name === 'pass_review') && (
          <p id="pass-why" className="muted">
            Pass review is disabled: {task.counts?.openIssues ?? 0} open and {task.counts?.forReview ?? 0} for-review issues; resolve them first.
          </p>
        )}
        <div className="actions">
          {transitions.map((t) => (
            <button
              key={t.to}
              type="button"
              className="btn"
              disabled={t.name === 'pass_review' && passBlocked}
              aria-describedby={t.name === 'pass_review' && passBlocked ? 'pass-why' : undefined}
              onClick={() => (t.requiresComment ? setFailing(t.to) : void act(() => tasksApi.transition(task.id, t.to), `Moved to ${humanize(t.to)}.`))}
            >
              {sentence(t.name)}
            </button>
          ))}
          {isManager && (
            <>
              <button type="button" className="btn" onClick={() => setEditing(true)}>
                Edit
              </button>
              <button type="button" className="btn" onClick={() => void act(() => tasksApi.lock(task.id, !task.locked), task.locked ? 'Unlocked.' : 'Locked.')}>
                {task.locked ? 'Unlock' : 'Lock'}
              </button>
              {task.type !== 'review' && task.type !== 'ticket' && (
                <button type="button" className="btn" onClick={() => setQa(true)}>
                  Create QA task
                </button>
              )}
              {task.datasetId && (
                <button type="button" className="btn" onClick={() => void act(() => tasksApi.addItems(task.id, { allRemaining: true }), 'Added every dataset item not yet in the task.')}>
                  Add remaining items
                </button>
              )}
              <button type="button" className="btn btn-danger" onClick={() => void remove()}>
                Delete
              </button>
            </>
          )}
        </div>
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        <InlineError error={error} />
      </div>

      <Tabs<Tab>
        active={tab}
        onChange={(k) => set({ tab: k === 'assignments' ? null : k })}
        tabs={[
          { key: 'assignments', label: 'Assignments' },
          { key: 'items', label: 'Items' },
          { key: 'analytics', label: 'Analytics' },
          { key: 'issues', label: `Issues${task.counts?.openIssues ? ` (${task.counts.openIssues})` : ''}` },
          ...(task.type === 'ticket' ? [] : [
            { key: 'datasets' as const, label: `Datasets (${task.datasetCount})` },
            { key: 'batch' as const, label: 'Batch annotation' },
            { key: 'invalid' as const, label: `Invalid annotations${task.counts?.invalid ? ` (${task.counts.invalid})` : ''}` },
          ]),
        ]}
      />
      <div className="tab-panel">
        {tab === 'assignments' && <AssignmentsTab task={task} state={assignments} names={names} members={members.data ?? []} canManage={isManager} onChanged={reload} />}
        {tab === 'items' && <ItemsTab task={task} names={names} />}
        {tab === 'analytics' && <TaskAnalytics task={task} names={names} />}
        {tab === 'issues' && <IssuesTab task={task} />}
        {tab === 'datasets' && <TaskDatasetsTab task={task} canManage={isManager} onChanged={reload} />}
        {tab === 'batch' && <BatchTab task={task} />}
        {tab === 'invalid' && <InvalidAnnotationsTab task={task} names={names} canReview={isManager || atLeast('reviewer')} />}
      </div>

      {failing && <FailDialog onClose={() => setFailing(null)} onSubmit={(comment) => act(() => tasksApi.transition(task.id, failing, comment), 'Review failed; the annotators see your comment.').then(() => setFailing(null))} />}
      {editing && (
        <EditDialog
          task={task}
          onClose={() => setEditing(false)}
          onSubmit={(patch) => act(() => tasksApi.patch(task.id, patch), 'Saved.').then(() => setEditing(false))}
        />
      )}
      {qa && (
        <QaDialog
          members={(members.data ?? []).filter((m) => m.role === 'reviewer' || m.role === 'manager' || m.role === 'owner')}
          onClose={() => setQa(false)}
          onSubmit={async (ids) => {
            const created = await tasksApi.qaTask(task.id, ids);
            navigate(`/tasks/${created.id}`);
          }}
        />
      )}
    </Layout>
  );
}
