import { useState } from 'react';
import { reviews } from '../../api/resources.ts';
import type { Answer, Issue } from '../../api/types.ts';
import { useApi } from '../../app/use-api.ts';
import { formatDateTime } from '../../components/format.ts';
import { InlineError } from '../../components/states.tsx';
import { Badge } from '../../components/widgets.tsx';

/**
 * The issues on this item's annotations, with the moves the viewer may make: the annotator marks
 * an open issue fixed (`for_review`); a reviewer resolves it or reopens it.
 */
export function IssuesPanel(props: {
  issues: Issue[];
  annotations: Answer[];
  names: Map<string, string>;
  canFix: boolean;
  canReview: boolean;
  onChanged: () => void;
}) {
  const [error, setError] = useState<unknown>(null);
  const move = async (issue: Issue, status: Issue['status']) => {
    setError(null);
    try {
      await reviews.setIssue(issue.id, status);
      props.onChanged();
    } catch (e) {
      setError(e);
    }
  };
  if (props.issues.length === 0) return <p className="muted small">No issues on this item.</p>;
  return (
    <ul className="issue-list">
      {props.issues.map((i) => {
        const on = props.annotations.find((a) => a.id === i.annotationId);
        return (
          <li key={i.id} className={`issue issue-${i.status}`} data-testid="issue">
            <span className="issue-head">
              <Badge value={i.status} />
              <span className="muted small">
                on {(on?.authorId && props.names.get(on.authorId)) || 'an annotation'} · {formatDateTime(i.createdAt)}
              </span>
            </span>
            <span className="issue-text">{i.comment ?? ''}</span>
            <span className="row">
              {props.canFix && i.status === 'open' && (
                <button type="button" className="btn btn-small" onClick={() => void move(i, 'for_review')}>
                  Mark fixed
                </button>
              )}
              {props.canReview && i.status === 'for_review' && (
                <button type="button" className="btn btn-small btn-primary" onClick={() => void move(i, 'resolved')}>
                  Resolve
                </button>
              )}
              {props.canReview && i.status !== 'open' && (
                <button type="button" className="btn btn-small" onClick={() => void move(i, 'open')}>
                  Reopen
                </button>
              )}
            </span>
          </li>
        );
      })}
      <InlineError error={error} />
    </ul>
  );
}

export function CommentsPanel({ subjectKind, subjectId, names }: { subjectKind: 'item' | 'task'; subjectId: string; names: Map<string, string> }) {
  const comments = useApi(() => reviews.comments(subjectKind, subjectId), [subjectKind, subjectId]);
  const [body, setBody] = useState('');
  const [error, setError] = useState<unknown>(null);
  const post = async () => {
    setError(null);
    try {
      await reviews.comment(subjectKind, subjectId, body);
      setBody('');
      comments.reload();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <div className="stack">
      {comments.error !== undefined && !comments.data ? <InlineError error={comments.error} /> : null}
      {comments.data?.data.length === 0 && <p className="muted small">No comments yet.</p>}
      <ul className="comments">
        {comments.data?.data.map((c) => (
          <li key={c.id} className="comment">
            <span className="muted small">
              {c.author?.name ?? (c.authorId ? names.get(c.authorId) : null) ?? 'someone'} · {formatDateTime(c.createdAt)}
            </span>
            <span className="comment-body">{c.body}</span>
          </li>
        ))}
      </ul>
      <form className="row" onSubmit={(e) => (e.preventDefault(), void post())}>
        <input aria-label="Comment" placeholder="Add a comment" value={body} onChange={(e) => setBody(e.target.value)} maxLength={10_000} />
        <button type="submit" className="btn btn-small" disabled={!body.trim()}>
          Post
        </button>
      </form>
      <InlineError error={error} />
    </div>
  );
}
