import cluster, { type Worker } from 'node:cluster';
import { performance } from 'node:perf_hooks';
import { buildApp } from '../api/app.ts';
import { bootstrapAdmin } from '../auth/auth.service.ts';
import { openDb, DataDirLockedError } from '../db/client.ts';
import { runMigrations } from '../db/migrate.ts';
import { jobDefinitions } from './job-definitions.ts';
import { PgBossQueue } from '../jobs/jobs.ts';
import { readConfig, type Config } from './config.ts';
import { startOutboxWorker, webhookSettings } from '../webhooks/delivery.ts';
import { setAutoQaPort } from '../workloads/auto-qa.port.ts';
import { evaluatorsAutoQaPort } from '../workloads/auto-qa.evaluators.ts';

/**
 * Composition root of the server: database, migrations, jobs, HTTP. One process by default;
 * with `LOUPE_WORKERS` above 1 (PostgreSQL only) this process becomes the primary of a
 * node:cluster: it migrates once, forks the workers, each of which builds the whole app and
 * listens on the same port, restarts a worker that dies, and stops them all on SIGTERM/SIGINT.
 * What the processes share goes through the database (docs/deployment.md#several-processes).
 */
async function main() {
  const started = performance.now();
  let config: Config;
  try {
    config = readConfig();
  } catch (error) {
    console.error(`loupe: ${(error as Error).message}`);
    process.exit(1);
  }
  if (config.workers > 1 && cluster.isPrimary) return runPrimary(config, started);
  return runServer(config, started, cluster.isWorker);
}

/** What a worker tells the primary once it listens (the primary prints the banner once). */
interface ReadyMessage {
  type: 'loupe:ready';
  url: string;
  admin: { created: boolean; token?: string; password?: string };
}

/** The database, migrations (unless the primary ran them), jobs and HTTP of one process. */
async function runServer(config: Config, started: number, clustered: boolean) {
  let database;
  let onLockLost = () => {};
  try {
    database = await openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.poolSize, onLockCompromised: () => onLockLost() });
  } catch (error) {
    if (error instanceof DataDirLockedError) {
      console.error(`loupe: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  if (!clustered) await runMigrations(database);
  const jobs = new PgBossQueue(database);
  const { app, ctx } = await buildApp({ database, jobs, logger: { level: config.logLevel }, bodyLimit: config.bodyLimit, trustProxy: config.trustProxy, uploads: config.uploads, timeouts: config.timeouts });
  // AutoQA scores through the evaluators module (its LLM judges use the context's LLM port).
  setAutoQaPort(ctx, evaluatorsAutoQaPort(ctx));
  // Every process works jobs and runs pg-boss's cron pass: pg-boss files each cron occurrence
  // under a singleton key, so N processes send it once, and its maintenance takes an advisory
  // lock. The jobs themselves are idempotent across processes (docs/deployment.md).
  await jobs.start(ctx, jobDefinitions, { work: true, schedule: true });
  const stopOutbox = startOutboxWorker(ctx, webhookSettings(), Number(process.env.LOUPE_OUTBOX_POLL_MS ?? 1000), (error) => app.log.error({ err: error }, 'outbox relay'));
  onLockLost = () => {
    // Another process may own the directory now: writes are refused from this instant (see the
    // app's hook), and background jobs stop.
    app.log.error('the data directory lock was lost: refusing writes and stopping jobs; restart this process');
    void jobs.stop(1000).catch(() => {});
  };

  // Safe in every worker at once: the administrator's unique email lets one of them create it.
  const admin = await bootstrapAdmin(ctx, { token: config.adminToken, password: config.adminPassword });
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down: finishing requests and jobs');
    const force = setTimeout(() => process.exit(1), 20_000);
    force.unref();
    await app.close(); // stops accepting, waits for in-flight requests
    await stopOutbox();
    await jobs.stop();
    await database.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  if (clustered) {
    // The primary is gone (killed with -9, say): do not live on as an orphan holding the port.
    process.on('disconnect', () => void shutdown('primary exited'));
    const ready: ReadyMessage = { type: 'loupe:ready', url, admin };
    process.send!(ready);
    return;
  }
  printBanner({ url, kind: database.kind, dataDir: config.dataDir, started, admin, workers: 1 });
}

function printBanner(o: { url: string; kind: 'pglite' | 'postgres'; dataDir: string; started: number; admin: ReadyMessage['admin']; workers: number }) {
  const where = o.kind === 'pglite' ? `embedded PGlite in ${o.dataDir}` : 'PostgreSQL (DATABASE_URL)';
  const processes = o.workers > 1 ? `; ${o.workers} worker processes` : '';
  const lines = [
    '',
    `Loupe is running at ${o.url}  (database: ${where}${processes}; ready in ${Math.round(performance.now() - o.started)} ms)`,
    `API docs: ${o.url}/api/docs`,
  ];
  const { admin, url } = o;
  if (admin.created) {
    lines.push('', 'First start: created the administrator admin@localhost.');
    lines.push(admin.token ? `Its API token (shown once, keep it): ${admin.token}` : 'Its API token is the value of LOUPE_ADMIN_TOKEN.');
    lines.push(
      admin.password
        ? `Sign in to the web app at ${url} as admin@localhost with the password ${admin.password} (shown once; change it under your account).`
        : `Sign in to the web app at ${url} as admin@localhost with the password in LOUPE_ADMIN_PASSWORD.`,
    );
  }
  // One write, so a reader of the output sees the whole banner at once.
  console.log(lines.join('\n'));
}

/** A worker that dies within this long of its start counts as a crash loop: its restart waits. */
const QUICK_DEATH_MS = 10_000;
const MAX_RESTART_DELAY_MS = 30_000;
const STOP_TIMEOUT_MS = 25_000;

/**
 * The cluster's primary: migrates once (ours and pg-boss's schema; workers skip it), forks `config.workers` workers and
 * prints the banner when all of them listen. A worker that exits while the cluster runs is
 * replaced (after a growing delay when workers keep dying right after their start); a worker
 * that fails before the cluster first became ready stops the start (exit 1), as one process
 * would. SIGTERM/SIGINT pass SIGTERM to every worker, which finish their requests and jobs.
 */
async function runPrimary(config: Config, started: number) {
  const database = await openDb({ databaseUrl: config.databaseUrl, poolSize: 2 });
  try {
    await runMigrations(database);
    // pg-boss installs or migrates its own schema on its first start: here, once, too.
    const jobs = new PgBossQueue(database, { schedule: false });
    await jobs.boss.start();
    await jobs.boss.stop({ graceful: false, close: false });
  } finally {
    await database.close();
  }

  let stopping = false;
  let ready = false;
  let quickDeaths = 0;
  const startedAt = new Map<number, number>();
  const listening = new Set<number>();
  let admin: ReadyMessage['admin'] = { created: false };
  let url = '';

  const fork = () => {
    const worker = cluster.fork();
    startedAt.set(worker.id, Date.now());
    worker.on('message', (message: ReadyMessage) => {
      if (message?.type !== 'loupe:ready') return;
      listening.add(worker.id);
      url = message.url;
      if (message.admin.created) admin = message.admin;
      if (!ready && listening.size === config.workers) {
        ready = true;
        printBanner({ url, kind: 'postgres', dataDir: config.dataDir, started, admin, workers: config.workers });
      }
    });
    return worker;
  };

  const stopAll = (code: number) => {
    if (stopping) return;
    stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => Boolean(w));
    if (!workers.length) process.exit(code);
    for (const w of workers) w.process.kill('SIGTERM');
    setTimeout(() => {
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
      process.exit(1);
    }, STOP_TIMEOUT_MS).unref();
    cluster.on('exit', () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(code);
    });
  };

  cluster.on('exit', (worker, code, signal) => {
    listening.delete(worker.id);
    const lived = Date.now() - (startedAt.get(worker.id) ?? 0);
    startedAt.delete(worker.id);
    if (stopping) return;
    if (!ready) {
      console.error(`loupe: a worker process exited during start-up (${signal ?? `code ${code}`}); stopping`);
      stopAll(1);
      return;
    }
    quickDeaths = lived < QUICK_DEATH_MS ? quickDeaths + 1 : 0;
    const delay = quickDeaths ? Math.min(MAX_RESTART_DELAY_MS, 500 * 2 ** (quickDeaths - 1)) : 0;
    console.error(`loupe: worker ${worker.process.pid} exited (${signal ?? `code ${code}`}); starting another${delay ? ` in ${delay} ms` : ''}`);
    setTimeout(() => {
      if (!stopping) fork();
    }, delay);
  });

  process.on('SIGTERM', () => stopAll(0));
  process.on('SIGINT', () => stopAll(0));
  // The workers accept connections from the shared socket themselves (not round-robin through
  // the primary): a connection the primary had handed to a worker that was dying stayed open
  // with nobody to answer it, so the client hung. Each connection (a load balancer keeps them
  // alive) stays with the worker that accepted it.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  for (let i = 0; i < config.workers; i++) fork();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
