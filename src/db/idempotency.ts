import { and, eq, isNull, lt } from 'drizzle-orm';
import type { Ctx } from '../context.ts';
import type { Db, Tx } from './client.ts';
import { idempotencyKeys } from './idempotency.table.ts';

/**
 * Storage of `Idempotency-Key` reservations and answers. The HTTP side (reserve on POST, replay,
 * store the answer) is `api/idempotency.ts`; this low module owns the table so the maintenance
 * job and the import parsers need nothing from `api/`.
 */
export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

/**
 * A request body the handler reads as a stream (an import). Its `toJSON` stands for it in the
 * fingerprint when the key is reserved; the digest of its bytes, known once the handler has read
 * it, completes the fingerprint stored with the answer.
 */
export interface StreamedBody {
  /** SHA-256 of the bytes, reading what is left if need be; null when they cannot all be read. */
  bodyDigest(): Promise<string | null>;
}

export type IdempotencyRow = typeof idempotencyKeys.$inferSelect;

/** Reserves the key (only one of many parallel requests wins); true when this one did. */
export async function reserveIdempotencyKey(db: Db, row: { userId: string; key: string; method: string; path: string; fingerprint: string; createdAt: Date }) {
  const [reserved] = await db.insert(idempotencyKeys).values(row).onConflictDoNothing().returning({ key: idempotencyKeys.key });
  return Boolean(reserved);
}

export async function findIdempotencyKey(db: Db, userId: string, key: string): Promise<IdempotencyRow | undefined> {
  const [existing] = await db.select().from(idempotencyKeys).where(and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key)));
  return existing;
}

/**
 * A sign of life of the request holding the reservation: an unanswered reservation's `created_at`
 * is when its owner last said it is still running, so a retry on any process tells a long request
 * from one whose process died (`api/idempotency.ts`).
 */
export async function touchIdempotencyKey(db: Db, userId: string, key: string, at: Date) {
  await db.update(idempotencyKeys).set({ createdAt: at }).where(and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key), isNull(idempotencyKeys.status)));
}

/**
 * Frees a reservation whose request died with its process (still unanswered, same creation time,
 * none of its work committed: a commit that lands after the caller read the row keeps it).
 */
export async function freeAbandonedIdempotencyKey(db: Db, userId: string, key: string, createdAt: Date) {
  await db
    .delete(idempotencyKeys)
    .where(
      and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key), isNull(idempotencyKeys.status), isNull(idempotencyKeys.committedAt), eq(idempotencyKeys.createdAt, createdAt)),
    );
}

/**
 * Marks an unanswered reservation as having committed work, inside the request's transaction
 * (`api/idempotency.ts` runs it last in each of them): if the process dies before the
 * answer is stored, a retry learns that the work is done instead of doing it again.
 */
export async function markIdempotentCommit(tx: Tx, userId: string, key: string, at: Date) {
  await tx.update(idempotencyKeys).set({ committedAt: at }).where(and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key), isNull(idempotencyKeys.status)));
}

/** Stores the answer that retries with this key get back. */
export async function storeIdempotentAnswer(db: Db, userId: string, key: string, answer: { status: number; body: unknown; fingerprint: string }) {
  await db.update(idempotencyKeys).set(answer).where(and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key)));
}

/** Frees the key after a failed first attempt, so the client can try again. */
export async function freeIdempotencyKey(db: Db, userId: string, key: string) {
  await db.delete(idempotencyKeys).where(and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key)));
}

export async function purgeIdempotencyKeys(ctx: Ctx) {
  await ctx.db.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAt, new Date(ctx.clock.now().getTime() - IDEMPOTENCY_TTL_MS)));
}
