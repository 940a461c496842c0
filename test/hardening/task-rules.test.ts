import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { answer, createTask, world } from '../tasks/helpers.ts';

// Issue 12's rule bugs found by exercising the seed features through the API (docs/hardening.md).
let t: TestApp;
const clock = new ManualClock(new Date('2032-05-01T08:00:00Z'));
beforeAll(async () => {
  t = await createTestApp({ clock });
});
afterAll(() => t?.close());

describe('POST /api/v1/tasks/:taskId/pull answers with what the workspace needs (issue 12, item 13)', () => {
  it('returns each pulled item’s external id, kind and payload next to the unit fields', async () => {
    const w = await world(t, 3);
    const a = await t.member(w.projectId, 'annotator');
    const task = await createTask(t, w, { assigneeIds: [a.id], allocation: { method: 'pulling', batchSize: 2 } });
    const pulled = await t.post(`/api/v1/tasks/${task.id}/pull`, {}, { token: a.token });
    expect(pulled.status).toBe(200);
    expect(pulled.body.items).toHaveLength(2);
    expect(pulled.body.items[0]).toMatchObject({ taskId: task.id, itemId: w.itemIds[0], copy: 0, workerId: a.id, externalId: 'e0', kind: 'text', payload: { text: 'item number 0' } });
    expect(pulled.body.items[1]).toMatchObject({ itemId: w.itemIds[1], externalId: 'e1', kind: 'text', payload: { text: 'item number 1' } });
    expect(pulled.body.items[0]).not.toHaveProperty('gold');
  });
});

describe('POST /api/v1/tasks/:taskId/unlock on a task locked by lockAfterDueDate (issue 12, item 11)', () => {
  it('unlocks it until the due date changes, and a new past due date locks it again', async () => {
    const w = await world(t, 2);
    const a = await t.member(w.projectId, 'annotator');
    const due = new Date(clock.now().getTime() + 3600_000);
    const task = await createTask(t, w, { assigneeIds: [a.id], dueDate: due.toISOString(), lockAfterDueDate: true });
    await answer(t, task.id, w.itemIds[0]!, a.token);
    clock.advance(2 * 3600_000);
    const status = () => t.put(`/api/v1/tasks/${task.id}/items/${w.itemIds[0]}/status`, { status: 'completed' }, { token: a.token });
    expect((await t.get(`/api/v1/tasks/${task.id}`)).body.locked).toBe(true);
    expect((await status()).status).toBe(409);

    const unlocked = await t.post(`/api/v1/tasks/${task.id}/unlock`, undefined, { token: w.manager.token });
    expect(unlocked.status).toBe(200);
    expect(unlocked.body.locked).toBe(false);
    expect(unlocked.body.lockAfterDueDate).toBe(true);
    expect((await t.get(`/api/v1/tasks/${task.id}`)).body.locked).toBe(false);
    expect((await status()).status).toBe(200);

    const newDue = new Date(clock.now().getTime() + 60_000);
    expect((await t.patch(`/api/v1/tasks/${task.id}`, { dueDate: newDue.toISOString() }, { token: w.manager.token })).status).toBe(200);
    expect((await t.get(`/api/v1/tasks/${task.id}`)).body.locked).toBe(false);
    clock.advance(120_000);
    expect((await t.get(`/api/v1/tasks/${task.id}`)).body.locked).toBe(true);
  });

  it('locks again by hand after an unlock lifted the automatic lock', async () => {
    const w = await world(t, 1);
    const task = await createTask(t, w, { dueDate: new Date(clock.now().getTime() - 1000).toISOString(), lockAfterDueDate: true });
    await t.post(`/api/v1/tasks/${task.id}/unlock`, undefined, { token: w.manager.token });
    const locked = await t.post(`/api/v1/tasks/${task.id}/lock`, undefined, { token: w.manager.token });
    expect(locked.body.locked).toBe(true);
    expect((await t.post(`/api/v1/tasks/${task.id}/unlock`, undefined, { token: w.manager.token })).body.locked).toBe(false);
  });
});

describe('creating a ticket in a chosen workflow state (issue 12, item 14)', () => {
  it('starts a ticket in the state given, refuses states outside the ticket workflow and on other task types, and changes nothing when refused', async () => {
    const w = await world(t, 1);
    const create = (body: Record<string, unknown>) => t.post(`/api/v1/projects/${w.projectId}/tasks`, { name: `ticket-${Math.random()}`, ...body }, { token: w.manager.token });
    const started = await create({ type: 'ticket', workflowState: 'in_progress' });
    expect(started.status).toBe(201);
    expect(started.body.workflowState).toBe('in_progress');
    expect((await t.get(`/api/v1/tasks/${started.body.id}`)).body.workflowState).toBe('in_progress');
    expect((await create({ type: 'ticket' })).body.workflowState).toBe('open');
    const before = (await t.get(`/api/v1/projects/${w.projectId}/tasks`, { token: w.manager.token })).body.data.length;
    const badState = await create({ type: 'ticket', workflowState: 'pending_review' });
    expect(badState.status).toBe(422);
    expect(badState.body.code).toBe('validation_failed');
    expect((await create({ type: 'labeling', datasetId: w.datasetId, workflowState: 'in_progress' })).status).toBe(422);
    expect((await t.get(`/api/v1/projects/${w.projectId}/tasks`, { token: w.manager.token })).body.data.length).toBe(before);
  });
});

describe('gold answers and reviewers who annotate (issue 12, item 4)', () => {
  const cat = [{ tool: 'classification', label: 'cat' }];
  it('hides gold from GET /items/{id} for a reviewer annotating a qualification or honeypot task that holds the item, and shows it otherwise', async () => {
    const w = await world(t, 4);
    const [inQualification, inHoneypot, plainReviewer] = [await t.member(w.projectId, 'reviewer'), await t.member(w.projectId, 'reviewer'), await t.member(w.projectId, 'reviewer')];
    for (const id of w.itemIds) expect((await t.put(`/api/v1/items/${id}/gold`, { shapes: cat }, { token: w.owner.token })).status).toBe(200);
    await createTask(t, w, { type: 'qualification', itemIds: [w.itemIds[0]], assigneeIds: [inQualification.id] });
    // The honeypot's gold item is not a unit yet (gold is mixed in at pull time).
    await createTask(t, w, { type: 'honeypot', itemIds: [w.itemIds[1]], assigneeIds: [inHoneypot.id], allocation: { method: 'pulling' }, honeypot: { goldItemIds: [w.itemIds[2]], ratio: 0.5 } });
    const gold = async (itemId: string, token: string) => (await t.get(`/api/v1/items/${itemId}`, { token })).body.gold;
    expect(await gold(w.itemIds[0]!, inQualification.token)).toBeNull();
    expect(await gold(w.itemIds[2]!, inHoneypot.token)).toBeNull();
    expect(await gold(w.itemIds[1]!, inHoneypot.token)).toBeNull();
    // Items outside their gold-scored tasks, and reviewers who do not annotate them, still read gold.
    expect(await gold(w.itemIds[3]!, inQualification.token)).toEqual(cat);
    expect(await gold(w.itemIds[0]!, plainReviewer.token)).toEqual(cat);
    expect(await gold(w.itemIds[0]!, w.manager.token)).toEqual(cat);
    // Annotating through a group hides it the same way.
    const viaGroup = await t.member(w.projectId, 'reviewer');
    const group = (await t.post(`/api/v1/projects/${w.projectId}/groups`, { name: 'qualifiers', memberIds: [viaGroup.id] }, { token: w.owner.token })).body;
    expect(await gold(w.itemIds[3]!, viaGroup.token)).toEqual(cat);
    await createTask(t, w, { type: 'qualification', itemIds: [w.itemIds[3]], assigneeIds: [group.id] });
    expect(await gold(w.itemIds[3]!, viaGroup.token)).toBeNull();
    expect(await gold(w.itemIds[0]!, viaGroup.token)).toEqual(cat);
  });
});

describe('allocation edits and rebalance after assignees change (issue 12, item 12)', () => {
  const itemsOf = async (taskId: string) =>
    Object.fromEntries((await t.get(`/api/v1/tasks/${taskId}/assignments`)).body.data.map((x: any) => [x.assigneeId, x.counts.items]));

  it('spreads a percentage task’s items over annotators added by PATCH, and rebalance honours the current assignees', async () => {
    const w = await world(t, 6);
    const [a, b, c] = [await t.member(w.projectId, 'annotator'), await t.member(w.projectId, 'annotator'), await t.member(w.projectId, 'annotator')];
    const task = await createTask(t, w, { assigneeIds: [a.id], allocation: { method: 'distribution', workload: { [a.id]: 100 } } });
    expect(await itemsOf(task.id)).toEqual({ [a.id]: 6 });
    const patched = await t.patch(`/api/v1/tasks/${task.id}`, { assigneeIds: [a.id, b.id, c.id] }, { token: w.manager.token });
    expect(patched.status).toBe(200);
    expect(await itemsOf(task.id)).toEqual({ [a.id]: 2, [b.id]: 2, [c.id]: 2 });
    expect((await t.post(`/api/v1/tasks/${task.id}/rebalance`, undefined, { token: w.manager.token })).body.moved).toBe(0);
  });

  it('edits allocation percentages by PATCH, redistributing items with no status, and refuses percentages for non-assignees', async () => {
    const w = await world(t, 4);
    const [a, b] = [await t.member(w.projectId, 'annotator'), await t.member(w.projectId, 'annotator')];
    const outsider = await t.member(w.projectId, 'annotator');
    const task = await createTask(t, w, { assigneeIds: [a.id, b.id] });
    expect(await itemsOf(task.id)).toEqual({ [a.id]: 2, [b.id]: 2 });
    const edited = await t.patch(`/api/v1/tasks/${task.id}`, { allocation: { workload: { [a.id]: 75, [b.id]: 25 }, batchSize: 7 } }, { token: w.manager.token });
    expect(edited.status).toBe(200);
    expect(edited.body.allocation).toMatchObject({ method: 'distribution', batchSize: 7 });
    expect(await itemsOf(task.id)).toEqual({ [a.id]: 3, [b.id]: 1 });
    const refused = await t.patch(`/api/v1/tasks/${task.id}`, { allocation: { workload: { [outsider.id]: 100 } } }, { token: w.manager.token });
    expect(refused.status).toBe(422);
    expect(await itemsOf(task.id)).toEqual({ [a.id]: 3, [b.id]: 1 });
    expect((await t.patch(`/api/v1/tasks/${task.id}`, { allocation: { method: 'pulling' } }, { token: w.manager.token })).status).toBe(400);
  });
});
