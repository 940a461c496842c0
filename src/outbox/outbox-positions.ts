import { eq } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.ts';
import { outboxPositions } from './outbox-positions.table.ts';
import type { OutboxPosition } from './outbox.service.ts';

/** Locks and returns a consumer's position (created at the start), for the rest of the transaction. */
export async function lockPosition(tx: Tx, consumer: string): Promise<OutboxPosition> {
  await tx.insert(outboxPositions).values({ consumer }).onConflictDoNothing();
  const [row] = await tx.select().from(outboxPositions).where(eq(outboxPositions.consumer, consumer)).for('update');
  return { txId: row!.txId, seq: row!.seq };
}

export async function savePosition(tx: Tx, consumer: string, position: OutboxPosition) {
  await tx.update(outboxPositions).set({ txId: position.txId, seq: position.seq, updatedAt: new Date() }).where(eq(outboxPositions.consumer, consumer));
}

/** A consumer's stored position without locking it (the start if it has none yet). */
export async function readPosition(db: Db, consumer: string): Promise<OutboxPosition> {
  const [row] = await db.select({ txId: outboxPositions.txId, seq: outboxPositions.seq }).from(outboxPositions).where(eq(outboxPositions.consumer, consumer));
  return row ? { txId: row.txId, seq: row.seq } : { txId: 0, seq: 0 };
}
