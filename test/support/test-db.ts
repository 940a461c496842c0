import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { openDb, type Database } from '../../src/db/client.ts';
import { runMigrations } from '../../src/db/migrate.ts';
import { PgBossQueue } from '../../src/jobs/jobs.ts';

/**
 * Test databases. With `TEST_DATABASE_URL` set, the suite runs on PostgreSQL: the global setup
 * makes one fresh database per run (dropped after) and every test file connects to it. Otherwise
 * it runs on PGlite: the global setup migrates one in-memory database once and dumps it, and each
 * test file starts from that dump (no initdb per file). Each test makes its own project, so files
 * sharing a database never see each other's rows.
 */
export const usingPostgres = () => Boolean(process.env.TEST_DATABASE_URL);

export async function prepareTemplate(): Promise<{ databaseUrl?: string; snapshotPath?: string; cleanup: () => Promise<void> }> {
  const base = process.env.TEST_DATABASE_URL;
  if (base) {
    const name = `loupe_test_${Date.now()}_${process.pid}`;
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(base);
    url.pathname = `/${name}`;
    const database = await openDb({ databaseUrl: url.toString(), poolSize: 4 });
    await runMigrations(database);
    await initJobSchema(database);
    await database.close();
    return {
      databaseUrl: url.toString(),
      cleanup: async () => {
        const c = new pg.Client({ connectionString: base });
        await c.connect();
        await c.query(`drop database if exists ${name} with (force)`);
        await c.end();
      },
    };
  }
  const { writeFile, mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(`${tmpdir()}/loupe-test-`);
  const database = await openDb({ dataDir: 'memory://' });
  await runMigrations(database);
  await initJobSchema(database);
  const dump = await database.pglite!.dumpDataDir('none');
  const snapshotPath = `${dir}/template.tar`;
  await writeFile(snapshotPath, Buffer.from(await dump.arrayBuffer()));
  await database.close();
  return { snapshotPath, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** pg-boss creates its schema on first start; do it once in the template, not per file. */
async function initJobSchema(database: Database) {
  const queue = new PgBossQueue(database, { schedule: false });
  await queue.boss.start();
  await queue.boss.stop({ graceful: false, close: false });
}

export async function openTestDb(template: { databaseUrl?: string; snapshotPath?: string }, poolSize = 10): Promise<Database> {
  if (template.databaseUrl) return openDb({ databaseUrl: template.databaseUrl, poolSize });
  const bytes = await readFile(template.snapshotPath!);
  return openDb({ dataDir: 'memory://', loadDataDir: new Blob([bytes]) });
}
