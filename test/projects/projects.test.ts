import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createTestApp, unique, type TestApp } from '../support/test-app.ts';
import { projects } from '../../src/projects/projects.table.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t?.close());

describe('POST /api/v1/projects', () => {
  it('makes the creator the owner and records an audit event', async () => {
    const user = await t.user();
    const res = await t.post('/api/v1/projects', { name: 'Labels' }, { token: user.token });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'Labels', role: 'owner' });
    const members = await t.get(`/api/v1/projects/${res.body.id}/members`, { token: user.token });
    expect(members.body.data).toEqual([expect.objectContaining({ userId: user.id, role: 'owner' })]);
    const audit = await t.get('/api/v1/audit', { token: user.token, query: { projectId: res.body.id } });
    expect(audit.body.data).toEqual([
      expect.objectContaining({ action: 'project.create', actorId: user.id, subjectId: res.body.id, after: { name: 'Labels', settings: {} } }),
    ]);
  });

  it('creates one project for many parallel retries with one Idempotency-Key', async () => {
    const user = await t.user();
    const key = unique('key');
    const replies = await Promise.all(
      Array.from({ length: 12 }, () => t.post('/api/v1/projects', { name: 'Once' }, { token: user.token, headers: { 'idempotency-key': key } })),
    );
    expect(replies.map((r) => r.status)).toEqual(Array(12).fill(201));
    expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
    expect(replies.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(11);
    const mine = await t.get('/api/v1/projects', { token: user.token });
    expect(mine.body.data).toHaveLength(1);
  });

  it('refuses the same Idempotency-Key for a different body', async () => {
    const user = await t.user();
    const key = unique('key');
    expect((await t.post('/api/v1/projects', { name: 'A' }, { token: user.token, headers: { 'idempotency-key': key } })).status).toBe(201);
    const other = await t.post('/api/v1/projects', { name: 'B' }, { token: user.token, headers: { 'idempotency-key': key } });
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('idempotency_key_reused');
  });
});

describe('GET /api/v1/projects', () => {
  it('shows members their projects only, and administrators all of them', async () => {
    const a = await t.project();
    const b = await t.project();
    const mine = await t.get('/api/v1/projects', { token: a.owner.token });
    expect(mine.body.data.map((p: { id: string }) => p.id)).toEqual([a.id]);
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await t.get('/api/v1/projects', { query: { limit: 100, cursor } });
      ids.push(...res.body.data.map((p: { id: string }) => p.id));
      cursor = res.body.nextCursor ?? undefined;
    } while (cursor);
    expect(ids).toEqual(expect.arrayContaining([a.id, b.id]));
  });

  it('pages with an opaque cursor, without repeats or gaps', async () => {
    const user = await t.user();
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await t.post('/api/v1/projects', { name: `p${i}` }, { token: user.token })).body.id);
    const first = await t.get('/api/v1/projects', { token: user.token, query: { limit: 2 } });
    expect(first.body.data).toHaveLength(2);
    const second = await t.get('/api/v1/projects', { token: user.token, query: { limit: 2, cursor: first.body.nextCursor } });
    const third = await t.get('/api/v1/projects', { token: user.token, query: { limit: 2, cursor: second.body.nextCursor } });
    expect(third.body.nextCursor).toBeNull();
    expect([...first.body.data, ...second.body.data, ...third.body.data].map((p: { id: string }) => p.id)).toEqual(made);
  });

  it('refuses a cursor it did not issue, and a limit above 500', async () => {
    expect((await t.get('/api/v1/projects', { query: { cursor: 'garbage' } })).body.code).toBe('invalid_cursor');
    expect((await t.get('/api/v1/projects', { query: { limit: 501 } })).status).toBe(400);
  });
});

describe('PATCH /api/v1/projects/{projectId}', () => {
  it('renames for managers, records before and after, and refuses annotators', async () => {
    const { id, owner } = await t.project();
    const manager = await t.member(id, 'manager');
    const annotator = await t.member(id, 'annotator');
    expect((await t.patch(`/api/v1/projects/${id}`, { name: 'Renamed' }, { token: annotator.token })).status).toBe(403);
    const res = await t.patch(`/api/v1/projects/${id}`, { name: 'Renamed' }, { token: manager.token });
    expect(res.status).toBe(200);
    expect(res.body.name).toBe('Renamed');
    const audit = await t.get('/api/v1/audit', { token: owner.token, query: { projectId: id, subjectId: id } });
    expect(audit.body.data[0]).toMatchObject({ action: 'project.update', actorId: manager.id, after: { name: 'Renamed' } });
    expect(audit.body.data[0].before.name).toMatch(/^project-/);
  });

  it('leaves the project as it was when the body is malformed', async () => {
    const { id, owner } = await t.project();
    const [before] = await t.ctx.db.select().from(projects).where(eq(projects.id, id));
    const res = await t.request('PATCH', `/api/v1/projects/${id}`, { token: owner.token, payload: '{"name": ', contentType: 'application/json' });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_request');
    const [after] = await t.ctx.db.select().from(projects).where(eq(projects.id, id));
    expect(after).toEqual(before);
  });
});

describe('members', () => {
  it('adds a member by email and changes their role by id', async () => {
    const { id, owner } = await t.project();
    const user = await t.user();
    const added = await t.put(`/api/v1/projects/${id}/members/${encodeURIComponent(user.email.toUpperCase())}`, { role: 'annotator' }, { token: owner.token });
    expect(added.status).toBe(200);
    expect(added.body).toMatchObject({ userId: user.id, role: 'annotator' });
    const changed = await t.put(`/api/v1/projects/${id}/members/${user.id}`, { role: 'reviewer' }, { token: owner.token });
    expect(changed.body.role).toBe('reviewer');
    expect((await t.get(`/api/v1/projects/${id}`, { token: user.token })).body.role).toBe('reviewer');
  });

  it('answers 404 for an unknown user', async () => {
    const { id, owner } = await t.project();
    const res = await t.put(`/api/v1/projects/${id}/members/nobody@example.com`, { role: 'viewer' }, { token: owner.token });
    expect(res.status).toBe(404);
  });

  it('never removes or demotes the last owner', async () => {
    const { id, owner } = await t.project();
    const del = await t.delete(`/api/v1/projects/${id}/members/${owner.id}`, { token: owner.token });
    expect(del.status).toBe(409);
    expect(del.body.code).toBe('last_owner');
    const demote = await t.put(`/api/v1/projects/${id}/members/${owner.id}`, { role: 'manager' }, { token: owner.token });
    expect(demote.body.code).toBe('last_owner');
  });

  it('keeps one owner when two owners remove each other at the same time', async () => {
    const { id, owner } = await t.project();
    const second = await t.member(id, 'owner');
    const [a, b] = await Promise.all([
      t.delete(`/api/v1/projects/${id}/members/${second.id}`, { token: owner.token }),
      t.delete(`/api/v1/projects/${id}/members/${owner.id}`, { token: second.token }),
    ]);
    expect([a.status, b.status].sort()).toEqual([204, 409]);
    const members = await t.get(`/api/v1/projects/${id}/members`);
    expect(members.body.data.filter((m: { role: string }) => m.role === 'owner')).toHaveLength(1);
  });

  it('does not let a manager make owners', async () => {
    const { id } = await t.project();
    const manager = await t.member(id, 'manager');
    const user = await t.user();
    const res = await t.put(`/api/v1/projects/${id}/members/${user.id}`, { role: 'owner' }, { token: manager.token });
    expect(res.status).toBe(403);
  });
});

describe('groups', () => {
  it('creates a group of members named by id or email and refuses non-members', async () => {
    const { id, owner } = await t.project();
    const a = await t.member(id, 'annotator');
    const b = await t.member(id, 'annotator');
    const outsider = await t.user();
    const res = await t.post(`/api/v1/projects/${id}/groups`, { name: 'Night shift', memberIds: [a.id, b.email] }, { token: owner.token });
    expect(res.status).toBe(201);
    expect(res.body.memberIds).toEqual([a.id, b.id].sort());
    const bad = await t.post(`/api/v1/projects/${id}/groups`, { name: 'Bad', memberIds: [outsider.id] }, { token: owner.token });
    expect(bad.status).toBe(422);
    expect(bad.body.notMembers).toEqual([outsider.id]);
    const listed = await t.get(`/api/v1/projects/${id}/groups`, { token: a.token });
    expect(listed.body.data.map((g: { name: string }) => g.name)).toEqual(['Night shift']);
  });
});

describe('audit', () => {
  it('is visible to owners and managers, not to annotators', async () => {
    const { id } = await t.project();
    const annotator = await t.member(id, 'annotator');
    const res = await t.get('/api/v1/audit', { token: annotator.token, query: { projectId: id } });
    expect(res.status).toBe(403);
  });

  it('answers 404 for a project the caller is not in', async () => {
    const { id } = await t.project();
    const stranger = await t.user();
    expect((await t.get('/api/v1/audit', { token: stranger.token, query: { projectId: id } })).status).toBe(404);
  });
});

describe('GET /api/v1/projects/{projectId}/summary', () => {
  it('starts at zero', async () => {
    const { id, owner } = await t.project();
    const res = await t.get(`/api/v1/projects/${id}/summary`, { token: owner.token });
    expect(res.body).toEqual({ tasks: 0, assignments: 0, openIssues: 0, pendingReviews: 0 });
  });
});
