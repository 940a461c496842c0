import { me as meApi } from '../../api/resources.ts';
import { Layout, PageHead } from '../../app/layout.tsx';
import { Link } from '../../app/router.tsx';
import { useApi } from '../../app/use-api.ts';
import { formatDateTime, humanize } from '../../components/format.ts';
import { Async, Empty } from '../../components/states.tsx';
import { Badge, ProgressBar } from '../../components/widgets.tsx';

/** An annotator's assignments and issues; a reviewer's reviews are their review assignments. */
export function MyWorkPage() {
  const assignments = useApi(() => meApi.assignments(), []);
  const issues = useApi(() => meApi.issues(), []);
  return (
    <Layout>
      <PageHead title="My work" />
      <div className="grid-2">
        <section className="stack">
          <h2>Assignments</h2>
          <Async state={assignments} empty={(p) => (p.data.length === 0 ? <Empty title="No assignments">When a manager assigns you work, it shows here.</Empty> : null)}>
            {(page) => (
              <ul className="card-list">
                {page.data.map((a) => (
                  <li key={a.id} className="card stack">
                    <div className="row row-between">
                      <Link to={`/tasks/${a.taskId}`} className="truncate">
                        <strong>{a.taskName ?? 'Task'}</strong>
                      </Link>
                      <span className="head-meta">
                        {a.role && <Badge value={a.role} />}
                        <Badge value={a.status} />
                      </span>
                    </div>
                    <ProgressBar progress={a.progress} />
                    <div className="row">
                      {a.role === 'reviewer' ? (
                        <Link to={`/tasks/${a.taskId}/review`} className="btn btn-primary btn-small">
                          Review
                        </Link>
                      ) : (
                        <Link to={`/tasks/${a.taskId}/annotate`} className="btn btn-primary btn-small">
                          Continue
                        </Link>
                      )}
                      {(a.counts?.openIssues ?? 0) > 0 && <span className="sign sign-issues">{a.counts?.openIssues} open issues</span>}
                    </div>
                  </li>
                ))}
              </ul>
            )}
          </Async>
        </section>
        <section className="stack">
          <h2>Issues on my work</h2>
          <Async state={issues} empty={(p) => (p.data.length === 0 ? <Empty title="No issues">Issues reviewers open on your annotations show here.</Empty> : null)}>
            {(page) => (
              <ul className="issue-list">
                {page.data.map((i) => (
                  <li key={i.id} className="issue">
                    <span className="issue-head">
                      <Badge value={i.status} />
                      <span className="muted small truncate">
                        {formatDateTime(i.createdAt)}
                      </span>
                    </span>
                    <span className="issue-text">{i.comment || humanize(i.status)}</span>
                    {i.taskId && i.itemId && (
                      <Link to={`/tasks/${i.taskId}/annotate?item=${i.itemId}`} className="btn btn-small">
                        Fix it
                      </Link>
                    )}
                  </li>
                ))}
              </ul>
            )}
          </Async>
        </section>
      </div>
    </Layout>
  );
}
