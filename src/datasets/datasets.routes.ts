import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'drizzle-orm';
import type { App } from '../api/app.ts';
import type { Ctx } from '../context.ts';
import { callerOf } from '../api/access.ts';
import { DomainError } from '../core/errors.ts';
import { page, pageQuery } from '../core/pagination.ts';
import type { ProjectOf } from '../projects/permissions.ts';
import * as datasetService from './datasets.service.ts';
import * as itemService from './items.service.ts';
import { importItems, MAX_REPORTED_FAILURES } from './item-import.ts';
import { IMPORT_MAX_BYTES, ImportBody, type ImportFormat } from './import-parsers.ts';
import { createDatasetBody, datasetOut, patchDatasetBody } from './datasets.schema.ts';
import { defaultUploadLimits, stageUpload, UploadGate } from './import-staging.ts';
import { readImport, setImportDatabaseSlots, startImportJob, withImportSlot } from './import-jobs.ts';
import { importJobOut, importView } from './imports.schema.ts';
import { importOut, importQuery, itemOut, itemSummaryOut, listItemsQuery, patchItemBody, putGoldBody } from './items.schema.ts';

const tags = ['datasets'];
const projectParams = z.object({ projectId: z.string() });
const datasetParams = z.object({ datasetId: z.string() });
const itemParams = z.object({ itemId: z.string() });
const importParams = z.object({ importId: z.string() });

/** Content types the import accepts, each parsed as a stream by its reader. */
const importTypes: Array<[string, ImportFormat]> = [
  ['application/json', 'json'],
  ['application/x-ndjson', 'ndjson'],
  ['application/jsonl', 'ndjson'],
  ['application/jsonlines', 'ndjson'],
  ['text/csv', 'csv'],
];

/** How this module's path parameters lead to their project, for the API's access check (collected by `api/modules.ts`). */
export const datasetsProjectOf: ProjectOf = {
  datasetId: (id) => sql`select project_id from datasets where id = ${id}::uuid`,
  itemId: (id) => sql`select project_id from items where id = ${id}::uuid`,
  importId: (id) => sql`select project_id from item_imports where id = ${id}::uuid`,
};

export async function datasetRoutes(app: App, ctx: Ctx) {
  const uploads = { ...defaultUploadLimits, ...ctx.uploads };
  setImportDatabaseSlots(uploads.databaseSlots);
  const uploadGate = new UploadGate(() => uploads.perUser);

  app.get('/api/v1/imports/:importId', {
    config: { access: { project: 'importId', minRole: 'manager' } },
    schema: { tags, summary: 'A background item import: status, progress and outcome', params: importParams, response: { 200: importView } },
  }, async (request) => readImport(ctx, request.params.importId));

  app.post('/api/v1/projects/:projectId/datasets', {
    config: { access: { project: 'projectId', minRole: 'manager' } },
    schema: { tags, summary: 'Create a dataset', params: projectParams, body: createDatasetBody, response: { 201: datasetOut } },
  }, async (request, reply) => reply.code(201).send(await datasetService.createDataset(ctx, callerOf(request), request.params.projectId, request.body)));

  app.get('/api/v1/projects/:projectId/datasets', {
    config: { access: { project: 'projectId', minRole: 'viewer' } },
    schema: { tags, summary: 'A project’s datasets', params: projectParams, querystring: pageQuery, response: { 200: page(datasetOut) } },
  }, async (request) => datasetService.listDatasets(ctx, callerOf(request), request.params.projectId, request.query));

  app.get('/api/v1/datasets/:datasetId', {
    config: { access: { project: 'datasetId', minRole: 'viewer' } },
    schema: { tags, summary: 'Get a dataset', params: datasetParams, response: { 200: datasetOut } },
  }, async (request) => datasetService.readDataset(ctx, callerOf(request), request.params.datasetId));

  app.patch('/api/v1/datasets/:datasetId', {
    config: { access: { project: 'datasetId', minRole: 'manager' } },
    schema: { tags, summary: 'Rename a dataset', params: datasetParams, body: patchDatasetBody, response: { 200: datasetOut } },
  }, async (request) => datasetService.updateDataset(ctx, callerOf(request), request.params.datasetId, request.body));

  app.delete('/api/v1/datasets/:datasetId', {
    config: { access: { project: 'datasetId', minRole: 'manager' } },
    schema: {
      tags,
      summary: 'Delete a dataset and its items',
      description: 'Refused (409 `dataset_in_use`) when a task over the dataset has history.',
      params: datasetParams,
      response: { 204: z.null() },
    },
  }, async (request, reply) => {
    await datasetService.deleteDataset(ctx, callerOf(request), request.params.datasetId);
    return reply.code(204).send(null);
  });

  app.get('/api/v1/datasets/:datasetId/items', {
    config: { access: { project: 'datasetId', minRole: 'viewer' } },
    schema: {
      tags,
      summary: 'A dataset’s items, filtered and keyset-paginated',
      description:
        '`filter` is a URL-encoded JSON tree of `and`/`or`/`not` over `{field, op, value}` (fields `id`, `externalId`, `kind`, `draft`, `createdAt`, `updatedAt`, `metadata.<key>`, `payload.<key>`; ops `eq, ne, in, nin, gt, gte, lt, lte, contains, exists`). Items come without payload unless `include=payload`.',
      params: datasetParams,
      querystring: listItemsQuery,
      response: { 200: page(itemSummaryOut) },
    },
  }, async (request) => itemService.listItems(ctx, callerOf(request), request.params.datasetId, request.query));

  app.get('/api/v1/items/:itemId', {
    config: { access: { project: 'itemId', minRole: 'viewer' } },
    schema: { tags, summary: 'Get an item with its payload, pre-annotations and gold', params: itemParams, response: { 200: itemOut } },
  }, async (request) => itemService.readItem(ctx, callerOf(request), request.params.itemId));

  app.patch('/api/v1/items/:itemId', {
    config: { access: { project: 'itemId', minRole: 'manager' } },
    schema: { tags, summary: 'Draft or undraft an item, or merge its metadata', params: itemParams, body: patchItemBody, response: { 200: itemOut } },
  }, async (request) => itemService.updateItem(ctx, callerOf(request), request.params.itemId, request.body));

  app.put('/api/v1/items/:itemId/gold', {
    config: { access: { project: 'itemId', minRole: 'manager' } },
    schema: { tags, summary: 'Set an item’s gold answer (shapes)', params: itemParams, body: putGoldBody, response: { 200: itemOut } },
  }, async (request) => itemService.setGold(ctx, callerOf(request), request.params.itemId, request.body));

  // The import reads its body as a stream: its own content-type parsers, in a scope of its own,
  // hand the unread request stream to the service instead of buffering and parsing it whole.
  await app.register(async (plugin) => {
    const scope = plugin.withTypeProvider<ZodTypeProvider>();
    scope.removeAllContentTypeParsers();
    for (const [type, format] of importTypes) {
      scope.addContentTypeParser(type, { bodyLimit: IMPORT_MAX_BYTES }, (request, payload, done) => {
        const length = Number(request.headers['content-length']);
        if (Number.isFinite(length) && length > IMPORT_MAX_BYTES) {
          return done(new DomainError('payload_too_large', `An import body is at most ${IMPORT_MAX_BYTES} bytes`), undefined);
        }
        done(null, new ImportBody(payload, format, Number.isFinite(length) ? length : null, { digest: request.headers['idempotency-key'] !== undefined }));
      });
    }
    scope.post('/api/v1/datasets/:datasetId/items', {
      bodyLimit: IMPORT_MAX_BYTES,
      config: { access: { project: 'datasetId', minRole: 'manager' } },
      schema: {
        tags,
        summary: 'Import items: JSON array, NDJSON or CSV, streamed; upsert by externalId',
        description:
          'Body: a JSON array (`application/json`), JSON Lines (`application/x-ndjson`) or CSV (`text/csv`). Each line is ' +
          '`{externalId?, kind?, payload, metadata?, draft?, annotations?, gold?}`; CSV headers `payload.<key>`, `metadata.<key>`, ' +
          '`text`, `externalId`, `kind`, `draft`, `annotations`, `gold`. Atomic by default: any bad line answers 400 `invalid_import` ' +
          `and nothing is written; \`mode=partial\` writes the good lines. \`failed\` lists the first ${MAX_REPORTED_FAILURES} bad lines ` +
          '(`line` is 1-based: the line of NDJSON/CSV, the element of a JSON array); `failedCount` counts them all.',
        consumes: importTypes.map(([type]) => type),
        params: datasetParams,
        querystring: importQuery,
        response: { 200: importOut, 202: importJobOut },
      },
    }, async (request, reply) => {
      const body = request.body;
      if (!(body instanceof ImportBody)) {
        throw new DomainError('unsupported_media_type', `Send the items as ${importTypes.map(([t]) => t).join(', ')}`);
      }
      const caller = callerOf(request);
      // Receive first, import second: a slow or stalled uploader never holds the database. The
      // user's upload slot is free before the answer leaves, so a client may send the next at once.
      const leave = uploadGate.enter(caller.userId);
      const answer = await (async () => {
        try {
          const staged = await stageUpload(body.stream, uploads);
          if (staged.bytes > uploads.jobThresholdBytes) {
            try {
              return { code: 202 as const, body: await startImportJob(ctx, caller, request.params.datasetId, staged, body.format, request.query) };
            } catch (error) {
              await staged.discard();
              throw error;
            }
          }
          try {
            const fromDisk = new ImportBody(staged.open(), body.format, staged.bytes);
            return { code: 200 as const, body: await withImportSlot(() => importItems(ctx, caller, request.params.datasetId, fromDisk, request.query)) };
          } finally {
            await staged.discard();
          }
        } finally {
          leave();
        }
      })();
      return reply.code(answer.code).send(answer.body);
    });
  });
}
