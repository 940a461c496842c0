import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roleRank } from '../../src/projects/permissions.ts';
import { roles, type Role } from '../../src/core/shared/roles.ts';
import { paramFixtures } from '../support/fixtures.ts';
import { createTestApp, unique, type TestApp, type TestUser } from '../support/test-app.ts';

/**
 * Tenant isolation and roles, extending the route-by-role harness (test/api/route-access.test.ts)
 * from "the owner of another project" to every role, a non-member, an anonymous caller, objects
 * cross-wired between two projects in one path, and a check that no answer carries any id or name
 * from the foreign project.
 */
let t: TestApp;
let routes: Array<{ method: string; path: string }>;
type Project = { id: string; owner: TestUser; name: string };
let home: Project;
let foreign: Project;
const cache = new Map<string, string>();
/** Every id and name made in the foreign project: none may appear in an answer to an outsider. */
const foreignSecrets = new Set<string>();
const people = new Map<Role, TestUser>();

const paramsOf = (path: string) => [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
/** Users and tokens are global objects (not inside a project): they are not cross-wired. */
const globalParams = new Set(['userId', 'tokenId']);

async function objectFor(project: Project, param: string) {
  const fixture = paramFixtures[param];
  if (!fixture) throw new Error(`No fixture for path parameter {${param}}: add one in test/support/fixtures.ts`);
  const key = `${project.id}:${param}`;
  if (!cache.has(key)) {
    const id = await fixture(t, project);
    cache.set(key, id);
    if (project === foreign && !globalParams.has(param)) foreignSecrets.add(id);
  }
  return cache.get(key)!;
}

async function fill(path: string, pick: (param: string, index: number) => Project) {
  let url = path;
  const params = paramsOf(path);
  for (const [i, param] of params.entries()) url = url.replace(`{${param}}`, encodeURIComponent(await objectFor(pick(param, i), param)));
  return url;
}

const leaks = (body: unknown) => {
  const text = typeof body === 'string' ? body : JSON.stringify(body ?? '');
  return [...foreignSecrets].filter((s) => text.includes(s));
};

beforeAll(async () => {
  t = await createTestApp();
  const doc = (await t.get('/api/v1/openapi.json', { token: null })).body;
  routes = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
    Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path })),
  );
  const make = async () => {
    const name = unique('tenant');
    const p = await t.project(name);
    return { id: p.id, owner: p.owner, name };
  };
  home = await make();
  foreign = await make();
  foreignSecrets.add(foreign.id).add(foreign.name);
  people.set('owner', home.owner);
  for (const role of roles) if (role !== 'owner') people.set(role, await t.member(home.id, role));
  // Make every kind of object in both projects before any request, so lists have something to leak.
  for (const r of routes) for (const param of paramsOf(r.path)) for (const p of [foreign, home]) await objectFor(p, param);
});
afterAll(() => t?.close());

const projectRoutes = () => routes.filter((r) => typeof t.built.access.get(`${r.method} ${r.path}`) === 'object');

describe('tenant isolation on every route, for every role', () => {
  it('answers 404 not_found, with nothing of the other project, to every role of a project asking for another project’s objects', async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const r of projectRoutes()) {
      const url = await fill(r.path, () => foreign);
      for (const [role, user] of people) {
        const res = await t.request(r.method, url, { token: user.token });
        checked++;
        if (res.status !== 404 || res.body?.code !== 'not_found') failures.push(`${r.method} ${r.path} as ${role} -> ${res.status} ${res.body?.code}`);
        const leaked = leaks(res.body);
        if (leaked.length) failures.push(`${r.method} ${r.path} as ${role} leaks ${leaked.join(', ')}`);
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(20);
  });

  it('answers 404 to a signed-in user who belongs to no project, and 401 to an anonymous caller', async () => {
    const stranger = await t.user();
    const failures: string[] = [];
    for (const r of projectRoutes()) {
      const url = await fill(r.path, () => home);
      const asStranger = await t.request(r.method, url, { token: stranger.token });
      if (asStranger.status !== 404 || asStranger.body?.code !== 'not_found') failures.push(`${r.method} ${r.path} as stranger -> ${asStranger.status}`);
      const anonymous = await t.request(r.method, url, { token: null });
      if (anonymous.status !== 401 || anonymous.body?.code !== 'unauthenticated') failures.push(`${r.method} ${r.path} anonymous -> ${anonymous.status}`);
    }
    expect(failures).toEqual([]);
  });

  it('answers 403 forbidden to each role below a route’s minimum, in the caller’s own project', async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const r of projectRoutes()) {
      const access = t.built.access.get(`${r.method} ${r.path}`) as { minRole: Role };
      const url = await fill(r.path, () => home);
      for (const [role, user] of people) {
        if (roleRank[role] >= roleRank[access.minRole]) continue;
        checked++;
        const res = await t.request(r.method, url, { token: user.token });
        if (res.status !== 403 || res.body?.code !== 'forbidden') failures.push(`${r.method} ${r.path} as ${role} -> ${res.status}`);
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(0);
  });

  it('lets every role at or above a read route’s minimum read its own project, with nothing of the other project in the answer', async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const r of projectRoutes().filter((r) => r.method === 'GET')) {
      const access = t.built.access.get(`${r.method} ${r.path}`) as { minRole: Role };
      const url = await fill(r.path, () => home);
      for (const [role, user] of people) {
        if (roleRank[role] < roleRank[access.minRole]) continue;
        checked++;
        const res = await t.request(r.method, url, { token: user.token });
        // Fixtures of two path parameters are made independently (an item that is not in the
        // task): 404 is then the right answer; a route with one parameter must answer.
        const related = paramsOf(r.path).filter((p) => !globalParams.has(p)).length < 2;
        // Two reads answer only for an object in a given state, which a fixture does not make:
        // a download needs a completed export (409 before), a comparison needs two versions named
        // in the query (400 without). test/exports covers both; here they must still refuse
        // nobody at or above their role and leak nothing.
        const stateful = (r.path.endsWith('/download') && res.status === 409) || (r.path.endsWith('/compare') && res.status === 400);
        if (res.status >= 300 && !stateful && (related || res.status !== 404)) failures.push(`${r.method} ${r.path} as ${role} -> ${res.status} ${res.body?.code}`);
        const leaked = leaks(res.body);
        if (leaked.length) failures.push(`${r.method} ${r.path} as ${role} leaks ${leaked.join(', ')}`);
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(5);
  });

  it('refuses a path that mixes an object of the caller’s project with an object of another project', async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const r of projectRoutes()) {
      const params = paramsOf(r.path);
      const scoped = params.filter((p) => !globalParams.has(p));
      if (scoped.length < 2) continue;
      // The first parameter (the one access is checked on) from home, every later one from abroad.
      const url = await fill(r.path, (param, i) => (i === 0 || globalParams.has(param) ? home : foreign));
      checked++;
      const res = await t.request(r.method, url, { token: home.owner.token });
      if (res.status < 400 || res.status >= 500) failures.push(`${r.method} ${r.path} cross-wired -> ${res.status}`);
      const leaked = leaks(res.body);
      if (leaked.length) failures.push(`${r.method} ${r.path} cross-wired leaks ${leaked.join(', ')}`);
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(0);
  });

  it('answers 403 to non-administrators on every administrator route, whatever their project role', async () => {
    const failures: string[] = [];
    for (const r of routes.filter((r) => t.built.access.get(`${r.method} ${r.path}`) === 'admin')) {
      const url = r.path.replace(/\{\w+\}/g, '00000000-0000-7000-8000-000000000000');
      for (const [role, user] of people) {
        const res = await t.request(r.method, url, { token: user.token });
        if (res.status !== 403) failures.push(`${r.method} ${r.path} as ${role} -> ${res.status}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
