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
import { HttpClient } from './http-client.ts';

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
  user(name: string): Promise<BenchUser>;
  close(): Promise<void>;
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
  await runMigrations(database);
  const jobs = new PgBossQueue(database, { schedule: false });
  const built = await buildApp({ database, jobs, logger: false, bodyLimit: 512 * 1024 * 1024 });
  await jobs.start(built.ctx, jobDefinitions, { work: true, schedule: false });
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

  return {
    kind,
    url,
    http: new HttpClient(url, 128, { retryStaleSockets: true }),
    admin,
    raw,
    database,
    built,
    databaseUrl,
    user: (name) => makeUser(name),
    close: async () => {
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
