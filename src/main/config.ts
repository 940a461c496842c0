import type { ServerTimeouts } from '../api/app.ts';
import type { UploadLimits } from '../datasets/import-staging.ts';

/**
 * All configuration comes from environment variables (listed in the README). Read once, here.
 */
export interface Config {
  port: number;
  host: string;
  databaseUrl?: string;
  dataDir: string;
  adminToken?: string;
  adminPassword?: string;
  logLevel: string;
  bodyLimit: number;
  trustProxy: boolean | number | string;
  uploads: Partial<UploadLimits>;
  timeouts: Partial<ServerTimeouts>;
  /**
   * Server processes (`LOUPE_WORKERS`, `loupe serve --workers N`): above 1, a primary process
   * migrates once and forks this many workers that listen on the same port (docs/deployment.md).
   */
  workers: number;
  /** Connections of each process's PostgreSQL pool (`LOUPE_DB_POOL_SIZE`). */
  poolSize: number;
}

/** More workers than this is a typo, not a deployment: each one holds its own pool. */
export const MAX_WORKERS = 64;

/** A non-negative integer setting, or undefined when unset; anything else stops the start. */
function int(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, not "${raw}"`);
  return n;
}

const defined = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

/** `true`/`false`, a hop count, or a comma-separated list of proxy addresses/CIDRs. */
function trustProxy(raw: string | undefined): boolean | number | string {
  if (raw === undefined || raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  return raw;
}

/** LOUPE_ADMIN_TOKEN is a bearer credential of the administrator: short ones are guessable. */
export const MIN_ADMIN_TOKEN_LENGTH = 32;

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const adminToken = env.LOUPE_ADMIN_TOKEN || undefined;
  if (adminToken !== undefined && (adminToken.length < MIN_ADMIN_TOKEN_LENGTH || new Set(adminToken).size < 8)) {
    throw new Error(
      `LOUPE_ADMIN_TOKEN is too weak: use at least ${MIN_ADMIN_TOKEN_LENGTH} random characters (for example \`openssl rand -hex 32\`), or leave it unset to have one generated`,
    );
  }
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, not "${env.PORT}"`);
  const databaseUrl = env.DATABASE_URL || undefined;
  const workers = int(env, 'LOUPE_WORKERS') ?? 1;
  if (workers < 1 || workers > MAX_WORKERS) throw new Error(`LOUPE_WORKERS must be between 1 and ${MAX_WORKERS}, not "${env.LOUPE_WORKERS}"`);
  if (workers > 1 && !databaseUrl) {
    throw new Error(
      `LOUPE_WORKERS=${workers} needs PostgreSQL: the embedded database (PGlite) lives inside one process and cannot be shared. ` +
        'Set DATABASE_URL to a PostgreSQL server, or run one process (LOUPE_WORKERS=1).',
    );
  }
  const poolSize = int(env, 'LOUPE_DB_POOL_SIZE') ?? 20;
  if (poolSize < 1) throw new Error('LOUPE_DB_POOL_SIZE must be at least 1');
  return {
    port,
    host: env.HOST ?? '127.0.0.1',
    databaseUrl,
    dataDir: env.LOUPE_DATA_DIR ?? './.loupe/data',
    adminToken,
    adminPassword: env.LOUPE_ADMIN_PASSWORD || undefined,
    logLevel: env.LOG_LEVEL ?? 'info',
    bodyLimit: Number(env.LOUPE_BODY_LIMIT ?? 1024 * 1024),
    trustProxy: trustProxy(env.LOUPE_TRUST_PROXY),
    uploads: defined({
      idleTimeoutMs: int(env, 'LOUPE_UPLOAD_IDLE_TIMEOUT_MS'),
      totalTimeoutMs: int(env, 'LOUPE_UPLOAD_TIMEOUT_MS'),
      perUser: int(env, 'LOUPE_UPLOADS_PER_USER'),
      jobThresholdBytes: int(env, 'LOUPE_IMPORT_JOB_BYTES'),
      databaseSlots: int(env, 'LOUPE_IMPORT_CONNECTIONS'),
      stagingDir: env.LOUPE_UPLOAD_DIR || undefined,
    }),
    timeouts: defined({
      requestTimeoutMs: int(env, 'LOUPE_REQUEST_TIMEOUT_MS'),
      connectionTimeoutMs: int(env, 'LOUPE_CONNECTION_TIMEOUT_MS'),
      headersTimeoutMs: int(env, 'LOUPE_HEADERS_TIMEOUT_MS'),
    }),
    workers,
    poolSize,
  };
}
