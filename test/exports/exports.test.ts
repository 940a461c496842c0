import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { parquetReadObjects } from 'hyparquet';
import { Ajv } from 'ajv';
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { readEvents } from '../../src/outbox/outbox.service.ts';
import { exportRetentionJob } from '../../src/exports/export.job.ts';
import { exportDir } from '../../src/exports/export-files.ts';
import { recordJson } from '../../src/exports/formats/format.ts';
import { readExportBatch } from '../../src/annotations/annotations-for-export.ts';
import { readJobLogs } from '../../src/jobs/job-logs.ts';
import { usingPostgres } from '../support/test-db.ts';
import { createTestApp, unique, type TestApp, type TestUser } from '../support/test-app.ts';

// LOUPE_EXPORT_DIR is left at its default (./.loupe/exports): on PostgreSQL the test files share
// the database, and an export queued by one file may be written by the worker of any other file
// (test/jobs among them), so every process of a run must agree on the directory.
const scratch = mkdtempSync(join(tmpdir(), 'loupe-export-read-'));

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ work: true });
});
afterAll(() => t?.close());

const waitFor = async <T>(read: () => Promise<T>, done: (v: T) => boolean, ms = 30_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > end) return value;
    await new Promise((r) => setTimeout(r, 150));
  }
};

interface Fixture {
  projectId: string;
  owner: TestUser;
  datasetId: string;
  taskId: string;
  itemIds: string[];
}

/** A project with a dataset of `n` image items, a task, and annotations on the first `annotate` items. */
async function fixture(n = 4, annotate = 3, extra: Array<Record<string, unknown>> = []): Promise<Fixture> {
  const { project, owner } = await t.project();
  const token = owner.token;
  const datasetId = (await t.post(`/api/v1/projects/${project.id}/datasets`, { name: unique('d') }, { token })).body.id;
  const lines = [
    ...Array.from({ length: n }, (_, i) => ({ kind: 'image', externalId: i === 0 ? '=HYPERLINK("x")' : `img-${i}`, payload: { url: `https://example.com/${i}.png`, width: 100, height: 80 } })),
    ...extra,
  ];
  await t.request('POST', `/api/v1/datasets/${datasetId}/items`, { payload: lines.map((l) => JSON.stringify(l)).join('\n') + '\n', contentType: 'application/x-ndjson', token });
  const itemIds: string[] = (await t.get(`/api/v1/datasets/${datasetId}/items`, { token, query: { limit: 500 } })).body.data.map((i: { id: string }) => i.id);
  const recipeId = (await t.post(`/api/v1/projects/${project.id}/recipes`, { name: unique('r'), labels: [{ name: 'cat' }, { name: 'dog' }], tools: ['bbox', 'polygon', 'classification'] }, { token })).body.id;
  const taskId = (await t.post(`/api/v1/projects/${project.id}/tasks`, { name: unique('t'), type: 'labeling', datasetId, recipeId, assigneeIds: [owner.id], allocation: { method: 'distribution' } }, { token })).body.id;
  for (const itemId of itemIds.slice(0, annotate)) {
    const res = await t.put(`/api/v1/tasks/${taskId}/items/${itemId}/annotations`, {
      shapes: [
        { tool: 'bbox', label: 'cat', x: 10, y: 10, w: 20, h: 30 },
        { tool: 'polygon', label: 'dog', points: [{ x: 1, y: 1 }, { x: 11, y: 1 }, { x: 11, y: 11 }] },
      ],
    }, { token });
    expect(res.status).toBeLessThan(300);
  }
  return { projectId: project.id, owner, datasetId, taskId, itemIds };
}

async function runExport(f: Fixture, body: Record<string, unknown>, token = f.owner.token) {
  const res = await t.post(`/api/v1/projects/${f.projectId}/exports`, body, { token });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  expect(res.body.status).toBe('queued');
  const done = await waitFor(() => t.get(`/api/v1/exports/${res.body.id}`, { token }).then((r) => r.body), (e) => e.status === 'completed' || e.status === 'failed');
  expect(done.status, done.error).toBe('completed');
  const file = await t.app.inject({ method: 'GET', url: `/api/v1/exports/${res.body.id}/download`, headers: { authorization: `Bearer ${token}` } });
  expect(file.statusCode, file.body.slice(0, 300)).toBe(200);
  expect(String(file.headers['content-disposition'])).toContain(`filename="${done.fileName}"`);
  // GET /exports/:id carries the manifest of the file that downloads.
  expect(done.manifest).toMatchObject({ format: body.format, rows: done.rows, bytes: file.rawPayload.length, sha256: sha256(file.rawPayload), taskIds: body.taskIds });
  return { meta: done, bytes: file.rawPayload };
}

describe('POST /api/v1/projects/:projectId/exports', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await fixture();
  });

  it('writes JSONL records with the documented fields for every annotated task item', async () => {
    const { meta, bytes } = await runExport(f, { taskIds: [f.taskId], format: 'jsonl' });
    const records = bytes.toString('utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(records).toHaveLength(3);
    expect(meta.rows).toBe(3);
    expect(meta.progress).toEqual({ done: 3, total: 3 });
    expect(Object.keys(records[0]).sort()).toEqual(['annotatorId', 'externalId', 'itemId', 'payload', 'shapes', 'status', 'taskId', 'updatedAt']);
    expect(records[0].annotatorId).toBe(f.owner.id);
    expect(records[0].shapes[0]).toMatchObject({ tool: 'bbox', label: 'cat' });
    expect(records[0].payload).toMatchObject({ width: 100 });
    expect(new Set(records.map((r: { itemId: string }) => r.itemId))).toEqual(new Set(f.itemIds.slice(0, 3)));
  });

  it('writes JSON lines built by the database byte for byte as recordJson writes them from the rows', async () => {
    // Strings JSON escapes (quotes, backslashes, control characters), non-ASCII text, and a unit with a status.
    const tricky = { kind: 'image', externalId: 'he said "hi" \\ \t\n\u0001\u001f é 😀 </script>', payload: { url: 'https://example.com/é.png', note: 'tab\there "q" \\ \u007f 😀', width: 100, height: 80, nested: { a: [1, 2.5, null, true] } } };
    const g = await fixture(2, 3, [tricky]);
    expect((await t.put(`/api/v1/tasks/${g.taskId}/items/${g.itemIds[0]}/status`, { status: 'completed' }, { token: g.owner.token })).status).toBeLessThan(300);
    const rows = await readExportBatch(t.ctx.db, { projectId: g.projectId, taskIds: [g.taskId] }, null, 100);
    expect(rows).toHaveLength(3);
    expect(rows.some((r) => r.externalId === tricky.externalId)).toBe(true);
    expect(rows.some((r) => r.status === 'completed')).toBe(true);
    const jsonl = await runExport(g, { taskIds: [g.taskId], format: 'jsonl' });
    expect(jsonl.bytes.toString('utf8')).toBe(rows.map((r) => recordJson(r) + '\n').join(''));
    // PostgreSQL streams the lines through one COPY, PGlite in keyset batches (docs/exports.md).
    const completed = (await readJobLogs(t.ctx.db, jsonl.meta.jobId)).find((l) => l.message === 'export completed');
    expect(completed?.data).toMatchObject({ read: usingPostgres() ? 'copy' : 'batches' });
    const json = await runExport(g, { taskIds: [g.taskId], format: 'json' });
    expect(json.bytes.toString('utf8')).toBe(`[\n${rows.map(recordJson).join(',\n')}\n]\n`);
    expect(JSON.parse(json.bytes.toString('utf8')).find((r: { externalId: string }) => r.externalId === tricky.externalId).payload).toEqual(tricky.payload);
  });

  it('writes JSON as one array of the same records', async () => {
    const { bytes } = await runExport(f, { taskIds: [f.taskId], format: 'json' });
    const records = JSON.parse(bytes.toString('utf8'));
    expect(records).toHaveLength(3);
  });

  it('writes CSV that parses back, with formula cells escaped', async () => {
    const { bytes } = await runExport(f, { taskIds: [f.taskId], format: 'csv' });
    const rows = parse(bytes.toString('utf8'), { columns: true }) as Array<Record<string, string>>;
    expect(rows).toHaveLength(3);
    const formula = rows.find((r) => r.externalId!.includes('HYPERLINK'));
    expect(formula!.externalId).toBe(`'=HYPERLINK("x")`);
    expect(JSON.parse(rows[0]!.shapes!)[0].tool).toBe('bbox');
    expect(JSON.parse(rows[0]!.payload!).height).toBe(80);
  });

  it('writes COCO that validates against the COCO schema, with bbox and polygon segmentation', async () => {
    const { bytes } = await runExport(f, { taskIds: [f.taskId], format: 'coco' });
    const coco = JSON.parse(bytes.toString('utf8'));
    const ajv = new Ajv({ allErrors: true });
    const num = { type: 'number' };
    const schema = {
      type: 'object',
      required: ['images', 'annotations', 'categories'],
      properties: {
        images: { type: 'array', items: { type: 'object', required: ['id', 'file_name', 'width', 'height'], properties: { id: { type: 'integer' }, file_name: { type: 'string' }, width: num, height: num } } },
        annotations: {
          type: 'array',
          items: {
            type: 'object',
            required: ['id', 'image_id', 'category_id', 'bbox', 'area', 'iscrowd', 'segmentation'],
            properties: { id: { type: 'integer' }, image_id: { type: 'integer' }, category_id: { type: 'integer' }, bbox: { type: 'array', items: num, minItems: 4, maxItems: 4 }, area: num, iscrowd: { enum: [0, 1] }, segmentation: { type: 'array', items: { type: 'array', items: num } } },
          },
        },
        categories: { type: 'array', items: { type: 'object', required: ['id', 'name'], properties: { id: { type: 'integer' }, name: { type: 'string' } } } },
      },
    };
    expect(ajv.validate(schema, coco), JSON.stringify(ajv.errors)).toBe(true);
    expect(coco.images).toHaveLength(3);
    expect(coco.categories.map((c: { name: string }) => c.name)).toEqual(['cat', 'dog']);
    expect(coco.annotations).toHaveLength(6);
    const box = coco.annotations.find((a: { category_id: number }) => a.category_id === 1);
    expect(box.bbox).toEqual([10, 10, 20, 30]);
    const polygon = coco.annotations.find((a: { category_id: number }) => a.category_id === 2);
    expect(polygon.segmentation).toEqual([[1, 1, 11, 1, 11, 11]]);
    expect(polygon.area).toBe(50);
  });

  it('writes HDF5 that h5py reads: the format attribute and equal-length datasets', async () => {
    const { bytes } = await runExport(f, { taskIds: [f.taskId], format: 'hdf5' });
    const path = join(scratch, `${unique('h5')}.h5`);
    writeFileSync(path, bytes);
    const out = execFileSync('/usr/bin/python3', ['-c', `
import h5py, json, sys
f = h5py.File(sys.argv[1], 'r')
g = f['annotations']
names = ['item_id','external_id','task_id','annotator_id','status','shapes_json','payload_json','updated_at']
print(json.dumps({'format': f.attrs['format'] if isinstance(f.attrs['format'], str) else f.attrs['format'].decode(),
  'lengths': [len(g[n]) for n in names], 'ndims': [g[n].ndim for n in names],
  'item_ids': sorted(x.decode() for x in g['item_id'][:]), 'shapes': json.loads(g['shapes_json'][0].decode()),
  'updated_dtype': str(g['updated_at'].dtype), 'updated': int(g['updated_at'][0])}))
`, path]).toString();
    const h5 = JSON.parse(out);
    expect(h5.format).toBe('loupe');
    expect(h5.lengths).toEqual([3, 3, 3, 3, 3, 3, 3, 3]);
    expect(h5.ndims).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    expect(h5.item_ids).toEqual([...f.itemIds.slice(0, 3)].sort());
    expect(h5.shapes[0].tool).toBe('bbox');
    expect(h5.updated_dtype).toBe('int64');
    expect(Math.abs(h5.updated - Date.now())).toBeLessThan(10 * 60_000);
  });

  it('writes Parquet records that an independent reader (hyparquet) reads back', async () => {
    const { bytes } = await runExport(f, { taskIds: [f.taskId], format: 'parquet' });
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const rows = await parquetReadObjects({ file: buffer as ArrayBuffer });
    expect(rows).toHaveLength(3);
    expect(JSON.parse(String(rows[0]!.shapes))[0].tool).toBe('bbox');
    expect(rows[0]!.taskId).toBe(f.taskId);
  });

  it('refuses annotators (403) and answers 404 for tasks of another project', async () => {
    const annotator = await t.member(f.projectId, 'annotator');
    const denied = await t.post(`/api/v1/projects/${f.projectId}/exports`, { taskIds: [f.taskId], format: 'json' }, { token: annotator.token });
    expect(denied.status).toBe(403);
    const other = await fixture(1, 1);
    const foreign = await t.post(`/api/v1/projects/${f.projectId}/exports`, { taskIds: [other.taskId], format: 'json' }, { token: f.owner.token });
    expect(foreign.status).toBe(404);
    const bad = await t.post(`/api/v1/projects/${f.projectId}/exports`, { taskIds: [f.taskId], format: 'xml' }, { token: f.owner.token });
    expect(bad.status).toBe(400);
  });

  it('lists the project history newest first', async () => {
    const list = await t.get(`/api/v1/projects/${f.projectId}/exports`, { token: f.owner.token });
    expect(list.status).toBe(200);
    expect(list.body.data.length).toBeGreaterThanOrEqual(6);
    const ids = list.body.data.map((e: { id: string }) => e.id);
    expect([...ids].sort().reverse()).toEqual(ids);
  });
});

describe('export scopes', () => {
  it('since_last exports only the task items changed after the previous completed export of the same definition', async () => {
    const f = await fixture(4, 2);
    const first = await runExport(f, { taskIds: [f.taskId], format: 'jsonl', scope: { kind: 'since_last' } });
    expect(first.meta.rows).toBe(2);
    await t.put(`/api/v1/tasks/${f.taskId}/items/${f.itemIds[2]}/annotations`, { shapes: [{ tool: 'classification', label: 'cat' }] }, { token: f.owner.token });
    const second = await runExport(f, { taskIds: [f.taskId], format: 'jsonl', scope: { kind: 'since_last' } });
    const records = second.bytes.toString().trim().split('\n').map((l) => JSON.parse(l));
    expect(records.map((r: { itemId: string }) => r.itemId)).toEqual([f.itemIds[2]]);
    // Another definition (other format) has no previous export: it gets everything.
    const csv = await runExport(f, { taskIds: [f.taskId], format: 'csv', scope: { kind: 'since_last' } });
    expect(csv.meta.rows).toBe(3);
  });

  it('range exports the task items updated inside [from, to)', async () => {
    const f = await fixture(2, 2);
    const past = await runExport(f, { taskIds: [f.taskId], format: 'jsonl', scope: { kind: 'range', to: new Date(Date.now() - 3600_000).toISOString() } });
    expect(past.meta.rows).toBe(0);
    const now = await runExport(f, { taskIds: [f.taskId], format: 'jsonl', scope: { kind: 'range', from: new Date(Date.now() - 3600_000).toISOString() } });
    expect(now.meta.rows).toBe(2);
  });

  it('datasetIds and several tasks: one export spans tasks and keeps only the chosen datasets', async () => {
    const f = await fixture(2, 2);
    const token = f.owner.token;
    const d2 = (await t.post(`/api/v1/projects/${f.projectId}/datasets`, { name: unique('d') }, { token })).body.id;
    await t.request('POST', `/api/v1/datasets/${d2}/items`, { payload: '{"kind":"image","payload":{"url":"https://example.com/z.png","width":10,"height":10}}\n', contentType: 'application/x-ndjson', token });
    const item2 = (await t.get(`/api/v1/datasets/${d2}/items`, { token })).body.data[0].id;
    const task2 = (await t.post(`/api/v1/projects/${f.projectId}/tasks`, { name: unique('t'), type: 'labeling', datasetId: d2, assigneeIds: [f.owner.id], allocation: { method: 'distribution' } }, { token })).body.id;
    await t.put(`/api/v1/tasks/${task2}/items/${item2}/annotations`, { shapes: [{ tool: 'classification', label: 'x' }] }, { token });
    const both = await runExport(f, { taskIds: [f.taskId, task2], format: 'jsonl' });
    const records = both.bytes.toString().trim().split('\n').map((l) => JSON.parse(l));
    expect(new Set(records.map((r: { taskId: string }) => r.taskId))).toEqual(new Set([f.taskId, task2]));
    const onlyD2 = await runExport(f, { taskIds: [f.taskId, task2], format: 'jsonl', scope: { kind: 'all', datasetIds: [d2] } });
    expect(onlyD2.bytes.toString().trim().split('\n').map((l) => JSON.parse(l).itemId)).toEqual([item2]);
  });
});

describe('exports.retention', () => {
  it('deletes the files of exports finished more than the retention period ago, keeps their rows and manifests, and their download answers 409', async () => {
    const f = await fixture(2, 2);
    const token = f.owner.token;
    const old = await runExport(f, { taskIds: [f.taskId], format: 'jsonl' });
    const fresh = await runExport(f, { taskIds: [f.taskId], format: 'csv' });
    const dir = exportDir();
    const storedOld = join(dir, `${old.meta.id}.jsonl`);
    expect(existsSync(storedOld)).toBe(true);
    // Eight days ago, past the default seven (LOUPE_EXPORT_RETENTION_DAYS).
    await t.ctx.db.execute(sql`update exports set finished_at = now() - interval '8 days' where id = ${old.meta.id}::uuid`);
    await t.ctx.db.transaction((tx) => t.ctx.jobs.enqueue(tx, exportRetentionJob, {}));
    const after = await waitFor(() => t.get(`/api/v1/exports/${old.meta.id}`, { token }).then((r) => r.body), (e) => e.fileDeleted === true);
    expect(after.fileDeleted).toBe(true);
    expect(existsSync(storedOld)).toBe(false);
    // The row and its manifest stay: the checksum of what was delivered remains on record.
    expect(after).toMatchObject({ status: 'completed', rows: 2, manifest: { sha256: old.meta.manifest.sha256 } });
    const gone = await t.app.inject({ method: 'GET', url: `/api/v1/exports/${old.meta.id}/download`, headers: { authorization: `Bearer ${token}` } });
    expect(gone.statusCode).toBe(409);
    expect(gone.headers['content-type']).toContain('application/problem+json');
    expect(JSON.parse(gone.body)).toMatchObject({ code: 'conflict' });
    // The newer export is untouched and still downloads the same bytes.
    expect((await t.get(`/api/v1/exports/${fresh.meta.id}`, { token })).body.fileDeleted).toBe(false);
    const kept = await t.app.inject({ method: 'GET', url: `/api/v1/exports/${fresh.meta.id}/download`, headers: { authorization: `Bearer ${token}` } });
    expect(kept.statusCode).toBe(200);
    expect(sha256(kept.rawPayload)).toBe(fresh.meta.manifest.sha256);
  });
});

describe('invalid annotations', () => {
  it('leaves out units whose annotation is marked invalid, in every format, and takes them back once the mark is withdrawn', async () => {
    const f = await fixture(3, 3);
    const token = f.owner.token;
    const saved = await t.put(`/api/v1/tasks/${f.taskId}/items/${f.itemIds[1]}/annotations`, { shapes: [{ tool: 'bbox', label: 'cat', x: 1, y: 1, w: 2, h: 2 }] }, { token });
    expect(saved.status, JSON.stringify(saved.body)).toBeLessThan(300);
    const annotationId = saved.body.id as string;
    expect((await t.post(`/api/v1/annotations/${annotationId}/invalidate`, { reason: 'gripper out of view' }, { token })).status).toBe(200);

    const jsonl = await runExport(f, { taskIds: [f.taskId], format: 'jsonl' });
    expect(jsonl.bytes.toString().trim().split('\n').map((l) => JSON.parse(l).itemId).sort()).toEqual([f.itemIds[0]!, f.itemIds[2]!].sort());
    expect(jsonl.meta.progress).toEqual({ done: 2, total: 2 });
    const csv = await runExport(f, { taskIds: [f.taskId], format: 'csv' });
    expect((parse(csv.bytes.toString(), { columns: true }) as Array<{ itemId: string }>).map((r) => r.itemId).sort()).toEqual([f.itemIds[0]!, f.itemIds[2]!].sort());
    const coco = JSON.parse((await runExport(f, { taskIds: [f.taskId], format: 'coco' })).bytes.toString());
    expect(coco.images).toHaveLength(2);
    // Two shapes (bbox + polygon) on each of the two valid items; none from the invalid one.
    expect(coco.annotations).toHaveLength(4);

    expect((await t.request('DELETE', `/api/v1/annotations/${annotationId}/invalidate`, { token })).status).toBeLessThan(300);
    const again = await runExport(f, { taskIds: [f.taskId], format: 'jsonl' });
    expect(again.bytes.toString().trim().split('\n').map((l) => JSON.parse(l).itemId).sort()).toEqual(f.itemIds.slice(0, 3).sort());
  });
});

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('versioned export definitions', () => {
  async function nextVersion(f: Fixture, definitionId: string) {
    const res = await t.post(`/api/v1/export-definitions/${definitionId}/versions`, undefined, { token: f.owner.token });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const done = await waitFor(() => t.get(`/api/v1/exports/${res.body.id}`, { token: f.owner.token }).then((r) => r.body), (e) => e.status === 'completed' || e.status === 'failed');
    expect(done.status, done.error).toBe('completed');
    return res.body as { id: string; version: number };
  }
  const download = async (exportId: string, token: string) =>
    (await t.app.inject({ method: 'GET', url: `/api/v1/exports/${exportId}/download`, headers: { authorization: `Bearer ${token}` } })).rawPayload;

  it('compare lists the items added and changed between two versions, and removed the other way round', async () => {
    const f = await fixture(4, 2);
    const token = f.owner.token;
    const definitionId = (await t.post(`/api/v1/projects/${f.projectId}/export-definitions`, { name: unique('def'), taskIds: [f.taskId], format: 'jsonl' }, { token })).body.id;
    const v1 = await nextVersion(f, definitionId);
    await t.put(`/api/v1/tasks/${f.taskId}/items/${f.itemIds[0]}/annotations`, { shapes: [{ tool: 'classification', label: 'dog' }] }, { token });
    await t.put(`/api/v1/tasks/${f.taskId}/items/${f.itemIds[2]}/annotations`, { shapes: [{ tool: 'classification', label: 'cat' }] }, { token });
    const v2 = await nextVersion(f, definitionId);
    expect([v1.version, v2.version]).toEqual([1, 2]);
    const forward = await t.get(`/api/v1/export-definitions/${definitionId}/compare`, { token, query: { from: 1, to: 2 } });
    expect(forward.status).toBe(200);
    expect(forward.body.added.map((r: { itemId: string }) => r.itemId)).toEqual([f.itemIds[2]]);
    expect(forward.body.changed.map((r: { itemId: string }) => r.itemId)).toEqual([f.itemIds[0]]);
    expect(forward.body.removed).toEqual([]);
    expect(forward.body.truncated).toBe(false);
    const backward = await t.get(`/api/v1/export-definitions/${definitionId}/compare`, { token, query: { from: 2, to: 1 } });
    expect(backward.body.removed.map((r: { itemId: string }) => r.itemId)).toEqual([f.itemIds[2]]);
    expect(backward.body.added).toEqual([]);
    // The unchanged item (1) is in neither list; a version that does not exist is 404.
    expect((await t.get(`/api/v1/export-definitions/${definitionId}/compare`, { token, query: { from: 1, to: 3 } })).status).toBe(404);
    const annotator = await t.member(f.projectId, 'annotator');
    expect((await t.get(`/api/v1/export-definitions/${definitionId}/compare`, { token: annotator.token, query: { from: 1, to: 2 } })).status).toBe(403);
    const stranger = await t.project();
    expect((await t.get(`/api/v1/export-definitions/${definitionId}/compare`, { token: stranger.owner.token, query: { from: 1, to: 2 } })).status).toBe(404);
  });

  it("each version's manifest carries the sha256 and size of the file that downloads", async () => {
    const f = await fixture(3, 3);
    const definitionId = (await t.post(`/api/v1/projects/${f.projectId}/export-definitions`, { name: unique('def'), taskIds: [f.taskId], format: 'csv' }, { token: f.owner.token })).body.id;
    const v1 = await nextVersion(f, definitionId);
    await t.put(`/api/v1/tasks/${f.taskId}/items/${f.itemIds[1]}/annotations`, { shapes: [{ tool: 'classification', label: 'dog' }] }, { token: f.owner.token });
    const v2 = await nextVersion(f, definitionId);
    const definition = (await t.get(`/api/v1/export-definitions/${definitionId}`, { token: f.owner.token })).body;
    expect(definition.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    for (const v of [v1, v2]) {
      const bytes = download(v.id, f.owner.token);
      const manifest = definition.versions.find((x: { id: string }) => x.id === v.id).manifest;
      const file = await bytes;
      expect(manifest.sha256).toBe(sha256(file));
      expect(manifest.bytes).toBe(file.length);
      expect(manifest.files).toEqual([{ path: expect.any(String), bytes: file.length, sha256: sha256(file) }]);
    }
    // The two versions differ (item 1 changed), so their checksums do too.
    const [m2, m1] = definition.versions.map((v: { manifest: { sha256: string } }) => v.manifest.sha256);
    expect(m1).not.toBe(m2);
  });

  it('records one export.completed event with the completed export', async () => {
    const f = await fixture(2, 2);
    const { meta } = await runExport(f, { taskIds: [f.taskId], format: 'jsonl' });
    const events = await readEvents(t.ctx.db, { afterSeq: 0, limit: 100, projectId: f.projectId, types: ['export.completed'] });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ subjectKind: 'export', subjectId: meta.id, actorId: f.owner.id, data: { exportId: meta.id, rows: 2, format: 'jsonl', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) } });
  });
});

describe('lerobot export', () => {
  const episode = (frames: number) => ({
    kind: 'record',
    externalId: unique('ep'),
    payload: { fps: 10, task: 'pick the cube', frames: Array.from({ length: frames }, (_, i) => ({ timestamp: i / 10, observation: { state: [i, i + 0.5] }, action: [i * 2, 1, 0] })) },
  });

  async function unzip(bytes: Buffer) {
    const dir = join(scratch, unique('zip'));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'x.zip'), bytes);
    execFileSync('/usr/bin/python3', ['-c', 'import zipfile,sys; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])', join(dir, 'x.zip'), join(dir, 'out')]);
    return join(dir, 'out');
  }
  const readParquet = async (path: string) => {
    const b = readFileSync(path);
    return parquetReadObjects({ file: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer });
  };

  it('writes the v3.0 layout: info.json, tasks and episodes metadata, and frames of many episodes in one file', async () => {
    const f = await fixture(0, 0, [episode(3), episode(2)]);
    for (const itemId of f.itemIds) await t.put(`/api/v1/tasks/${f.taskId}/items/${itemId}/annotations`, { shapes: [{ tool: 'classification', label: 'cat' }] }, { token: f.owner.token });
    const { bytes, meta } = await runExport(f, { taskIds: [f.taskId], format: 'lerobot' });
    const root = await unzip(bytes);
    const info = JSON.parse(readFileSync(join(root, 'meta/info.json'), 'utf8'));
    expect(info).toMatchObject({ codebase_version: 'v3.0', fps: 10, total_episodes: 2, total_frames: 5, total_tasks: 1 });
    expect(info.features['observation.state'].shape).toEqual([2]);
    const frames = await readParquet(join(root, 'data/chunk-000/file-000.parquet'));
    expect(frames).toHaveLength(5);
    expect(Object.keys(frames[0]!)).toEqual(expect.arrayContaining(['timestamp', 'frame_index', 'episode_index', 'index', 'task_index', 'observation.state', 'action', 'annotation.shapes']));
    expect(frames.map((r) => Number(r.index))).toEqual([0, 1, 2, 3, 4]);
    const episodes = await readParquet(join(root, 'meta/episodes/chunk-000/file-000.parquet'));
    const first = Number(episodes[0]!.length);
    expect(episodes.map((e) => [Number(e.dataset_from_index), Number(e.dataset_to_index)])).toEqual([[0, first], [first, 5]]);
    expect(episodes.map((e) => Number(e.length)).sort()).toEqual([2, 3]);
    const tasks = await readParquet(join(root, 'meta/tasks.parquet'));
    expect(tasks).toEqual([{ task: 'pick the cube', task_index: 0n }]);
    // The manifest lists every member of the archive with the sha256 of its unzipped bytes.
    // (GET /exports/:id shows no manifest; the definitions' versions do. Read the stored one.)
    const stored = await t.ctx.db.execute(sql`select manifest from exports where id = ${meta.id}::uuid`);
    const manifest = ((stored as unknown as { rows?: unknown[] }).rows ?? (stored as unknown as unknown[]))[0] as { manifest: { sha256: string; files: unknown[] } };
    expect(manifest.manifest).toBeTruthy();
    const { manifest: m } = manifest;
    const manifestFiles = m.files;
    expect(m.sha256).toBe(sha256(bytes));
    expect(manifestFiles.map((x) => (x as { path: string }).path)).toContain('meta/info.json');
    for (const member of manifestFiles as Array<{ path: string; bytes: number; sha256: string }>) {
      const content = readFileSync(join(root, member.path));
      expect({ path: member.path, bytes: content.length, sha256: sha256(content) }).toEqual(member);
    }
  });

  it('writes the v2.1 layout on request: one parquet file per episode and JSONL metadata', async () => {
    const f = await fixture(0, 0, [episode(2), episode(4)]);
    for (const itemId of f.itemIds) await t.put(`/api/v1/tasks/${f.taskId}/items/${itemId}/annotations`, { shapes: [{ tool: 'classification', label: 'cat' }] }, { token: f.owner.token });
    const { bytes } = await runExport(f, { taskIds: [f.taskId], format: 'lerobot', options: { lerobotVersion: 'v2.1' } });
    const root = await unzip(bytes);
    expect(JSON.parse(readFileSync(join(root, 'meta/info.json'), 'utf8')).codebase_version).toBe('v2.1');
    const lines = readFileSync(join(root, 'meta/episodes.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.length).sort()).toEqual([2, 4]);
    const lengthOf1 = lines.find((l) => l.episode_index === 1).length;
    expect((await readParquet(join(root, 'data/chunk-000/episode_000001.parquet'))).length).toBe(lengthOf1);
  });
});
