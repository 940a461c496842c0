import { useCallback, useEffect, useState } from 'react';
import { listNotifications, markRead, unreadCount, type Notification } from '../../api/notifications.ts';
import { navigate } from '../../app/router.tsx';

/** What a notification says, from its type and data (docs/webhooks.md#notifications). */
function describe(n: Notification): string {
  const name = typeof n.data.name === 'string' ? `“${n.data.name}”` : 'a task';
  switch (n.type) {
    case 'task.created':
      return `You were assigned to ${name}`;
    case 'task.updated':
      return `You were added to ${name}`;
    case 'task.workflow_changed':
      return n.data.to === 'pending_review' ? `${name} is waiting for your review` : `${name} moved to ${String(n.data.to ?? '').replace('_', ' ')}`;
    case 'issue.opened':
      return 'An issue was opened on your annotation';
    case 'issue.resolved':
      return 'An issue on your annotation was resolved';
    case 'cycle.started':
      return 'A review cycle started';
    case 'cycle.closed':
      return `A review cycle closed under target (${String(n.data.done ?? 0)}/${String(n.data.target ?? 0)})`;
    default:
      return n.type;
  }
}

function target(n: Notification): string | null {
  const taskId = typeof n.data.taskId === 'string' ? n.data.taskId : null;
  // The task page's route is /tasks/:taskId (app.tsx); /p/:projectId/tasks/:taskId matches nothing.
  if (!taskId) return null;
  return `/tasks/${taskId}`;
}

/** The bell in the top bar: unread count (polled every 30 s) and a dropdown of the latest notifications. */
export function NotificationBell() {
  const [count, setCount] = useState(0);
  const [open, setOpen] = useState(false);
  const [items, setItems] = useState<Notification[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const refreshCount = useCallback(() => {
    unreadCount().then(setCount, () => {});
  }, []);
  useEffect(() => {
    refreshCount();
    const timer = setInterval(refreshCount, 30_000);
    return () => clearInterval(timer);
  }, [refreshCount]);

  const toggle = () => {
    const next = !open;
    setOpen(next);
    if (next) {
      setItems(null);
      setError(null);
      listNotifications().then(setItems, (e: Error) => setError(e.message));
    }
  };
  const readAll = async () => {
    await markRead({ all: true });
    setItems((list) => list?.map((n) => ({ ...n, read: true })) ?? list);
    setCount(0);
  };
  const openOne = async (n: Notification) => {
    if (!n.read) {
      await markRead({ ids: [n.id] });
      setCount((c) => Math.max(0, c - 1));
    }
    setOpen(false);
    const to = target(n);
    if (to) navigate(to);
  };

  return (
    <div className="bell">
      <button type="button" className="btn btn-ghost bell-button" aria-label={`Notifications: ${count} unread`} aria-expanded={open} onClick={toggle}>
        <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
          <path d="M12 3a6 6 0 0 0-6 6v4l-2 3h16l-2-3V9a6 6 0 0 0-6-6zm-2 15a2 2 0 0 0 4 0" fill="none" stroke="currentColor" strokeWidth="2" strokeLinejoin="round" />
        </svg>
        {count > 0 && <span className="bell-count">{count > 99 ? '99+' : count}</span>}
      </button>
      {open && (
        <div className="bell-menu" role="dialog" aria-label="Notifications">
          <div className="bell-head">
            <strong>Notifications</strong>
            <button type="button" className="btn btn-ghost" disabled={count === 0} onClick={() => void readAll()}>
              Mark all read
            </button>
          </div>
          {error && <p className="error">Could not load notifications: {error}</p>}
          {!error && items === null && <p className="muted">Loading…</p>}
          {items?.length === 0 && <p className="muted">Nothing yet. You will hear of tasks assigned to you, reviews waiting and issues on your work.</p>}
          {items && items.length > 0 && (
            <ul className="bell-list">
              {items.map((n) => (
                <li key={n.id}>
                  <button type="button" className={`bell-item${n.read ? '' : ' bell-unread'}`} onClick={() => void openOne(n)}>
                    <span>{describe(n)}</span>
                    <time dateTime={n.createdAt}>{new Date(n.createdAt).toLocaleString()}</time>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}
