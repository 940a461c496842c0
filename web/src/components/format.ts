export function formatDate(value: string | null | undefined): string {
  if (!value) return '—';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return '—';
  return d.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

export function formatDateTime(value: string | null | undefined): string {
  if (!value) return '—';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return '—';
  return d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} d`;
}

export function humanize(value: string | null | undefined): string {
  if (!value) return '—';
  return value.replace(/_/g, ' ');
}

export function shortId(id: string): string {
  return id.length > 10 ? `${id.slice(0, 4)}…${id.slice(-4)}` : id;
}

export const percent = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : `${Math.round(x)}%`);
export const ratio = (x: number | null | undefined, digits = 2) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits));

/** A state or tool name as a button says it: "submit_for_review" → "Submit for review". */
export function sentence(value: string | null | undefined): string {
  const text = humanize(value);
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A count with the reader's thousands separators ("20,000"). */
export const count = (n: number | null | undefined) => (n === null || n === undefined || !Number.isFinite(n) ? '—' : n.toLocaleString());

/**
 * The days of the last `days` days (unix seconds at 00:00 UTC, oldest first): a chart of days
 * shows the whole window, with zeros where nothing happened, from the first value on.
 */
export function dayGrid(days: number, now = Date.now()): number[] {
  const today = Math.floor(now / 86_400_000) * 86_400;
  return Array.from({ length: days }, (_, i) => today - (days - 1 - i) * 86_400);
}
