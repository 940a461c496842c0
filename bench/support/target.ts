import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { buildApp, type BuiltApp } from '../../src/api/app.ts';
import { createToken, createUser } from '../../src/auth/auth.service.ts';
import { openDb, type Database } from '../../src/db/client.ts';
import { runMigrations } from '../../src/db/migrate.ts';
import { jobDefinitions } from '../../src/main/job-definitions.ts';
import { PgBossQueue } from '../../src/jobs/jobs.ts';
import { vacuumJob } from '../../src/jobs/vacuum.job.ts';
import { foldCounterShardsJob } from '../../src/task-units/counter-fold.job.ts';
import { startServer, type ServerProcess } from '../../test/support/server-process.ts';
import { HttpClient } from './http-client.ts';
import { postgresCpu, type DatabaseCpu } from './measure.ts';
import { timePgliteStatements } from './pglite-statements.ts';

export type TargetKind = 'postgres' | 'pglite';

/** Raw SQL on the same database the server uses: the baseline each Loupe figure is compared to. */
export interface RawSql {
  query<T = Record<string, any>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Runs `fn` on one dedicated connection (PostgreSQL) or the single session (PGlite). */
  withClient<T>(fn: (q: RawSql['query']) => Promise<T>): Promise<T>;
}

export interface BenchUser {
  id: string;
  token: string;
}

export interface Target {
  kind: TargetKind;
  /** Base URL of the running server (in-process, port 0). */
  url: string;
  http: HttpClient;
  admin: BenchUser;
  raw: RawSql;
  database: Database;
  built: BuiltApp;
  /** PostgreSQL connection string of the scratch database (undefined on PGlite). */
  databaseUrl?: string;
  /** Reads the database's server processes' CPU (PostgreSQL on this machine; undefined on PGlite). */
  databaseCpu?: DatabaseCpu;
  user(name: string): Promise<BenchUser>;
  /**
   * The HTTP client of `n` server processes on this database: 0 is the in-process server
   * (`http`); from 1, that many child processes of `src/main/server.ts`, started on first use
   * and stopped by `close`, each request going to the next process in turn (a load balancer
   * without sticky sessions). PostgreSQL only.
   */
  processes(n: number): Promise<Spread>;
  close(): Promise<void>;
}

/** What the workloads send requests through: one server's client, or several in turn. */
export type Spread = Pick<HttpClient, 'request' | 'ok'>;

/** Requests to several servers in turn. */
class SpreadClient implements Spread {
  private turn = 0;
  constructor(private readonly clients: HttpClient[]) {}

  private next() {
    return this.clients[this.turn++ % this.clients.length]!;
  }
  request: HttpClient['request'] = (...args) => this.next().request(...args);
  ok: HttpClient['ok'] = (...args) => this.next().ok(...args);
}

/**
 * `n` server processes on the scratch database, configured like the in-process server: the same
 * database connections in total (`BENCH_POOL_SIZE` shared out), and no per-second outbox poller,
 * which the in-process server does not run either (its minute job still runs).
 */
async function startProcesses(databaseUrl: string, n: number) {
  const poolSize = Math.ceil(Number(process.env.BENCH_POOL_SIZE ?? 20) / n);
  const env = { DATABASE_URL: databaseUrl, LOG_LEVEL: 'fatal', LOUPE_DB_POOL_SIZE: String(poolSize), LOUPE_BODY_LIMIT: String(512 * 1024 * 1024), LOUPE_OUTBOX_POLL_MS: String(3_600_000) };
  const servers: ServerProcess[] = [];
  try {
    // One at a time: each start migrates nothing but warms pg-boss and the claim function.
    for (let i = 0; i < n; i++) servers.push(await startServer(env, 120_000));
  } catch (error) {
    for (const s of servers) s.child.kill('SIGKILL');
    throw error;
  }
  const clients = servers.map((s) => new HttpClient(s.url, 128, { retryStaleSockets: true }));
  return {
    http: new SpreadClient(clients),
    stop: async () => {
      for (const c of clients) c.close();
      for (const s of servers) s.child.kill('SIGTERM');
      await Promise.all(servers.map((s) => s.exited));
    },
  };
}

const int8 = { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === 20 || oid === 1700 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser };

/**
 * Opens a scratch database (a fresh PostgreSQL database, dropped on close, or a PGlite in a
 * temporary directory), migrates it, and starts the real application in this process on port 0,
 * with job workers running as in `src/main/server.ts`.
 */
export async function openTarget(kind: TargetKind, options: { baseUrl: string; pglitePath: 'memory' | 'dir' }): Promise<Target> {
  let database: Database;
  let databaseUrl: string | undefined;
  let dropDatabase: (() => Promise<void>) | undefined;
  let rawPool: pg.Pool | undefined;
  let tempDir: string | undefined;
  if (kind === 'postgres') {
    const name = `loupe_bench_${Date.now()}_${process.pid}`;
    const admin = new pg.Client({ connectionString: options.baseUrl });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(options.baseUrl);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
    database = await openDb({ databaseUrl, poolSize: Number(process.env.BENCH_POOL_SIZE ?? 20) });
    rawPool = new pg.Pool({ connectionString: databaseUrl, max: 40, types: int8 });
    rawPool.on('error', () => {});
    dropDatabase = async () => {
      const c = new pg.Client({ connectionString: options.baseUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    };
  } else {
    tempDir = options.pglitePath === 'dir' ? await mkdtemp(`${tmpdir()}/loupe-bench-`) : undefined;
    database = await openDb({ dataDir: tempDir ? `${tempDir}/data` : 'memory://' });
  }
  // BENCH_PGLITE_STATEMENTS=1: the embedded database's time by statement, printed at close.
  const statements = database.pglite && process.env.BENCH_PGLITE_STATEMENTS === '1' ? timePgliteStatements(database.pglite) : undefined;
  await runMigrations(database);
  const jobs = new PgBossQueue(database, { schedule: false });
  const built = await buildApp({ database, jobs, logger: false, bodyLimit: 512 * 1024 * 1024 });
  await jobs.start(built.ctx, jobDefinitions, { work: true, schedule: false });
  // The schedules the bench keeps (`schedule: false` leaves the cron jobs out), sent every minute
  // as their cron sends them: the vacuum where no autovacuum runs (docs/deployment.md;
  // `LOUPE_DB_VACUUM=off` turns it off, as on a server) and the fold of counter shards into task
  // rows (docs/workflow.md), whose cost the status rows and the soak then carry.
  const vacuumTimer = setInterval(() => {
    for (const job of [vacuumJob, foldCounterShardsJob]) void jobs.boss.send(job.name, {}).catch(() => {});
  }, 60_000);
  vacuumTimer.unref();
  await built.app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(built.app.server.address() as AddressInfo).port}`;

  const raw: RawSql = rawPool
    ? {
        query: async (text, params) => (await rawPool!.query(text, params as unknown[])).rows,
        withClient: async (fn) => {
          const client = await rawPool!.connect();
          try {
            return await fn(async (text, params) => (await client.query(text, params as unknown[])).rows);
          } finally {
            client.release();
          }
        },
      }
    : {
        query: async (text, params) => (await database.pglite!.query(text, params as unknown[])).rows as any[],
        withClient: async (fn) => fn(async (text, params) => (await database.pglite!.query(text, params as unknown[])).rows as any[]),
      };

  const ctx = built.ctx;
  const makeUser = async (name: string, isAdmin = false): Promise<BenchUser> => {
    const email = `${name}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@bench.local`;
    const user = await createUser(ctx, null, { email, name, isAdmin });
    const { token } = await createToken(ctx, { userId: user.id, isAdmin: true }, user.id, 'bench');
    return { id: user.id, token };
  };
  const admin = await makeUser('bench-admin', true);
  const http = new HttpClient(url, 128, { retryStaleSockets: true });
  const groups = new Map<number, ReturnType<typeof startProcesses>>();

  return {
    kind,
    url,
    http,
    admin,
    raw,
    database,
    built,
    databaseUrl,
    ...(kind === 'postgres' ? { databaseCpu: postgresCpu((text) => raw.query<{ pid: number }>(text)) } : {}),
    user: (name) => makeUser(name),
    processes: async (n) => {
      if (n === 0) return http;
      if (!databaseUrl) throw new Error('several server processes need PostgreSQL');
      let group = groups.get(n);
      if (!group) groups.set(n, (group = startProcesses(databaseUrl, n)));
      return (await group).http;
    },
    close: async () => {
      clearInterval(vacuumTimer);
      if (statements) console.log(statements.report(20));
      for (const group of groups.values()) await (await group.catch(() => null))?.stop();
      await built.app.close();
      await jobs.stop(2000).catch(() => {});
      await rawPool?.end();
      await database.close();
      await dropDatabase?.();
      if (tempDir) await rm(tempDir, { recursive: true, force: true });
    },
  };
}

/** Every `METHOD /path` the server documents: workloads whose route has not landed are skipped by name. */
export async function documentedRoutes(target: Target): Promise<Set<string>> {
  const doc = await target.http.ok<{ paths: Record<string, Record<string, unknown>> }>('GET', '/api/v1/openapi.json');
  return new Set(Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)));
}
