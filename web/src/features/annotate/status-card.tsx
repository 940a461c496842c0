import { refusesEmptyAnswer } from '@shared/answers.ts';
import type { Recipe, Task } from '../../api/types.ts';
import { sentence } from '../../components/format.ts';
import { InlineError } from '../../components/states.tsx';
import { Badge } from '../../components/widgets.tsx';

/**
 * Why a status cannot be set on this answer, before anyone clicks: the server refuses a done
 * status on an empty answer where the answer is the work (422 empty_annotation, docs/workflow.md).
 */
export function statusRefusal(task: Task, recipe: Recipe | undefined, status: string, shapeCount: number): string | null {
  const countsAsDone = recipe?.statuses?.find((s) => s.name === status)?.countsAsDone ?? true;
  return refusesEmptyAnswer({ taskType: task.type, allowEmpty: recipe?.allowEmpty ?? false, status, countsAsDone, shapeCount })
    ? `Nothing is labeled yet: add a label or shape before “${sentence(status)}” (or discard the item).`
    : null;
}

/** The item's status buttons (Shift+1–9), previous/next, and copying the previous item's labels. */
export function StatusCard(props: {
  task: Task;
  recipe: Recipe | undefined;
  statuses: string[];
  status: string | null;
  shapeCount: number;
  readOnly: boolean;
  error: unknown;
  onStatus: (s: string | null) => void;
  onPrevious: (() => void) | null;
  onCopyPrevious: (() => void) | null;
  onNext: () => void;
  pulling: boolean;
  queueEmpty: boolean;
}) {
  const why = props.statuses.map((s) => statusRefusal(props.task, props.recipe, s, props.shapeCount)).find((r) => r !== null) ?? null;
  return (
    <div className="card stack">
      <h3>Status {props.status ? <Badge value={props.status} /> : <span className="muted small">pending</span>}</h3>
      <div className="status-row">
        {props.statuses.map((s, i) => {
          const refused = statusRefusal(props.task, props.recipe, s, props.shapeCount);
          return (
            <button
              key={s}
              type="button"
              className={`btn${props.status === s ? ' btn-active' : ''}`}
              disabled={props.readOnly || refused !== null}
              aria-describedby={refused ? 'status-why' : undefined}
              onClick={() => props.onStatus(s)}
            >
              {i < 9 && <kbd>⇧{i + 1}</kbd>} {sentence(s)}
            </button>
          );
        })}
        {props.status && (
          <button type="button" className="btn btn-ghost" disabled={props.readOnly} onClick={() => props.onStatus(null)}>
            Remove status
          </button>
        )}
      </div>
      {why && (
        <p id="status-why" className="muted small" data-testid="status-why">
          {why}
        </p>
      )}
      <InlineError error={props.error} />
      <div className="row">
        <button type="button" className="btn" onClick={() => props.onPrevious?.()} disabled={!props.onPrevious} title={props.onPrevious ? 'Previous item (P)' : 'No earlier item in this session'}>
          <kbd>P</kbd> Previous item
        </button>
        <button type="button" className="btn btn-primary" onClick={props.onNext} disabled={props.pulling} data-testid="next">
          <kbd>N</kbd> {props.pulling ? 'Getting work…' : 'Next item'}
        </button>
      </div>
      <button
        type="button"
        className="btn btn-ghost"
        disabled={props.readOnly || !props.onCopyPrevious}
        onClick={() => props.onCopyPrevious?.()}
        title={props.onCopyPrevious ? 'Replace this item’s labels with a copy of the previous item’s (undo with Ctrl+Z)' : 'No earlier item in this session'}
      >
        Copy labels from the previous item
      </button>
      {props.queueEmpty && <p className="notice">Nothing left for you in this task right now.</p>}
    </div>
  );
}
