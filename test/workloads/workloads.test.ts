import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { readEvents } from '../../src/outbox/outbox.service.ts';
import { tickWorkloads } from '../../src/workloads/cycles.service.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { createWorkload, cyclesOf, evaluate, setup, taskItems, workloadBody } from './helpers.ts';

const clock = new ManualClock(new Date('2030-01-01T10:00:00Z'));
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ clock });
});
afterAll(async () => {
  await t.close();
});

describe('POST /api/v1/projects/:projectId/workloads', () => {
  it('creates the workload and its first cycle at once: a task over a sample of the reviewees’ non-draft conversations', async () => {
    clock.set(new Date('2030-01-01T10:00:00Z'));
    const s = await setup(t);
    const w = await createWorkload(t, s);
    expect(w).toMatchObject({ status: 'active', autoQa: 'off', schedule: { frequency: 'daily', timeZone: 'UTC', startAt: null } });
    expect(w.currentCycle).toMatchObject({ status: 'in_progress', target: 4, done: 0, skipped: 0, periodStart: '2030-01-01T00:00:00.000Z', periodEnd: '2030-01-02T00:00:00.000Z' });
    const units = await taskItems(t, w.currentCycle.taskId);
    expect(units).toHaveLength(4);
    expect(units.map((u) => u.itemId)).not.toContain(s.draftItemId);
    // Distributed among the two evaluators.
    const assignments = (await t.get(`/api/v1/workloads/${w.id}/assignments`, { token: s.owner.token })).body;
    expect(assignments.data.map((a: any) => a.evaluatorId).sort()).toEqual(s.evaluators.map((e) => e.id).sort());
    expect(assignments.data.reduce((n: number, a: any) => n + a.total, 0)).toBe(4);
    const events = await readEvents(t.ctx.db, { afterSeq: 0, limit: 500, projectId: s.projectId, types: ['cycle.started'] });
    expect(events).toHaveLength(1);
    expect(new Set(events[0]!.recipientIds)).toEqual(new Set([s.owner.id, ...s.evaluators.map((e) => e.id)]));
  });

  it('samples per reviewee when the target is per reviewee, and the same seed gives the same sample', async () => {
    const s = await setup(t);
    const w = await createWorkload(t, s, { target: { count: 2, per: 'reviewee' }, sampling: { datasetId: s.datasetId, revieweeField: 'metadata.agentId', strategy: 'stratified', filter: { field: 'metadata.channel', op: 'eq', value: 'chat' } } });
    expect(w.currentCycle.target).toBe(4);
    const sampled = (await taskItems(t, w.currentCycle.taskId)).map((u) => u.itemId);
    for (const r of s.reviewees) expect(sampled.filter((id) => s.itemsByReviewee.get(r.id)!.includes(id))).toHaveLength(2);
    const items = (await t.get(`/api/v1/datasets/${s.datasetId}/items`, { query: { limit: 500 }, token: s.owner.token })).body.data;
    for (const id of sampled) expect(items.find((i: any) => i.id === id).metadata.channel).toBe('chat');
  });

  it('refuses a recipe without rating categories, an unknown time zone and AutoQA without an AI evaluator', async () => {
    const s = await setup(t);
    const plain = (await t.post(`/api/v1/projects/${s.projectId}/recipes`, { name: 'plain', labels: [{ name: 'x' }], tools: ['classification'] }, { token: s.owner.token })).body.id;
    const bad1 = await t.post(`/api/v1/projects/${s.projectId}/workloads`, workloadBody(s, { scorecardRecipeId: plain }), { token: s.owner.token });
    expect(bad1.status).toBe(422);
    const bad2 = await t.post(`/api/v1/projects/${s.projectId}/workloads`, workloadBody(s, { schedule: { frequency: 'weekly', timeZone: 'Mars/Olympus' } }), { token: s.owner.token });
    expect(bad2.status).toBe(422);
    const bad3 = await t.post(`/api/v1/projects/${s.projectId}/workloads`, workloadBody(s, { autoQa: 'copilot' }), { token: s.owner.token });
    expect(bad3.status).toBe(422);
    expect(bad3.body.code).toBe('auto_qa_unavailable');
    const list = await t.get(`/api/v1/projects/${s.projectId}/workloads`, { token: s.owner.token });
    expect(list.body.data).toEqual([]);
  });

  it('expands groups of reviewees and evaluators to their members', async () => {
    const s = await setup(t);
    const group = (await t.post(`/api/v1/projects/${s.projectId}/groups`, { name: 'agents', memberIds: s.reviewees.map((r) => r.id) }, { token: s.owner.token })).body.id;
    const evalGroup = (await t.post(`/api/v1/projects/${s.projectId}/groups`, { name: 'qa', memberIds: s.evaluators.map((r) => r.id) }, { token: s.owner.token })).body.id;
    const w = await createWorkload(t, s, { revieweeIds: [group], evaluatorIds: [evalGroup], target: { count: 3, per: 'reviewee' } });
    expect(w.currentCycle.target).toBe(6);
    const assignments = (await t.get(`/api/v1/workloads/${w.id}/assignments`, { token: s.owner.token })).body.data;
    expect(assignments.map((a: any) => a.evaluatorId).sort()).toEqual(s.evaluators.map((e) => e.id).sort());
  });
});

describe('access', () => {
  it('lets only owners manage workloads; evaluators see their own assignments; other projects answer 404', async () => {
    const s = await setup(t);
    const w = await createWorkload(t, s);
    const manager = await t.member(s.projectId, 'manager');
    expect((await t.get(`/api/v1/projects/${s.projectId}/workloads`, { token: manager.token })).status).toBe(403);
    expect((await t.get(`/api/v1/workloads/${w.id}`, { token: manager.token })).status).toBe(403);
    const notMine = await t.get(`/api/v1/workloads/${w.id}/assignments`, { token: manager.token });
    expect([notMine.status, notMine.body.data]).toEqual([200, []]);
    const mine = await t.get(`/api/v1/workloads/${w.id}/assignments`, { token: s.evaluators[0]!.token });
    expect(mine.status).toBe(200);
    expect(mine.body.data.map((a: any) => a.evaluatorId)).toEqual([s.evaluators[0]!.id]);
    const stranger = await t.project();
    expect((await t.get(`/api/v1/workloads/${w.id}`, { token: stranger.owner.token })).status).toBe(404);
    expect((await t.get(`/api/v1/workloads/${w.id}/cycles`, { token: stranger.owner.token })).status).toBe(404);
  });
});

describe('lifecycle', () => {
  it('cancels the running cycle on a configuration change and starts a new one with the new settings; a rename cancels nothing', async () => {
    clock.set(new Date('2030-01-01T10:00:00Z'));
    const s = await setup(t);
    const w = await createWorkload(t, s);
    const renamed = await t.patch(`/api/v1/workloads/${w.id}`, { name: 'Renamed' }, { token: s.owner.token });
    expect(renamed.status).toBe(200);
    expect(renamed.body.currentCycle.id).toBe(w.currentCycle.id);
    const changed = await t.patch(`/api/v1/workloads/${w.id}`, { target: { count: 2, per: 'total' } }, { token: s.owner.token });
    expect(changed.status).toBe(200);
    expect(changed.body.currentCycle).toMatchObject({ target: 2, status: 'in_progress', periodStart: w.currentCycle.periodStart });
    expect(changed.body.currentCycle.id).not.toBe(w.currentCycle.id);
    const cycles = await cyclesOf(t, s, w.id);
    expect(cycles.map((c) => c.status).sort()).toEqual(['cancelled', 'in_progress']);
    expect(await taskItems(t, changed.body.currentCycle.taskId)).toHaveLength(2);
    const closed = await readEvents(t.ctx.db, { afterSeq: 0, limit: 500, projectId: s.projectId, types: ['cycle.closed'] });
    expect(closed.map((e) => e.data.status)).toEqual(['cancelled']);
  });

  it('deactivates (no new cycles, the current one stays), archives (hidden from the list), restores and activates', async () => {
    clock.set(new Date('2030-02-01T10:00:00Z'));
    const s = await setup(t);
    const w = await createWorkload(t, s);
    const off = await t.post(`/api/v1/workloads/${w.id}/deactivate`, undefined, { token: s.owner.token });
    expect(off.body).toMatchObject({ status: 'inactive', currentCycle: { id: w.currentCycle.id } });
    clock.set(new Date('2030-02-02T00:00:10Z'));
    await tickWorkloads(t.ctx, { projectId: s.projectId });
    expect(await cyclesOf(t, s, w.id)).toHaveLength(1);
    expect((await t.post(`/api/v1/workloads/${w.id}/archive`, undefined, { token: s.owner.token })).body.status).toBe('archived');
    expect((await t.get(`/api/v1/projects/${s.projectId}/workloads`, { token: s.owner.token })).body.data).toEqual([]);
    expect((await t.get(`/api/v1/projects/${s.projectId}/workloads`, { query: { status: 'archived' }, token: s.owner.token })).body.data).toHaveLength(1);
    expect((await t.get(`/api/v1/workloads/${w.id}/report`, { token: s.owner.token })).status).toBe(404);
    const refusedActivate = await t.post(`/api/v1/workloads/${w.id}/activate`, undefined, { token: s.owner.token });
    expect(refusedActivate.status, JSON.stringify(refusedActivate.body)).toBe(409);
    expect((await t.post(`/api/v1/workloads/${w.id}/restore`, undefined, { token: s.owner.token })).body.status).toBe('inactive');
    const on = await t.post(`/api/v1/workloads/${w.id}/activate`, undefined, { token: s.owner.token });
    expect(on.body.status).toBe('active');
    expect(on.body.currentCycle.periodStart).toBe('2030-02-02T00:00:00.000Z');
    const cycles = await cyclesOf(t, s, w.id);
    expect(cycles.map((c) => c.status)).toEqual(['in_progress', 'uncompleted']);
  });

  it('duplicates a workload as an inactive copy with the same settings', async () => {
    const s = await setup(t);
    const w = await createWorkload(t, s);
    const copy = await t.post(`/api/v1/workloads/${w.id}/duplicate`, undefined, { token: s.owner.token });
    expect(copy.status).toBe(201);
    expect(copy.body).toMatchObject({ name: 'Weekly support QA (copy)', status: 'inactive', currentCycle: null, target: w.target, sampling: w.sampling });
    expect(await cyclesOf(t, s, copy.body.id)).toEqual([]);
  });

  it('deletes a workload without evaluations (204) and refuses one with an evaluation (409 workload_has_evaluations)', async () => {
    const s = await setup(t);
    const fresh = await createWorkload(t, s);
    expect((await t.delete(`/api/v1/workloads/${fresh.id}`, { token: s.owner.token })).status).toBe(204);
    expect((await t.get(`/api/v1/workloads/${fresh.id}`, { token: s.owner.token })).status).toBe(404);
    expect((await t.get(`/api/v1/tasks/${fresh.currentCycle.taskId}`)).status).toBe(404);

    const used = await createWorkload(t, s);
    const [unit] = await taskItems(t, used.currentCycle.taskId);
    const evaluator = s.evaluators.find((e) => true)!;
    const owner = (await t.get(`/api/v1/tasks/${used.currentCycle.taskId}/assignments`)).body.data.find((a: any) => a.id === unit!.assignmentId).assigneeId;
    await evaluate(t, used.currentCycle.taskId, unit!.itemId, s.evaluators.find((e) => e.id === owner) ?? evaluator, { tone: 4 });
    const refused = await t.delete(`/api/v1/workloads/${used.id}`, { token: s.owner.token });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('workload_has_evaluations');
    expect((await t.get(`/api/v1/workloads/${used.id}`, { token: s.owner.token })).status).toBe(200);
  });
});
