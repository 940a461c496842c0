/**
 * App-wide feedback without providers: `toast()` after an action, `confirmInApp()` instead of
 * `window.confirm`, both rendered by `<FeedbackHost />` (mounted once in the layout).
 */
import { useEffect, useRef, useSyncExternalStore } from 'react';

interface Toast {
  id: number;
  message: string;
  kind: 'success' | 'error';
}
interface Confirm {
  title: string;
  body: string;
  confirmLabel: string;
  danger: boolean;
  resolve: (ok: boolean) => void;
}

let toasts: Toast[] = [];
let pending: Confirm | null = null;
let nextId = 1;
const listeners = new Set<() => void>();
const emit = () => {
  for (const l of listeners) l();
};
const subscribe = (l: () => void) => {
  listeners.add(l);
  return () => listeners.delete(l);
};

export function toast(message: string, kind: Toast['kind'] = 'success') {
  const id = nextId++;
  toasts = [...toasts, { id, message, kind }];
  emit();
  window.setTimeout(() => dismiss(id), kind === 'error' ? 8000 : 4000);
}
function dismiss(id: number) {
  toasts = toasts.filter((t) => t.id !== id);
  emit();
}

/** Resolves true when the person confirms, false when they cancel (Escape, backdrop, Cancel). */
export function confirmInApp(options: { title: string; body: string; confirmLabel?: string; danger?: boolean }): Promise<boolean> {
  pending?.resolve(false);
  return new Promise((resolve) => {
    pending = { title: options.title, body: options.body, confirmLabel: options.confirmLabel ?? 'Confirm', danger: options.danger ?? true, resolve };
    emit();
  });
}
function answer(ok: boolean) {
  const p = pending;
  pending = null;
  emit();
  p?.resolve(ok);
}

export function FeedbackHost() {
  const state = useSyncExternalStore(subscribe, () => toasts);
  const confirm = useSyncExternalStore(subscribe, () => pending);
  const confirmButton = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!confirm) return;
    confirmButton.current?.focus();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && answer(false);
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [confirm]);
  return (
    <>
      <div className="toasts" aria-live="polite">
        {state.map((t) => (
          <div key={t.id} className={`toast toast-${t.kind}`} role="status">
            <span>{t.message}</span>
            <button type="button" className="btn btn-ghost" aria-label="Dismiss" onClick={() => dismiss(t.id)}>
              ×
            </button>
          </div>
        ))}
      </div>
      {confirm && (
        <div className="dialog-backdrop" onMouseDown={(e) => e.target === e.currentTarget && answer(false)}>
          <div className="dialog dialog-small" role="alertdialog" aria-modal="true" aria-label={confirm.title}>
            <div className="dialog-head">
              <h2>{confirm.title}</h2>
            </div>
            <p>{confirm.body}</p>
            <div className="dialog-actions">
              <button type="button" className="btn" onClick={() => answer(false)}>
                Cancel
              </button>
              <button ref={confirmButton} type="button" className={`btn ${confirm.danger ? 'btn-danger' : 'btn-primary'}`} onClick={() => answer(true)}>
                {confirm.confirmLabel}
              </button>
            </div>
          </div>
        </div>
      )}
    </>
  );
}

/** Sets the tab title for the page: "Tasks · Loupe". */
export function usePageTitle(title: string | null | undefined) {
  useEffect(() => {
    if (title) document.title = `${title} · Loupe`;
  }, [title]);
}
