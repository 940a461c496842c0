import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { App } from '../api/app.ts';
import type { Ctx } from '../context.ts';
import { callerOf } from '../api/access.ts';
import { page, pageQuery } from '../core/pagination.ts';
import type { ProjectOf } from '../projects/permissions.ts';
import { createExport, exportFile, exportFormats, exportStatuses, listExports, readExport } from './exports.service.ts';
import { compareVersions, createDefinition, createVersion, readDefinition } from './export-definitions.service.ts';
import { contentTypeOf, exportDir } from './export-files.ts';

const scope = z
  .object({
    kind: z.enum(['all', 'since_last', 'range']),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    datasetIds: z.array(z.string()).max(100).optional(),
  })
  .strict();
const options = z
  .object({
    lerobotVersion: z.enum(['v3.0', 'v2.1']).optional(),
    onlyDone: z.boolean().optional(),
    onlyAnnotated: z.boolean().optional(),
    compression: z.enum(['SNAPPY', 'UNCOMPRESSED']).optional(),
  })
  .strict();
const createBody = z.object({ taskIds: z.array(z.string()).min(1).max(100), format: z.enum(exportFormats), scope: scope.optional(), options: options.optional() }).strict();

const manifest = z
  .object({
    format: z.string(),
    rows: z.number(),
    bytes: z.number(),
    sha256: z.string(),
    files: z.array(z.object({ path: z.string(), bytes: z.number(), sha256: z.string() })),
    scope: scope.extend({ since: z.string().nullable().optional() }),
    options,
    taskIds: z.array(z.string()),
    counts: z.record(z.string(), z.number()),
  })
  .nullable();
const exportOut = z.object({
  id: z.string(),
  projectId: z.string(),
  definitionId: z.string().nullable(),
  version: z.number().nullable(),
  taskIds: z.array(z.string()),
  format: z.enum(exportFormats),
  scope,
  options,
  status: z.enum(exportStatuses),
  jobId: z.string().nullable(),
  progress: z.object({ done: z.number(), total: z.number() }),
  rows: z.number(),
  bytes: z.number(),
  fileName: z.string(),
  since: z.date().nullable(),
  error: z.string().nullable(),
  fileDeleted: z.boolean(),
  createdBy: z.string().nullable(),
  createdAt: z.date(),
  finishedAt: z.date().nullable(),
});
const queued = z.object({ id: z.string(), status: z.literal('queued'), jobId: z.string().nullable() });

/** How this module's path parameters lead to their project, for the API's access check (collected by `api/modules.ts`). */
export const exportsProjectOf: ProjectOf = {
  exportId: (id) => sql`select project_id from exports where id = ${id}::uuid`,
  definitionId: (id) => sql`select project_id from export_definitions where id = ${id}::uuid`,
};

/** Exports and versioned export definitions (docs/exports.md). Managers and owners. */
export async function exportRoutes(app: App, ctx: Ctx) {
  const tags = ['exports'];

  app.post('/api/v1/projects/:projectId/exports', {
    config: { access: { project: 'projectId', minRole: 'manager' } },
    schema: { tags, summary: 'Queue an export of one or more tasks', params: z.object({ projectId: z.string() }), body: createBody, response: { 202: queued } },
  }, async (request, reply) => {
    const created = await createExport(ctx, callerOf(request), request.params.projectId, request.body);
    return reply.status(202).send(created);
  });

  app.get('/api/v1/projects/:projectId/exports', {
    config: { access: { project: 'projectId', minRole: 'manager' } },
    schema: { tags, summary: "A project's exports, newest first", params: z.object({ projectId: z.string() }), querystring: pageQuery, response: { 200: page(exportOut) } },
  }, async (request) => listExports(ctx, callerOf(request), request.params.projectId, request.query));

  app.get('/api/v1/exports/:exportId', {
    config: { access: { project: 'exportId', minRole: 'manager' } },
    schema: { tags, summary: 'An export: status, progress, rows, bytes, file name, and its manifest once completed', params: z.object({ exportId: z.string() }), response: { 200: exportOut.extend({ manifest }) } },
  }, async (request) => readExport(ctx, callerOf(request), request.params.exportId));

  app.get('/api/v1/exports/:exportId/download', {
    config: { access: { project: 'exportId', minRole: 'manager' } },
    schema: { tags, summary: "A completed export's file", params: z.object({ exportId: z.string() }) },
  }, async (request, reply) => {
    const file = await exportFile(ctx, callerOf(request), request.params.exportId);
    reply.header('content-type', contentTypeOf(file.format));
    reply.header('content-length', String(file.bytes));
    reply.header('content-disposition', `attachment; filename="${file.fileName}"`);
    return reply.send(createReadStream(join(exportDir(), file.storedAs)));
  });

  app.post('/api/v1/projects/:projectId/export-definitions', {
    config: { access: { project: 'projectId', minRole: 'manager' } },
    schema: {
      tags,
      summary: 'Create a versioned export definition',
      params: z.object({ projectId: z.string() }),
      body: createBody.extend({ name: z.string().min(1).max(200) }),
      response: { 201: z.object({ id: z.string(), name: z.string(), projectId: z.string(), taskIds: z.array(z.string()), format: z.enum(exportFormats), nextVersion: z.number(), createdAt: z.date() }) },
    },
  }, async (request, reply) => reply.status(201).send(await createDefinition(ctx, callerOf(request), request.params.projectId, request.body)));

  app.get('/api/v1/export-definitions/:definitionId', {
    config: { access: { project: 'definitionId', minRole: 'manager' } },
    schema: {
      tags,
      summary: 'An export definition with its versions and their manifests',
      params: z.object({ definitionId: z.string() }),
      response: { 200: z.object({ id: z.string(), name: z.string(), projectId: z.string(), taskIds: z.array(z.string()), format: z.enum(exportFormats), nextVersion: z.number(), createdAt: z.date(), versions: z.array(exportOut.extend({ manifest })) }) },
    },
  }, async (request) => readDefinition(ctx, callerOf(request), request.params.definitionId));

  app.post('/api/v1/export-definitions/:definitionId/versions', {
    config: { access: { project: 'definitionId', minRole: 'manager' } },
    schema: { tags, summary: 'Queue the next version of a definition', params: z.object({ definitionId: z.string() }), response: { 202: queued.extend({ version: z.number() }) } },
  }, async (request, reply) => reply.status(202).send(await createVersion(ctx, callerOf(request), request.params.definitionId)));

  app.get('/api/v1/export-definitions/:definitionId/compare', {
    config: { access: { project: 'definitionId', minRole: 'manager' } },
    schema: {
      tags,
      summary: 'Items added, removed and changed between two versions',
      params: z.object({ definitionId: z.string() }),
      querystring: z.object({ from: z.coerce.number().int().min(1), to: z.coerce.number().int().min(1) }),
      response: {
        200: z.object({
          from: z.number(),
          to: z.number(),
          added: z.array(z.object({ itemId: z.string(), taskItemId: z.string() })),
          removed: z.array(z.object({ itemId: z.string(), taskItemId: z.string() })),
          changed: z.array(z.object({ itemId: z.string(), taskItemId: z.string() })),
          truncated: z.boolean(),
        }),
      },
    },
  }, async (request) => compareVersions(ctx, callerOf(request), request.params.definitionId, request.query.from, request.query.to));
}
