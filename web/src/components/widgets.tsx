import { useState, type ReactNode } from 'react';
import type { Progress } from '../api/types.ts';
import { humanize, shortId } from './format.ts';

/** A progress bar drawn in SVG (no inline style attribute, which the CSP forbids for style-src). */
export function ProgressBar({ progress, label }: { progress: Pick<Progress, 'done' | 'total' | 'percent'> | undefined; label?: boolean }) {
  const pct = Math.max(0, Math.min(100, progress?.percent ?? 0));
  return (
    <span className="progress" title={progress ? `${progress.done.toLocaleString()} of ${progress.total.toLocaleString()} done` : 'No items'}>
      <svg className="progress-bar" viewBox="0 0 100 6" preserveAspectRatio="none" role="img" aria-label={`${Math.round(pct)}% done`}>
        <rect className="progress-track" x="0" y="0" width="100" height="6" rx="3" />
        <rect className="progress-fill" x="0" y="0" width={pct} height="6" rx="3" />
      </svg>
      {label !== false && <span className="progress-text">{Math.round(pct)}%</span>}
    </span>
  );
}

export function Badge({ value, kind }: { value: string | null | undefined; kind?: string }) {
  return <span className={`badge badge-${(kind ?? value ?? 'none').replace(/[^a-z_]/g, '')}`}>{humanize(value)}</span>;
}

/** An id with a copy button: ids are long, people paste them into the CLI. */
export function CopyId({ id }: { id: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      className="copy-id"
      title={`Copy id ${id}`}
      onClick={(e) => {
        e.stopPropagation();
        void navigator.clipboard?.writeText(id).then(() => {
          setCopied(true);
          window.setTimeout(() => setCopied(false), 1200);
        });
      }}
    >
      {copied ? 'copied' : shortId(id)}
    </button>
  );
}

export function Tabs<K extends string>({ tabs, active, onChange }: { tabs: Array<{ key: K; label: ReactNode }>; active: K; onChange: (key: K) => void }) {
  return (
    <div className="tabs" role="tablist">
      {tabs.map((t) => (
        <button key={t.key} type="button" role="tab" aria-selected={t.key === active} className={`tab${t.key === active ? ' tab-active' : ''}`} onClick={() => onChange(t.key)}>
          {t.label}
        </button>
      ))}
    </div>
  );
}

export function Dialog({ title, onClose, children }: { title: string; onClose: () => void; children: ReactNode }) {
  return (
    <div className="dialog-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="dialog" role="dialog" aria-modal="true" aria-label={title}>
        <div className="dialog-head">
          <h2>{title}</h2>
          <button type="button" className="btn btn-ghost" aria-label="Close" onClick={onClose}>
            ×
          </button>
        </div>
        {children}
      </div>
    </div>
  );
}

export function Field({ label, children, hint }: { label: string; children: ReactNode; hint?: ReactNode }) {
  return (
    <label className="field">
      <span className="field-label">{label}</span>
      {children}
      {hint && <span className="field-hint">{hint}</span>}
    </label>
  );
}

export function Stat({ label, value, hint }: { label: string; value: ReactNode; hint?: string }) {
  return (
    <div className="stat" title={hint}>
      <span className="stat-value">{value}</span>
      <span className="stat-label">{label}</span>
    </div>
  );
}
