import { useState } from 'react';
import { tasks as tasksApi } from '../../api/resources.ts';
import type { Assignment, Member, Task } from '../../api/types.ts';
import { Link } from '../../app/router.tsx';
import { useItemLabels } from '../../components/item-label.ts';
import { useApi, type ApiState } from '../../app/use-api.ts';
import { formatDateTime, formatDuration, humanize } from '../../components/format.ts';
import { Async, Empty, InlineError } from '../../components/states.tsx';
import { Badge, CopyId, ProgressBar } from '../../components/widgets.tsx';

export function AssignmentsTab(props: { task: Task; state: ApiState<{ data: Assignment[] }>; names: Map<string, string>; members: Member[]; canManage: boolean; onChanged: () => void }) {
  const { task, names } = props;
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [error, setError] = useState<unknown>(null);
  const run = async (what: () => Promise<unknown>) => {
    setError(null);
    try {
      await what();
      props.state.reload();
      props.onChanged();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <div className="stack">
      <Async state={props.state} empty={(r) => (r.data.length === 0 ? <Empty title="Nobody is assigned yet">Managers add assignees by editing the task.</Empty> : null)}>
        {(r) => (
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th>Assignee</th>
                  <th>Role</th>
                  <th>Status</th>
                  <th>Progress</th>
                  <th>Items</th>
                  <th>Issues</th>
                  <th>ETA</th>
                </tr>
              </thead>
              <tbody>
                {r.data.map((a) => (
                  <tr key={a.id}>
                    <td className="truncate">{names.get(a.assigneeId) ?? a.assigneeId}</td>
                    <td>{humanize(a.role)}{a.assigneeKind === 'group' ? ' (group)' : ''}</td>
                    <td>
                      <Badge value={a.status} />
                    </td>
                    <td>
                      <ProgressBar progress={a.progress} />
                    </td>
                    <td>
                      {a.progress?.done ?? a.counts?.done ?? 0}/{a.progress?.total ?? a.counts?.items ?? 0}
                    </td>
                    <td>{a.counts?.openIssues ?? 0}</td>
                    <td>{formatDuration(a.progress?.etaSeconds)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Async>
      {props.canManage && (
        <div className="row card">
          <strong>Reassign unfinished items</strong>
          <select aria-label="From" value={from} onChange={(e) => setFrom(e.target.value)}>
            <option value="">from…</option>
            {props.state.data?.data.map((a) => (
              <option key={a.id} value={a.assigneeId}>
                {names.get(a.assigneeId) ?? a.assigneeId}
              </option>
            ))}
          </select>
          <select aria-label="To" value={to} onChange={(e) => setTo(e.target.value)}>
            <option value="">to…</option>
            {props.members.map((m) => (
              <option key={m.userId} value={m.userId}>
                {m.name || m.email}
              </option>
            ))}
          </select>
          <button type="button" className="btn" disabled={!from || !to || from === to} onClick={() => void run(() => tasksApi.reassign(task.id, from, to))}>
            Reassign
          </button>
          <button type="button" className="btn btn-ghost" onClick={() => void run(() => tasksApi.rebalance(task.id))}>
            Rebalance
          </button>
          <InlineError error={error} />
        </div>
      )}
    </div>
  );
}

export function ItemsTab({ task, names }: { task: Task; names: Map<string, string> }) {
  const [filter, setFilter] = useState<'all' | 'pending' | 'done'>('all');
  const [cursor, setCursor] = useState<string | undefined>();
  const items = useApi(() => tasksApi.items(task.id, { status: filter === 'all' ? undefined : filter, cursor }), [task.id, filter, cursor]);
  const labelOf = useItemLabels(items.data?.data.map((ti) => ti.itemId) ?? []);
  return (
    <div className="stack">
      <div className="segmented" role="group" aria-label="Items shown">
        {(['all', 'pending', 'done'] as const).map((f) => (
          <button key={f} type="button" className={filter === f ? 'seg-active' : ''} onClick={() => (setFilter(f), setCursor(undefined))}>
            {f === 'pending' ? 'remaining' : f}
          </button>
        ))}
      </div>
      <Async state={items} empty={(p) => (p.data.length === 0 ? <Empty title={filter === 'all' ? 'No items in this task' : `No ${filter === 'pending' ? 'remaining' : 'done'} items`} /> : null)}>
        {(page) => (
          <>
            <div className="table-wrap">
              <table className="table">
                <thead>
                  <tr>
                    <th>Item</th>
                    <th>Done</th>
                    <th>Status</th>
                    <th>Assignee</th>
                    <th>Issues</th>
                    <th>Finished</th>
                  </tr>
                </thead>
                <tbody>
                  {page.data.map((ti, n) => (
                    <tr key={`${ti.itemId}-${ti.copy}`}>
                      <td>
                        <span className="cell-name">
                          <Link to={`/tasks/${task.id}/${task.type === 'review' ? 'review' : 'annotate'}?item=${ti.itemId}`} className="truncate">
                            {`#${n + 1} · ${labelOf(ti.itemId)}`}
                          </Link>
                          <CopyId id={ti.itemId} />
                        </span>
                      </td>
                      <td>{ti.done ? 'done' : 'remaining'}</td>
                      <td>{ti.status ? <Badge value={ti.status} /> : <span className="muted">pending</span>}</td>
                      <td className="truncate">{ti.workerId ? names.get(ti.workerId) ?? '…' : '—'}</td>
                      <td>{ti.openIssues ?? 0}</td>
                      <td>{formatDateTime(ti.finishedAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {page.nextCursor && (
              <button type="button" className="btn" onClick={() => setCursor(page.nextCursor ?? undefined)}>
                Next page
              </button>
            )}
          </>
        )}
      </Async>
    </div>
  );
}

export function IssuesTab({ task }: { task: Task }) {
  const [status, setStatus] = useState<string>('');
  const issues = useApi(() => tasksApi.issues(task.id, status || undefined), [task.id, status]);
  return (
    <div className="stack">
      <select aria-label="Issue status" value={status} onChange={(e) => setStatus(e.target.value)}>
        <option value="">All issues</option>
        <option value="open">open</option>
        <option value="for_review">for review</option>
        <option value="resolved">resolved</option>
      </select>
      <Async state={issues} empty={(p) => (p.data.length === 0 ? <Empty title="No issues">Reviewers open issues on annotations from the review workspace.</Empty> : null)}>
        {(page) => (
          <ul className="issue-list">
            {page.data.map((i) => (
              <li key={i.id} className="issue">
                <Badge value={i.status} />
                <span className="issue-text">{i.comment || '(no comment)'}</span>
                <span className="muted small">{formatDateTime(i.createdAt)}</span>
                {i.itemId && (
                  <Link to={`/tasks/${task.id}/${task.type === 'review' ? 'review' : 'annotate'}?item=${i.itemId}`} className="btn btn-ghost">
                    Open item
                  </Link>
                )}
              </li>
            ))}
          </ul>
        )}
      </Async>
    </div>
  );
}
