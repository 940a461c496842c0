import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roles, type Role } from '../../src/core/shared/roles.ts';
import { roleRank } from '../../src/projects/permissions.ts';
import { createTestApp, type TestApp, type TestUser } from '../support/test-app.ts';
import { paramFixtures } from '../support/fixtures.ts';

/**
 * The route-by-role harness: walks every route of the OpenAPI document and checks the access
 * each one declares. New modules' routes join automatically; a path parameter without a fixture
 * fails here by name.
 */
let t: TestApp;
let routes: Array<{ method: string; path: string }>;
beforeAll(async () => {
  t = await createTestApp();
  const doc = (await t.get('/api/v1/openapi.json', { token: null })).body;
  routes = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
    Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path })),
  );
});
afterAll(() => t?.close());

const paramsOf = (path: string) => [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);

async function fill(path: string, project: { id: string; owner: TestUser }, cache: Map<string, string>) {
  let url = path;
  for (const param of paramsOf(path)) {
    const fixture = paramFixtures[param];
    if (!fixture) throw new Error(`No fixture for path parameter {${param}} (used by ${path}): add one in test/support/fixtures.ts`);
    const key = `${project.id}:${param}`;
    if (!cache.has(key)) cache.set(key, await fixture(t, project));
    url = url.replace(`{${param}}`, encodeURIComponent(cache.get(key)!));
  }
  return url;
}

describe('route access on every route of the OpenAPI document', () => {
  it('declares access on every documented route', () => {
    const missing = routes.filter((r) => !t.built.access.has(`${r.method} ${r.path}`));
    expect(missing).toEqual([]);
    expect(routes.length).toBeGreaterThan(10);
  });

  it('answers 401 problem+json without a token on every non-public route', async () => {
    const home = await t.project();
    const cache = new Map<string, string>();
    const failures: string[] = [];
    for (const r of routes) {
      if (t.built.access.get(`${r.method} ${r.path}`) === 'public') continue;
      const res = await t.request(r.method, await fill(r.path, home, cache), { token: null });
      if (res.status !== 401 || res.body?.code !== 'unauthenticated') failures.push(`${r.method} ${r.path} -> ${res.status}`);
    }
    expect(failures).toEqual([]);
  });

  it('answers 404 to a member of another project, for every project-scoped route', async () => {
    const foreign = await t.project();
    const home = await t.project();
    const cache = new Map<string, string>();
    const failures: string[] = [];
    for (const r of routes) {
      const access = t.built.access.get(`${r.method} ${r.path}`);
      if (!access || typeof access === 'string') continue;
      const res = await t.request(r.method, await fill(r.path, foreign, cache), { token: home.owner.token });
      if (res.status !== 404 || res.body?.code !== 'not_found') failures.push(`${r.method} ${r.path} -> ${res.status}`);
      else if (JSON.stringify(res.body).includes(foreign.id)) failures.push(`${r.method} ${r.path} leaks the foreign project id`);
    }
    expect(failures).toEqual([]);
  });

  it('answers 403 to every role below the route’s minimum', async () => {
    const home = await t.project();
    const members = new Map<Role, TestUser>();
    for (const role of roles) if (role !== 'owner') members.set(role, await t.member(home.id, role));
    const cache = new Map<string, string>();
    const failures: string[] = [];
    let checked = 0;
    for (const r of routes) {
      const access = t.built.access.get(`${r.method} ${r.path}`);
      if (!access || typeof access === 'string') continue;
      const url = await fill(r.path, home, cache);
      for (const [role, user] of members) {
        if (roleRank[role] >= roleRank[access.minRole]) continue;
        checked++;
        const res = await t.request(r.method, url, { token: user.token });
        if (res.status !== 403 || res.body?.code !== 'forbidden') failures.push(`${r.method} ${r.path} as ${role} -> ${res.status}`);
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(0);
  });

  it('answers 403 to non-administrators on administrator routes', async () => {
    const user = await t.user();
    const failures: string[] = [];
    for (const r of routes) {
      if (t.built.access.get(`${r.method} ${r.path}`) !== 'admin') continue;
      const res = await t.request(r.method, r.path.replace(/\{\w+\}/g, '00000000-0000-7000-8000-000000000000'), { token: user.token });
      if (res.status !== 403) failures.push(`${r.method} ${r.path} -> ${res.status}`);
    }
    expect(failures).toEqual([]);
  });
});
