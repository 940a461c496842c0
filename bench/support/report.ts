import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import type { Latency } from './measure.ts';
import type { TargetKind } from './target.ts';

/**
 * One line of the results table. `ratio` is always "Loupe as a share of raw SQL's speed":
 * throughput Loupe ÷ raw, latency and duration raw ÷ Loupe. Below 1/3 is flagged.
 */
export interface ResultRow {
  target: TargetKind;
  workload: string;
  unit: string;
  loupe: number | null;
  raw: number | null;
  ratio: number | null;
  /** Latency rows keep all percentiles. */
  loupeLatency?: Latency;
  rawLatency?: Latency;
  note?: string;
  details?: Record<string, unknown>;
}

export function throughputRow(target: TargetKind, workload: string, loupe: number, raw: number | null, extra: Partial<ResultRow> = {}): ResultRow {
  return { target, workload, unit: '/s', loupe, raw, ratio: raw ? loupe / raw : null, ...extra };
}

/** Latency rows compare p95 (raw p95 ÷ Loupe p95). */
export function latencyRow(target: TargetKind, workload: string, loupe: Latency, raw: Latency | null, extra: Partial<ResultRow> = {}): ResultRow {
  return { target, workload, unit: 'ms p95', loupe: loupe.p95, raw: raw?.p95 ?? null, ratio: raw ? raw.p95 / Math.max(loupe.p95, 1e-6) : null, loupeLatency: loupe, rawLatency: raw ?? undefined, ...extra };
}

export function durationRow(target: TargetKind, workload: string, loupeSeconds: number, rawSeconds: number | null, extra: Partial<ResultRow> = {}): ResultRow {
  return { target, workload, unit: 's', loupe: loupeSeconds, raw: rawSeconds, ratio: rawSeconds ? rawSeconds / loupeSeconds : null, ...extra };
}

export function skippedRow(target: TargetKind, workload: string, why: string): ResultRow {
  return { target, workload, unit: '', loupe: null, raw: null, ratio: null, note: `skipped: ${why}` };
}

const fmt = (v: number | null, unit: string) => {
  if (v === null) return '—';
  if (unit === '/s') return v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(1);
  if (unit === 's') return v.toFixed(2);
  return v < 10 ? v.toFixed(2) : v.toFixed(1);
};
const lat = (l?: Latency) => (l ? `${l.p50.toFixed(2)} / ${l.p95.toFixed(2)} / ${l.p99.toFixed(2)}` : '—');

/** The table as Markdown (printed, and pasted into docs/benchmarks.md). */
export function markdownTable(rows: ResultRow[]): string {
  const lines = ['| target | workload | Loupe | raw SQL | ratio | note |', '| --- | --- | --- | --- | --- | --- |'];
  for (const r of rows) {
    const loupe = r.loupeLatency ? `${lat(r.loupeLatency)} ms` : r.loupe === null ? '—' : `${fmt(r.loupe, r.unit)} ${r.unit}`;
    const raw = r.rawLatency ? `${lat(r.rawLatency)} ms` : r.raw === null ? '—' : `${fmt(r.raw, r.unit)} ${r.unit}`;
    const ratio = r.ratio === null ? '—' : `${r.ratio.toFixed(2)}${r.ratio < 1 / 3 ? ' ⚠' : ''}`;
    lines.push(`| ${r.target} | ${r.workload} | ${loupe} | ${raw} | ${ratio} | ${r.note ?? ''} |`);
  }
  return lines.join('\n');
}

export function machine() {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
  };
}

export function writeResults(dir: string, payload: Record<string, unknown>): string {
  mkdirSync(dir, { recursive: true });
  const file = `${dir}/${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, JSON.stringify(payload, null, 2));
  return file;
}
