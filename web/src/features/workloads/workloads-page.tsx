import { useState } from 'react';
import { workloadsApi } from '../../api/workloads.ts';
import { useRole } from '../../app/session.tsx';
import { CreateWorkloadDialog } from './create-workload.tsx';
import { Layout, PageHead } from '../../app/layout.tsx';
import { Link, useSearch } from '../../app/router.tsx';
import { useApi } from '../../app/use-api.ts';
import { formatDate, humanize } from '../../components/format.ts';
import { Async, Empty } from '../../components/states.tsx';
import { Badge } from '../../components/widgets.tsx';

/** Workloads overview: one row per workload with its schedule, target, people and notifications. */
export function WorkloadsPage({ projectId }: { projectId: string }) {
  const { search, set } = useSearch();
  const status = (search.get('status') ?? undefined) as 'active' | 'inactive' | 'archived' | undefined;
  const list = useApi(() => workloadsApi.list(projectId, status), [projectId, status]);
  const { atLeast } = useRole(projectId);
  const [creating, setCreating] = useState(false);
  return (
    <Layout projectId={projectId}>
      <PageHead title="Workloads">
        {atLeast('manager') && (
          <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
            New workload
          </button>
        )}
      </PageHead>
      {creating && <CreateWorkloadDialog projectId={projectId} onClose={() => setCreating(false)} />}
      <div className="toolbar">
        <label>
          Status{' '}
          <select value={status ?? ''} onChange={(e) => set({ status: e.target.value || null })} aria-label="Status">
            <option value="">Active and inactive</option>
            <option value="active">Active</option>
            <option value="inactive">Inactive</option>
            <option value="archived">Archived</option>
          </select>
        </label>
      </div>
      <Async state={list} empty={(p) => (p.data.length === 0 ? <Empty title="No workloads">A workload samples conversations every day, week or month for evaluators to score. Create one with “New workload” (managers), the API or `loupe workloads create`.</Empty> : null)}>
        {(page) => (
          <table className="table" aria-label="Workloads">
            <thead>
              <tr>
                <th>Name</th>
                <th>AutoQA</th>
                <th>Status</th>
                <th>Created</th>
                <th>Repeats</th>
                <th>Target</th>
                <th>Evaluators</th>
                <th>Reviewees</th>
                <th>Notifications</th>
              </tr>
            </thead>
            <tbody>
              {page.data.map((w) => (
                <tr key={w.id}>
                  <td>
                    <Link to={`/workloads/${w.id}`}>{w.name}</Link>
                  </td>
                  <td>{humanize(w.autoQa)}</td>
                  <td>
                    <Badge value={w.status} />
                  </td>
                  <td>{formatDate(w.createdAt)}</td>
                  <td>
                    {humanize(w.schedule.frequency)} <span className="muted">({w.schedule.timeZone})</span>
                  </td>
                  <td>
                    {w.target.count} {w.target.per === 'total' ? 'in all' : 'per reviewee'}
                  </td>
                  <td>{w.autoQa === 'autonomous' ? 'AI only' : w.evaluatorIds.length}</td>
                  <td>{w.revieweeIds.length}</td>
                  <td>{w.subscriberIds.length ? `${w.subscriberIds.length} subscriber${w.subscriberIds.length > 1 ? 's' : ''}` : 'None'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Async>
    </Layout>
  );
}
