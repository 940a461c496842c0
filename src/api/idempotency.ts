import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Ctx } from '../context.ts';
import { beforeCommit } from '../db/client.ts';
import { DomainError } from '../core/errors.ts';
import {
  findIdempotencyKey,
  freeAbandonedIdempotencyKey,
  freeIdempotencyKey,
  markIdempotentCommit,
  reserveIdempotencyKey,
  storeIdempotentAnswer,
  touchIdempotencyKey,
  type StreamedBody,
} from '../db/idempotency.ts';

/** Storage moved to `db/idempotency.ts`; re-exported for old imports. */
export { IDEMPOTENCY_TTL_MS, purgeIdempotencyKeys, type StreamedBody } from '../db/idempotency.ts';
const WAIT_FOR_IN_FLIGHT_MS = 30_000;
/**
 * An in-flight reservation not renewed for this long belongs to a request whose process died.
 * The process running the request renews it every `HEARTBEAT_MS`, so a retry on any process, or
 * any server, tells a long request (a large import) from a dead one and never runs it twice.
 */
const ABANDONED_AFTER_MS = 120_000;
const HEARTBEAT_MS = 20_000;

declare module 'fastify' {
  interface FastifyRequest {
    idempotency?: { userId: string; key: string; fingerprint: string; heartbeat: NodeJS.Timeout };
  }
}

/**
 * The reservation a request holds, seen by the transactions its handler opens (they run inside
 * this scope): each marks the reservation committed in itself (`markIdempotentCommit`).
 */
const heldReservation = new AsyncLocalStorage<{ reservation?: { userId: string; key: string } }>();
const marking = new WeakSet<object>();

const streamedBody = (body: unknown): StreamedBody | null =>
  typeof (body as Partial<StreamedBody> | null)?.bodyDigest === 'function' ? (body as StreamedBody) : null;
/** A streamed request's full fingerprint: the one it was reserved with, then its body's digest. */
const withDigest = (fingerprint: string, digest: string) => `${fingerprint}:${digest}`;

/**
 * `Idempotency-Key` on POST: the first request with a key reserves it (an insert that only one
 * of many parallel requests can win), runs, and stores its 2xx answer; retries with the same key
 * get that answer back (`Idempotent-Replayed: true`), and parallel retries wait for it rather
 * than running twice. A failed first attempt frees the key so the client can try again. The
 * same key with a different body is refused (422 `idempotency_key_reused`). Keys live 24 hours.
 *
 * A streamed body (an import) cannot be hashed before the handler reads it: the key is reserved
 * with a fingerprint of its method, path, format and length, and its answer is stored with the
 * digest of every byte the handler read. A retry reads its own body to the end (writing nothing)
 * and is replayed only when the digests agree; any other body gets 422.
 *
 * A process that dies while running the request leaves its reservation unanswered. Every
 * transaction the request opens marks the reservation committed inside itself, just before its
 * COMMIT (a long import does not hold the row the heartbeat renews), so once the
 * reservation is abandoned (not renewed for 2 minutes) a retry runs the request again only when
 * none of its work committed; otherwise it answers 409 `idempotency_answer_lost` and never does
 * the work twice. A handler whose write would run as one autocommit statement asks
 * `commitHookPending` and runs it in a transaction under a key (the pull's one-call claim), so
 * that write is marked too. The one-statement status write and annotation save are PUTs, which
 * take no key (a repeat of either is a no-op or the same answer again).
 */
export function registerIdempotency(app: FastifyInstance, ctx: Ctx) {
  if (!marking.has(ctx.db)) {
    marking.add(ctx.db); // once per database handle, however many apps are built on it (tests)
    beforeCommit(
      ctx.db,
      async (tx) => {
        const held = heldReservation.getStore()?.reservation;
        if (held) await markIdempotentCommit(tx, held.userId, held.key, ctx.clock.now());
      },
      () => heldReservation.getStore()?.reservation !== undefined,
    );
  }
  // The rest of a keyed POST (the hook below, the handler, the services it calls) runs in this
  // scope; callback style, so that what follows `done` inherits it.
  app.addHook('preHandler', (request, _reply, done) => {
    if (request.method !== 'POST' || typeof request.headers['idempotency-key'] !== 'string') return done();
    heldReservation.run({}, done);
  });
  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    const key = request.headers['idempotency-key'];
    if (request.method !== 'POST' || typeof key !== 'string' || !request.caller) return;
    if (key.length === 0 || key.length > 200) throw new DomainError('invalid_request', 'Idempotency-Key must be 1 to 200 characters');
    // A route whose answer holds a secret (a new API token) would leave it in plain text in the
    // stored replay: such routes refuse the key (retry by listing, then minting anew).
    if ((request.routeOptions.config as { mintsSecret?: boolean }).mintsSecret) {
      throw new DomainError('idempotency_not_supported', 'This route answers with a secret, which is never stored for replay: send it without Idempotency-Key');
    }
    const userId = request.caller.userId;
    const fingerprint = createHash('sha256')
      .update(`${request.method} ${request.url}\n${JSON.stringify(request.body ?? null)}`)
      .digest('hex');
    const deadline = Date.now() + WAIT_FOR_IN_FLIGHT_MS;
    for (;;) {
      const reserved = await reserveIdempotencyKey(ctx.db, { userId, key, method: request.method, path: request.url, fingerprint, createdAt: ctx.clock.now() });
      if (reserved) {
        const heartbeat = setInterval(() => void touchIdempotencyKey(ctx.db, userId, key, ctx.clock.now()).catch(() => {}), HEARTBEAT_MS);
        heartbeat.unref();
        request.idempotency = { userId, key, fingerprint, heartbeat };
        const scope = heldReservation.getStore();
        if (scope) scope.reservation = { userId, key };
        return;
      }
      const existing = await findIdempotencyKey(ctx.db, userId, key);
      if (!existing) continue; // freed by a failed first attempt: try to reserve again
      const streamed = streamedBody(request.body);
      // A streamed answer's fingerprint carries its body's digest after the reserved part.
      if (existing.fingerprint !== fingerprint && !(streamed && existing.fingerprint.startsWith(`${fingerprint}:`))) {
        throw new DomainError('idempotency_key_reused', 'This Idempotency-Key was used for a different request');
      }
      if (existing.status !== null) {
        if (streamed) {
          const digest = await streamed.bodyDigest();
          if (digest === null || existing.fingerprint !== withDigest(fingerprint, digest)) {
            throw new DomainError('idempotency_key_reused', 'This Idempotency-Key was used for a different request body');
          }
        }
        return reply
          .code(existing.status)
          .header('idempotent-replayed', 'true')
          .type('application/json')
          .serializer((p: unknown) => p as string)
          .send(JSON.stringify(existing.body));
      }
      if (ctx.clock.now().getTime() - existing.createdAt.getTime() > ABANDONED_AFTER_MS) {
        // The first attempt died with its process (a reply would have stored or freed the key):
        // after some of its work committed, running it again would do that work twice.
        if (existing.committedAt) {
          throw new DomainError(
            'idempotency_answer_lost',
            'The first request with this Idempotency-Key saved its work, but its server stopped before the answer was stored: look the result up instead of sending the request again',
            { committedAt: existing.committedAt.toISOString() },
          );
        }
        await freeAbandonedIdempotencyKey(ctx.db, userId, key, existing.createdAt);
        continue;
      }
      if (Date.now() > deadline) {
        throw new DomainError('idempotency_in_progress', 'A request with this Idempotency-Key is still running');
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const reservation = request.idempotency;
    if (!reservation) return payload;
    request.idempotency = undefined;
    clearInterval(reservation.heartbeat);
    // Work started after the answer (a job the handler queued) is no part of it.
    const scope = heldReservation.getStore();
    if (scope) scope.reservation = undefined;
    const succeeded = reply.statusCode >= 200 && reply.statusCode < 300 && typeof payload === 'string';
    // A streamed body is stored with its digest; without one (not read to its end) there is
    // nothing to tell a retry by, so the key is freed instead.
    const streamed = succeeded ? streamedBody(request.body) : null;
    const digest = streamed ? await streamed.bodyDigest() : null;
    if (succeeded && !(streamed && digest === null)) {
      let body: unknown = null;
      try {
        body = payload ? JSON.parse(payload) : null;
      } catch {
        body = payload;
      }
      const fingerprint = streamed ? withDigest(reservation.fingerprint, digest!) : reservation.fingerprint;
      await storeIdempotentAnswer(ctx.db, reservation.userId, reservation.key, { status: reply.statusCode, body, fingerprint });
    } else {
      await freeIdempotencyKey(ctx.db, reservation.userId, reservation.key);
    }
    return payload;
  });

  // A request that ends without an answer (the client went away) stops renewing its
  // reservation: it is freed once abandoned, as if its process had died.
  const stopHeartbeat = async (request: FastifyRequest) => {
    if (request.idempotency) clearInterval(request.idempotency.heartbeat);
  };
  app.addHook('onResponse', stopHeartbeat);
  app.addHook('onRequestAbort', stopHeartbeat);
}
