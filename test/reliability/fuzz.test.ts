import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paramFixtures } from '../support/fixtures.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { arbitraryFor, deref, hostileString, queryValueFor, type JsonSchema } from './support/schema-arbitrary.ts';
import { diffCounts, projectRowCounts } from './support/project-rows.ts';

/**
 * Property-based fuzzing of every route of the OpenAPI document: bodies, query strings and path
 * parameters generated from the route's own schemas (mostly well-shaped, sometimes hostile). For
 * every request: never a 5xx; every refusal is problem+json with a `code`; and a refused request
 * leaves the row counts of its project unchanged.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 25);
let t: TestApp;
let doc: any;
let operations: Array<{ method: string; path: string; op: any }>;

beforeAll(async () => {
  t = await createTestApp();
  doc = (await t.get('/api/v1/openapi.json', { token: null })).body;
  operations = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
  );
});
afterAll(() => t?.close());

const paramsOf = (path: string) => [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);

describe('fuzzing every route from the OpenAPI document', () => {
  it('never answers 5xx, refuses with problem+json and a code, and writes nothing when it refuses', async () => {
    const failures: string[] = [];
    let requests = 0;
    let refused = 0;
    let skipped = 0;
    for (const { method, path, op } of operations) {
      // A fresh project per route: a request that succeeds (a delete, say) cannot spoil the next route.
      const project = await t.project();
      const fixtures: Record<string, string> = {};
      for (const param of paramsOf(path)) {
        const fixture = paramFixtures[param];
        if (!fixture) throw new Error(`No fixture for path parameter {${param}}`);
        fixtures[param] = await fixture(t, project);
      }
      const ids = [project.id, project.owner.id, ...Object.values(fixtures)];
      const access = t.built.access.get(`${method} ${path}`);
      // `ingest` routes (OTLP) answer OTLP's own google.rpc.Status body, not problem+json: test/traces covers them.
      if (access === 'ingest') {
        skipped++;
        continue;
      }
      const token = access === 'admin' ? t.admin.token : project.owner.token;
      const parameters: any[] = (op.parameters ?? []).map((p: any) => ({ ...p, schema: deref(doc, p.schema) }));
      const query = parameters.filter((p) => p.in === 'query');
      const bodySchema = deref(doc, op.requestBody?.content?.['application/json']?.schema as JsonSchema | undefined);

      const pathArb = fc.record(
        Object.fromEntries(
          paramsOf(path).map((param) => [param, fc.oneof({ weight: 6, arbitrary: fc.constant(fixtures[param]!) }, { weight: 1, arbitrary: fc.uuid() }, { weight: 1, arbitrary: hostileString() })]),
        ),
      ) as fc.Arbitrary<Record<string, string>>;
      const queryArb = fc.record(Object.fromEntries(query.map((p) => [p.name, queryValueFor(p.schema, ids)]))) as fc.Arbitrary<Record<string, string | undefined>>;
      const bodyArb = bodySchema ? arbitraryFor(bodySchema, ids) : fc.constant(undefined);

      await fc.assert(
        fc.asyncProperty(pathArb, queryArb, bodyArb, async (pathValues, queryValues, body) => {
          let url = path;
          for (const [k, v] of Object.entries(pathValues)) url = url.replace(`{${k}}`, encodeURIComponent(v));
          const before = method === 'GET' ? null : await projectRowCounts(t.ctx.db, project.id);
          const res = await t.request(method, url, {
            token,
            query: queryValues,
            ...(body === undefined || method === 'GET' || method === 'DELETE' ? {} : { payload: JSON.stringify(body), contentType: 'application/json' }),
          });
          requests++;
          const where = `${method} ${url.slice(0, 120)} body=${JSON.stringify(body)?.slice(0, 200)}`;
          if (res.status >= 500) failures.push(`${where} -> ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
          if (res.status >= 400) {
            refused++;
            if (!String(res.headers['content-type']).includes('application/problem+json')) failures.push(`${where} -> ${res.status} not problem+json`);
            if (typeof res.body?.code !== 'string' || !res.body.code) failures.push(`${where} -> ${res.status} without a code`);
            if (before) {
              const changed = diffCounts(before, await projectRowCounts(t.ctx.db, project.id));
              if (changed.length) failures.push(`${where} -> ${res.status} but wrote ${changed.join('; ')}`);
            }
          }
          return failures.length < 20;
        }),
        { numRuns: RUNS },
      );
      if (failures.length >= 20) break;
    }
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThanOrEqual((operations.length - skipped) * Math.min(RUNS, 5));
    expect(refused).toBeGreaterThan(0);
  });
});
