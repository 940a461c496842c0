import { z } from 'zod';
import type { Ctx } from '../context.ts';
import { defineJob } from '../jobs/jobs.ts';
import { pruneReadEvents } from '../outbox/outbox.service.ts';
import { outboxTick, pruneFinishedDeliveries, webhookSettings } from './delivery.ts';

/**
 * A once-a-minute turn of the outbox relay and webhook sender, for processes that run jobs but
 * not the in-process poller (`startOutboxWorker`, started by the server every second).
 */
export const outboxTickJob = defineJob({
  name: 'outbox.tick',
  schema: z.object({}).passthrough(),
  cron: '* * * * *',
  retryLimit: 0,
  handler: async (ctx) => {
    await outboxTick(ctx, webhookSettings());
  },
});

/** A positive number of days from the environment, or `fallback`. */
function daysFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const days = Number(env[name] ?? fallback);
  return Number.isFinite(days) && days > 0 ? days : fallback;
}

/** Days an outbox event is kept once relayed (`LOUPE_OUTBOX_RETENTION_DAYS`, default 7). */
export const outboxRetentionDays = (env: NodeJS.ProcessEnv = process.env) => daysFromEnv(env, 'LOUPE_OUTBOX_RETENTION_DAYS', 7);

/**
 * Deletes the outbox events the relay has read that are older than the retention
 * (docs/events.md#retention). Deliveries and notifications made from them are rows of their own
 * and stay.
 */
export function applyOutboxRetention(ctx: Ctx, days = outboxRetentionDays()) {
  return pruneReadEvents(ctx.db, new Date(ctx.clock.now().getTime() - days * 86_400_000));
}

/** Daily at 03:17 UTC. */
export const outboxRetentionJob = defineJob({
  name: 'outbox.retention',
  schema: z.object({}).passthrough(),
  cron: '17 3 * * *',
  handler: async (ctx) => {
    await applyOutboxRetention(ctx);
  },
});

/** Days a finished webhook delivery is kept (`LOUPE_WEBHOOK_DELIVERY_RETENTION_DAYS`, default 30). */
export const deliveryRetentionDays = (env: NodeJS.ProcessEnv = process.env) => daysFromEnv(env, 'LOUPE_WEBHOOK_DELIVERY_RETENTION_DAYS', 30);

/**
 * Deletes the webhook deliveries that finished more than the retention ago
 * (docs/webhooks.md#retention): the delivery log, with each body sent, would otherwise grow
 * with every event every webhook wants.
 */
export function applyDeliveryRetention(ctx: Ctx, days = deliveryRetentionDays()) {
  return pruneFinishedDeliveries(ctx, new Date(ctx.clock.now().getTime() - days * 86_400_000));
}

/** Daily at 03:29 UTC. */
export const deliveryRetentionJob = defineJob({
  name: 'webhooks.delivery-retention',
  schema: z.object({}).passthrough(),
  cron: '29 3 * * *',
  handler: async (ctx) => {
    await applyDeliveryRetention(ctx);
  },
});
