import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { PgTransaction, type PgDatabase, type PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { is, type ExtractTablesWithRelations } from 'drizzle-orm';
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

/** Work a transaction does last, inside itself (see `beforeCommit`). */
export type TransactionHook = (tx: Tx) => Promise<void>;
const transactionHooks = new WeakMap<Db, TransactionHook[]>();
/** Per handle: whether a hook has work in the current async context (see `commitHookPending`). */
const pendingChecks = new WeakMap<Db, Array<() => boolean>>();

/**
 * Runs `hook` at the end of every transaction opened on `db` from now on (`db.transaction`,
 * hence `transactionWithRetry`), after its work and before its COMMIT: what the hook writes
 * commits or rolls back with that work, and a row it locks stays locked only for the commit. The
 * API's `Idempotency-Key` handling marks its reservation this way (docs/deployment.md). A hook
 * with nothing to do returns without touching the database.
 */
export function beforeCommit(db: Db, hook: TransactionHook, pending?: () => boolean) {
  if (pending) pendingChecks.set(db, [...(pendingChecks.get(db) ?? []), pending]);
  let hooks = transactionHooks.get(db);
  if (!hooks) {
    const all: TransactionHook[] = (hooks = []);
    transactionHooks.set(db, all);
    const open = db.transaction.bind(db);
    db.transaction = ((fn, config) =>
      open(async (tx) => {
        const result = await fn(tx);
        for (const h of all) await h(tx);
        return result;
      }, config)) as Db['transaction'];
  }
  hooks.push(hook);
}

/**
 * Whether a `beforeCommit` hook of `db` has work in the current async context (one registered
 * with a `pending` check that says so). A write that would otherwise run as one autocommit
 * statement runs in a transaction then, so the hook writes with it: the pull's one-call claim
 * under an `Idempotency-Key` (docs/deployment.md).
 */
export function commitHookPending(db: Db): boolean {
  return pendingChecks.get(db)?.some((pending) => pending()) ?? false;
}

export interface Database {
  db: Db;
  kind: 'pglite' | 'postgres';
  /** Present on the embedded database; pg-boss and snapshots need the raw handle. */
  pglite?: PGlite;
  pool?: pg.Pool;
  /**
   * The handle for reads whose statement keeps ONE generic plan per connection (`genericPlans`
   * below); on the embedded database, `db` itself.
   */
  genericPlanDb: Db;
  /** PostgreSQL only: the small pool behind `genericPlanDb`. */
  genericPlanPool?: pg.Pool;
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

/**
 * The second pool's connections plan each named statement ONCE, for any values
 * (`plan_cache_mode=force_generic_plan`), where PostgreSQL would otherwise plan it again for
 * every execution: its automatic choice kept custom plans for the task list's status page, whose
 * planning cost more than its execution (docs/benchmarks.md, fourteenth pass). Only statements
 * whose plan is the same whatever their values may run there (`listTasks` says which); it runs
 * no transaction and no write. A connection lives at most `lifetimeSeconds`, so a plan made
 * while a table was small or empty is made again within a minute as the table grows.
 */
const genericPlans = { options: '-c jit=off -c plan_cache_mode=force_generic_plan', lifetimeSeconds: 60 };

function openPool(connectionString: string, max: number, settings: { options: string; lifetimeSeconds?: number } = { options: '-c jit=off' }) {
  const pool = new pg.Pool({
    connectionString,
    max,
    types: pgTypes,
    // No JIT compilation: our statements are short, and a plan whose estimate crosses
    // `jit_above_cost` (a filtered list page, docs/benchmarks.md) spent 20–300 ms compiling
    // what runs in 1 ms. PGlite has no JIT.
    options: settings.options,
    ...(settings.lifetimeSeconds ? { maxLifetimeSeconds: settings.lifetimeSeconds } : {}),
  });
  // An idle client that loses its connection (server restart, pg_terminate_backend) must not crash us.
  pool.on('error', () => {});
  // A connection killed under a checked-out client (pg_terminate_backend, failover) emits on the
  // client too; unhandled, that event would take the whole process down. The query in flight
  // fails and answers 500; the pool replaces the connection.
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

/**
 * Where a statement planned once for any values runs: `generic` (`Ctx.genericPlanDb`) when the
 * caller's handle is the root one, `db` itself inside a transaction, whose statements must see
 * and commit with its own work.
 */
export const genericPlanHandle = (db: Db, generic: Db | undefined): Db => (generic && !is(db, PgTransaction) ? generic : db);

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
    const size = config.poolSize ?? 20;
    const pool = openPool(config.databaseUrl, size);
    const db = drizzlePg({ client: pool }) as unknown as Db;
    const genericPlanPool = openPool(config.databaseUrl, Math.max(2, Math.ceil(size / 4)), genericPlans);
    const genericPlanDb = drizzlePg({ client: genericPlanPool }) as unknown as Db;
    return {
      db,
      kind: 'postgres',
      pool,
      genericPlanDb,
      genericPlanPool,
      close: async () => {
        await Promise.all([pool.end(), genericPlanPool.end()]);
      },
    };
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
  // pg_trgm: the task name's trigram index (migration 0033, docs/workflow.md); PostgreSQL ships
  // it in contrib, the embedded database loads it here, into every instance it opens.
  const pglite = await PGlite.create(dataDir, { extensions: { pg_trgm }, ...(config.loadDataDir ? { loadDataDir: config.loadDataDir } : {}) });
  const db = drizzlePglite({ client: pglite }) as unknown as Db;
  return {
    db,
    genericPlanDb: db,
    kind: 'pglite',
    pglite,
    ...(lock ? { lock } : {}),
    close: async () => {
      await pglite.close();
      await lock?.release();
    },
  };
}
