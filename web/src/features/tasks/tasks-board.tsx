import { labelingStates, ticketStates } from '../../../../src/core/shared/task-workflow.ts';
import type { Task } from '../../api/types.ts';
import { Link } from '../../app/router.tsx';
import { formatDate, humanize } from '../../components/format.ts';
import { Badge, ProgressBar } from '../../components/widgets.tsx';

/** Tasks grouped by workflow state, in the order of the state machine the server enforces. */
export function TasksBoard({ tasks, truncated }: { tasks: Task[]; truncated: boolean }) {
  const states = [...new Set<string>([...labelingStates, ...ticketStates, ...tasks.map((t) => t.workflowState)])];
  const columns = states.map((s) => ({ state: s, tasks: tasks.filter((t) => t.workflowState === s) })).filter((c) => c.tasks.length > 0 || labelingStates.includes(c.state as never));
  return (
    <div className="stack">
      {truncated && <p className="notice">Showing the first 200 tasks; narrow the filters to see the rest.</p>}
      <div className="board">
        {columns.map((c) => (
          <section key={c.state} className="board-col" aria-label={humanize(c.state)}>
            <h3 className="board-title">
              {humanize(c.state)} <span className="muted">{c.tasks.length}</span>
            </h3>
            {c.tasks.map((t) => (
              <Link key={t.id} to={`/tasks/${t.id}`} className="board-card">
                <strong className="truncate" title={t.name}>
                  {t.name}
                </strong>
                <span className="board-meta">
                  <Badge value={t.status} />
                  {t.priority && <Badge value={t.priority} kind={`prio-${t.priority}`} />}
                  {t.locked && <span className="sign sign-locked">locked</span>}
                </span>
                <ProgressBar progress={t.progress} />
                <span className="muted small">
                  {humanize(t.type)} · due {formatDate(t.dueDate)}
                </span>
              </Link>
            ))}
            {c.tasks.length === 0 && <p className="muted small">Nothing here.</p>}
          </section>
        ))}
      </div>
    </div>
  );
}
