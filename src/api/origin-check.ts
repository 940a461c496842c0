import type { FastifyInstance } from 'fastify';
import { DomainError } from '../core/errors.ts';

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Cross-site request forgery: a browser sends the session cookie with any request a foreign page
 * makes, including body-less or `text/plain` POSTs that need no CORS preflight (`/lock`,
 * `/unlock`). A write that does not carry an `Authorization` header (so it may be riding on the
 * cookie) is refused (403 `cross_origin`) when its `Origin` is not this server's own origin, or,
 * without `Origin`, when `Sec-Fetch-Site` says another site sent it. Clients that send neither
 * header (CLI, curl) are not browsers and pass. The origin is read through `trustProxy`, so
 * behind a TLS proxy it is the public `https://…` one.
 */
export function registerOriginCheck(app: FastifyInstance) {
  app.addHook('onRequest', async (request) => {
    if (safeMethods.has(request.method) || request.headers.authorization) return;
    const origin = request.headers.origin;
    if (typeof origin === 'string') {
      if (origin !== `${request.protocol}://${request.host}`) {
        throw new DomainError('cross_origin', `A write from ${origin} is refused: only this server's own pages may write with the session cookie`);
      }
      return;
    }
    const site = request.headers['sec-fetch-site'];
    if (site === 'cross-site' || site === 'same-site') {
      throw new DomainError('cross_origin', 'A write sent by another site is refused: only this server’s own pages may write with the session cookie');
    }
  });
}
