import type { ReactNode } from 'react';
import { messageOf } from '../api/client.ts';
import { technicalDetail } from '../api/errors.ts';
import type { ApiState } from '../app/use-api.ts';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function ErrorBox({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  return (
    <div className="state state-error" role="alert">
      <strong>Something went wrong.</strong>
      <span className="state-message">{messageOf(error)}</span>
      <Details error={error} />
      {onRetry && (
        <button type="button" className="btn" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty">
      <strong>{title}</strong>
      {children && <div className="state-message">{children}</div>}
    </div>
  );
}

/** Renders loading, error (with retry), empty, or the content for a loaded value. */
export function Async<T>({ state, empty, children }: { state: ApiState<T>; empty?: (data: T) => ReactNode | null; children: (data: T) => ReactNode }) {
  if (state.error !== undefined && state.data === undefined) return <ErrorBox error={state.error} onRetry={state.reload} />;
  if (state.data === undefined) return <Loading />;
  const emptyView = empty?.(state.data);
  return (
    <>
      {state.error !== undefined && <ErrorBox error={state.error} onRetry={state.reload} />}
      {emptyView ?? children(state.data)}
    </>
  );
}

/** An inline error line for forms and actions. */
export function InlineError({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  return (
    <div className="inline-error" role="alert">
      {messageOf(error)} <Details error={error} />
    </div>
  );
}

/** The server's own words, folded away: support needs them, people mostly do not. */
export function Details({ error }: { error: unknown }) {
  const detail = technicalDetail(error);
  if (!detail) return null;
  return (
    <details className="error-details">
      <summary>Details</summary>
      <code>{detail}</code>
    </details>
  );
}
