import { useMemo, useState } from 'react';
import { availableTransitions } from '@shared/task-workflow.ts';
import { projects as projectsApi, recipes as recipesApi, reviews, taskItems, tasks as tasksApi } from '../../api/resources.ts';
import type { Recipe, Task } from '../../api/types.ts';
import { Layout } from '../../app/layout.tsx';
import { Link, useSearch } from '../../app/router.tsx';
import { useRole } from '../../app/session.tsx';
import { useApi } from '../../app/use-api.ts';
import { useItemLabels } from '../../components/item-label.ts';
import { usePageTitle } from '../../components/feedback.tsx';
import { humanize, sentence } from '../../components/format.ts';
import { Async, Empty, ErrorBox, InlineError, Loading } from '../../components/states.tsx';
import { Badge, Field } from '../../components/widgets.tsx';
import { ItemView } from '../annotate/item-view.tsx';
import { CommentsPanel, IssuesPanel } from '../annotate/item-threads.tsx';
import { labelColors, loadItemDetail, statusesFor } from '../annotate/item-data.ts';
import { memberNames } from '../tasks/task-columns.tsx';
import { invalidAnnotations } from '../../api/robotics.ts';
import { InvalidCard } from './invalid-card.tsx';

/** The review workspace: each annotator's work on an item, issues, statuses and the task verdict. */
export function ReviewPage({ taskId }: { taskId: string }) {
  const task = useApi(() => tasksApi.get(taskId), [taskId]);
  const recipe = useApi<Recipe | undefined>(async () => (task.data?.recipeId ? recipesApi.get(task.data.recipeId) : undefined), [task.data?.recipeId]);
  if (!task.data) return <Layout>{task.error !== undefined ? <ErrorBox error={task.error} onRetry={task.reload} /> : <Loading />}</Layout>;
  return <Review task={task.data} recipe={recipe.data} reloadTask={task.reload} />;
}

function Review({ task, recipe, reloadTask }: { task: Task; recipe: Recipe | undefined; reloadTask: () => void }) {
  const { atLeast } = useRole(task.projectId);
  const { search, set } = useSearch();
  const itemId = search.get('item');
  // A QA task reviews the annotations of its source task; a labeling task in review is reviewed in place.
  const annotationsTaskId = task.type === 'review' && task.sourceTaskId ? task.sourceTaskId : task.id;
  const verdictTaskId = annotationsTaskId;
  const verdictTask = useApi<Task>(() => (verdictTaskId === task.id ? Promise.resolve(task) : tasksApi.get(verdictTaskId)), [verdictTaskId, task.updatedAt]);
  const members = useApi(() => projectsApi.members(task.projectId), [task.projectId]);
  const names = useMemo(() => memberNames(members.data), [members.data]);
  const items = useApi(() => tasksApi.items(task.id, {}), [task.id]);
  const labelOf = useItemLabels(items.data?.data.map((ti) => ti.itemId) ?? []);
  usePageTitle(`Review: ${task.name}`);
  const detail = useApi(async () => (itemId ? loadItemDetail(task.id, itemId, annotationsTaskId !== task.id) : undefined), [task.id, annotationsTaskId, itemId]);
  const [picked, setPicked] = useState<string | null>(null);
  const [comment, setComment] = useState('');
  const [verdict, setVerdict] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const { colors, index } = useMemo(() => labelColors(recipe), [recipe]);
  const invalid = useApi(() => invalidAnnotations.list(annotationsTaskId), [annotationsTaskId]);

  const act = async (what: () => Promise<unknown>, done: string) => {
    setError(null);
    setNotice(null);
    try {
      await what();
      setNotice(done);
      detail.reload();
      items.reload();
      verdictTask.reload();
      reloadTask();
    } catch (e) {
      setError(e);
    }
  };
  const vt = verdictTask.data;
  const transitions = vt ? availableTransitions(vt.type as never, vt.workflowState, { isManager: atLeast('manager'), isAssignedAnnotator: false, isAssignedReviewer: true }, { everyItemHasStatus: true }) : [];
  const pass = transitions.find((t) => t.name === 'pass_review');
  const fail = transitions.find((t) => t.name === 'fail_review');
  // The server refuses a pass over open or for-review issues (409 open_issues, docs/workflow.md): say so before the click.
  const unresolved = (vt?.counts?.openIssues ?? 0) + (vt?.counts?.forReview ?? 0);
  const passWhy = !pass
    ? 'The task is not waiting for review, or your role may not pass it.'
    : unresolved > 0
      ? `${vt?.counts?.openIssues ?? 0} open and ${vt?.counts?.forReview ?? 0} for-review issues: the server refuses a pass until they are resolved.`
      : null;
  const annotation = detail.data?.annotations.find((a) => a.id === picked) ?? detail.data?.annotations[0];

  return (
    <Layout projectId={task.projectId}>
      <div className="ws-head">
        <Link to={`/tasks/${task.id}`} className="btn btn-ghost">
          ← {task.name}
        </Link>
        {vt && (
          <span className="head-meta">
            <Badge value={vt.workflowState} /> <Badge value={vt.status} />
          </span>
        )}
      </div>
      <div className="card stack verdict">
        <strong>Task verdict{vt && vt.id !== task.id ? ` for “${vt.name}”` : ''}</strong>
        <div className="row">
          <input aria-label="Verdict comment" placeholder="Comment (required to fail)" value={verdict} onChange={(e) => setVerdict(e.target.value)} />
          <button type="button" className="btn btn-primary" disabled={!pass} aria-describedby={passWhy ? 'pass-why' : undefined} onClick={() => void act(() => tasksApi.transition(verdictTaskId, pass!.to, verdict || undefined), 'Review passed.')}>
            Pass task
          </button>
          <button type="button" className="btn btn-danger" disabled={!fail || !verdict.trim()} onClick={() => void act(() => tasksApi.transition(verdictTaskId, fail!.to, verdict), 'Review failed; the annotators see your comment.')}>
            Fail task
          </button>
        </div>
        {passWhy && (
          <p id="pass-why" className="muted">
            {passWhy}
          </p>
        )}
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        <InlineError error={error} />
      </div>
      <div className="workspace">
        <aside className="ws-list card">
          <h3>Items</h3>
          <Async state={items} empty={(p) => (p.data.length === 0 ? <Empty title="No items to review" /> : null)}>
            {(page) => (
              <ul className="item-list">
                {page.data.map((ti, n) => (
                  <li key={`${ti.itemId}-${ti.copy}`}>
                    <button type="button" className={`item-pick${ti.itemId === itemId ? ' item-pick-on' : ''}`} onClick={() => (set({ item: ti.itemId }), setPicked(null))}>
                      <span className="truncate" title={ti.itemId}>
                        {`#${n + 1} · ${labelOf(ti.itemId)}`}
                      </span>
                      {ti.status ? <Badge value={ti.status} /> : <span className="muted small">pending</span>}
                      {(ti.openIssues ?? 0) > 0 && <span className="sign sign-issues">{ti.openIssues}</span>}
                    </button>
                  </li>
                ))}
              </ul>
            )}
          </Async>
        </aside>
        <section className="ws-main card" aria-label="Item">
          {!itemId && <Empty title="Choose an item to review" />}
          {itemId && !detail.data && (detail.error !== undefined ? <ErrorBox error={detail.error} onRetry={detail.reload} /> : <Loading />)}
          {detail.data && (
            <>
              <div className="tool-row" role="group" aria-label="Annotations">
                {detail.data.annotations.length === 0 && <span className="muted">Nobody has annotated this item yet.</span>}
                {detail.data.annotations.map((a) => (
                  <button key={a.id} type="button" className={`btn btn-small${annotation?.id === a.id ? ' btn-active' : ''}`} onClick={() => setPicked(a.id)}>
                    {(a.authorId && names.get(a.authorId)) || 'annotator'} · {a.shapes.length} shape(s)
                  </button>
                ))}
              </div>
              <ItemView
                item={detail.data.item}
                shapes={annotation?.shapes ?? []}
                colors={colors}
                labelIndex={index}
                tool="select"
                readOnly
                selected={null}
                onSelect={() => undefined}
                onAdd={() => undefined}
                onChange={() => undefined}
              />
              {annotation && (
                <p className="muted small">
                  Labels: {annotation.shapes.map((s) => s.label ?? s.labels?.join('+') ?? s.text ?? humanize(s.tool)).join(', ') || 'none'}
                </p>
              )}
            </>
          )}
        </section>
        {detail.data && itemId && (
          <aside className="ws-side">
            {task.type === 'review' && (
              <div className="card stack">
                <h3>Review status</h3>
                <div className="status-row">
                  {statusesFor(task, recipe).map((s) => (
                    <button key={s} type="button" className="btn" onClick={() => void act(() => taskItems.setStatus(task.id, itemId, s), `Item ${humanize(s)}.`)}>
                      {sentence(s)}
                    </button>
                  ))}
                </div>
              </div>
            )}
            <div className="card stack">
              <h3>Open an issue</h3>
              <Field label={`On ${annotation ? (annotation.authorId && names.get(annotation.authorId)) || 'this annotation' : 'an annotation'}`}>
                <textarea rows={2} value={comment} onChange={(e) => setComment(e.target.value)} placeholder="What needs fixing?" />
              </Field>
              <button
                type="button"
                className="btn btn-primary"
                disabled={!annotation || !comment.trim()}
                onClick={() => void act(() => reviews.openIssue(annotation!.id, comment).then(() => setComment('')), 'Issue opened.')}
              >
                Open issue
              </button>
            </div>
            {annotation && (
              <InvalidCard
                annotation={{ id: annotation.id, authorName: (annotation.authorId && names.get(annotation.authorId)) || 'the annotator' }}
                invalid={invalid}
                canReview={atLeast('reviewer')}
                onChanged={() => (verdictTask.reload(), reloadTask())}
              />
            )}
            <div className="card stack">
              <h3>Issues</h3>
              <IssuesPanel issues={detail.data.issues ?? []} annotations={detail.data.annotations} names={names} canFix={false} canReview onChanged={() => (detail.reload(), items.reload(), verdictTask.reload())} />
            </div>
            <details className="card">
              <summary>
                <h3 className="inline">Comments</h3>
              </summary>
              <CommentsPanel subjectKind="item" subjectId={itemId} names={names} />
            </details>
          </aside>
        )}
      </div>
    </Layout>
  );
}
