import { sql } from 'drizzle-orm';
import { PgBoss, fromDrizzle, fromPglite, type JobOptions } from 'pg-boss';
import type { z } from 'zod';
import type { Ctx } from '../context.ts';
import type { Database, Db, Tx } from '../db/client.ts';

/** A typed background job: its queue name, the schema of its payload and its handler. */
export interface JobDefinition<T> {
  name: string;
  schema: z.ZodType<T>;
  handler: (ctx: Ctx, data: T) => Promise<void>;
  /** Cron expression (UTC) when the job also runs on a schedule. */
  cron?: string;
  retryLimit?: number;
}

export const defineJob = <T>(definition: JobDefinition<T>) => definition;

export interface JobQueue {
  /**
   * Enqueues a job inside the caller's transaction: the job exists if and only if the change
   * that asked for it commits (a crash between the two cannot lose it or run it for nothing).
   */
  enqueue<T>(tx: Tx, definition: JobDefinition<T>, data: T, options?: JobOptions): Promise<string | null>;
}

export interface JobRunnerOptions {
  /** Process jobs in this process (servers and workers do; CLI helpers do not). */
  work: boolean;
  /** Run cron schedules and queue maintenance (one may run it per process; pg-boss coordinates). */
  schedule: boolean;
}

/** pg-boss on the same database as everything else: PGlite's single session or the PostgreSQL pool. */
export class PgBossQueue implements JobQueue {
  readonly boss: PgBoss;
  private definitions = new Map<string, JobDefinition<unknown>>();

  constructor(database: Database, options: Partial<JobRunnerOptions> = {}) {
    const common = { schedule: options.schedule ?? true, supervise: options.schedule ?? true };
    this.boss = database.pglite
      ? new PgBoss({ db: fromPglite(database.pglite), backend: 'pglite', useListenNotify: true, ...common })
      : new PgBoss({ db: poolAdapter(database), ...common });
    this.boss.on('error', (error) => console.error('[jobs]', error));
  }

  async start(ctx: Ctx, definitions: JobDefinition<any>[], options: JobRunnerOptions) {
    await this.boss.start();
    for (const def of definitions) {
      this.definitions.set(def.name, def as JobDefinition<unknown>);
      await this.boss.createQueue(def.name, { retryLimit: def.retryLimit ?? 3 });
      if (options.schedule && def.cron) await this.boss.schedule(def.name, def.cron, {}, { tz: 'UTC' });
      if (options.work) {
        await this.boss.work(def.name, { batchSize: 4 }, async (jobs) => {
          for (const job of jobs) await def.handler(ctx, def.schema.parse(job.data));
        });
      }
    }
  }

  async enqueue<T>(tx: Tx, definition: JobDefinition<T>, data: T, options: JobOptions = {}) {
    return this.boss.send(definition.name, definition.schema.parse(data) as object, { ...options, db: fromDrizzle(tx as Parameters<typeof fromDrizzle>[0], sql) });
  }

  /** Waits for running jobs to finish (up to `timeoutMs`), then stops. */
  async stop(timeoutMs = 10_000) {
    await this.boss.stop({ graceful: true, timeout: timeoutMs, close: false });
  }
}

/** pg-boss's own connection handling is not needed: it runs its SQL on our pool. */
function poolAdapter(database: Database) {
  const pool = database.pool!;
  return {
    async executeSql(text: string, values?: unknown[]) {
      return pool.query(text, values as unknown[]);
    },
  };
}
