import { z } from 'zod';
import type { App } from '../api/app.ts';
import type { Ctx } from '../context.ts';
import { callerOf } from '../api/access.ts';
import { page, pageQuery } from '../core/pagination.ts';
import * as tokens from './ingest-tokens.service.ts';
import { otlpRoutes } from './otlp.routes.ts';
import { addSpansToDataset } from './spans-to-dataset.service.ts';
import { listSpans, listTraces, readTrace } from './traces-read.service.ts';
import { readTracesSettings, type TracesSettings } from './traces.settings.ts';
import {
  createIngestTokenBody,
  createdIngestTokenOut,
  ingestTokenOut,
  listSpansQuery,
  listTracesQuery,
  spanOut,
  spansToDatasetBody,
  spansToDatasetOut,
  traceOut,
  traceSummaryOut,
} from './traces.schema.ts';

const tags = ['traces'];
const projectParams = z.object({ projectId: z.string() });
const tokenParams = z.object({ projectId: z.string(), ingestTokenId: z.string() });
const traceParams = z.object({ projectId: z.string(), traceId: z.string() });

/**
 * Traces routes (docs/traces.md): ingest tokens, `POST /v1/traces`, span and trace reads, spans to
 * a dataset. Settings come from the environment when the app is built (`LOUPE_OTLP_MAX_BYTES`, …).
 */
export async function tracesRoutes(app: App, ctx: Ctx, settings: TracesSettings = readTracesSettings()) {
  await otlpRoutes(settings)(app, ctx);

  app.post('/api/v1/projects/:projectId/ingest-tokens', {
    config: { access: { project: 'projectId', minRole: 'manager' } },
    schema: { tags, summary: 'Create an ingest token for OTLP trace export (the token is shown once)', params: projectParams, body: createIngestTokenBody, response: { 201: createdIngestTokenOut } },
  }, async (request, reply) => reply.code(201).send(await tokens.createIngestToken(ctx, callerOf(request), request.params.projectId, request.body)));

  app.get('/api/v1/projects/:projectId/ingest-tokens', {
    config: { access: { project: 'projectId', minRole: 'manager' } },
    schema: { tags, summary: 'A project’s ingest tokens (never the tokens themselves)', params: projectParams, querystring: pageQuery, response: { 200: page(ingestTokenOut) } },
  }, async (request) => tokens.listIngestTokens(ctx, callerOf(request), request.params.projectId, request.query));

  app.delete('/api/v1/projects/:projectId/ingest-tokens/:ingestTokenId', {
    config: { access: { project: 'projectId', minRole: 'manager' } },
    schema: { tags, summary: 'Revoke an ingest token (its exports answer 401 from now on)', params: tokenParams, response: { 200: ingestTokenOut } },
  }, async (request) => tokens.revokeIngestToken(ctx, callerOf(request), request.params.projectId, request.params.ingestTokenId));

  app.get('/api/v1/projects/:projectId/spans', {
    config: { access: { project: 'projectId', minRole: 'viewer' } },
    schema: { tags, summary: 'A project’s spans, newest first, with their evaluations (no input/output)', params: projectParams, querystring: listSpansQuery, response: { 200: page(spanOut) } },
  }, async (request) => listSpans(ctx, callerOf(request), request.params.projectId, request.query));

  app.get('/api/v1/projects/:projectId/traces', {
    config: { access: { project: 'projectId', minRole: 'viewer' } },
    schema: { tags, summary: 'A project’s traces, newest first: root name, start, duration, spans, model, tokens, status', params: projectParams, querystring: listTracesQuery, response: { 200: page(traceSummaryOut) } },
  }, async (request) => listTraces(ctx, callerOf(request), request.params.projectId, request.query));

  app.get('/api/v1/projects/:projectId/traces/:traceId', {
    config: { access: { project: 'projectId', minRole: 'viewer' } },
    schema: { tags, summary: 'One trace: its spans (oldest first) with input/output, attributes, events and evaluations', params: traceParams, response: { 200: traceOut } },
  }, async (request) => readTrace(ctx, callerOf(request), request.params.projectId, request.params.traceId));

  app.post('/api/v1/projects/:projectId/spans/to-dataset', {
    config: { access: { project: 'projectId', minRole: 'manager' } },
    schema: {
      tags,
      summary: 'Add spans (by id or by filter) to a dataset as items of kind trace; idempotent per span',
      params: projectParams,
      body: spansToDatasetBody,
      response: { 200: spansToDatasetOut },
    },
  }, async (request) => addSpansToDataset(ctx, callerOf(request), request.params.projectId, request.body));
}
