import type { Db, Tx } from './client.ts';

/** deadlock_detected and serialization_failure: PostgreSQL rolled the whole transaction back, and running it again is safe. */
const RETRYABLE = new Set(['40P01', '40001']);

/** The driver's error inside `error` (drizzle wraps it as its `cause`): its SQLSTATE and message. */
function driverError(error: unknown): { code: string; message: string } | undefined {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return { code, message: String((e as { message?: unknown }).message ?? '') };
  }
  return undefined;
}

/** The SQLSTATE of a driver error, also when drizzle wrapped it (its `cause`). */
export const sqlState = (error: unknown): string | undefined => driverError(error)?.code;

/** Whether PostgreSQL rolled the statement or transaction back as a deadlock's victim or a serialization failure. */
export const isRetryable = (error: unknown) => RETRYABLE.has(sqlState(error) ?? '');

/**
 * The reason a statement refused itself through `loupe_refuse(reason)` (SQLSTATE `LOUPE`,
 * migration 0023), or undefined for any other error.
 */
export function refusalOf(error: unknown): string | undefined {
  const e = driverError(error);
  return e?.code === 'LOUPE' ? e.message : undefined;
}

/**
 * `db.transaction(fn)`, run again (up to `attempts` times in all, after a short random pause)
 * when PostgreSQL chose it as a deadlock's victim or refused it as a serialization failure. Both
 * roll the transaction back entirely, so `fn` must only touch the database (no streams it
 * consumes, no outside calls). For writes whose locks cannot always be taken in one order: a
 * task edit locks the task row and then units (to release a leaving annotator's), and so does a
 * task deletion (its units go by cascade); a status write locks a unit and then the task row (its
 * counters, last, to hold the hot row briefly).
 */
export async function transactionWithRetry<T>(db: Db, fn: (tx: Tx) => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(fn);
    } catch (error) {
      if (attempt >= attempts || !isRetryable(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * attempt));
    }
  }
}
