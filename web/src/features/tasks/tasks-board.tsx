import { useState, type DragEvent } from 'react';
import { labelingStates, ticketStates } from '@shared/task-workflow.ts';
import { plainWords } from '../../api/errors.ts';
import { tasks as tasksApi } from '../../api/resources.ts';
import type { Task } from '../../api/types.ts';
import { Link } from '../../app/router.tsx';
import { toast } from '../../components/feedback.tsx';
import { formatDate, humanize, sentence } from '../../components/format.ts';
import { Badge, ProgressBar } from '../../components/widgets.tsx';

type Workflow = 'labeling' | 'ticket';
const isTicket = (t: Task) => t.type === 'ticket';

/**
 * Tasks by workflow state, one board per workflow (labeling tasks and tickets have different
 * states). Dragging a card onto a column asks the server for that transition, the same call
 * as the task page's buttons: the card moves at once and snaps back, with the server's reason,
 * when the move is refused.
 */
export function TasksBoard({ tasks, truncated, onChanged }: { tasks: Task[]; truncated: boolean; onChanged: () => void }) {
  const [chosen, setChosen] = useState<Workflow | null>(null);
  const workflow: Workflow = chosen ?? (tasks.length > 0 && tasks.every(isTicket) ? 'ticket' : 'labeling');
  const shown = tasks.filter((t) => isTicket(t) === (workflow === 'ticket'));
  const [moved, setMoved] = useState<Record<string, string>>({});
  const [over, setOver] = useState<string | null>(null);
  const [refusal, setRefusal] = useState<string | null>(null);
  const stateOf = (t: Task) => moved[t.id] ?? t.workflowState;
  const states: readonly string[] = workflow === 'ticket' ? ticketStates : labelingStates;

  const drop = async (e: DragEvent, to: string) => {
    e.preventDefault();
    setOver(null);
    const task = shown.find((t) => t.id === e.dataTransfer.getData('text/x-loupe-task'));
    if (!task || stateOf(task) === to) return;
    setRefusal(null);
    setMoved((m) => ({ ...m, [task.id]: to }));
    try {
      await tasksApi.transition(task.id, to);
      toast(`“${task.name}” moved to ${humanize(to)}.`);
      onChanged();
    } catch (err) {
      setRefusal(`“${task.name}” cannot move to ${humanize(to)}: ${plainWords(err)}`);
    } finally {
      setMoved(({ [task.id]: _, ...rest }) => rest);
    }
  };

  return (
    <div className="stack">
      <div className="row">
        <div className="segmented" role="group" aria-label="Workflow">
          {(['labeling', 'ticket'] as const).map((w) => (
            <button key={w} type="button" className={workflow === w ? 'seg-active' : ''} aria-pressed={workflow === w} onClick={() => setChosen(w)}>
              {w === 'labeling' ? 'Labeling' : 'Tickets'} ({tasks.filter((t) => isTicket(t) === (w === 'ticket')).length})
            </button>
          ))}
        </div>
        <span className="muted small">Drag a card to another column to move the task.</span>
      </div>
      {truncated && <p className="notice">Showing the first 200 tasks; narrow the filters to see the rest.</p>}
      {refusal && (
        <p className="inline-error" role="alert" data-testid="board-refusal">
          {refusal}
        </p>
      )}
      <div className="board" style={{ gridTemplateColumns: `repeat(${states.length}, minmax(180px, 1fr))` }}>
        {states.map((state) => {
          const column = shown.filter((t) => stateOf(t) === state);
          return (
            <section
              key={state}
              className={`board-col${over === state ? ' board-col-over' : ''}`}
              aria-label={sentence(state)}
              onDragOver={(e) => (e.preventDefault(), setOver(state))}
              onDragLeave={() => setOver((o) => (o === state ? null : o))}
              onDrop={(e) => void drop(e, state)}
            >
              <h3 className="board-title">
                {sentence(state)} <span className="muted">{column.length}</span>
              </h3>
              {column.map((t) => (
                <Link
                  key={t.id}
                  to={`/tasks/${t.id}`}
                  className={`board-card${moved[t.id] ? ' board-card-moving' : ''}`}
                  draggable
                  onDragStart={(e) => {
                    e.dataTransfer.setData('text/x-loupe-task', t.id);
                    e.dataTransfer.effectAllowed = 'move';
                  }}
                  data-testid="board-card"
                >
                  <strong className="truncate" title={t.name}>
                    {t.name}
                  </strong>
                  <span className="board-meta">
                    {t.priority && <Badge value={t.priority} kind={`prio-${t.priority}`} />}
                    {t.locked && <span className="sign sign-locked">locked</span>}
                    {(t.counts?.openIssues ?? 0) > 0 && <span className="sign sign-issues">{t.counts?.openIssues} open issues</span>}
                  </span>
                  <ProgressBar progress={t.progress} />
                  <span className="muted small">
                    {humanize(t.type)} · due {formatDate(t.dueDate)}
                  </span>
                </Link>
              ))}
              {column.length === 0 && <p className="muted small">Nothing here.</p>}
            </section>
          );
        })}
      </div>
    </div>
  );
}
