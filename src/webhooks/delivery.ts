import { and, asc, eq, inArray, lte, sql } from 'drizzle-orm';
import type { Ctx } from '../context.ts';
import { newId } from '../core/ids.ts';
import { deleteInBatches } from '../db/batches.ts';
import { readSettledEvents } from '../outbox/outbox.service.ts';
import { lockPosition, readPosition, savePosition } from '../outbox/outbox-positions.ts';
import { notifyRecipients } from '../notifications/notifications.service.ts';
import { allowedHosts } from './address-guard.ts';
import { open } from './secret-box.ts';
import { sendWebhook, signatureHeader } from './send.ts';
import { webhookDeliveries, webhooks } from './webhooks.table.ts';
import { deliveryBody } from './webhooks.service.ts';

/** How deliveries behave (docs/webhooks.md#delivery); `webhookSettings()` reads them from the environment. */
export interface WebhookSettings {
  allowHosts: Set<string>;
  timeoutMs: number;
  /** Attempts per delivery before it fails for good. */
  maxAttempts: number;
  /** Wait before the 2nd attempt; doubles each time (capped at `maxRetryDelayMs`). */
  retryBaseMs: number;
  maxRetryDelayMs: number;
  /** Deliveries failed for good in a row that disable the webhook. */
  disableAfter: number;
}

export function webhookSettings(env: NodeJS.ProcessEnv = process.env): WebhookSettings {
  const num = (name: string, fallback: number) => {
    const v = Number(env[name] ?? fallback);
    if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a number`);
    return v;
  };
  return {
    allowHosts: allowedHosts(env),
    timeoutMs: num('LOUPE_WEBHOOK_TIMEOUT_MS', 10_000),
    maxAttempts: Math.max(1, num('LOUPE_WEBHOOK_MAX_ATTEMPTS', 8)),
    retryBaseMs: num('LOUPE_WEBHOOK_RETRY_BASE_MS', 10_000),
    maxRetryDelayMs: 6 * 3600_000,
    disableAfter: Math.max(1, num('LOUPE_WEBHOOK_DISABLE_AFTER', 10)),
  };
}

const RELAY = 'relay';

/**
 * One relay pass over the outbox: reads settled events from the stored position, gives their
 * recipients notifications, creates one delivery row per (matching enabled webhook, event) —
 * the unique pair means a replay never delivers twice — and stores the new position, all in one
 * transaction under the position's row lock (one relay at a time across processes).
 * Returns how many events it read.
 */
export async function relayOutbox(ctx: Ctx, batch = 500): Promise<number> {
  return ctx.db.transaction(async (tx) => {
    const position = await lockPosition(tx, RELAY);
    const events = await readSettledEvents(tx, position, batch);
    if (!events.length) return 0;
    await notifyRecipients(tx, events);
    const projectIds = [...new Set(events.map((e) => e.projectId).filter((p): p is string => p !== null))];
    const hooks = projectIds.length ? await tx.select({ id: webhooks.id, projectId: webhooks.projectId, events: webhooks.events, createdAt: webhooks.createdAt }).from(webhooks).where(inArray(webhooks.projectId, projectIds)) : [];
    const rows = [];
    const now = new Date();
    for (const event of events) {
      for (const hook of hooks) {
        if (hook.projectId !== event.projectId) continue;
        if (!hook.events.includes(event.type) && !hook.events.includes('*')) continue;
        // A webhook hears of what happens after it was made, not of a backlog before it.
        if (event.createdAt < hook.createdAt) continue;
        rows.push({ id: newId(), webhookId: hook.id, projectId: hook.projectId, eventId: event.id, eventType: event.type, subjectId: event.subjectId, body: deliveryBody(event), nextAttemptAt: now, createdAt: now, updatedAt: now });
      }
    }
    for (let i = 0; i < rows.length; i += 200) await tx.insert(webhookDeliveries).values(rows.slice(i, i + 200)).onConflictDoNothing();
    const last = events[events.length - 1]!;
    await savePosition(tx, RELAY, { txId: last.txId, seq: last.seq });
    return events.length;
  });
}

/** Where the relay has read up to (docs/events.md#reading). */
export function relayPosition(ctx: Ctx) {
  return readPosition(ctx.db, RELAY);
}

/**
 * Sends the due deliveries of one webhook, oldest first, one at a time. A failed attempt that
 * may still be retried stops the pass and holds every later delivery of this webhook behind it,
 * so a receiver sees a webhook's events in order (docs/webhooks.md#order). A claim on the
 * webhook row (`sending_until`) keeps a second process from sending the same webhook at once.
 */
export async function deliverWebhook(ctx: Ctx, webhookId: string, settings: WebhookSettings): Promise<number> {
  const now = () => ctx.clock.now();
  const claimMs = settings.timeoutMs * 3 + 60_000;
  let claimUntil = new Date(now().getTime() + claimMs);
  const [hook] = await ctx.db
    .update(webhooks)
    .set({ sendingUntil: claimUntil })
    .where(and(eq(webhooks.id, webhookId), eq(webhooks.enabled, true), sql`(${webhooks.sendingUntil} is null or ${webhooks.sendingUntil} < ${now().toISOString()}::timestamptz)`))
    .returning();
  if (!hook) return 0;
  let sent = 0;
  try {
    const secret = open(hook.secretCiphertext);
    let failures = hook.consecutiveFailures;
    for (;;) {
      const [head] = await ctx.db
        .select()
        .from(webhookDeliveries)
        .where(and(eq(webhookDeliveries.webhookId, webhookId), inArray(webhookDeliveries.status, ['pending', 'retrying'])))
        .orderBy(asc(webhookDeliveries.seq))
        .limit(1);
      if (!head || head.nextAttemptAt > now()) break;
      // A pass over many deliveries outlives one claim: renew it once half of it has gone, and
      // only while it is still this pass's. Another process may take a claim that ran out, and
      // would then send the head a second time, beside this one.
      if (now().getTime() > claimUntil.getTime() - claimMs / 2) {
        const renewed = new Date(now().getTime() + claimMs);
        const [mine] = await ctx.db
          .update(webhooks)
          .set({ sendingUntil: renewed })
          .where(and(eq(webhooks.id, webhookId), eq(webhooks.sendingUntil, claimUntil)))
          .returning({ id: webhooks.id });
        if (!mine) return sent; // the claim ran out and another process holds it now
        claimUntil = renewed;
      }
      const at = now();
      const result = await sendWebhook(hook.url, head.body, {
        'Loupe-Signature': signatureHeader(secret, head.body, Math.floor(at.getTime() / 1000)),
        'Loupe-Event': head.eventType,
        'Loupe-Delivery': head.id,
      }, settings);
      sent++;
      const attempt = head.attempt + 1;
      const common = { attempt, responseCode: result.responseCode, durationMs: result.durationMs, error: result.error, updatedAt: now() };
      if (result.ok) {
        failures = 0;
        await ctx.db.transaction(async (tx) => {
          await tx.update(webhookDeliveries).set({ ...common, status: 'succeeded' }).where(eq(webhookDeliveries.id, head.id));
          await tx.update(webhooks).set({ consecutiveFailures: 0 }).where(eq(webhooks.id, webhookId));
        });
        continue;
      }
      if (!result.refused && attempt < settings.maxAttempts) {
        const delay = Math.min(settings.maxRetryDelayMs, settings.retryBaseMs * 2 ** (attempt - 1));
        await ctx.db.update(webhookDeliveries).set({ ...common, status: 'retrying', nextAttemptAt: new Date(now().getTime() + delay) }).where(eq(webhookDeliveries.id, head.id));
        break;
      }
      failures++;
      const disable = failures >= settings.disableAfter;
      await ctx.db.transaction(async (tx) => {
        await tx.update(webhookDeliveries).set({ ...common, status: 'failed' }).where(eq(webhookDeliveries.id, head.id));
        await tx
          .update(webhooks)
          .set({ consecutiveFailures: failures, ...(disable ? { enabled: false, disabledReason: `disabled after ${failures} failed deliveries in a row; last: ${result.error ?? 'error'}`, updatedAt: now() } : {}) })
          .where(eq(webhooks.id, webhookId));
      });
      if (disable) break;
    }
  } finally {
    // Only this pass's claim: one that ran out may be another process's by now.
    await ctx.db.update(webhooks).set({ sendingUntil: null }).where(and(eq(webhooks.id, webhookId), eq(webhooks.sendingUntil, claimUntil)));
  }
  return sent;
}

/** Sends what is due for every enabled webhook that has something due. */
export async function deliverDue(ctx: Ctx, settings: WebhookSettings): Promise<number> {
  const due = await ctx.db
    .selectDistinct({ webhookId: webhookDeliveries.webhookId })
    .from(webhookDeliveries)
    .innerJoin(webhooks, eq(webhooks.id, webhookDeliveries.webhookId))
    .where(and(inArray(webhookDeliveries.status, ['pending', 'retrying']), lte(webhookDeliveries.nextAttemptAt, ctx.clock.now()), eq(webhooks.enabled, true)));
  const counts = await Promise.all(due.map((d) => deliverWebhook(ctx, d.webhookId, settings)));
  return counts.reduce((a, b) => a + b, 0);
}

/** Relays the whole settled outbox, then sends what is due: one turn of the outbox worker. */
export async function outboxTick(ctx: Ctx, settings: WebhookSettings) {
  let read = 0;
  for (let n = await relayOutbox(ctx); n > 0; n = await relayOutbox(ctx)) read += n;
  const sent = await deliverDue(ctx, settings);
  return { read, sent };
}

/**
 * Runs `outboxTick` every `intervalMs` in this process (never two at once); a server starts it.
 * Returns a stop function that waits for the running turn.
 */
export function startOutboxWorker(ctx: Ctx, settings: WebhookSettings, intervalMs: number, onError: (error: unknown) => void = (e) => console.error('[outbox]', e)) {
  let running: Promise<unknown> | null = null;
  let stopped = false;
  const timer = setInterval(() => {
    if (running || stopped) return;
    running = outboxTick(ctx, settings).catch(onError).finally(() => (running = null));
  }, intervalMs);
  timer.unref();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}

/**
 * Deletes the deliveries that finished (`succeeded` or `failed`) before `before`, `batch` per
 * transaction (docs/webhooks.md#retention). Pending and retrying deliveries stay whatever their
 * age: they still have attempts to make. Returns how many went.
 */
export async function pruneFinishedDeliveries(ctx: Ctx, before: Date, batch = 10_000): Promise<number> {
  const finished = sql`${webhookDeliveries.status} in ('succeeded', 'failed')`;
  return deleteInBatches(batch, async (limit) => {
    const rows = await ctx.db
      .delete(webhookDeliveries)
      .where(
        inArray(
          webhookDeliveries.seq,
          ctx.db
            .select({ seq: webhookDeliveries.seq })
            .from(webhookDeliveries)
            .where(and(finished, sql`${webhookDeliveries.updatedAt} < ${before.toISOString()}::timestamptz`))
            .orderBy(asc(webhookDeliveries.updatedAt))
            .limit(limit),
        ),
      )
      .returning({ seq: webhookDeliveries.seq });
    return rows.length;
  });
}
