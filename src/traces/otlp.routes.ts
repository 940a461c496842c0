import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import protobuf from 'protobufjs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { App } from '../api/app.ts';
import type { Ctx } from '../context.ts';
import { DomainError } from '../core/errors.ts';
import { statusOf } from '../api/problem.ts';
import { projectOfIngestToken } from './ingest-tokens.service.ts';
import { writeSpans } from './ingest.service.ts';
import { encodeResponse, parseRequest, spansOf, type OtlpEncoding } from './otlp-decode.ts';
import type { TracesSettings } from './traces.settings.ts';

const gunzipAsync = promisify(gunzip);
const DAY_MS = 86_400_000;

/** google.rpc.Status, the body of OTLP/HTTP error responses (built with protobufjs, not by hand). */
const RpcStatus = new protobuf.Type('Status').add(new protobuf.Field('code', 1, 'int32')).add(new protobuf.Field('message', 2, 'string'));
new protobuf.Root().define('google.rpc').add(RpcStatus);
/** HTTP status → gRPC code, for the Status body. */
const grpcCode: Record<number, number> = { 400: 3, 401: 16, 403: 7, 404: 5, 413: 8, 415: 3, 429: 8, 503: 14 };

const encodingOf = (request: FastifyRequest): OtlpEncoding | null => {
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  return null;
};

function sendStatus(request: FastifyRequest, reply: FastifyReply, status: number, message: string) {
  const code = grpcCode[status] ?? 13;
  if (status === 429 || status === 503) reply.header('retry-after', reply.getHeader('retry-after') ?? '1');
  reply.code(status);
  if (encodingOf(request) === 'protobuf') {
    return reply.type('application/x-protobuf').send(Buffer.from(RpcStatus.encode(RpcStatus.fromObject({ code, message })).finish()));
  }
  return reply.type('application/json').send(JSON.stringify({ code, message }));
}

const projectOf = new WeakMap<FastifyRequest, string>();

/**
 * `POST /v1/traces`: OTLP/HTTP trace ingestion (docs/traces.md). Outside `/api/v1` and its
 * sign-in: the bearer token is an ingest token, checked here, and names the project the spans go
 * to. Its own scope reads the body raw (protobuf or JSON, gzip allowed) within
 * `LOUPE_OTLP_MAX_BYTES`, and answers errors as OTLP does (a google.rpc.Status), not problem+json.
 */
export function otlpRoutes(settings: TracesSettings) {
  return async function registerOtlp(app: App, ctx: Ctx) {
    let inFlight = 0;
    await app.register(async (plugin) => {
      const scope = plugin.withTypeProvider<ZodTypeProvider>();
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: settings.maxBytes }, (_request, body, done) => done(null, body));

      scope.setErrorHandler((error, request, reply) => {
        if (error instanceof DomainError) return sendStatus(request, reply, statusOf[error.code], error.message);
        const fastifyError = error as { statusCode?: number; code?: string; message: string };
        if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendStatus(request, reply, 413, `The body is larger than ${settings.maxBytes} bytes`);
        if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
          return sendStatus(request, reply, fastifyError.statusCode, fastifyError.message);
        }
        // Nothing was committed (the write is one statement): the exporter may retry safely.
        request.log.error({ err: error }, 'OTLP ingest failed');
        return sendStatus(request, reply, 503, 'The spans could not be stored; retry later');
      });

      scope.post('/v1/traces', {
        bodyLimit: settings.maxBytes,
        config: { access: 'ingest' },
        schema: {
          tags: ['traces'],
          summary: 'OTLP/HTTP trace export (ExportTraceServiceRequest, protobuf or JSON, gzip allowed)',
          description:
            'Authorization: Bearer <ingest token> (see POST /api/v1/projects/{projectId}/ingest-tokens). Answers an ' +
            'ExportTraceServiceResponse in the request’s encoding, with `partialSuccess` {rejectedSpans, errorMessage} ' +
            'when spans were refused; 400 undecodable body, 401 bad token, 413 too large, 415 other content types, ' +
            '429 with Retry-After when the server sheds load.',
          security: [{ bearer: [] }],
        },
        onRequest: async (request, reply) => {
          // Shedding costs nothing: checked before the token and before the body is read.
          if (inFlight >= settings.maxInFlight) {
            reply.header('retry-after', '1');
            throw new DomainError('rate_limited', `More than ${settings.maxInFlight} OTLP requests at once; retry after 1 s`);
          }
          inFlight++;
          reply.raw.once('close', () => inFlight--);
          const header = request.headers.authorization ?? '';
          const token = header.toLowerCase().startsWith('bearer ') ? header.slice(7).trim() : '';
          const projectId = token ? await projectOfIngestToken(ctx.db, token) : null;
          if (!projectId) throw new DomainError('unauthenticated', 'Send a valid ingest token: Authorization: Bearer <token>');
          projectOf.set(request, projectId);
          if (!encodingOf(request)) throw new DomainError('unsupported_media_type', 'OTLP/HTTP bodies are application/x-protobuf or application/json');
        },
      }, async (request, reply) => {
        const projectId = projectOf.get(request)!;
        const encoding = encodingOf(request)!;
        let body = request.body as Buffer;
        const contentEncoding = (request.headers['content-encoding'] ?? 'identity').toLowerCase();
        if (contentEncoding === 'gzip') {
          try {
            body = await gunzipAsync(body, { maxOutputLength: settings.maxBytes });
          } catch (error) {
            if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new DomainError('payload_too_large', `The decompressed body is larger than ${settings.maxBytes} bytes`);
            throw new DomainError('invalid_request', 'The body is not valid gzip');
          }
        } else if (contentEncoding !== 'identity') {
          throw new DomainError('unsupported_media_type', `Content-Encoding ${contentEncoding} is not supported (gzip or none)`);
        }
        const now = ctx.clock.now();
        const decoded = spansOf(parseRequest(body, encoding), encoding, {
          min: new Date(now.getTime() - settings.retentionDays * DAY_MS),
          max: new Date(now.getTime() + DAY_MS),
        });
        await writeSpans(ctx.db, projectId, decoded.spans, now);
        const partial = decoded.rejected > 0 ? { rejectedSpans: decoded.rejected, errorMessage: `${decoded.rejected} span(s) rejected: ${decoded.reasons.join('; ')}` } : null;
        const response = encodeResponse(encoding, partial);
        return reply.code(200).type(response.type).send(response.body);
      });
    });
  };
}
