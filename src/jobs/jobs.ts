import { eq, sql } from 'drizzle-orm';
import { PgBoss, fromDrizzle, fromPglite, type JobOptions, type JobResult } from 'pg-boss';
import type { z } from 'zod';
import type { Ctx } from '../context.ts';
import type { Database, Db, Tx } from '../db/client.ts';
import { recordEvent } from '../outbox/outbox.service.ts';
import { jobQueueState } from './jobs-admin.table.ts';

/** A typed background job: its queue name, the schema of its payload and its handler. */
export interface JobDefinition<T> {
  name: string;
  schema: z.ZodType<T>;
  /**
   * `job.id` is pg-boss's id: handlers write their log lines under it (`appendJobLog`). It is
   * absent when a handler is called directly (tests, one-off scripts).
   */
  handler: (ctx: Ctx, data: T, job?: { id: string }) => Promise<void>;
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
  /** Admin actions that need pg-boss itself (the admin service counts and lists in SQL). */
  retryFailed?(queue: string, ids: string[]): Promise<void>;
  deleteQueued?(queue: string): Promise<void>;
  /**
   * Makes this process's idle worker of the job's queue fetch now instead of at its next poll.
   * Call it after the transaction that enqueued the job committed (before, the fetch finds nothing).
   * Workers of other processes still find the job at their next poll (every 2 s).
   */
  wake?(definition: JobDefinition<any>): void;
  /** Stops (true) or starts (false) this process's workers at once; other processes follow the stored flag. */
  applyPaused?(paused: boolean): Promise<void>;
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
  private ctx: Ctx | null = null;
  private working = false;
  private pausePoll: NodeJS.Timeout | null = null;

  constructor(database: Database, options: Partial<JobRunnerOptions> = {}) {
    const common = { schedule: options.schedule ?? true, supervise: options.schedule ?? true };
    this.boss = database.pglite
      ? new PgBoss({ db: fromPglite(database.pglite), backend: 'pglite', useListenNotify: true, ...common })
      : new PgBoss({ db: poolAdapter(database), ...common });
    this.boss.on('error', (error) => console.error('[jobs]', error));
  }

  async start(ctx: Ctx, definitions: JobDefinition<any>[], options: JobRunnerOptions) {
    this.ctx = ctx;
    this.schedules = options.schedule;
    await this.boss.start();
    for (const def of definitions) await this.prepare(def);
    if (!options.work) return;
    this.working = true;
    // The paused flag is shared through the database (docs/jobs.md): read it before the first
    // claim, then poll it so a pause or resume from another process reaches this one.
    await this.applyPaused(await readPaused(ctx.db));
    this.pausePoll = setInterval(() => {
      readPaused(ctx.db).then((paused) => this.applyPaused(paused)).catch(() => {});
    }, 2000);
    this.pausePoll.unref();
  }

  /**
   * Adds a job after `start`: creates its queue, warms pg-boss's queue cache for it, schedules it,
   * and works it at once when this process works jobs (and the queue is not paused).
   */
  async register(definition: JobDefinition<any>) {
    if (!this.ctx) throw new Error('register() comes after start()');
    await this.prepare(definition);
    if (this.workersStarted) await this.startWorker(definition as JobDefinition<unknown>);
  }

  private schedules = false;

  private async prepare(def: JobDefinition<any>) {
    this.definitions.set(def.name, def as JobDefinition<unknown>);
    // createQueue evicts the queue from pg-boss's queue cache. Warm it again now: on a miss
    // `send` reads the queue on pg-boss's own connection, which on PGlite's single session
    // deadlocks an `enqueue` made inside a transaction (the transaction holds the session).
    await this.boss.createQueue(def.name, { retryLimit: def.retryLimit ?? 3 });
    await this.boss.getJobById(def.name, '00000000-0000-0000-0000-000000000000');
    if (this.schedules && def.cron) await this.boss.schedule(def.name, def.cron, {}, { tz: 'UTC' });
  }

  applyPaused(paused: boolean): Promise<void> {
    // One change at a time: the poll and an admin request may both ask at once.
    this.switching = this.switching.catch(() => {}).then(() => this.switchWorkers(paused));
    return this.switching;
  }

  private switching: Promise<void> = Promise.resolve();

  private async switchWorkers(paused: boolean) {
    if (!this.working || !this.ctx) return;
    if (this.workersStarted === !paused) return;
    if (paused) {
      this.workersStarted = false;
      // offWork without `wait`: running jobs finish on their own, no new one is claimed.
      this.workerIds.clear();
      for (const name of this.definitions.keys()) await this.boss.offWork(name, { wait: false }).catch(() => {});
      return;
    }
    this.workersStarted = true;
    for (const def of this.definitions.values()) await this.startWorker(def);
  }

  private async startWorker(def: JobDefinition<unknown>) {
    const ctx = this.ctx!;
    // Each job of a batch settles on its own: one failing job must not fail its batch-mates.
    const workerId = await this.boss.work(def.name, { batchSize: 4, perJobResults: true }, async (jobs) => {
      const results: JobResult[] = [];
      for (const job of jobs) {
        try {
          await def.handler(ctx, def.schema.parse(job.data), { id: job.id });
          results.push({ id: job.id, status: 'completed' });
        } catch (error) {
          const e = error instanceof Error ? error : new Error(String(error));
          // The last attempt: announce it (docs/events.md); pg-boss records the failure.
          if (job.retryCount >= (def.retryLimit ?? 3)) await recordJobFailed(ctx, def.name, job, error).catch(() => {});
          results.push({ id: job.id, status: 'failed', output: { message: e.message, stack: e.stack } });
        }
      }
      return results;
    });
    this.workerIds.set(def.name, workerId);
  }

  private workersStarted = false;
  /** This process's worker of each queue (none while paused). */
  private workerIds = new Map<string, string>();

  wake(definition: JobDefinition<any>) {
    const id = this.workerIds.get(definition.name);
    if (id) this.boss.notifyWorker(id);
  }

  async retryFailed(queue: string, ids: string[]) {
    if (ids.length) await this.boss.retry(queue, ids);
  }

  async deleteQueued(queue: string) {
    await this.boss.deleteQueuedJobs(queue);
  }

  async enqueue<T>(tx: Tx, definition: JobDefinition<T>, data: T, options: JobOptions = {}) {
    return this.boss.send(definition.name, definition.schema.parse(data) as object, { ...options, db: fromDrizzle(tx as Parameters<typeof fromDrizzle>[0], sql) });
  }

  /** Waits for running jobs to finish (up to `timeoutMs`), then stops. */
  async stop(timeoutMs = 10_000) {
    if (this.pausePoll) clearInterval(this.pausePoll);
    this.working = false;
    await this.boss.stop({ graceful: true, timeout: timeoutMs, close: false });
  }
}

async function readPaused(db: Db): Promise<boolean> {
  const [row] = await db.select({ paused: jobQueueState.paused }).from(jobQueueState).where(eq(jobQueueState.id, 1));
  return row?.paused ?? false;
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

/** Records `job.failed` for a job's last failed attempt, with the job's project when its data names one. */
async function recordJobFailed(ctx: Ctx, queue: string, job: { id: string; data: unknown; retryCount: number }, error: unknown) {
  const data = (job.data ?? {}) as Record<string, unknown>;
  const projectId = typeof data.projectId === 'string' ? data.projectId : null;
  await ctx.db.transaction((tx) =>
    recordEvent(tx, { projectId, type: 'job.failed', subjectKind: 'job', subjectId: job.id, data: { jobId: job.id, queue, attempts: job.retryCount + 1, error: error instanceof Error ? error.message.slice(0, 500) : String(error).slice(0, 500) } }),
  );
}
