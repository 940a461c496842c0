import { performance } from 'node:perf_hooks';
import { buildApp } from '../api/app.ts';
import { bootstrapAdmin } from '../auth/auth.service.ts';
import { openDb, DataDirLockedError } from '../db/client.ts';
import { runMigrations } from '../db/migrate.ts';
import { jobDefinitions } from './job-definitions.ts';
import { PgBossQueue } from '../jobs/jobs.ts';
import { readConfig } from './config.ts';
import { startOutboxWorker, webhookSettings } from '../webhooks/delivery.ts';
import { setAutoQaPort } from '../workloads/auto-qa.port.ts';
import { evaluatorsAutoQaPort } from '../workloads/auto-qa.evaluators.ts';

/** Composition root of the server: database, migrations, jobs, HTTP. */
async function main() {
  const started = performance.now();
  let config;
  try {
    config = readConfig();
  } catch (error) {
    console.error(`loupe: ${(error as Error).message}`);
    process.exit(1);
  }
  let database;
  let onLockLost = () => {};
  try {
    database = await openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, onLockCompromised: () => onLockLost() });
  } catch (error) {
    if (error instanceof DataDirLockedError) {
      console.error(`loupe: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  await runMigrations(database);
  const jobs = new PgBossQueue(database);
  const { app, ctx } = await buildApp({ database, jobs, logger: { level: config.logLevel }, bodyLimit: config.bodyLimit, trustProxy: config.trustProxy, uploads: config.uploads, timeouts: config.timeouts });
  // AutoQA scores through the evaluators module (its LLM judges use the context's LLM port).
  setAutoQaPort(ctx, evaluatorsAutoQaPort(ctx));
  await jobs.start(ctx, jobDefinitions, { work: true, schedule: true });
  const stopOutbox = startOutboxWorker(ctx, webhookSettings(), Number(process.env.LOUPE_OUTBOX_POLL_MS ?? 1000), (error) => app.log.error({ err: error }, 'outbox relay'));
  onLockLost = () => {
    // Another process may own the directory now: writes are refused from this instant (see the
    // app's hook), and background jobs stop.
    app.log.error('the data directory lock was lost: refusing writes and stopping jobs; restart this process');
    void jobs.stop(1000).catch(() => {});
  };

  const admin = await bootstrapAdmin(ctx, { token: config.adminToken, password: config.adminPassword });
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  const where = database.kind === 'pglite' ? `embedded PGlite in ${config.dataDir}` : 'PostgreSQL (DATABASE_URL)';
  const lines = [
    '',
    `Loupe is running at ${url}  (database: ${where}; ready in ${Math.round(performance.now() - started)} ms)`,
    `API docs: ${url}/api/docs`,
  ];
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
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
