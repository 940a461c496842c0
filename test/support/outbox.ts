import type { Ctx } from '../../src/context.ts';
import { lastEventPosition } from '../../src/outbox/outbox.service.ts';
import { relayOutbox, relayPosition } from '../../src/webhooks/delivery.ts';

/**
 * Relays until every event written before the call has been relayed (so its notifications
 * exist). One `relayOutbox` pass is not enough on a database other test files share: their
 * backlog may exceed a batch, and a transaction still running elsewhere holds the relay back
 * until it ends (docs/events.md#reading), so this passes again until the position is past.
 */
export async function relayEverythingWritten(ctx: Ctx, timeoutMs = 30_000): Promise<void> {
  const target = await lastEventPosition(ctx.db);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const read = await relayOutbox(ctx);
    const at = await relayPosition(ctx);
    if (at.txId > target.txId || (at.txId === target.txId && at.seq >= target.seq)) return;
    if (Date.now() > deadline) throw new Error(`the relay is still at ${at.txId}/${at.seq}, before ${target.txId}/${target.seq}, after ${timeoutMs} ms`);
    if (!read) await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
