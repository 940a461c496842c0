import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import type { ExtractTablesWithRelations } from 'drizzle-orm';
import pg from 'pg';
import { acquireDataDirLock, DataDirBusyError, type DataDirLock } from './data-dir-lock.ts';
/**
 * No relational schema: queries name their tables, so the client needs no module's tables
 * (`schema.ts` is drizzle-kit's list only, and `db` stays below every module).
 */
export type Schema = Record<string, never>;
/** A database handle or a transaction: anything that can run a query. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
/**
 * An open transaction. Functions that lock rows (`FOR UPDATE`) take `Tx`, not `Db`, so the
 * compiler refuses a call outside a transaction.
 */
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;

export interface Database {
  db: Db;
  kind: 'pglite' | 'postgres';
  /** Present on the embedded database; pg-boss and snapshots need the raw handle. */
  pglite?: PGlite;
  pool?: pg.Pool;
  /** The PGlite data directory's owner lock (`data-dir-lock.ts`); `lost` means writes must stop. */
  lock?: DataDirLock;
  close(): Promise<void>;
}

export interface DbConfig {
  /** `postgres://…`: use a PostgreSQL server. Wins over `dataDir`. */
  databaseUrl?: string;
  /** PGlite data directory, or `memory://` for an in-memory database. */
  dataDir?: string;
  /** A PGlite data directory dump to start from (tests load a migrated snapshot). */
  loadDataDir?: Blob | File;
  poolSize?: number;
  /** Called once if this process finds its data-directory lock compromised. */
  onLockCompromised?: () => void;
}

/**
 * int8 (count(*), sums) and numeric come back as strings from node-postgres and as numbers
 * from PGlite. Normalize here, once, so every module sees numbers on both drivers. Values
 * above 2^53 do not occur in our counters.
 */
const pgTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === 20 || oid === 1700) return (v: string) => (v === null ? null : Number(v));
    return pg.types.getTypeParser(oid, format as 'text');
  }) as typeof pg.types.getTypeParser,
};

export class DataDirLockedError extends Error {
  constructor(dir: string) {
    super(
      `Another Loupe process is using the data directory ${dir}. ` +
        'PGlite allows one process per directory: stop the other process, or set LOUPE_DATA_DIR to another directory, ' +
        'or set DATABASE_URL to share a PostgreSQL server between processes.',
    );
    this.name = 'DataDirLockedError';
  }
}

/**
 * Opens the database: PostgreSQL when `databaseUrl` is given, PGlite otherwise. A PGlite data
 * directory is locked for the life of the process: PGlite takes no lock itself, and two
 * processes on one directory silently lose writes, so a second process is refused.
 */
export async function openDb(config: DbConfig = {}): Promise<Database> {
  if (config.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: config.databaseUrl,
      max: config.poolSize ?? 20,
      types: pgTypes,
    });
    // An idle client that loses its connection (server restart, pg_terminate_backend) must not crash us.
    pool.on('error', () => {});
    // A connection killed under a checked-out client (pg_terminate_backend, failover) emits on the
    // client too; unhandled, that event would take the whole process down. The query in flight
    // fails and answers 500; the pool replaces the connection.
    pool.on('connect', (client) => client.on('error', () => {}));
    const db = drizzlePg({ client: pool }) as unknown as Db;
    return { db, kind: 'postgres', pool, close: () => pool.end() };
  }

  const dataDir = config.dataDir ?? './.loupe/data';
  let lock: DataDirLock | undefined;
  if (!dataDir.startsWith('memory://')) {
    const dir = resolve(dataDir);
    mkdirSync(dir, { recursive: true });
    try {
      // A liveness lock (a listening Unix socket): it cannot go stale while this process lives.
      lock = await acquireDataDirLock(dir, { ...(config.onLockCompromised ? { onCompromised: config.onLockCompromised } : {}) });
    } catch (error) {
      if (error instanceof DataDirBusyError) throw new DataDirLockedError(dir);
      throw error;
    }
  }
  const pglite = await PGlite.create(dataDir, config.loadDataDir ? { loadDataDir: config.loadDataDir } : {});
  const db = drizzlePglite({ client: statementsFirst(pglite) }) as unknown as Db;
  return {
    db,
    kind: 'pglite',
    pglite,
    ...(lock ? { lock } : {}),
    close: async () => {
      await pglite.close();
      await lock?.release();
    },
  };
}

type Job = () => Promise<unknown>;

/**
 * The handle the application's queries go through on PGlite: the same `query` and `transaction`,
 * in another order. PGlite is one session, so it runs one statement or one whole transaction at
 * a time, in arrival order; a transaction keeps the session across its awaits. In arrival order,
 * every statement of a request that reads (authentication, role, the list itself) queued behind
 * every transaction already waiting: with 16 annotators saving answers and statuses, a manager's
 * task list took ~260 ms (issue 19, docs/benchmarks.md "Soak"). Here a statement outside a
 * transaction waits for at most the transaction running now: the statements waiting when a
 * transaction ends run before the next transaction, and a transaction waits behind no statement
 * that arrived after it started waiting, so neither kind starves. Only concurrent, independent
 * requests are reordered (each request's own statements stay in its order), and a statement never
 * runs inside another request's transaction; pg-boss, migrations and snapshots use `pglite`
 * directly and keep PGlite's own queue.
 */
export function statementsFirst(pglite: PGlite): PGlite {
  const statements: Job[] = [];
  const transactions: Job[] = [];
  let running = false;
  /** Statements that were waiting when the last transaction ended: they go before the next one. */
  let statementTurns = 0;
  const pump = () => {
    if (running) return;
    const statementNext = statements.length > 0 && (statementTurns > 0 || transactions.length === 0);
    const job = statementNext ? statements.shift() : transactions.shift();
    if (!job) return;
    if (statementNext) statementTurns = Math.max(0, statementTurns - 1);
    running = true;
    void job().finally(() => {
      running = false;
      if (!statementNext) statementTurns = statements.length;
      pump();
    });
  };
  const schedule = <T>(queue: Job[], fn: () => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      queue.push(() => fn().then(resolve, reject));
      pump();
    });
  const handle = {
    query: (...args: Parameters<PGlite['query']>) => schedule(statements, () => pglite.query(...args)),
    transaction: <T>(fn: (tx: Transaction) => Promise<T>) => schedule(transactions, () => pglite.transaction(fn)),
  };
  // Everything else (exec, listen, close…) is PGlite's own.
  return new Proxy(pglite, {
    get: (target, key) => {
      if (key in handle) return handle[key as keyof typeof handle];
      const value: unknown = Reflect.get(target, key, target);
      // PGlite's methods read private fields of `this`: call them on PGlite itself, not on the proxy.
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
