import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type RawServerDefault } from 'fastify';
import cookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { sql } from 'drizzle-orm';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Ctx, ItemStatusListener } from '../context.ts';
import type { Database } from '../db/client.ts';
import { systemClock, type Clock } from '../core/clock.ts';
import { systemRandom, type Random } from '../core/random.ts';
import { DomainError } from '../core/errors.ts';
import { containsNul } from '../core/text.ts';
import type { JobQueue } from '../jobs/jobs.ts';
import type { LlmSettings } from '../evaluators/llm-port.ts';
import { spanEvaluations } from '../evaluators/span-evaluations.ts';
import { collectAccess, registerAccess, type Access } from './access.ts';
import { taskActorJson, taskItemActorJson } from '../task-units/task-access.ts';
import { annotationSaveJson } from '../annotations/save-preload.ts';
import { registerIdempotency } from './idempotency.ts';
import { registerOriginCheck } from './origin-check.ts';
import { problem, sendProblem, toProblem } from './problem.ts';
import { datasetUse, moduleRoutes, projectOf, pullGate, statusListeners } from './modules.ts';
import type { UploadLimits } from '../datasets/import-staging.ts';

export type App = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, ZodTypeProvider>;

export interface AppDeps {
  database: Database;
  jobs: JobQueue;
  clock?: Clock;
  /** Source of random choices (default: the runtime's); tests may hand in `seededRandom`. */
  random?: Random;
  /** pino options, or false for silence (tests). */
  logger?: boolean | Record<string, unknown>;
  /** Largest JSON body in bytes (imports have their own, larger limit). */
  bodyLimit?: number;
  /** Folder of the built web app; served at `/` when it exists. */
  webRoot?: string;
  /** LLM judges' settings (default: from the environment). */
  llm?: LlmSettings;
  /** Fastify's `trustProxy` (LOUPE_TRUST_PROXY): client IP and protocol from X-Forwarded-* headers. */
  trustProxy?: boolean | number | string;
  /** Upload bounds for item imports. */
  uploads?: Partial<UploadLimits>;
  /** Server timeouts in ms (0 disables one): see the README's configuration table. */
  timeouts?: Partial<ServerTimeouts>;
  /** Status listeners run after the modules' own (`statusListeners` of `modules.ts`): tests hand one in. */
  statusListeners?: readonly ItemStatusListener[];
}

export interface ServerTimeouts {
  /** Time to receive a whole request (Node's `requestTimeout`). */
  requestTimeoutMs: number;
  /** A socket with no activity this long is closed (Node's `server.timeout`). */
  connectionTimeoutMs: number;
  /** Time to receive the request headers (slow-loris). */
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

export const defaultTimeouts: ServerTimeouts = {
  requestTimeoutMs: 30 * 60_000,
  connectionTimeoutMs: 5 * 60_000,
  headersTimeoutMs: 30_000,
  keepAliveTimeoutMs: 72_000,
}

/**
 * The connection timeout closes sockets that are idle (a client that stops sending, or stops
 * reading the answer), never one whose request is being worked on. Node's own reaction to the
 * timeout destroys the socket whatever it carries, so a request that worked longer than the
 * timeout (a task over millions of items) lost its answer while its work went on and committed,
 * and a retry did it twice. The decision is made when the timer fires, from the socket's last
 * request: received whole (`complete`) and not answered yet (`headersSent`) means the server is
 * working, so the timeout is ignored and the timer runs again from the answer's first bytes
 * (docs/deployment.md, "Server timeouts"). A request costs one map write, no hook.
 */
function closeIdleSocketsOnly(server: Server) {
  const last = new WeakMap<Socket, { req: IncomingMessage; res: ServerResponse }>();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => last.set(req.socket, { req, res }));
  // With a listener here Node leaves the socket to it (http's socketOnTimeout).
  server.on('timeout', (socket: Socket) => {
    const current = last.get(socket);
    if (!(current && current.req.complete && !current.res.headersSent)) socket.destroy();
  });
}

export interface BuiltApp {
  app: App;
  ctx: Ctx;
  /** `METHOD /path/{param}` → the route's declared access. */
  access: Map<string, Access>;
}

const defaultWebRoot = fileURLToPath(new URL('../../web/dist', import.meta.url));

/**
 * The HTTP application: plugins (auth, problem+json, OpenAPI, idempotency) and every module's
 * routes. No socket is opened here: tests call `app.inject()`, `src/main/server.ts` listens.
 */
export async function buildApp(deps: AppDeps): Promise<BuiltApp> {
  const ctx: Ctx = { db: deps.database.db, genericPlanDb: deps.database.genericPlanDb, clock: deps.clock ?? systemClock, random: deps.random ?? systemRandom, sweeps: new Map(), jobs: deps.jobs, datasetUse, pullGate, statusListeners: [...statusListeners, ...(deps.statusListeners ?? [])], spanEvaluations, ...(deps.llm ? { llm: deps.llm } : {}), ...(deps.uploads ? { uploads: deps.uploads } : {}) };
  const timeouts = { ...defaultTimeouts, ...deps.timeouts };
  const fastify = Fastify({
    // Typed as boolean only to keep Fastify's overloads on the plain HTTP server; numbers and address lists work too.
    trustProxy: (deps.trustProxy ?? false) as boolean,
    requestTimeout: timeouts.requestTimeoutMs,
    connectionTimeout: timeouts.connectionTimeoutMs,
    keepAliveTimeout: timeouts.keepAliveTimeoutMs,
    logger: deps.logger ?? false,
    bodyLimit: deps.bodyLimit ?? 1024 * 1024,
    requestIdHeader: 'x-request-id',
    genReqId: () => crypto.randomUUID(),
    ajv: undefined,
    routerOptions: { ignoreTrailingSlash: true },
    // Errors raised by the router before any route runs still answer problem+json.
    frameworkErrors: (error, request, reply) => {
      const p =
        error.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? problem('not_found', 'A path parameter this long names nothing')
          : problem('invalid_request', error.message);
      return sendProblem(reply as never, p);
    },
  });
  // Headers must arrive quickly (slow-loris); Node requires it not to exceed requestTimeout.
  fastify.server.headersTimeout = timeouts.requestTimeoutMs ? Math.min(timeouts.headersTimeoutMs, timeouts.requestTimeoutMs) : timeouts.headersTimeoutMs;
  closeIdleSocketsOnly(fastify.server);
  fastify.setValidatorCompiler(validatorCompiler);
  fastify.setSerializerCompiler(serializerCompiler);
  const app = fastify.withTypeProvider<ZodTypeProvider>() as App;
  const access = collectAccess(app);

  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-request-id', request.id);
    return payload;
  });

  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Loupe API',
        version: '1',
        description: 'Tasks, assignments and review for AI data. Errors are RFC 9457 problem+json with a stable `code`.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'An API token' },
          session: { type: 'apiKey', in: 'cookie', name: 'loupe_session' },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  // The docs page gets a Content-Security-Policy (its own scripts and styles only).
  await app.register(swaggerUi, { routePrefix: '/api/docs', staticCSP: true });

  // A PGlite process that lost its data-directory lock takes no more writes (docs/data-directory.md).
  app.addHook('onRequest', async (request) => {
    if (deps.database.lock?.lost && !['GET', 'HEAD', 'OPTIONS'].includes(request.method)) {
      throw new DomainError('data_dir_lock_lost', 'This process lost the lock on its data directory and takes no more writes; restart it');
    }
  });
  registerOriginCheck(app);
  registerAccess(app, ctx, projectOf, { taskActor: { sql: taskActorJson }, taskItemActor: { sql: taskItemActorJson, param: 'itemId' }, annotationSave: { sql: annotationSaveJson, param: 'itemId' } });
  app.addHook('preValidation', async (request) => {
    if (containsNul(request.body) || containsNul(request.query) || containsNul(request.params)) {
      throw new DomainError('invalid_request', 'The request holds a NUL character (\\u0000), which Loupe cannot store');
    }
  });
  registerIdempotency(app, ctx);

  app.setErrorHandler((error, request, reply) => sendProblem(reply, toProblem(error, request)));

  const webRoot = deps.webRoot ?? defaultWebRoot;
  const hasWeb = existsSync(`${webRoot}/index.html`);
  if (hasWeb) {
    // Source maps are a build artefact for developers: never served (they publish the source).
    await app.register(fastifyStatic, { root: webRoot, wildcard: false, index: false, allowedPath: (path) => !path.endsWith('.map'), setHeaders: (res) => securityHeaders(res) });
  }
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    const isApi = path.startsWith('/api/') || path.startsWith('/v1/') || path === '/api';
    if (!isApi && hasWeb && request.method === 'GET') {
      securityHeaders(reply);
      return reply.type('text/html').sendFile('index.html');
    }
    return sendProblem(reply, problem('not_found', `No route ${request.method} ${path}`));
  });

  app.get('/healthz', {
    config: { access: 'public' },
    schema: { tags: ['health'], summary: 'Liveness', response: { 200: z.object({ status: z.literal('ok') }) } },
  }, async () => ({ status: 'ok' as const }));

  app.get('/readyz', {
    config: { access: 'public' },
    schema: { tags: ['health'], summary: 'Readiness: the database answers', response: { 200: z.object({ status: z.literal('ready') }) } },
  }, async () => {
    try {
      await ctx.db.execute(sql`select 1`);
    } catch {
      throw new DomainError('not_ready', 'The database does not answer');
    }
    return { status: 'ready' as const };
  });

  app.get('/api/v1/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger());

  for (const register of moduleRoutes) await register(app, ctx);

  await app.ready();
  return { app, ctx, access };
}

/** A strict Content-Security-Policy for the web app: no inline script, no framing, no plugins. */
function securityHeaders(res: { setHeader(name: string, value: string): unknown } | { header(name: string, value: string): unknown }) {
  const set = (name: string, value: string) => ('header' in res ? res.header(name, value) : res.setHeader(name, value));
  set(
    'content-security-policy',
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: https: http:; media-src 'self' https: http:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  );
  set('x-content-type-options', 'nosniff');
  set('referrer-policy', 'no-referrer');
}
