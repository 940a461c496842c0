/** The traces module's settings, from the environment (README, docs/traces.md). */
export interface TracesSettings {
  /** Largest OTLP request body in bytes, compressed and decompressed alike (`LOUPE_OTLP_MAX_BYTES`). */
  maxBytes: number;
  /** OTLP requests handled at once per process; more answer 429 with Retry-After (`LOUPE_OTLP_MAX_INFLIGHT`). */
  maxInFlight: number;
  /** Days of spans kept; older daily partitions are dropped (`LOUPE_SPAN_RETENTION_DAYS`). */
  retentionDays: number;
}

const positiveInt = (raw: string | undefined, fallback: number, name: string) => {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, not "${raw}"`);
  return n;
};

export function readTracesSettings(env: NodeJS.ProcessEnv = process.env): TracesSettings {
  return {
    maxBytes: positiveInt(env.LOUPE_OTLP_MAX_BYTES, 8 * 1024 * 1024, 'LOUPE_OTLP_MAX_BYTES'),
    maxInFlight: positiveInt(env.LOUPE_OTLP_MAX_INFLIGHT, 32, 'LOUPE_OTLP_MAX_INFLIGHT'),
    retentionDays: positiveInt(env.LOUPE_SPAN_RETENTION_DAYS, 30, 'LOUPE_SPAN_RETENTION_DAYS'),
  };
}
