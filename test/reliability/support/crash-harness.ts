import { inject } from 'vitest';
import pg from 'pg';
import { createToken, createUser } from '../../../src/auth/auth.service.ts';
import { systemClock } from '../../../src/core/clock.ts';
import { systemRandom } from '../../../src/core/random.ts';
import type { Database } from '../../../src/db/client.ts';
import { datasetUse, pullGate, statusListeners } from '../../../src/api/modules.ts';
import type { Ctx } from '../../../src/context.ts';
import { startServer, type ServerProcess } from '../../support/server-process.ts';
import { openTestDb } from '../../support/test-db.ts';
import { HttpClient } from '../../../bench/support/http-client.ts';

/**
 * The real server as a child process on this run's PostgreSQL database, that tests kill with
 * SIGKILL and start again, plus a direct database handle for set-up and for checking what
 * survived. Users and tokens are made through the services (the database is shared with other
 * files, so the server's first-start admin bootstrap does not apply).
 */
export class CrashHarness {
  server?: ServerProcess;
  http?: HttpClient;
  constructor(
    readonly databaseUrl: string,
    readonly database: Database,
    readonly admin: { id: string; token: string },
  ) {}

  static async open(): Promise<CrashHarness> {
    const databaseUrl = inject('testDatabaseUrl');
    if (!databaseUrl) throw new Error('the reliability suite runs on PostgreSQL: set TEST_DATABASE_URL or use its global setup');
    const database = await openTestDb({ databaseUrl }, 4);
    const ctx = { db: database.db, clock: systemClock, random: systemRandom, sweeps: new Map(), jobs: { enqueue: async () => null }, datasetUse, pullGate, statusListeners } as Ctx;
    const name = `crash-admin-${process.pid}-${Date.now()}`;
    const user = await createUser(ctx, null, { email: `${name}@example.com`, name, isAdmin: true });
    const { token } = await createToken(ctx, { userId: user.id, isAdmin: true }, user.id, 'crash');
    return new CrashHarness(databaseUrl, database, { id: user.id, token });
  }

  async start() {
    this.server = await startServer({ DATABASE_URL: this.databaseUrl, LOG_LEVEL: 'fatal' });
    this.http?.close();
    this.http = new HttpClient(this.server.url, 256);
    return this.server;
  }

  /** SIGKILL: no shutdown hook runs, in-flight transactions are cut where they stand. */
  async kill9() {
    const server = this.server!;
    server.child.kill('SIGKILL');
    await server.exited.catch(() => {});
    this.http?.close();
    // The process killed must be the server itself: nothing may answer on its port any more.
    const stillAnswering = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(2000) }).then(
      () => true,
      () => false,
    );
    if (stillAnswering) throw new Error(`SIGKILL did not stop the server: ${server.url} still answers`);
  }

  async query<T = Record<string, any>>(text: string, params: unknown[] = []): Promise<T[]> {
    return (await this.database.pool!.query(text, params)).rows as T[];
  }

  /** Ends every other connection to the database (the server's pool among them). */
  async terminateBackends(): Promise<number> {
    const client = new pg.Client({ connectionString: this.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query(
        `select count(*) filter (where pg_terminate_backend(pid))::int as n from pg_stat_activity
         where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend'`,
      );
      return rows[0].n;
    } finally {
      await client.end();
    }
  }

  async close() {
    if (this.server && this.server.child.exitCode === null) await this.kill9();
    this.http?.close();
    await this.database.close();
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
