import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { and, asc, desc, eq, lt, sql } from 'drizzle-orm';
import type { Caller, Ctx } from '../context.ts';
import type { Tx } from '../db/client.ts';
import { invalid, notFound, ruleBroken } from '../core/errors.ts';
import { isId, newId } from '../core/ids.ts';
import { decodeCursor, toPage, type PageQuery } from '../core/pagination.ts';
import { changedFields, recordAudit } from '../audit/audit.service.ts';
import { requireRole } from '../projects/permissions.ts';
import { EVENT_TYPES, refreshInterest } from '../outbox/outbox.service.ts';
import { allowedHosts, isPublicAddress } from './address-guard.ts';
import { seal } from './secret-box.ts';
import { webhookDeliveries, webhooks } from './webhooks.table.ts';

export type WebhookRow = typeof webhooks.$inferSelect;

export function webhookView(w: WebhookRow) {
  return {
    id: w.id,
    projectId: w.projectId,
    url: w.url,
    events: w.events,
    enabled: w.enabled,
    consecutiveFailures: w.consecutiveFailures,
    disabledReason: w.disabledReason,
    createdAt: w.createdAt,
    updatedAt: w.updatedAt,
  };
}

/** `http(s)://` only; a literal private address is refused at once (a host name is checked at each delivery). */
function checkUrl(url: string) {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid('url is not a URL', { field: 'url' });
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw invalid('url must be http:// or https://', { field: 'url' });
  if (parsed.username || parsed.password) throw invalid('url must not carry credentials', { field: 'url' });
  const host = parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (isIP(host) && !isPublicAddress(host) && !allowedHosts().has(host)) {
    throw ruleBroken(`${host} is a private, loopback, link-local or reserved address (allow it with LOUPE_WEBHOOK_ALLOW_HOSTS)`, { field: 'url' });
  }
}

function checkEvents(events: string[]) {
  const unknown = events.filter((e) => !(EVENT_TYPES as readonly string[]).includes(e) && e !== '*');
  if (unknown.length) throw invalid(`Unknown events: ${unknown.join(', ')}`, { allowed: [...EVENT_TYPES, '*'] });
}

/**
 * Tells the outbox which events the project's webhooks listen for (every webhook, enabled or
 * not: a disabled one may be re-enabled), after a webhook is created, changed or deleted, in the
 * same transaction. On-demand events are recorded only while one listens
 * (docs/events.md#recorded-on-demand).
 */
function refreshWebhookInterest(tx: Tx, projectId: string) {
  return refreshInterest(tx, projectId, 'webhooks', async () => {
    const rows = await tx.select({ events: webhooks.events }).from(webhooks).where(eq(webhooks.projectId, projectId));
    return rows.flatMap((r) => r.events);
  });
}

/** Creates a webhook (manager+). The secret is generated when absent and returned this once. */
export async function createWebhook(ctx: Ctx, caller: Caller, projectId: string, input: { url: string; events: string[]; secret?: string }) {
  await requireRole(ctx.db, caller, projectId, 'manager', 'Project');
  checkUrl(input.url);
  checkEvents(input.events);
  const secret = input.secret ?? `whsec_${randomBytes(24).toString('base64url')}`;
  const now = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(webhooks)
      .values({ id: newId(), projectId, url: input.url, events: [...new Set(input.events)], secretCiphertext: seal(secret), createdBy: caller.userId, createdAt: now, updatedAt: now })
      .returning();
    await refreshWebhookInterest(tx, projectId);
    await recordAudit(tx, { projectId, actorId: caller.userId, action: 'webhook.create', subjectKind: 'webhook', subjectId: row!.id, after: { url: input.url, events: row!.events } }, now);
    return { ...webhookView(row!), secret };
  });
}

async function findWebhook(ctx: Ctx, caller: Caller, webhookId: string) {
  const [row] = isId(webhookId) ? await ctx.db.select().from(webhooks).where(eq(webhooks.id, webhookId)) : [];
  if (!row) throw notFound('Webhook');
  await requireRole(ctx.db, caller, row.projectId, 'manager', 'Webhook');
  return row;
}

export async function getWebhook(ctx: Ctx, caller: Caller, webhookId: string) {
  return webhookView(await findWebhook(ctx, caller, webhookId));
}

export async function listWebhooks(ctx: Ctx, caller: Caller, projectId: string, query: PageQuery) {
  await requireRole(ctx.db, caller, projectId, 'manager', 'Project');
  const after = query.cursor ? String(decodeCursor(query.cursor, 1)[0]) : null;
  const rows = await ctx.db
    .select()
    .from(webhooks)
    .where(and(eq(webhooks.projectId, projectId), after && isId(after) ? sql`${webhooks.id} > ${after}` : undefined))
    .orderBy(asc(webhooks.id))
    .limit(query.limit + 1);
  const p = toPage(rows, query.limit, (r) => [r.id]);
  return { data: p.data.map(webhookView), nextCursor: p.nextCursor };
}

/** Edits url, events, secret or `enabled` (re-enabling clears the failure count). */
export async function patchWebhook(ctx: Ctx, caller: Caller, webhookId: string, patch: { url?: string; events?: string[]; secret?: string; enabled?: boolean }) {
  const found = await findWebhook(ctx, caller, webhookId);
  if (patch.url) checkUrl(patch.url);
  if (patch.events) checkEvents(patch.events);
  const now = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .update(webhooks)
      .set({
        url: patch.url,
        events: patch.events ? [...new Set(patch.events)] : undefined,
        secretCiphertext: patch.secret ? seal(patch.secret) : undefined,
        enabled: patch.enabled,
        ...(patch.enabled === true ? { consecutiveFailures: 0, disabledReason: null } : {}),
        updatedAt: now,
      })
      .where(eq(webhooks.id, webhookId))
      .returning();
    if (patch.events) await refreshWebhookInterest(tx, found.projectId);
    const changes = changedFields(found as unknown as Record<string, unknown>, { url: patch.url, events: patch.events, enabled: patch.enabled });
    await recordAudit(tx, { projectId: found.projectId, actorId: caller.userId, action: 'webhook.update', subjectKind: 'webhook', subjectId: webhookId, before: changes?.before ?? {}, after: { ...changes?.after, ...(patch.secret ? { secret: 'rotated' } : {}) } }, now);
    return webhookView(row!);
  });
}

export async function deleteWebhook(ctx: Ctx, caller: Caller, webhookId: string) {
  const found = await findWebhook(ctx, caller, webhookId);
  await ctx.db.transaction(async (tx) => {
    await tx.delete(webhooks).where(eq(webhooks.id, webhookId));
    await refreshWebhookInterest(tx, found.projectId);
    await recordAudit(tx, { projectId: found.projectId, actorId: caller.userId, action: 'webhook.delete', subjectKind: 'webhook', subjectId: webhookId, before: { url: found.url, events: found.events } });
  });
}

const deliveryColumns = {
  id: webhookDeliveries.id,
  seq: webhookDeliveries.seq,
  webhookId: webhookDeliveries.webhookId,
  eventId: webhookDeliveries.eventId,
  eventType: webhookDeliveries.eventType,
  subjectId: webhookDeliveries.subjectId,
  status: webhookDeliveries.status,
  attempt: webhookDeliveries.attempt,
  responseCode: webhookDeliveries.responseCode,
  durationMs: webhookDeliveries.durationMs,
  error: webhookDeliveries.error,
  nextAttemptAt: webhookDeliveries.nextAttemptAt,
  createdAt: webhookDeliveries.createdAt,
  updatedAt: webhookDeliveries.updatedAt,
};

/** The delivery log, newest first (keyset on the delivery order). Never reads the bodies. */
export async function listDeliveries(ctx: Ctx, caller: Caller, webhookId: string, query: PageQuery & { status?: string }) {
  await findWebhook(ctx, caller, webhookId);
  const before = query.cursor ? Number(decodeCursor(query.cursor, 1, 'number')[0]) : null;
  const rows = await ctx.db
    .select(deliveryColumns)
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.webhookId, webhookId), before !== null && Number.isFinite(before) ? lt(webhookDeliveries.seq, before) : undefined, query.status ? eq(webhookDeliveries.status, query.status as 'pending') : undefined))
    .orderBy(desc(webhookDeliveries.seq))
    .limit(query.limit + 1);
  const p = toPage(rows, query.limit, (r) => [r.seq]);
  return { data: p.data.map(({ seq: _seq, ...rest }) => rest), nextCursor: p.nextCursor };
}

/** The JSON body of a delivery: what receivers parse (docs/webhooks.md#payload). */
export function deliveryBody(event: { id: string; type: string; projectId: string | null; subjectKind: string; subjectId: string; actorId: string | null; createdAt: Date; data: Record<string, unknown> }) {
  return JSON.stringify({
    id: event.id,
    type: event.type,
    projectId: event.projectId,
    subject: { kind: event.subjectKind, id: event.subjectId },
    actorId: event.actorId,
    createdAt: event.createdAt.toISOString(),
    data: event.data,
  });
}

/** Queues a `webhook.test` delivery for this webhook only (sent by the next delivery pass). */
export async function sendTestEvent(ctx: Ctx, caller: Caller, webhookId: string) {
  const found = await findWebhook(ctx, caller, webhookId);
  const now = ctx.clock.now();
  const eventId = newId();
  return ctx.db.transaction(async (tx: Tx) => {
    const body = deliveryBody({ id: eventId, type: 'webhook.test', projectId: found.projectId, subjectKind: 'webhook', subjectId: found.id, actorId: caller.userId, createdAt: now, data: { message: 'A test event from Loupe' } });
    const [row] = await tx
      .insert(webhookDeliveries)
      .values({ id: newId(), webhookId, projectId: found.projectId, eventId, eventType: 'webhook.test', subjectId: found.id, body, nextAttemptAt: now, createdAt: now, updatedAt: now })
      .returning(deliveryColumns);
    const { seq: _seq, ...rest } = row!;
    return rest;
  });
}
